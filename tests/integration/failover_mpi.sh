#!/usr/bin/env bash
# needs: mpi
# timeout: 900
# Issue 11 on real Open MPI (tools/dla-mpirun, recovery on): the master (rank 0) dies or pauses and
# the run still ends with RESULT OK, exact counts (base_log_analyser's, an independent count) and
# exactly one RESULT line, printed by the rank that took over.
#   1. kill -9 of rank 0 at a random instant, DLA_FAILOVER_TRIALS times (default 10), each with
#      its own checkpoint directory (checkpoints on: the term mark is claimed by each new master);
#   2. kill -9 of rank 0 after its last STOP, before its result (DLA_TEST_END_DELAY holds it
#      there): the standby lingers until DONE, so it is still there to take over;
#   3. SIGSTOP rank 0 past --timeout, then SIGCONT: the old master steps down (stderr says so),
#      prints no result; the checkpoint directory's term mark is 2;
#   4. --standbys 2: kill -9 rank 0, then the new master (rank 1): two failovers;
#   5. kill -9 a standby (rank 1): an ordinary worker failure, no failover.
# Victims are found among this job's own processes (descendants of its dla-mpirun, by
# OMPI_COMM_WORLD_RANK): never another job's. Seed fixed (1) unless DLA_TEST_SEED is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
fail=0
APP="$B/distributed_log_analyser"
SEED=${DLA_TEST_SEED:-1}
RANDOM=$SEED
echo "seed: $SEED (set DLA_TEST_SEED to change)"
"$B/generate_logs" --out "$T/logs" --files 12 --lines 5000 --seed 17 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
echo "base counts: $base"

descendants() { local p=$1 c; echo "$p"; for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do descendants "$c"; done; }
rank_pid() {  # JOB RANK -> pid of that rank among the job's processes
  local p
  for p in $(descendants "$1"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return 0; fi
  done
  return 1
}
wait_line() {  # FILE REGEX [TENTHS]: waits until a line matches
  for _ in $(seq 1 "${3:-150}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
start() {  # NAME NP [args]: starts a throttled run (~10 s) in the background; sets job, out, err
  local name=$1 np=$2
  shift 2
  out="$T/$name.out" err="$T/$name.err"
  mkdir -p "$T/$name"
  (cd "$T/$name" && exec timeout -k 5 120 "$SRC/tools/dla-mpirun" -np "$np" "$APP" --throttle "${THROTTLE:-120000}" "$@" "$T/logs" >"$out" 2>"$err") &
  job=$!
}
finish_checks() {  # WHAT: RESULT OK with the base counts, exactly one RESULT line
  local what=$1 rc=0
  wait "$job" || rc=$?
  check "$what: wrapper exit" 0 "$rc"
  check "$what: RESULT OK with base counts" "RESULT OK $base" "$(grep '^RESULT' "$out" | tail -n 1 | sed 's/ files=.*//')"
  check "$what: exactly one RESULT line" 1 "$(grep -c '^RESULT' "$out" || true)"
}

# 1. kill -9 of the master at random instants
trials=${DLA_FAILOVER_TRIALS:-10}
passed=0
for trial in $(seq 1 "$trials"); do
  delay=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 9.0 * r / 32767}')
  start "kill$trial" 4
  what="trial $trial (kill -9 rank 0 at +${delay}s)"
  before=$fail
  if ! wait_line "$out" '^\[Master\] Assigning'; then echo "FAIL $what: no assignment seen"; fail=1; wait "$job" || true; continue; fi
  sleep "$delay"
  pid=$(rank_pid "$job" 0) && kill -9 "$pid" || echo "note $what: rank 0 already gone"
  finish_checks "$what"
  grep -q '^Master failovers: 1' "$out" || grep -q '^Master failovers: 0' "$out" || { echo "FAIL $what: no 'Master failovers' line"; fail=1; }
  grep -h '^Takeover time' "$out" || true
  if [ "$fail" == "$before" ]; then passed=$((passed + 1)); else cat "$out" "$err" | tail -n 30; fi
done
echo "kill -9 rank 0 trials passed: $passed/$trials"
check "every kill -9 trial passed" "$trials" "$passed"

# 2. killed between its last STOP and its result
export DLA_TEST_END_DELAY=4
THROTTLE=0 start end 4 --master-timeout 4
unset DLA_TEST_END_DELAY
sleep 2.5
pid=$(rank_pid "$job" 0) && kill -9 "$pid"
finish_checks "killed before its result"
check "killed before its result: one failover" yes "$(grep -q '^Master failovers: 1' "$out" && echo yes || echo no)"

# 3. paused past the timeout, then resumed: the old master steps down
start stop 4
wait_line "$out" '^\[Master\] Assigning' || true
sleep 2
pid=$(rank_pid "$job" 0)
kill -STOP "$pid"
sleep 6
kill -CONT "$pid"
finish_checks "SIGSTOP/SIGCONT"
check "SIGSTOP/SIGCONT: the old master stepped down" yes "$(grep -q 'Rank 0 (term 1) steps down' "$err" && echo yes || echo no)"
check "SIGSTOP/SIGCONT: term mark" 2 "$(cat "$T/stop/checkpoints/.term")"

# 4. two failovers
start two 5 --standbys 2
wait_line "$out" '^\[Master\] Assigning' || true
sleep 1.5
kill -9 "$(rank_pid "$job" 0)"
wait_line "$out" 'Rank 1 takes over' 80 || echo "note: rank 1 did not announce itself"
sleep 1.5
pid=$(rank_pid "$job" 1) && kill -9 "$pid"
finish_checks "two failovers"
check "two failovers: counted" yes "$(grep -q '^Master failovers: 2' "$out" && echo yes || echo no)"

# 5. a standby dies: an ordinary worker failure
start standby 4
wait_line "$out" '^\[Master\] Assigning' || true
sleep 2
kill -9 "$(rank_pid "$job" 1)"
finish_checks "standby killed"
check "standby killed: declared failed, no failover" "failed=1 0" \
  "$(grep '^RESULT' "$out" | grep -o 'failed=[0-9,]*') $(grep '^Master failovers' "$out" | grep -o '[0-9]*$')"
exit $fail
