#!/usr/bin/env bash
# needs: smpi
# timeout: 400
# The store scenarios (issue 14, scenarios tagged "store"), twice each under smpirun: ingest with
# chain replication, corrupted replicas, the analysis with --store and the scenario's faults, fsck
# --repair and fsck (testbed/store_run.h). Each run must meet its expectations (counts equal to
# base_log_analyser's or, with lost blocks, base's minus the lost ranges'; locality bounds; the
# final fsck OK or the expected missing blocks; the runner's own check that every block has K
# byte-exact replicas on distinct ranks/hosts), the two runs must be byte-identical, and both must
# equal the goldens traces/NAME.{trace,out} (compared again here with cmp, outside the runner).
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
for t in dla_scenario distributed_log_analyser_smpi dla_store_smpi base_log_analyser; do
  [ -e "$B/$t" ] || { echo "FAIL: $B/$t is not built"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
timeout -k 5 380 "$B/dla_scenario" run-all --tag store --repeat 2 --runs "$tmp/runs" --repo "$S" --build "$B"
n=0
for d in "$tmp"/runs/*/; do
  name=$(basename "$d")
  case $name in *~*|.*) continue ;; esac
  for f in "$S/traces/$name.trace" "$S/traces/$name.out" "$d/stdout.txt" "$d/run.trace"; do
    [ -f "$f" ] || { echo "FAIL: $name: $f is missing"; exit 1; }
  done
  for f in run.trace stdout.txt; do
    cmp -s "$d/$f" "$tmp/runs/$name~2/$f" || { echo "FAIL: $name: $f differs between the two runs"; exit 1; }
  done
  cmp -s "$d/run.trace" "$S/traces/$name.trace" || { echo "FAIL: $name: trace differs from traces/$name.trace"; exit 1; }
  cmp -s "$d/stdout.txt" "$S/traces/$name.out" || { echo "FAIL: $name: output differs from traces/$name.out"; exit 1; }
  n=$((n + 1))
done
expected=$(grep -l '"tags": \[[^]]*"store"' "$S"/scenarios/*/scenario.json | wc -l)
echo "scen_store: $n of $expected store scenarios ran twice, byte-identical to each other and to the goldens"
[ "$n" -eq "$expected" ] && [ "$n" -ge 4 ]
