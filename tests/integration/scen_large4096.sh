#!/usr/bin/env bash
# needs: smpi
# timeout: 960
# The 4096-rank scenario (4095 workers, 100,000 tasks) once: expectations (counts equal to
# base_log_analyser's), golden trace and output (the golden was accepted with --repeat 2, so a
# fresh run equal to it is also a determinism check). Prints the real time (target <= 60 s on an
# idle 2-core machine; bench/bench_scale.sh measures it properly). Independent counts: task
# results and distinct ranks from the trace with awk.
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
timeout -k 5 920 "$B/dla_scenario" run "$S/scenarios/large-4096" --runs "$tmp/runs" --repo "$S" --build "$B" | tee "$tmp/log"
gzip -dc "$S/traces/large-4096.trace.gz" | cmp "$tmp/runs/large-4096/run.trace" -
tasks=$(grep -c ' result ' "$tmp/runs/large-4096/run.trace")
ranks=$(awk '!/^#/ {print $2}' "$tmp/runs/large-4096/run.trace" | sort -un | wc -l)
echo "scen_large4096: $tasks task results from $ranks distinct ranks; real time: $(grep -o 'real [0-9.]* s' "$tmp/log" | tr '\n' ' ')"
[ "$tasks" -eq 100000 ] && [ "$ranks" -ge 4000 ]
