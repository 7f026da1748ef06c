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
#            page does) and /api/state plus /metrics fetched every 0.1 s (5x the page's polling)
# Prints the ratio polled/off (target <= 1.02), and how many snapshots the clients got. Then
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

# Clients of a dashboard at URL until the file $T/stop exists: an SSE reader and a poller.
clients() {
  local url=$1 n=0
  curl -sN "${url}api/stream" >"$T/sse.txt" 2>/dev/null &
  local sse=$!
  while [ ! -e "$T/stop" ]; do
    curl -sf --max-time 2 "${url}api/state" >/dev/null && n=$((n + 1)) || true
    curl -sf --max-time 2 "${url}metrics" >/dev/null || true
    sleep 0.1
  done
  kill $sse 2>/dev/null || true
  echo "$n $(grep -c '^data: ' "$T/sse.txt" || true)" >"$T/clients.txt"
}

declare -A WALL
POLLS=() EVENTS=()
run_cfg() {  # name -> one run; appends its wall time
  local name=$1 args=(--quiet --no-checkpoint --no-progress) t0 t1 out url cl=""
  [ "$name" == polled ] && args=(--quiet --no-checkpoint --progress --dashboard 127.0.0.1:0)
  rm -f "$T/stop"
  : >"$T/err"
  t0=$(date +%s.%N)
  DLA_MPIRUN_TIMEOUT=300 "$SRC/tools/dla-mpirun" -np 3 --bind-to none "$B/distributed_log_analyser" "${args[@]}" "$DATA" \
    >"$T/out" 2>"$T/err" &
  local job=$!
  pids+=("$job")
  if [ "$name" == polled ]; then
    for _ in $(seq 1 200); do
      url=$(sed -n 's/^dashboard: \(http:[^ ]*\).*/\1/p' "$T/err" 2>/dev/null | head -n 1 || true)
      [ -n "$url" ] && break
      sleep 0.02
    done
    [ -n "$url" ] && { clients "$url" & cl=$!; }
  fi
  wait "$job" || true
  t1=$(date +%s.%N)
  if [ -n "$cl" ]; then
    touch "$T/stop"
    wait "$cl" || true
    read -r p e <"$T/clients.txt"
    POLLS+=("$p")
    EVENTS+=("$e")
  fi
  out=$(tail -n 1 "$T/out")
  local got
  got=$(sed -n 's/^RESULT OK \(DEBUG=[0-9]*\) \(ERROR=[0-9]*\) \(INFO=[0-9]*\) \(WARN=[0-9]*\) lines=.*/\1 \2 \3 \4/p' <<<"$out")
  [ "$got" == "$base" ] || { echo "error: $name run did not end RESULT OK $base: $out" >&2; exit 1; }
  WALL[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') "
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

run_cfg off  # warm-up (page cache), not counted
WALL[off]=""
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then run_cfg off; run_cfg polled; else run_cfg polled; run_cfg off; fi
done
off=$(echo "${WALL[off]}" | median)
pol=$(echo "${WALL[polled]}" | median)
say "off     wall s: ${WALL[off]} -> median $off"
say "polled  wall s: ${WALL[polled]} -> median $pol"
say "clients per polled run: /api/state answers ${POLLS[*]}; SSE snapshots ${EVENTS[*]}"
say "RATIO polled/off = $(awk -v a="$pol" -v b="$off" 'BEGIN{printf "%.3f", a/b}') (target <= 1.02)"
say "expected counts (base_log_analyser): $base"
say "== One snapshot's cost (bench_dash_snapshot, best of 20)"
"$B/bench_dash_snapshot" | tee -a "$OUT"
"$B/bench_dash_snapshot" --tasks 6000 --workers 2 | tee -a "$OUT"
