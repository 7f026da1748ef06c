#!/usr/bin/env bash
# needs: mpi
# timeout: 150
# distributed_log_analyser on Open MPI without failures: -np 1 (the master alone), 2 and 4,
# dynamic and static policies, split files, text and JSON output. Counts always equal the
# sequential base_log_analyser's; every file is processed exactly once (one "Processing" line per
# file); the last stdout line is the RESULT line. Bad input: RESULT ERROR and exit status 1
# (plain mpirun, no recovery: the exit status comes through); an unreadable file: RESULT
# INCOMPLETE, exit 3 (through plain mpirun and through tools/dla-mpirun).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
SRC=$(cd "${DLA_SRC:-.}" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"  # anything a run writes (e.g. checkpoints) stays in the scratch dir
fail=0
APP="$B/distributed_log_analyser"

result_counts() { tail -n 1 "$1" | grep -o 'DEBUG=[0-9]* ERROR=[0-9]* INFO=[0-9]* WARN=[0-9]*\( unleveled=[0-9]*\)\{0,1\} lines=[0-9]*' || true; }
json_field() { awk -v k="\"$1\":" '$1==k {v=$2; gsub(/[",]/,"",v); print v; exit}' "$2"; }
run() {  # np args... (plain mpirun: no recovery) -> $T/out $T/err $rc
  local np=$1
  shift
  rc=0
  timeout -k 5 60 mpirun -np "$np" --oversubscribe "$APP" --no-checkpoint "$@" >"$T/out" 2>"$T/err" || rc=$?
}

"$B/generate_logs" --out "$T/logs" --files 9 --lines 3000 --skew 1 --mixed --seed 5 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
nfiles=$(ls "$T/logs"/*.log | wc -l)
echo "base counts: $base ($nfiles files)"

for np in 1 2 4; do
  for policy in dynamic static; do
    [ "$np" == 1 ] && [ "$policy" == static ] && continue
    run "$np" --policy "$policy" "$T/logs"
    what="np $np $policy text"
    check "$what: exit" 0 "$rc"
    check "$what: last line is RESULT OK with base counts" "RESULT OK $base" "$(tail -n 1 "$T/out" | sed 's/ files=.*//')"
    check "$what: Files processed" "Files processed: $nfiles" "$(grep '^Files processed' "$T/out")"
    check "$what: Failed workers" "Failed workers: 0" "$(grep '^Failed workers' "$T/out")"
    if [ "$np" -gt 1 ]; then
      check "$what: each file processed exactly once by a worker" "$nfiles $nfiles" \
        "$(grep -c '^\[Worker [0-9]*\] Processing' "$T/out") $(grep '^\[Worker [0-9]*\] Processing' "$T/out" | awk '{print $4}' | sort -u | wc -l)"
      check "$what: one Assigning line per file" "$nfiles" "$(grep -c '^\[Master\] Assigning' "$T/out")"
    else
      check "$what: the master processes everything itself" "$nfiles" "$(grep -c '^\[Master\] Processing' "$T/out")"
    fi
  done
done

# JSON, split files: every byte range counted once.
run 3 --json --split-bytes 20000 "$T/logs"
check "np 3 json split: exit" 0 "$rc"
head -n -1 "$T/out" >"$T/json"
check "np 3 json split: counts" "$base" "$(json_counts <"$T/json")"
check "np 3 json split: RESULT line counts" "$base" "$(result_counts "$T/out")"
check "np 3 json split: result / files_processed / failed_workers" "OK $nfiles []" \
  "$(json_field result "$T/json") $(json_field files_processed "$T/json") $(json_field failed_workers "$T/json")"
tasks=$(json_field tasks "$T/json")
if [ "$tasks" -le "$nfiles" ]; then echo "FAIL split-bytes made no extra tasks ($tasks)"; fail=1; else echo "ok   split into $tasks tasks"; fi
check "np 3 json: simulated false, makespan present" "false yes" \
  "$(json_field simulated "$T/json") $(grep -q '"makespan_s"' "$T/json" && echo yes)"

# Quiet: no per-file lines.
run 3 --quiet "$T/logs"
check "quiet: no Processing/Assigning lines" "0" "$(grep -c 'Processing\|Assigning' "$T/out" || true)"
check "quiet: RESULT OK" "RESULT OK" "$(tail -n 1 "$T/out" | cut -d' ' -f1,2)"

# Bad input: exit 1 + RESULT ERROR.
for bad in "/nonexistent/dir" "--inject-crash 0@1 $T/logs" "--inject-crash 7@1 $T/logs" "--policy fifo $T/logs" \
           "--timeout 1 --heartbeat 2 $T/logs" "--inject-crash 1@x $T/logs" "--inject-slow 1@0.5 $T/logs"; do
  # shellcheck disable=SC2086
  run 2 $bad
  check "bad input '$bad': exit 1, RESULT ERROR, one error line" "1 RESULT 1" \
    "$rc $(tail -n 1 "$T/out" | awk '$2=="ERROR"{print $1}') $(grep -c '^error:' "$T/err" || true)"
done

# An unreadable file (dangling symlink): INCOMPLETE, exit 3; the readable ones counted.
mkdir "$T/broken"
cp "$T/logs"/node1.log "$T/logs"/node2.log "$T/broken/"
ln -s "$T/nowhere.log" "$T/broken/zz.log"
want=$("$B/base_log_analyser" --json "$T/broken" 2>/dev/null | json_counts || true)
run 3 "$T/broken"
check "unreadable file: exit 3 through plain mpirun" 3 "$rc"
check "unreadable file: RESULT INCOMPLETE with the readable files' counts" "RESULT INCOMPLETE $want" \
  "$(tail -n 1 "$T/out" | sed 's/ files=.*//')"
rc=0
timeout -k 5 60 "$SRC/tools/dla-mpirun" -np 3 "$APP" --no-checkpoint --quiet "$T/broken" >"$T/out" 2>"$T/err" || rc=$?
check "unreadable file: tools/dla-mpirun exit 3" 3 "$rc"

exit $fail
