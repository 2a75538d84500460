#!/usr/bin/env bash
# Fetch Debian's linux-source-6.1 (about 140 MB) and unpack it once; print the tree's path.
# The tree is a test and benchmark input only: it is never committed.
set -euo pipefail
dest=${FLAGPLAN_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flagplan}
tree=$dest/linux-source-6.1
if [ -f "$tree/include/linux/sched.h" ]; then
  echo "$tree"
  exit 0
fi
mkdir -p "$dest"
cd "$dest"
if ! ls linux-source-6.1_*.deb >/dev/null 2>&1; then
  apt-get update -qq >&2 || echo "apt-get update failed; trying the download anyway" >&2
  apt-get download linux-source-6.1 >&2
fi
rm -rf x
dpkg -x linux-source-6.1_*.deb x >&2
tar -xf x/usr/src/linux-source-6.1.tar.xz
rm -rf x
test -f "$tree/include/linux/sched.h"
echo "$tree"
