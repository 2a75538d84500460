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
if [ -f "$tree/include/linux/sched.h" ]; then
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
# The truth tables in tests/data/ give sites by line, so the tree is pinned to the point release
# they were checked against; when the archive no longer has it, the newest is taken (with a warning:
# lines may have moved).
case $version in
  6.1) pin=6.1.192-3 ;;
  6.12) pin=6.12.118-1~deb12u1 ;;
  *) pin= ;;
esac
if ! ls linux-source-"$version"_*.deb >/dev/null 2>&1; then
  apt-get update -qq >&2 || echo "apt-get update failed; trying the download anyway" >&2
  if [ -z "$pin" ] || ! apt-get download "linux-source-$version=$pin" >&2; then
    [ -n "$pin" ] && echo "get-linux.sh: linux-source-$version $pin is not in the archive any more; taking the newest (the truth tables' line numbers may have moved)" >&2
    apt-get download linux-source-"$version" >&2
  fi
fi
rm -rf "x-$version"
dpkg -x linux-source-"$version"_*.deb "x-$version" >&2
tar -xf "x-$version"/usr/src/linux-source-"$version".tar.xz
rm -rf "x-$version"
test -f "$tree/include/linux/sched.h"
echo "$tree"
