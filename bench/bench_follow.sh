#!/usr/bin/env bash
# --follow benchmark (issue 13; not a ctest entry: timings belong here, not in tests).
#   bench/bench_follow.sh [BUILD_DIR]      (default: build)
# Env: DLA_BENCH_SECONDS (default 8) per phase; DLA_BENCH_OUT=FILE also write the report there.
#
# On real Open MPI (tools/dla-mpirun -np 3: a master and 2 workers), default follow settings
# (--follow-poll 0.05, --scan-interval 0.25) except --report-interval 0.02 --json, so that the
# NDJSON live lines time the counting finely:
# 1. Latency: one line appended every 20 ms to one file; for line i, the first live line whose
#    total reaches i, minus the wall time the writer appended it: p50, p99, max. Baseline in the
#    same run: the polling bound (follow-poll + report-interval) the design promises.
# 2. Throughput: 16 files, a writer appending 1 MiB blocks of generated lines round-robin as fast
#    as it can; lines/s appended, and lines/s counted from the writer's start to the live line that
#    reaches the total. Baseline in the same run: base_log_analyser (batch, one core) over the
#    same bytes afterwards.
# 3. Idle CPU: 16 quiet files for DLA_BENCH_SECONDS; CPU seconds of the job's processes per wall
#    second (from /proc), against `tail -F` of the same 16 files over the same time.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$SRC/build}" && pwd)
SECS=${DLA_BENCH_SECONDS:-8}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OUT=${DLA_BENCH_OUT:-/dev/null}
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }
APP="$B/distributed_log_analyser"

