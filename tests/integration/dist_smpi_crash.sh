#!/usr/bin/env bash
# needs: smpi
# timeout: 200
# distributed_log_analyser under SimGrid SMPI with failures, every scenario run twice: stdout and
# event trace must be byte-identical between the two runs (determinism flags), counts equal
# base_log_analyser's, and each simulated detection time within the documented bound:
#     crash_time + timeout - heartbeat - chunk time  <  detection  <=  crash_time + timeout + poll + latency
# (latency: one message, 100 us on these platforms; a busy worker is silent at most heartbeat +
# one 64 KiB chunk's scan time, so detection cannot come earlier than the lower bound). Crash times come from the platform's host
# state_file (host turned off) or from the worker's own "Simulating crash ... at T" line.
# Scenarios: injected kill, injected hang (the master kills the actor at the end), host crashes
# of one, two (with files split into ranges) and all worker hosts (platforms/crash/), static policy with a host crash, a slow
# worker that heartbeats and must not be declared failed, and exit(1) (smpirun then returns 1:
# SimGrid reports the non-zero return of that rank).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir --stay
cd "$T"  # anything a run writes (e.g. checkpoints) stays in the scratch dir
fail=0
APP="$B/distributed_log_analyser_smpi"
FLAGS=("${SMPI_DET_FLAGS[@]}")
F=4000        # flops per byte: a 250 KB file costs ~1 s on a 1 Gf host
POLL=0.001
LAT=0.0002

# scenario NAME PLATFORM EXPECTED_RC EXPECTED_FAILED TIMEOUT HEARTBEAT "CRASHES" args...
#   CRASHES: "rank:time ..." for host crashes ('-' for injected: read from the worker's line)
scenario() {
  local name=$1 plat=$2 want_rc=$3 failed=$4 tmo=$5 hb=$6 crashes=$7
  shift 7
  local i rc
  for i in 1 2; do
    rc=0
    timeout -k 5 60 smpirun -platform "$SRC/platforms/$plat.xml" -hostfile "$SRC/platforms/${plat%-*}.hosts" -np 4 \
      "${FLAGS[@]}" "$APP" --no-checkpoint --flops-per-byte $F --timeout "$tmo" --heartbeat "$hb" --poll $POLL \
      --trace "$T/$name.$i.trace" "$@" "$T/logs" >"$T/$name.$i.out" 2>"$T/$name.$i.err" || rc=$?
    check "$name run $i: smpirun exit status" "$want_rc" "$rc"
    if grep -q 'Deadlock detected\|is gone??' "$T/$name.$i.err"; then echo "FAIL $name run $i: SMPI deadlock/abort"; fail=1; fi
  done
  check "$name: stdout identical across runs" same "$(cmp -s "$T/$name.1.out" "$T/$name.2.out" && echo same || echo differ)"
  check "$name: trace identical across runs" same "$(cmp -s "$T/$name.1.trace" "$T/$name.2.trace" && echo same || echo differ)"
  # (smpirun itself appends "Execution failed with code 1." after a rank's exit(1): RESULT is then
  # the last line of the program's own output, not of smpirun's)
  [ "$want_rc" == 0 ] && check "$name: RESULT is the last line" RESULT "$(tail -n 1 "$T/$name.1.out" | cut -d' ' -f1)"
  check "$name: RESULT OK with base counts" "RESULT OK $base" "$(grep '^RESULT ' "$T/$name.1.out" | tail -n 1 | sed 's/ files=.*//')"
  check "$name: failed workers" "$failed" "$(grep '^RESULT ' "$T/$name.1.out" | tail -n 1 | grep -o 'failed=[0-9,]*' | cut -d= -f2)"
  # Detection bound, per failed worker.
  local pairs="$crashes"
  if [ "$crashes" == "-" ]; then
    pairs=$(sed -n 's/^\[Worker \([0-9]*\)\] Simulating crash ([a-z]*) at \([0-9.]*\)s (simulated)$/\1:\2/p' "$T/$name.1.out" | tr '\n' ' ')
  fi
  local p r c det
  for p in $pairs; do
    r=${p%%:*}
    c=${p#*:}
    det=$(awk -v r="$r" '$2==r && $3=="timeout"{print $1; exit}' "$T/$name.1.trace")
    if [ -z "$det" ]; then echo "FAIL $name: no timeout event for rank $r"; fail=1; continue; fi
    if awk -v d="$det" -v c="$c" -v t="$tmo" -v h="$hb" -v p=$POLL -v l=$LAT -v ch="$(awk -v f=$F 'BEGIN{print 65536*f/1e9}')" \
      'BEGIN{lo=t-h-ch; exit !(d-c > lo && d-c <= t+p+l)}'; then
      echo "ok   $name: rank $r crashed at ${c}s, detected at ${det}s (after $(awk -v d="$det" -v c="$c" 'BEGIN{printf "%.6f", d-c}')s; bound ${tmo}+${POLL}+${LAT})"
    else
      echo "FAIL $name: rank $r crashed at ${c}s, detected at ${det}s: outside the bound"
      fail=1
    fi
  done
}

"$B/generate_logs" --out "$T/logs" --files 12 --lines 5000 --mixed --seed 23 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
echo "base counts: $base"

scenario inject-kill cluster8 0 2 3 0.5 - --inject-crash 2@2.0:kill
scenario inject-hang cluster8 0 1 2 0.5 - --inject-crash 1@1.5:hang
grep -q 'Ended worker 1' "$T/inject-hang.1.out" && echo "ok   inject-hang: hung actor ended by the master" || { echo "FAIL inject-hang: not ended"; fail=1; }
scenario host-one crash/crash8-one 0 2 3 0.5 "2:2.0"
scenario host-two crash/crash8-two 0 2,3 3 0.5 "2:2.0 3:3.5" --split-bytes 100000
scenario host-all crash/crash8-all 0 1,2,3 3 0.5 "1:1.0 2:2.0 3:3.5"
grep -q 'All workers failed' "$T/host-all.1.out" && echo "ok   host-all: master finished alone" || { echo "FAIL host-all: no master-alone line"; fail=1; }
scenario host-static crash/crash8-one 0 2 3 0.5 "2:2.0" --policy static --quiet
scenario slow cluster8 0 "" 1.5 0.3 "" --inject-slow 2@5
check "slow: nothing reassigned" "Tasks reassigned: 0" "$(grep '^Tasks reassigned' "$T/slow.1.out")"
scenario inject-exit cluster8 1 3 3 0.5 - --inject-crash 3@1.0:exit

# JSON under simulation: simulated true, makespan is simulated time (identical across runs).
rc=0
timeout -k 5 60 smpirun -platform "$SRC/platforms/crash/crash8-one.xml" -hostfile "$SRC/platforms/crash/crash8.hosts" -np 4 \
  "${FLAGS[@]}" "$APP" --no-checkpoint --flops-per-byte $F --json "$T/logs" >"$T/json.out" 2>"$T/json.err" || rc=$?
head -n -1 "$T/json.out" >"$T/json"
check "json: exit, counts" "0 $base" "$rc $(json_counts <"$T/json")"
check "json: simulated, result, failed" "true OK 2" \
  "$(awk '$1=="\"simulated\":"{gsub(/,/,"",$2); s=$2} $1=="\"result\":"{gsub(/[",]/,"",$2); r=$2} END{print s, r}' "$T/json") $(tail -n 1 "$T/json.out" | grep -o 'failed=[0-9,]*' | cut -d= -f2)"

[ $fail == 0 ] || { for f in "$T"/*.1.out; do echo "== $f"; cat "$f"; done; }
exit $fail
