#!/usr/bin/env bash
# needs: mpi
# timeout: 280
# Start-up is bounded and the checkpoint load happens before the workers wait (issue 8).
#  1. A slow checkpoint load (DLA_TEST_LOAD_DELAY=3 s, --master-timeout 1): the workers wait for
#     the master's PLAN, not for --master-timeout, so they stay and do the work (before: every
#     worker left after 1 s and the master silently did everything itself, failed=1,2).
#  2. A worker SIGKILLed 0.1-0.5 s after launch (before or inside MPI_Init, or while waiting for the
#     plan), 6 trials, tools/dla-mpirun, --startup-timeout 5: every trial ends within 40 s with
#     either a RESULT line whose counts equal base_log_analyser's, or the wrapper's start-up
#     message and exit 5 (before: some trials hung with no output until the outer timeout).
# Seed the delays with DLA_SEED to replay a sequence.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
SRC=$(cd "${DLA_SRC:-.}" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
APP="$B/distributed_log_analyser"
RANDOM=${DLA_SEED:-$$}
echo "seed: ${DLA_SEED:-$$}"

"$B/generate_logs" --out "$T/logs" --files 6 --lines 4000 --seed 11 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
counts() { grep '^RESULT ' "$1" | tail -n 1 | grep -o 'DEBUG=[0-9]* ERROR=[0-9]* INFO=[0-9]* WARN=[0-9]* lines=[0-9]*' || true; }

# 1. Slow checkpoint load.
rc=0
DLA_TEST_LOAD_DELAY=3 timeout -k 5 60 mpirun -np 3 --oversubscribe -x DLA_TEST_LOAD_DELAY "$APP" \
  --checkpoint-dir "$T/ck" --master-timeout 1 "$T/logs" >"$T/slow.out" 2>"$T/slow.err" || rc=$?
check "slow load: exit 0" 0 "$rc"
check "slow load: RESULT OK, no failed worker, base counts" "RESULT OK failed_workers=0 $base" \
  "$(grep '^RESULT ' "$T/slow.out" | awk '{print $1, $2}') $(grep -o 'failed_workers=[0-9]*' "$T/slow.out") $(counts "$T/slow.out")"
check "slow load: the workers did the work" "6" "$(grep -c '^\[Worker [0-9]*\] Processing' "$T/slow.out" || true)"
check "slow load: no worker left for a silent master" "0" "$(grep -c 'master silent' "$T/slow.err" || true)"

# 2. A worker killed during start-up.
victim_pid() {  # a rank != 0 of the job reading $T/logs, or nothing yet
  local p r
  for p in $(pgrep -f "distributed_log_analyser .*$T/logs" || true); do
    r=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    if [ -n "$r" ] && [ "$r" != 0 ]; then echo "$p"; return; fi
  done
}
for trial in 1 2 3 4 5 6; do
  delay=$(printf '0.%d' $((1 + RANDOM % 5)))
  start=$(date +%s.%N)
  timeout -k 5 40 "$SRC/tools/dla-mpirun" -np 4 "$APP" --no-checkpoint --quiet --startup-timeout 5 "$T/logs" \
    >"$T/t$trial.out" 2>"$T/t$trial.err" &
  job=$!
  sleep "$delay"
  killed=""
  for _ in $(seq 50); do  # the ranks may not exist yet: look again for up to 0.5 s
    killed=$(victim_pid)
    [ -n "$killed" ] && break
    sleep 0.01
  done
  [ -n "$killed" ] && kill -9 "$killed" 2>/dev/null || true
  rc=0
  wait "$job" || rc=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
  what="trial $trial (kill ${killed:-none} at ~${delay}s)"
  if [ "$rc" == 124 ] || [ "$rc" == 137 ]; then
    echo "FAIL $what: hung until the outer timeout (${took}s)"; fail=1; continue
  fi
  if grep -q '^RESULT OK' "$T/t$trial.out"; then
    check "$what: RESULT OK with base counts in ${took}s" "$base 0" "$(counts "$T/t$trial.out") $rc"
  elif [ "$rc" == 5 ] && grep -q 'start-up failed' "$T/t$trial.err"; then
    echo "ok   $what: start-up watchdog, exit 5 with a clear message in ${took}s"
  else
    echo "FAIL $what: rc=$rc, neither RESULT OK nor the start-up message"; tail -n 3 "$T/t$trial.out" "$T/t$trial.err"; fail=1
  fi
done
exit $fail
