#!/bin/sh
# flagplan in any CI, next to checkpatch: hold a kernel tree against its flag layout.
#
#   examples/ci/flagplan-ci.sh KERNEL_TREE [LAYOUT]
#
# LAYOUT defaults to the layout kept in the tree (Documentation/flagplan/task_struct.toml) or,
# failing that, flagplan's built-in layout. Three checks, each a CI failure on its own:
#   1. the layout and its rules (what `flagplan check` alone does);
#   2. drift: the layout against the tree's own include/linux/sched.h;
#   3. evidence: every writer the source scan finds against the writers the layout declares.
# Findings print one per line (`file:line: ERROR: rule-id: message`, as checkpatch does); a SARIF
# file for code-scanning upload is left in $FLAGPLAN_SARIF (default flagplan.sarif), written by
# the same run. The scan covers the whole tree: writers live in arch/, drivers/, block/, init/ and
# security/ as well as kernel/, mm/ and fs/.
# Exit status: 0 clean, 1 findings, 2 bad input (as flagplan itself).
set -eu
tree=${1:?usage: flagplan-ci.sh KERNEL_TREE [LAYOUT]}
layout=${2:-}
if [ -z "$layout" ] && [ -f "$tree/Documentation/flagplan/task_struct.toml" ]; then
  layout=$tree/Documentation/flagplan/task_struct.toml
fi
set -- ${layout:+"$layout"}
[ -n "$layout" ] || set -- --builtin linux-6.1
flagplan=${FLAGPLAN:-flagplan}
sarif=${FLAGPLAN_SARIF:-flagplan.sarif}

# One run: the findings for the log and the SARIF upload come from the same judgement, so the
# tree is scanned once. The SARIF file is this recipe's own output: it is replaced.
"$flagplan" check "$@" --header "$tree/include/linux/sched.h" --src "$tree" --format short \
  --sarif "$sarif" --force
