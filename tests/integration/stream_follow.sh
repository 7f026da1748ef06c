#!/usr/bin/env bash
# needs: mpi
# timeout: 300
# --follow, exactly once, on real Open MPI (issue 13). A writer (this script, in the background)
# appends lines at a steady rate to six files through file descriptors it keeps open, like a
# logger, and meanwhile: rotates a.log by rename into the pattern (a.log.1) and reopens a.log;
# copytruncates b.log (copy to b.log.1, then truncate); truncates c.log (after 1.5 s without
# writing to it: lines written after the analyser's last read and before a plain truncation exist
# nowhere, so no one can count them); renames d.log out of the pattern (d.old) and keeps writing to
# the old descriptor for 0.3 s before reopening d.log (read through the worker's open file during
# --rotate-wait); creates e.log midway; deletes f.log after its last line. The harness kill -9s one
# worker of the first job, then kill -9s that whole job (master included) and starts a second job
# on the same checkpoint directory, which resumes from the newest checkpoint; after the writer
# stops and the analyser has caught up, SIGTERM to the master ends it. The final RESULT counts must
# equal an independent count: awk over the writer's own log of every line it wrote (the rotated
# copies are kept in the directory). The pattern is '*.log*' so that the rotated copies are seen.
#
# Second part (issue 13's two defects found by a hostile review): copytruncate while a worker is
# killed, and files with equal first lines. lib/follow_writer.py writes to four files it
# copytruncates all at once every 1.5 s (every generation of one of them begins with a banner),
# two files beginning with the same banner, two with a blank first line and one rotated by rename
# whose every generation begins with that banner; the harness kill -9s one worker (rank and time
# drawn from the seed: 0.1 s before the first or the second copytruncate, or between them), so the
# dead worker owns copytruncated files for the 3 s before it is declared failed. The totals must
# equal the writer's ledger exactly, RESULT OK. DLA_FOLLOW_ITERS=N repeats that part N times
# (default 1, each ~16 s; seeds SEED, SEED+1, ...); DLA_FOLLOW_ONLY=ct runs that part only;
# FOLLOW_WRITER_FILES=ct writes the copytruncated files only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
SRC=$(cd "${DLA_SRC:-.}" && pwd)
T=$(mktemp -d)
jobs_pids=()
cleanup() { for p in "${jobs_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; [ -n "${DLA_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
fail=0
APP="$B/distributed_log_analyser"
IN="$T/in"
mkdir -p "$IN"
SEED=${DLA_TEST_SEED:-1}
RANDOM=$SEED
echo "seed: $SEED"

# ---- the writer ------------------------------------------------------------------------------
writer() {
  local levels=(INFO INFO INFO WARN ERROR DEBUG) n=0 t0=$EPOCHREALTIME
  exec 3>>"$IN/a.log" 4>>"$IN/b.log" 5>>"$IN/c.log" 6>>"$IN/d.log" 8>>"$IN/f.log" 9>>"$T/written.txt"
  local open_fds="3 4 5 6 8" done_b=0 done_c=0 done_d=0 done_e=0 done_f=0 pause_c=0 late_d=0
  while :; do
    local el; el=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%d", (b-a)*10}')  # tenths of a second
    [ "$el" -ge 160 ] && break
    for fd in $open_fds; do
      [ "$fd" = 5 ] && [ "$el" -ge 80 ] && [ "$el" -lt 100 ] && continue  # c.log quiet before its truncation
      local lv=${levels[$((RANDOM % 6))]}
      n=$((n + 1))
      printf '[2026-12-02 10:00:00] [%s] fd%s line %d of the writer\n' "$lv" "$fd" "$n" >&"$fd"
      echo "$lv fd$fd" >&9
    done
    if [ "$el" -ge 20 ] && [ ! -e "$IN/a.log.1" ]; then mv "$IN/a.log" "$IN/a.log.1"; exec 3>>"$IN/a.log"; fi
    if [ "$el" -ge 40 ] && [ $done_b = 0 ]; then cp "$IN/b.log" "$IN/b.log.1"; : >"$IN/b.log"; done_b=1; fi
    if [ "$el" -ge 95 ] && [ $done_c = 0 ]; then : >"$IN/c.log"; done_c=1; fi
    if [ "$el" -ge 100 ] && [ $done_d = 0 ]; then mv "$IN/d.log" "$IN/d.old"; done_d=1; fi
    if [ "$el" -ge 103 ] && [ $done_d = 1 ]; then exec 6>>"$IN/d.log"; done_d=2; fi
    if [ "$el" -ge 110 ] && [ $done_e = 0 ]; then exec 7>>"$IN/e.log"; open_fds="$open_fds 7"; done_e=1; fi
    if [ "$el" -ge 120 ] && [ $done_f = 0 ]; then
      exec 8>&-; rm "$IN/f.log"; open_fds=${open_fds/ 8/}; done_f=1
    fi
    sleep 0.02
  done
  echo "writer: $n lines" >&2
}

# ---- the analyser ------------------------------------------------------------------------------
start_job() {  # $1 = output file
  timeout -k 5 120 "$SRC/tools/dla-mpirun" -np 4 "$APP" --follow "$IN" --pattern '*.log*' --checkpoint-dir "$T/ck" \
    --report-interval 0.5 --rotate-wait 1 >"$1" 2>"$1.err" &
  jobs_pids+=($!)
}
pid_of() {  # $1 = output file, $2 = rank (0 = master): waits up to 15 s for the pid line
  local p=""
  for _ in $(seq 1 150); do
    if [ "$2" = 0 ]; then p=$(sed -n 's/^\[Follow\] following .*(master pid \([0-9]*\))$/\1/p' "$1")
    else p=$(sed -n "s/^\[Follow\] worker $2 ready (pid \([0-9]*\),.*/\1/p" "$1"); fi
    [ -n "$p" ] && break
    sleep 0.1
  done
  echo "$p"
}

# ---- part 2: copytruncate + kill -9, equal banners (one iteration) ------------------------------
ct_iteration() {  # $1 = seed
  local D="$T/ct$1" ; mkdir -p "$D/in"
  python3 "$SRC/tests/integration/lib/follow_writer.py" "$D/in" "$D/ledger" 8 "$1" "$D/go" >"$D/writer.out" 2>"$D/writer.err" &
  local wp=$!
  for _ in $(seq 1 100); do grep -q ready "$D/writer.out" 2>/dev/null && break; sleep 0.05; done
  timeout -k 5 120 "$SRC/tools/dla-mpirun" -np 4 "$APP" --follow "$D/in" --pattern '*.log*' --format bracket \
    --checkpoint-dir "$D/ck" --report-interval 1 --rotate-wait 1 >"$D/job.out" 2>"$D/job.err" &
  local jp=$!
  jobs_pids+=($jp)
  local victim=$(( $1 % 3 + 1 )) delays=(1.4 2.9 2.2)
  local delay=${delays[$(( ($1 / 3) % 3 ))]}
  local m; m=$(pid_of "$D/job.out" 0)
  local v; v=$(pid_of "$D/job.out" "$victim")
  [ -n "$m" ] && [ -n "$v" ] || { echo "FAIL ct seed $1: the job did not start"; cat "$D/job.out" "$D/job.err"; fail=1; return; }
  touch "$D/go"
  sleep "$delay"
  kill -9 "$v"
  wait "$wp"
  sleep 5  # catch up: the dead worker declared failed, possible copies told apart (copy_wait 4 s)
  kill -TERM "$m"
  local rc=0
  wait "$jp" || rc=$?
  local exp
  exp=$(awk '{c[$1]++; n++} END{printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d %slines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"],
                                    c["-"] ? "unleveled=" c["-"] " " : "", n}' "$D/ledger")
  local got; got=$(grep '^RESULT' "$D/job.out" | tail -n 1 | sed 's/ files=.*//')
  echo "ct seed $1: killed worker $victim at ${delay} s; $(cat "$D/writer.err"); $(grep -c 'declared failed' "$D/job.out") declared failed; got [$got]"
  check "ct seed $1: copytruncate + kill -9 + equal banners, exact" "RESULT OK $exp" "$got"
  check "ct seed $1: wrapper exit" 0 "$rc"
  [ "$got" == "RESULT OK $exp" ] || { tail -n 15 "$D/job.out"; grep -v PMIX "$D/job.err" | tail -n 5; cp -r "$D" "/tmp/stream_follow_ct$1.$$" && echo "kept /tmp/stream_follow_ct$1.$$"; }
}

if [ "${DLA_FOLLOW_ONLY:-}" != ct ]; then
printf '[2026-12-02 10:00:00] [INFO] before the start\n' >"$IN/a.log"
echo INFO >"$T/written.txt"
start_job "$T/job1.out"
job1=${jobs_pids[-1]}
m1=$(pid_of "$T/job1.out" 0)
w1=$(pid_of "$T/job1.out" 1); w2=$(pid_of "$T/job1.out" 2); w3=$(pid_of "$T/job1.out" 3)
[ -n "$m1" ] && [ -n "$w1" ] && [ -n "$w3" ] || { echo "FAIL job 1 did not start"; cat "$T/job1.out" "$T/job1.out.err"; exit 1; }
writer 2>"$T/writer.err" &
wpid=$!
sleep 3
echo "kill -9 worker 2 (pid $w2) of job 1"
kill -9 "$w2"
sleep 3.5
echo "kill -9 the whole first job (master $m1, workers $w1 $w3)"
kill -9 "$m1" "$w1" "$w3" 2>/dev/null || true
wait "$job1" 2>/dev/null || true
grep -q "worker 2 declared failed" "$T/job1.out" && echo "ok   job 1 declared worker 2 failed" ||
  { echo "FAIL job 1 never declared worker 2 failed"; fail=1; }
start_job "$T/job2.out"
job2=${jobs_pids[-1]}
m2=$(pid_of "$T/job2.out" 0)
wait "$wpid"
sleep 3  # catch up
kill -TERM "$m2"
rc=0
wait "$job2" || rc=$?
cat "$T/writer.err"
tail -n 12 "$T/job2.out"

# Per file too (the writer logs the descriptor of each line), for the diagnosis of a failure.
awk '{c[$2]++} END{for (k in c) printf "written %s: %d\n", k, c[k]}' "$T/written.txt" | sort
expected=$(awk '{c[$1]++; n++} END{printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n}' "$T/written.txt")
check "job 2 resumed from a checkpoint" "yes" "$(grep -q '^\[Follow\] resumed from' "$T/job2.out" && echo yes || echo no)"
check "final counts equal the writer's own count" "RESULT OK $expected" "$(tail -n 1 "$T/job2.out" | sed 's/ files=.*//')"
check "wrapper exit" 0 "$rc"
check "no tail lost" "0" "$(sed -n 's/^Ended files whose tail could not be read: //p' "$T/job2.out")"
# --sim-growth (the SMPI follow scenarios' scripted growth, scan/growth.h) writes into DIR: the real
# build refuses it, and the directory is left as it was.
mkdir -p "$T/sg" && echo "[2026-01-01T00:00:00.000000] [INFO] x" > "$T/sg/a.log" && echo "0 append a.log 5" > "$T/growth.txt"
rc=0
timeout -k 5 60 "$SRC/tools/dla-mpirun" -np 2 "$APP" --follow "$T/sg" --follow-for 1 --no-checkpoint --sim-growth "$T/growth.txt" \
  >"$T/sg.out" 2>"$T/sg.err" || rc=$?
check "--sim-growth refused on real MPI" "1 yes" "$rc $(grep -q '^RESULT ERROR --sim-growth is for simulated runs only' "$T/sg.out" && echo yes || echo no)"
check "--sim-growth: DIR untouched" "1 a.log" "$(wc -l < "$T/sg/a.log") $(ls "$T/sg")"
fi

for i in $(seq 0 $(( ${DLA_FOLLOW_ITERS:-1} - 1 ))); do ct_iteration $(( SEED + i )); done
exit $fail
