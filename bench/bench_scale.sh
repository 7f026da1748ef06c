#!/usr/bin/env bash
# Scale benchmark (not a ctest entry: timings belong here, not in tests).
#   bench/bench_scale.sh [BUILD_DIR]      (default: build)
# Env: DLA_BENCH_REPS (default 3) simulated runs per scenario (the minimum is reported);
#      DLA_BENCH_SKIP_4096=1 skips large-4096, DLA_BENCH_SIM=0 the whole of part 1; DLA_BENCH_FILES (default 100000; 0 skips part 2);
#      DLA_BENCH_NP (default 2); DLA_BENCH_MPI_TIMEOUT (default 600 s) bounds the distributed run;
#      DLA_BENCH_OUT=FILE also writes the report there.
#
# 1. Simulation (SimGrid SMPI, tools/dla-scenario): real seconds of scenarios/large-1024 (1024
#    ranks x 10,000 tasks, target <= 5 s) and scenarios/large-4096 (4096 ranks x 100,000 tasks,
#    target <= 60 s), each run DLA_BENCH_REPS times, expectations checked (counts equal to
#    base_log_analyser's), goldens not compared (a protocol change moves them, not the time).
#    Printed: min and all real times, min smpirun-side CPU (user+sys of the whole dla_scenario
#    command, which also counts the input once with base_log_analyser), ratio to the target, and
#    the load average (the machine is shared: real time inflates with load, CPU much less).
# 2. Many tiny files on real Open MPI (tools/dla-mpirun -np DLA_BENCH_NP): DLA_BENCH_FILES files
#    of a few lines each, created under a fresh mktemp dir in /tmp and deleted at the end;
#    base_log_analyser on the same files in the same session is the baseline. Printed: both wall
#    times, the ratio (target <= 1.5), failed workers and tasks done by the master (a healthy
#    worker declared failed under load is a false failure), and whether the counts are equal.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$SRC/build}" && pwd)
REPS=${DLA_BENCH_REPS:-3}
NFILES=${DLA_BENCH_FILES:-100000}
NP=${DLA_BENCH_NP:-2}
T=$(mktemp -d /tmp/dla-bench-scale.XXXXXX)
trap 'rm -rf "$T"' EXIT
OUT=${DLA_BENCH_OUT:-/dev/null}
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }
for p in dla_scenario distributed_log_analyser_smpi base_log_analyser; do
  [ -x "$B/$p" ] || { echo "error: $B/$p is not built" >&2; exit 1; }
done

# One simulated run: prints "REAL CPU" (seconds) or fails.
sim_run() {
  local name=$1 log=$T/$1.log tf=$T/$1.time
  if ! /usr/bin/time -f "%U %S" -o "$tf" "$B/dla_scenario" run "$SRC/scenarios/$name" --no-golden --runs "$T/runs" \
       --repo "$SRC" --build "$B" >"$log" 2>&1; then
    echo "error: $name failed:" >&2
    tail -15 "$log" >&2
    return 1
  fi
  local real cpu
  real=$(grep -o 'real [0-9.]* s' "$log" | awk '{print $2}' | head -n 1)
  cpu=$(awk '{printf "%.2f", $1 + $2}' "$tf")
  echo "$real $cpu"
}

scen=()
if [ "${DLA_BENCH_SIM:-1}" != 0 ]; then
say "== 1. Simulation at scale (SMPI $(smpirun -version 2>/dev/null | head -n 1 | awk '{print $NF}'), $(nproc) cores, $REPS runs each)"
say "$(printf '%-11s %9s %9s %8s %7s  %s' scenario real_min cpu_min target ratio 'all real times / load average before each run')"
scen=(large-1024:5)
[ "${DLA_BENCH_SKIP_4096:-0}" = 1 ] || scen+=(large-4096:60)
fi
for entry in "${scen[@]}"; do
  name=${entry%%:*} target=${entry##*:}
  reals="" cpus="" loads=""
  for r in $(seq 1 "$REPS"); do
    loads+="$(cut -d' ' -f1 /proc/loadavg) "
    read -r real cpu < <(sim_run "$name") || true
    [ -n "${real:-}" ] || exit 1
    reals+="$real " cpus+="$cpu "
  done
  rmin=$(echo "$reals" | tr ' ' '\n' | grep . | sort -g | head -n 1)
  cmin=$(echo "$cpus" | tr ' ' '\n' | grep . | sort -g | head -n 1)
  ratio=$(awk -v a="$rmin" -v b="$target" 'BEGIN{printf "%.2f", a/b}')
  verdict=$(awk -v r="$ratio" 'BEGIN{print (r <= 1) ? "MET" : "NOT MET"}')
  say "$(printf '%-11s %8ss %8ss %7ss %6sx  %s/ %s' "$name" "$rmin" "$cmin" "$target" "$ratio" "$reals" "$loads") $verdict"
done

[ "$NFILES" -gt 0 ] || exit 0
say ""
say "== 2. $NFILES tiny files, real Open MPI, -np $NP, against base_log_analyser in the same session"
D=$T/tiny
mkdir "$D"
# File i: 3 + i%5 lines, levels cycling, so that counts are not trivially equal.
awk -v n="$NFILES" -v d="$D" 'BEGIN {
  split("INFO WARN ERROR DEBUG", L, " ");
  for (i = 1; i <= n; i++) {
    f = sprintf("%s/f%06d.log", d, i);
    for (k = 0; k < 3 + i % 5; k++) printf "2024-01-01 00:00:%02d %s request %d done\n", k, L[(i + k) % 4 + 1], i > f;
    close(f);
  }
}'
wall() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}' >"$T/wall"; }
wall "$B/base_log_analyser" --json "$D" >"$T/base.json"
bw=$(cat "$T/wall")
base=$(jq -c .counts "$T/base.json")
set +e
wall env DLA_MPIRUN_TIMEOUT="${DLA_BENCH_MPI_TIMEOUT:-600}" "$SRC/tools/dla-mpirun" -np "$NP" --bind-to none \
  "$B/distributed_log_analyser" --json --quiet --no-checkpoint "$D" >"$T/dist.out" 2>"$T/dist.err"
rc=$?
set -e
dw=$(cat "$T/wall")
json=$(sed -n '/^{/,/^}/p' "$T/dist.out")
if [ "$rc" -ne 0 ] || [ -z "$json" ]; then
  say "distributed run failed (exit $rc) after ${dw}s; last lines:"
  tail -5 "$T/dist.out" "$T/dist.err" | tee -a "$OUT"
  exit 1
fi
got=$(echo "$json" | jq -c .counts)
failed=$(echo "$json" | jq -c .failed_workers)
bymaster=$(echo "$json" | jq .tasks_by_master)
same=$([ "$got" = "$base" ] && echo equal || echo DIFFERENT)
ratio=$(awk -v a="$dw" -v b="$bw" 'BEGIN{printf "%.2f", a/b}')
verdict=$(awk -v r="$ratio" 'BEGIN{print (r <= 1.5) ? "MET" : "NOT MET"}')
say "base_log_analyser ${bw}s, distributed_log_analyser -np $NP ${dw}s: ratio ${ratio}x (target <= 1.5: $verdict)"
say "failed workers $failed, tasks done by the master $bymaster, counts $same to base_log_analyser's"
