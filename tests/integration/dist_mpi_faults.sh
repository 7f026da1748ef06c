#!/usr/bin/env bash
# needs: mpi
# timeout: 200
# distributed_log_analyser on real Open MPI processes with injected failures, launched with
# tools/dla-mpirun (recovery flags). Workers are throttled so that a run lasts several seconds
# and every failure lands mid-run. Scenarios:
#   test2     the assignment's Test 2: rank 2 exits (exit(1)) after 5 s. Its workers are throttled
#             to 100 KB/s, so the run cannot take less than ~10 s whatever the machine: the crash
#             lands mid-run with >= 5 s to spare (at 200 KB/s the run took ~5.5 s and a late start
#             or an early finish of rank 2 could make the crash miss; load only lengthens the run).
#   kill      rank 1 SIGKILLs itself at 1.5 s (static policy: its planned files move to others)
#   hang      rank 3 stops answering at 1 s: detected, its file reassigned, and the job still ends
#             promptly (the master SIGKILLs the hung process at the end)
#   two       ranks 1 and 3 die (kill + exit) at different times
#   all       every worker dies: the master finishes the remaining files itself
#   slow      rank 2 scans 6x slower (one file takes longer than --timeout) but heartbeats:
#             it must NOT be declared failed and nothing is reassigned
# Each: RESULT OK, counts equal base_log_analyser's, the expected failed workers, each of which
# really printed its "Simulating crash" line (a failure detected for another reason, or a crash
# that never happened because the run ended first, fails), the wrapper's exit status 0, and a
# wall-time bound (no hang).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir --stay
cd "$T"  # anything a run writes (e.g. checkpoints) stays in the scratch dir
fail=0
APP="$B/distributed_log_analyser"
RUN="$SRC/tools/dla-mpirun"

# scenario NAME MAX_WALL_SECONDS EXPECTED_FAILED np args...
scenario() {
  local name=$1 maxwall=$2 failed=$3 np=$4
  shift 4
  local rc=0 t0 t1
  t0=$(date +%s.%N)
  timeout -k 5 90 "$RUN" -np "$np" "$APP" --no-checkpoint "$@" "$T/logs" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
  t1=$(date +%s.%N)
  local wall
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  check "$name: wrapper exit status" 0 "$rc"
  check "$name: last line RESULT OK with base counts" "RESULT OK $base" \
    "$(tail -n 1 "$T/$name.out" | sed 's/ files=.*//')"
  check "$name: failed workers" "$failed" "$(tail -n 1 "$T/$name.out" | grep -o 'failed=[0-9,]*' | cut -d= -f2)"
  check "$name: Files processed" "Files processed: $nfiles" "$(grep '^Files processed' "$T/$name.out")"
  local r
  for r in ${failed//,/ }; do
    check "$name: worker $r crashed as injected" 1 "$(grep -c "^\[Worker $r\] Simulating crash" "$T/$name.out" || true)"
  done
  if awk -v w="$wall" -v m="$maxwall" 'BEGIN{exit !(w <= m)}'; then
    echo "ok   $name: wall ${wall}s <= ${maxwall}s"
  else
    echo "FAIL $name: wall ${wall}s > ${maxwall}s"
    fail=1
  fi
}

# 12 files of ~250 KB; at 200 KB/s per worker a file takes ~1.3 s, a 3-worker run >= ~5.5 s
# (the throttle is a floor on the duration: crash times below are well inside it).
"$B/generate_logs" --out "$T/logs" --files 12 --lines 5000 --mixed --seed 9 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
nfiles=12
echo "base counts: $base"

scenario test2 40 2 4 --throttle 100000 --inject-crash 2@5:exit
grep -q '^\[Worker 2\] Simulating crash' "$T/test2.out" && grep -q '^\[Master\] Worker 2 timeout detected - marking as failed' "$T/test2.out" &&
  grep -q '^\[Master\] Reassigning .* to worker [13]$' "$T/test2.out" && echo "ok   test2: crash, detection and reassignment lines printed" ||
  { echo "FAIL test2: missing crash/detection/reassignment lines"; cat "$T/test2.out"; fail=1; }
# The crash must land mid-run: after it, the other workers still had files to start.
check "test2: files started after the crash" yes \
  "$(awk '/^\[Worker 2\] Simulating crash/{c=1} c && /^\[Worker [13]\] Processing/{n++} END{print (n > 0 ? "yes" : "no")}' "$T/test2.out")"

scenario kill 30 1 4 --policy static --throttle 200000 --inject-crash 1@1.5:kill
scenario hang 30 3 4 --throttle 200000 --timeout 2 --inject-crash 3@1:hang
grep -q 'Ended worker 3' "$T/hang.out" && echo "ok   hang: the master ended the hung worker" || { echo "FAIL hang: hung worker not ended"; fail=1; }
scenario two 30 1,3 4 --throttle 200000 --timeout 2 --inject-crash 1@1:kill --inject-crash 3@2.5:exit
scenario all 30 1,2 3 --throttle 200000 --timeout 1.5 --heartbeat 0.3 --inject-crash 1@1:kill --inject-crash 2@1.5:hang
grep -q 'All workers failed - processing the remaining tasks itself' "$T/all.out" && echo "ok   all: master announced it works alone" ||
  { echo "FAIL all: no announcement"; fail=1; }
scenario slow 40 "" 3 --throttle 400000 --timeout 2 --heartbeat 0.25 --inject-slow 2@6
check "slow: nothing reassigned" "Tasks reassigned: 0" "$(grep '^Tasks reassigned' "$T/slow.out")"
check "slow: the slow worker did work" "yes" "$(grep -q '^\[Worker 2\] Processing' "$T/slow.out" && echo yes)"

[ $fail == 0 ] || { for f in "$T"/*.out; do echo "== $f"; cat "$f"; done; }
exit $fail
