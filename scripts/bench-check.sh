#!/usr/bin/env bash
# Is `flagplan check` on a shipped layout dominated by process start? Times `flagplan --version`
# (process start, no work) against `check` of every built-in layout, side by side, then runs the
# large generated-layout benchmark (benches/check.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release -q
bin=target/release/flagplan
args=(-N -i --warmup 20 --runs 200 "$bin --version")
for name in $($bin layouts | cut -f1 | sed 's/ (default)//'); do
  args+=("$bin check --builtin $name --format json")
done
args+=("$bin check examples/memalloc-2020.toml")
# BASELINE=path/to/an/older/flagplan times it side by side in the same run.
if [ -n "${BASELINE:-}" ]; then
  args+=("$BASELINE --version" "$BASELINE check --builtin linux-6.1 --format json"
         "$BASELINE check examples/memalloc-2020.toml")
fi
hyperfine "${args[@]}"
cargo bench --bench check
