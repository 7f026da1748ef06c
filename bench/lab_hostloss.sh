#!/usr/bin/env bash
# Host loss on a real lab (issue 12): N trials of a 3-host x 2-rank distributed_log_analyser run in
# which every process of host 3 (ranks 4 and 5 and its orted) is SIGKILLed mid-run.
#   bench/lab_hostloss.sh [--mode trust|settings|plain|direct|notree] [--victim H] [--at SEC] [--trials N] [--build DIR]
# --victim 1 kills the master's host (ranks 0 and 1): the lab's supervisor runs the job again on the
# hosts left, which resumes from the newest checkpoint (checkpoints on, every 2 files).
# modes: trust     tools/dla-lab mpirun as shipped (routed direct + no tree spawn; dla-mpirun ends
#                  mpirun DLA_MPIRUN_RESULT_GRACE s after the RESULT line)
#        settings  the same settings, but dla-mpirun waits for mpirun (DLA_MPIRUN_RESULT_GRACE=off)
#        plain     Open MPI's default routing and tree spawn (dla-lab mpirun --plain)
#        direct    only --mca routed direct (plain + OMPI_MCA_routed=direct), mpirun waited for
#        notree    only --mca plm_rsh_no_tree_spawn 1, mpirun waited for
# Per trial: wrapper exit code, the RESULT line's verdict and failed workers, counts against an
# independent awk count, seconds from the kill to the RESULT line and to the wrapper's exit, and
# whether any process was left in the lab. Each trial runs under `timeout -k 5 60`. Needs root.
set -uo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$SRC/build mode=trust trials=5 victim=3 at=3
while (($#)); do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --victim) victim=$2; shift 2 ;;
    --at) at=$2; shift 2 ;;
    --build) B=$(cd "$2" && pwd); shift 2 ;;
    *) echo "error: unknown option $1" >&2; exit 1 ;;
  esac
done
LAB="$SRC/tools/dla-lab"
T=$(mktemp -d)
lab=""
cleanup() { [[ -n "$lab" ]] && "$LAB" down "$lab" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
extra=() envs=()
case "$mode" in
  trust) ;;
  settings) envs=(DLA_MPIRUN_RESULT_GRACE=off) ;;
  plain) extra=(--plain); envs=(DLA_MPIRUN_RESULT_GRACE=off) ;;
  direct) extra=(--plain); envs=(DLA_MPIRUN_RESULT_GRACE=off OMPI_MCA_routed=direct) ;;
  notree) extra=(--plain); envs=(DLA_MPIRUN_RESULT_GRACE=off OMPI_MCA_plm_rsh_no_tree_spawn=1) ;;
  *) echo "error: --mode trust|settings|plain|direct|notree" >&2; exit 1 ;;
esac
"$B/generate_logs" --out "$T/logs" --files 20 --lines 10000 --seed 5 >/dev/null
want=$(awk '
  { lev = ""; s = $0
    if (match(s, /\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/)) lev = substr(s, RSTART + 1, RLENGTH - 2)
    if (lev == "WARNING") lev = "WARN"
    if (lev != "") c[lev]++; n++ }
  END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n }' "$T"/logs/*.log)
echo "mode $mode, host $victim killed ${at} s after the last rank started, $trials trials; awk counts: $want"
printf '%-6s %-4s %-10s %-8s %-7s %-9s %-9s %-5s %s\n' trial rc verdict failed counts kill→RES kill→exit left resumed
ok=0
for t in $(seq 1 "$trials"); do
  lab=$("$LAB" up 3) || exit 1
  out=$T/o$t err=$T/e$t
  mkdir "$T/run$t"
  (cd "$T/run$t" && env "${envs[@]}" timeout -k 5 60 "$LAB" mpirun "$lab" --ranks-per-host 2 "${extra[@]}" -- \
    "$B/distributed_log_analyser" --checkpoint-every 2 --quiet --throttle 200000 "$T/logs" >"$out" 2>"$err") &
  job=$!
  for _ in $(seq 150); do "$LAB" rank-pid "$lab" 5 >/dev/null 2>&1 && break; sleep 0.1; done
  sleep "$at"
  "$LAB" kill-host "$lab" "$victim" >/dev/null
  k=$(date +%s.%N)
  res_at=""
  while kill -0 $job 2>/dev/null; do
    [[ -z "$res_at" ]] && grep -q '^RESULT ' "$out" && res_at=$(date +%s.%N)
    sleep 0.1
  done
  wait $job
  rc=$?
  e=$(date +%s.%N)
  [[ -z "$res_at" ]] && grep -q '^RESULT ' "$out" && res_at=$e
  line=$(grep '^RESULT ' "$out" | tail -1)
  verdict=$(awk '{print $1 "_" $2}' <<<"$line")
  failed=$(grep -o 'failed_workers=[0-9]*' <<<"$line" | cut -d= -f2)
  grep -q 'running again on' "$err" && failed="$failed+rerun"
  got=$(sed -E 's/^RESULT [A-Z]+ //; s/ files=.*//' <<<"$line")
  counts=$([[ "$got" == "$want" ]] && echo exact || echo WRONG)
  left=0
  for h in 1 2 3; do left=$((left + $("$LAB" pids "$lab" "$h" | wc -l))); done
  left=$((left + $(ip netns pids "$lab-sw" | wc -l)))
  tr=$([[ -n "$res_at" ]] && awk -v a="$k" -v b="$res_at" 'BEGIN{printf "%.1f", b - a}' || echo -)
  te=$(awk -v a="$k" -v b="$e" 'BEGIN{printf "%.1f", b - a}')
  resumed=$(sed -n 's/^Resuming from checkpoint: \([0-9]*\) files.*/\1/p' "$out" | tail -1)
  printf '%-6s %-4s %-10s %-8s %-7s %-9s %-9s %-5s %s\n' "$t" "$rc" "${verdict:-none}" "${failed:--}" "$counts" "$tr" "$te" "$left" "${resumed:-0}"
  [[ "$rc" == 0 && "$verdict" == RESULT_OK && "$counts" == exact && "$left" == 0 ]] && ok=$((ok + 1))
  if [[ -n "${DLA_BENCH_VERBOSE:-}" ]]; then tail -5 "$out"; cat "$err"; fi
  "$LAB" down "$lab" >/dev/null
  lab=""
done
echo "mode $mode: $ok/$trials trials ended RESULT OK, exit 0, exact counts, nothing left"