follow() {  # $1 dir, $2 output, $3 seconds
  "$SRC/tools/dla-mpirun" -np 3 "$APP" --follow "$1" --follow-for "$3" --no-checkpoint --json --report-interval 0.02 \
    >"$2" 2>"$2.err"
}
wait_ready() {  # $1 output: the first live line
  for _ in $(seq 1 200); do grep -q '"event":"follow"' "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# ---- 1. latency ---------------------------------------------------------------------------------
mkdir -p "$T/lat"
: >"$T/lat/a.log"
follow "$T/lat" "$T/lat.out" $((SECS + 4)) &
job=$!
wait_ready "$T/lat.out"
(tail -n 0 -F "$T/lat/a.log" 2>/dev/null | while read -r _; do echo "$EPOCHREALTIME"; done >"$T/tail.times") &
tailjob=$!
sleep 1
n=$((SECS * 50))
for i in $(seq 1 "$n"); do
  printf '[t] [INFO] line %d\n' "$i" >>"$T/lat/a.log"
  echo "$i $EPOCHREALTIME" >>"$T/lat.writes"
  sleep 0.02
done
wait $job || true
pkill -P "$tailjob" 2>/dev/null || true
kill "$tailjob" 2>/dev/null || true
grep '"event":"follow"' "$T/lat.out" | sed 's/.*"files":[0-9]*,"lines":\([0-9]*\),.*"wall":\([0-9.e+]*\).*/\1 \2/' >"$T/lat.seen"
lat=$(awk 'NR==FNR {seen_n[NR]=$1; seen_t[NR]=$2; m=NR; next}
  { while (j < m && seen_n[j+1] < $1) j++; if (j < m) { d = seen_t[j+1] - $2; if (d < 0) d = 0; print d } }' \
  "$T/lat.seen" "$T/lat.writes" | sort -g | awk '{v[NR]=$1} END{printf "%d %.3f %.3f %.3f", NR, v[int(NR*0.5)], v[int(NR*0.99)], v[NR]}')
read -r cnt p50 p99 mx <<<"$lat"
tl=$(awk 'NR==FNR {t[NR]=$1; next} (FNR in t) {d = t[FNR] - $2; if (d < 0) d = 0; print d}' "$T/tail.times" "$T/lat.writes" |
  sort -g | awk '{v[NR]=$1} END{printf "%d %.3f %.3f", NR, v[int(NR*0.5)], v[int(NR*0.99)]}')
read -r tcnt tp50 tp99 <<<"$tl"
say "latency: $cnt lines, one per 20 ms: append-to-counted p50 ${p50}s p99 ${p99}s max ${mx}s (target p99 <= 1 s);" \
  "tail -F in the same run: p50 ${tp50}s p99 ${tp99}s ($tcnt lines): p99 ratio $(awk -v a="$p99" -v b="$tp99" 'BEGIN{printf "%.1f", a/(b>0?b:1e-3)}')x"

# ---- 2. throughput ------------------------------------------------------------------------------
mkdir -p "$T/thr" "$T/gen"
"$B/generate_logs" --out "$T/gen" --files 1 --lines 30000 --seed 3 >/dev/null
block=$(ls "$T/gen"/*.log | head -1)
blines=$(wc -l <"$block")
# distinct first lines: files with one first line would be taken for copies of each other
for i in $(seq -w 1 16); do echo "[t] [INFO] file f$i starts" >"$T/thr/f$i.log"; done
RATE=${DLA_BENCH_RATE:-1500000}  # lines/s the writer aims at (paced: the data goes to disk)
follow "$T/thr" "$T/thr.out" $((SECS * 3)) &
job=$!
wait_ready "$T/thr.out"
sleep 1
w0=$EPOCHREALTIME
blocks=0
end=$(awk -v a="$w0" -v s="$SECS" 'BEGIN{printf "%.3f", a + s}')
while awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN{exit !(a < e)}'; do
  for i in $(seq -w 1 16); do cat "$block" >>"$T/thr/f$i.log"; done
  blocks=$((blocks + 16))
  ahead=$(awk -v n=$((blocks * blines)) -v r="$RATE" -v a="$w0" -v now="$EPOCHREALTIME" 'BEGIN{d = a + n / r - now; printf "%.3f", (d > 0 ? d : 0)}')
  [ "$ahead" != 0.000 ] && sleep "$ahead"
done
w1=$EPOCHREALTIME
total=$((blocks * blines + 16))
wait $job || true
reach=$(grep '"event":"follow"' "$T/thr.out" | sed 's/.*"files":[0-9]*,"lines":\([0-9]*\),.*"wall":\([0-9.e+]*\).*/\1 \2/' |
  awk -v t="$total" '$1 >= t && !r {r = $2} END{print r}') || true
final=$(tail -n 1 "$T/thr.out")
b0=$EPOCHREALTIME
"$B/base_log_analyser" "$T/thr" >/dev/null
b1=$EPOCHREALTIME
awk -v n="$total" -v w0="$w0" -v w1="$w1" -v r="${reach:-0}" -v b0="$b0" -v b1="$b1" 'BEGIN{
  app = n / (w1 - w0); batch = n / (b1 - b0)
  if (r > 0) { kept = n / ((r > w1 ? r : w1) - w0); printf "throughput: 16 files, %d lines appended at %.0f lines/s; all counted %.2fs after the writer'"'"'s last append: %.0f lines/s kept up with; batch base_log_analyser over the same bytes %.0f lines/s: follow/batch = %.2f (follow keeps up when its rate equals the append rate)\n", n, app, r - w1, kept, batch, kept / batch }
  else printf "throughput: %d lines appended at %.0f lines/s, NOT all counted within the run\n", n, app }' | tee -a "$OUT"
echo "  ($final)" | tee -a "$OUT"

# ---- 3. idle CPU --------------------------------------------------------------------------------
cpu_of() {  # CPU seconds (user+system) of the given pids, from /proc
  local s=0 p
  for p in "$@"; do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  awk -v t="$s" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.3f", t / hz}'
}
follow "$T/thr" "$T/idle.out" $((SECS + 4)) &
job=$!
wait_ready "$T/idle.out"
sleep 1
pids=$(pgrep -f "$APP --follow $T/thr" | tr '\n' ' ')
c0=$(cpu_of $pids)
sleep "$SECS"
c1=$(cpu_of $pids)
wait $job || true
tail -F "$T"/thr/*.log >/dev/null 2>&1 &
tp=$!
sleep 0.5
t0=$(cpu_of $tp)
sleep "$SECS"
t1=$(cpu_of $tp)
kill "$tp"
awk -v a="$c0" -v b="$c1" -v x="$t0" -v y="$t1" -v s="$SECS" 'BEGIN{
  f = (b - a) / s; t = (y - x) / s
  printf "idle: 16 quiet files, --follow (master + 2 workers) uses %.1f%% of a core; tail -F %.2f%%\n", 100 * f, 100 * t }' | tee -a "$OUT"
