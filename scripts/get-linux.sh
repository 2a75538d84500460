#!/usr/bin/env bash
# Fetch Debian's linux-source-VERSION (6.1 by default; 6.12 also works) and unpack it once; print
# the tree's path. The 6.1 package is about 140 MB and unpacks to about 1.6 GB.
# The tree is a test and benchmark input only: it is never committed.
# Without apt/dpkg, point FLAGPLAN_LINUX_6_1 (or FLAGPLAN_LINUX_6_12) at a v6.1 (v6.12) tree instead:
# a `git` checkout of the tag, or an unpacked kernel.org tarball.
set -euo pipefail
version=${1:-6.1}
dest=${FLAGPLAN_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flagplan}
tree=$dest/linux-source-$version
# The truth tables in tests/data/ give sites by line, so the tree is pinned to the point release
# they were checked against; when the archive no longer has it, the newest is taken (with a warning:
# lines may have moved). The unpacked version is kept in $tree.version.
case $version in
  6.1) pin=6.1.192-3 ;;
  6.12) pin=6.12.118-1~deb12u1 ;;
  *) pin= ;;
esac
if [ -f "$tree/include/linux/sched.h" ]; then
  have=$(cat "$tree.version" 2>/dev/null || echo unknown)
  if [ -n "$pin" ] && [ "$have" != "$pin" ]; then
    echo "get-linux.sh: $tree is linux-source-$version $have, not $pin: the truth tables' line numbers may not match (remove it to fetch $pin)" >&2
  fi
  echo "$tree"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  var="FLAGPLAN_LINUX_${version//./_}"
  echo "get-linux.sh: apt-get and dpkg are needed to fetch Debian's linux-source-$version." >&2
  echo "Point $var at a Linux v$version tree instead, e.g.:" >&2
  echo "  git clone --depth 1 --branch v$version <linux git url> linux && export $var=\$PWD/linux" >&2
  exit 1
fi
mkdir -p "$dest"
cd "$dest"
if ! ls linux-source-"$version"_*.deb >/dev/null 2>&1; then
  apt-get update -qq >&2 || echo "apt-get update failed; trying the download anyway" >&2
  if [ -z "$pin" ] || ! apt-get download "linux-source-$version=$pin" >&2; then
    [ -n "$pin" ] && echo "get-linux.sh: could not download linux-source-$version $pin (no longer in the archive, or no network); trying the newest (the truth tables' line numbers may have moved)" >&2
    apt-get download linux-source-"$version" >&2
  fi
fi
deb=$(ls -t linux-source-"$version"_*.deb | head -n 1)
rm -rf "x-$version"
dpkg -x "$deb" "x-$version" >&2
tar -xf "x-$version"/usr/src/linux-source-"$version".tar.xz
rm -rf "x-$version"
test -f "$tree/include/linux/sched.h"
dpkg-deb -f "$deb" Version > "$tree.version"
echo "$tree"
