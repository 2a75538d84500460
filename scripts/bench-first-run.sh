#!/usr/bin/env bash
# The first ten minutes, measured: a clean clone of HEAD, an empty cargo cache (its own CARGO_HOME
# and target directory), then the README's two commands, each timed:
#   1. cargo install --locked --path .   then   flagplan check examples/memalloc-2020.toml
#   2. ./scripts/test                    (with FLAGPLAN_LINUX_6_1 pointing at an unpacked tree)
# Usage: scripts/bench-first-run.sh [WORKDIR]   (default: a new temporary directory)
# Crates are downloaded from crates.io, so the network and the machine's load show in the figures.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
tree=${FLAGPLAN_LINUX_6_1:-$("$repo/scripts/get-linux.sh")}
export CARGO_HOME=$work/cargo-home
unset CARGO_TARGET_DIR
git clone -q --no-hardlinks "$repo" "$work/flagplan"
cd "$work/flagplan"
echo "clone: $(git log --oneline -1)  cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s)
cargo install -q --locked --path . --root "$work/bin"
t1=$(date +%s)
"$work/bin/bin/flagplan" check examples/memalloc-2020.toml >/dev/null
t2=$(date +%s)
echo "1. cargo install --locked --path . : $((t1 - t0)) s; then flagplan check: $((t2 - t1)) s"
status=0
FLAGPLAN_LINUX_6_1=$tree ./scripts/test -q >"$work/test.log" 2>&1 || status=$?
t3=$(date +%s)
echo "2. ./scripts/test (cold test build + run): $((t3 - t2)) s, exit $status (log: $work/test.log)"
echo "crates compiled for tests: $(ls target/debug/deps/*.rlib 2>/dev/null | sed 's/-[0-9a-f]*\.rlib//' | sort -u | wc -l)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
