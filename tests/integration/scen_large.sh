#!/usr/bin/env bash
# needs: smpi
# timeout: 200
# The 1024-rank scenario (1023 workers, 10,000 tasks) twice: expectations, byte-identical runs,
# golden trace. Prints the real time of each run (target <= 5 s on an idle 2-core machine).
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
timeout -k 5 180 "$B/dla_scenario" run "$S/scenarios/large-1024" --repeat 2 --runs "$tmp/runs" --repo "$S" --build "$B" | tee "$tmp/log"
cmp "$tmp/runs/large-1024/run.trace" "$tmp/runs/large-1024~2/run.trace"
cmp "$tmp/runs/large-1024/run.trace" "$S/traces/large-1024.trace"
tasks=$(grep -c ' result ' "$tmp/runs/large-1024/run.trace")
ranks=$(awk '!/^#/ {print $2}' "$tmp/runs/large-1024/run.trace" | sort -un | wc -l)
echo "scen_large: $tasks task results from $ranks distinct ranks; real times: $(grep -o 'real [0-9.]* s' "$tmp/log" | tr '\n' ' ')"
[ "$tasks" -eq 10000 ] && [ "$ranks" -ge 1000 ]
