#!/usr/bin/env bash
# needs: smpi
# timeout: 240
# The scenario suite, twice (issue 5): every scenarios/*/scenario.json except those tagged "large"
# (scen_large.sh), "store" (scen_store.sh) or "known-issue" runs twice under smpirun. Each run must meet its expectations
# (counts equal to base_log_analyser's, the failed workers, bounds), the two runs must be
# byte-identical (trace and output), and both must equal the goldens traces/NAME.trace and
# traces/NAME.out. The byte comparisons are repeated here with cmp, outside the runner.
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
for t in dla_scenario distributed_log_analyser_smpi base_log_analyser; do
  [ -e "$B/$t" ] || { echo "FAIL: $B/$t is not built"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
timeout -k 5 220 "$B/dla_scenario" run-all --skip-tag large --skip-tag store --skip-tag known-issue --repeat 2 \
  --runs "$tmp/runs" --repo "$S" --build "$B"
# A run whose master dies (expect "result": "none") writes no trace: compare it as empty.
same() { cmp <(cat "$1" 2>/dev/null || true) <(cat "$2" 2>/dev/null || true) > /dev/null; }
n=0
for d in "$tmp"/runs/*/; do
  name=$(basename "$d")
  case $name in *~*) continue ;; esac
  # (every scenario has both goldens and every run an output: a missing one must not compare as
  # "empty = empty")
  for f in "$S/traces/$name.trace" "$S/traces/$name.out" "$d/stdout.txt"; do
    [ -f "$f" ] || { echo "FAIL: $name: $f is missing"; exit 1; }
  done
  for f in run.trace stdout.txt; do
    same "$d/$f" "$tmp/runs/$name~2/$f" || { echo "FAIL: $name: $f differs between the two runs"; exit 1; }
  done
  same "$d/run.trace" "$S/traces/$name.trace" || { echo "FAIL: $name: trace differs from traces/$name.trace"; exit 1; }
  same "$d/stdout.txt" "$S/traces/$name.out" || { echo "FAIL: $name: output differs from traces/$name.out"; exit 1; }
  n=$((n + 1))
done
expected=$(ls -d "$S"/scenarios/*/ | while read -r d; do grep -qE '"(large|store|known-issue)"' "$d/scenario.json" || echo x; done | wc -l)
echo "scen_suite: $n of $expected scenarios ran twice, byte-identical to each other and to the goldens ($(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"
[ "$n" -eq "$expected" ] && [ "$n" -ge 10 ]
