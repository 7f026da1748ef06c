#!/usr/bin/env bash
# Dashboard overhead (issue 15; not a ctest entry: timings belong here, not in tests).
#   bench/bench_dashboard.sh [BUILD_DIR]      (default: build)
# Env: DLA_BENCH_DATA=DIR reuse/keep a data set; DLA_BENCH_REPS rounds (default 7);
#      DLA_BENCH_FILES (default 2000: many tasks, so the master's loop and the O(tasks) snapshot
#      are exercised) and DLA_BENCH_LINES (default 1000); DLA_BENCH_OUT=FILE also write the report.
#
# Real Open MPI, tools/dla-mpirun -np 3, the same input, in the same session, configurations
# interleaved round by round, medians of wall time (the whole command):
#   off      no --dashboard, --no-progress
#   polled   --dashboard 127.0.0.1:0 --progress, while the run goes: one SSE stream open (what the
#            page does), /api/state 10 times a second (5x the page's polling) and /metrics twice
# Wall time, and the CPU time of the whole job (/usr/bin/time over dla-mpirun: every rank, the
# dashboard's threads included; the clients are not part of it). Prints the ratios polled/off
# (target <= 1.02), and how many snapshots the clients got. Then
# bench_dash_snapshot: the master's cost of one snapshot on a 100,000-task, 64-worker scheduler
# (noise-free: the wall-time ratio above is within this machine's run-to-run noise).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$SRC/build}" && pwd)
REPS=${DLA_BENCH_REPS:-7}
FILES=${DLA_BENCH_FILES:-2000}
LINES=${DLA_BENCH_LINES:-1000}
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
OUT=${DLA_BENCH_OUT:-/dev/null}
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

DATA=${DLA_BENCH_DATA:-$T/data}
if [ ! -d "$DATA" ] || [ "$(ls "$DATA" | grep -c '\.log$')" -lt "$FILES" ]; then
  "$B/generate_logs" --out "$DATA" --files "$FILES" --lines "$LINES" --seed 11 >/dev/null
fi
BYTES=$(du -sb "$DATA" | cut -f1)
base=$("$B/base_log_analyser" --json "$DATA" | jq -r '.counts | "DEBUG=\(.DEBUG) ERROR=\(.ERROR) INFO=\(.INFO) WARN=\(.WARN)"')
say "== Dashboard overhead, real Open MPI, -np 3 (2 workers + master), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
say "data: $FILES files, $BYTES bytes; $REPS rounds, configurations interleaved"

# Clients of a dashboard at URL until killed: the page's SSE stream, and /api/state at 10/s plus
# /metrics at 2/s (each one curl process with keep-alive and --rate: the client's own process
# start-ups would otherwise compete for the 2 cores and be measured as the dashboard's cost).
clients() {
  local url=$1
  local cp=()
  curl -sN "${url}api/stream" >"$T/sse.txt" 2>/dev/null &
  cp+=($!)
  stdbuf -oL curl -s --rate 10/s -o /dev/null -w '%{http_code}\n' "${url}api/state?n=[1-1000000]" >"$T/polls.txt" 2>/dev/null &
  cp+=($!)
  curl -s --rate 2/s -o /dev/null "${url}metrics?n=[1-1000000]" 2>/dev/null &
  cp+=($!)
  trap 'kill "${cp[@]}" 2>/dev/null; exit 0' TERM
  wait
}

declare -A WALL CPU
POLLS=() EVENTS=()
run_cfg() {  # name -> one run; appends its wall time
  local name=$1 args=(--quiet --no-checkpoint --no-progress) t0 t1 out url cl=""
  [ "$name" == polled ] && args=(--quiet --no-checkpoint --progress --dashboard 127.0.0.1:0)
  : >"$T/err"
  t0=$(date +%s.%N)
  DLA_MPIRUN_TIMEOUT=300 /usr/bin/time -f "%U %S" -o "$T/cpu" "$SRC/tools/dla-mpirun" -np 3 --bind-to none \
    "$B/distributed_log_analyser" "${args[@]}" "$DATA" >"$T/out" 2>"$T/err" &
  local job=$!
  pids+=("$job")
  if [ "$name" == polled ]; then
    for _ in $(seq 1 200); do
      url=$(sed -n 's/^dashboard: \(http:[^ ]*\).*/\1/p' "$T/err" 2>/dev/null | head -n 1 || true)
      [ -n "$url" ] && break
      sleep 0.02
    done
    [ -n "$url" ] && { : >"$T/polls.txt"; : >"$T/sse.txt"; clients "$url" & cl=$!; }
  fi
  wait "$job" || true
  t1=$(date +%s.%N)
  if [ -n "$cl" ]; then
    kill "$cl" 2>/dev/null || true  # its trap ends its three curls
    wait "$cl" || true
    POLLS+=("$(grep -c '^200' "$T/polls.txt" || true)")
    EVENTS+=("$(grep -c '^data: ' "$T/sse.txt" || true)")
  fi
  out=$(tail -n 1 "$T/out")
  local got
  got=$(sed -n 's/^RESULT OK \(DEBUG=[0-9]*\) \(ERROR=[0-9]*\) \(INFO=[0-9]*\) \(WARN=[0-9]*\) lines=.*/\1 \2 \3 \4/p' <<<"$out")
  [ "$got" == "$base" ] || { echo "error: $name run did not end RESULT OK $base: $out" >&2; exit 1; }
  WALL[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') "
  CPU[$name]+="$(awk '{printf "%.2f", $1 + $2}' "$T/cpu") "
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

run_cfg off  # warm-up (page cache), not counted
WALL[off]=""
CPU[off]=""
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then run_cfg off; run_cfg polled; else run_cfg polled; run_cfg off; fi
done
off=$(echo "${WALL[off]}" | median)
pol=$(echo "${WALL[polled]}" | median)
say "off     wall s: ${WALL[off]} -> median $off"
say "polled  wall s: ${WALL[polled]} -> median $pol"
cpu_off=$(echo "${CPU[off]}" | median)
cpu_pol=$(echo "${CPU[polled]}" | median)
say "off     CPU s (all ranks, user+sys): ${CPU[off]} -> median $cpu_off"
say "polled  CPU s (all ranks, user+sys): ${CPU[polled]} -> median $cpu_pol"
say "clients per polled run: /api/state answers ${POLLS[*]}; SSE snapshots ${EVENTS[*]}"
say "RATIO polled/off = $(awk -v a="$pol" -v b="$off" 'BEGIN{printf "%.3f", a/b}') wall, $(awk -v a="$cpu_pol" -v b="$cpu_off" 'BEGIN{printf "%.3f", a/b}') CPU (target <= 1.02)"
say "expected counts (base_log_analyser): $base"
say "== One snapshot's cost (bench_dash_snapshot, best of 20)"
"$B/bench_dash_snapshot" | tee -a "$OUT"
"$B/bench_dash_snapshot" --tasks 6000 --workers 2 | tee -a "$OUT"
