#!/bin/sh
# Time `flagplan scan` against ripgrep searching the same tree for the same flag names.
#   scripts/bench-scan.sh [TREE]   (default: $FLAGPLAN_LINUX_6_1 or ~/.cache/flagplan/linux-source-6.1)
# Warm cache (one untimed run of each first), one timed run each; hyperfine when available.
# Also reports flagplan's peak RSS (/usr/bin/time -v) and, with BENCH_COCCI=1, a Coccinelle estimate.
set -eu
TREE=${1:-${FLAGPLAN_LINUX_6_1:-$HOME/.cache/flagplan/linux-source-6.1}}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAYOUT=$ROOT/layouts/linux-6.1-task_struct.toml
[ -f "$TREE/include/linux/sched.h" ] || { echo "no kernel tree at $TREE (scripts/get-linux.sh)" >&2; exit 2; }
if ! command -v rg >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then apt-get install -y ripgrep >/dev/null; else cargo install ripgrep; fi
fi
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN=$ROOT/target/release/flagplan
NAMES=$(mktemp); trap 'rm -f "$NAMES"' EXIT
# Every flag of the shipped layout (holes excluded): the names a reviewer would grep for.
awk '/^\[\[flag\]\]/{f=1;next} f&&/^name = /{gsub(/"/,"",$3); if ($3 !~ /HOLE/) print $3; f=0}' "$LAYOUT" > "$NAMES"
echo "$(wc -l < "$NAMES") names; tree $TREE"
cd "$TREE"
rg -F -w -f "$NAMES" --type c . > /dev/null || true
"$BIN" scan "$LAYOUT" --src . --format json --no-progress > /dev/null
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --runs "${RUNS:-3}" --warmup 1 -i \
        "rg -F -w -f $NAMES --type c ." \
        "$BIN scan $LAYOUT --src . --format json --no-progress"
else
    t() { s=$(date +%s.%N); "$@" > /dev/null || true; e=$(date +%s.%N); awk "BEGIN{print $e - $s}"; }
    RG=$(t rg -F -w -f "$NAMES" --type c .)
    FP=$(t "$BIN" scan "$LAYOUT" --src . --format json --no-progress)
    echo "rg:            ${RG}s"
    echo "flagplan scan: ${FP}s"
    echo "ratio:         $(awk "BEGIN{printf \"%.2f\", $FP / $RG}")x"
fi
/usr/bin/time -v "$BIN" scan "$LAYOUT" --src . --format json --no-progress 2>&1 >/dev/null \
    | grep -E "Maximum resident|Elapsed" || true
if [ "${BENCH_COCCI:-0}" = 1 ] && command -v spatch >/dev/null 2>&1; then
    # Coccinelle doing the same matching (accesses to PF_* flags through ->flags) on kernel/
    # only, extrapolated to the whole tree by bytes. Labelled as an estimate.
    COCCI=$(mktemp --suffix=.cocci)
    printf '@r@\nexpression E;\nidentifier F =~ "^PF_";\n@@\n* E->flags & F\n' > "$COCCI"
    s=$(date +%s.%N); spatch --sp-file "$COCCI" --dir kernel --very-quiet -j "$(nproc)" > /dev/null 2>&1 || true; e=$(date +%s.%N)
    SUB=$(find kernel -name '*.[ch]' -print0 | du -cb --files0-from=- | tail -1 | cut -f1); ALL=$(find . -name '*.[ch]' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
    awk "BEGIN{t = $e - $s; printf \"coccinelle on kernel/: %.1fs; estimated whole tree: %.0fs (EXTRAPOLATED by bytes, one pattern only)\\n\", t, t * $ALL / $SUB}"
    rm -f "$COCCI"
fi
