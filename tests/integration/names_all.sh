#!/usr/bin/env bash
# needs: mpi
# timeout: 150
# File names that are not plain text (issue 8): `$'\xff'.log` (not UTF-8) and
# `$'a\nRESULT OK fake.log'` (a newline that could forge a RESULT line), plus an unreadable
# (dangling) `$'\xfe'-gone.log`, on all three analysers, text and --json. Before: base --json and
# parallel_log_analyser aborted (rc 134: JSON dump of invalid UTF-8), the distributed master aborted
# or hung, and the newline printed raw. Now: every run ends with its normal status, the counts equal
# the readable files' (awk-free: the same files without the odd names), names print escaped
# (\xff, \x0a) and no output line starts with "RESULT OK fake".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
"$B/generate_logs" --out "$T/plain" --files 3 --lines 1000 --seed 4 >/dev/null
mkdir "$T/odd"
cp "$T/plain/node1.log" "$T/odd/"$'\xff'.log
cp "$T/plain/node2.log" "$T/odd/"$'a\nRESULT OK fake.log'
cp "$T/plain/node3.log" "$T/odd/node3.log"
want=$("$B/base_log_analyser" --json "$T/plain" | json_counts)
no_forgery() { check "$1: no forged line" 0 "$(grep -ac '^RESULT OK fake' "$2" || true)"; }

rc=0; "$B/base_log_analyser" --json "$T/odd" >"$T/b.json" 2>"$T/b.err" || rc=$?
check "base --json: exit 0, counts" "0 $want" "$rc $(json_counts <"$T/b.json")"
rc=0; "$B/base_log_analyser" "$T/odd" >"$T/b.out" 2>"$T/b.err" || rc=$?
check "base text: exit 0" 0 "$rc"
no_forgery "base text" "$T/b.out"

rc=0; timeout -k 5 60 mpirun -np 2 --oversubscribe "$B/parallel_log_analyser" --json "$T/odd" >"$T/p.json" 2>"$T/p.err" || rc=$?
check "parallel --json: exit 0, counts" "0 $want" "$rc $(json_counts <"$T/p.json")"

for np in 1 3; do
  rc=0
  timeout -k 5 60 mpirun -np $np --oversubscribe "$B/distributed_log_analyser" --no-checkpoint "$T/odd" >"$T/d.out" 2>"$T/d.err" || rc=$?
  check "distributed np $np: exit 0, RESULT OK with the counts" "0 RESULT OK $want" "$rc $(tail -n 1 "$T/d.out" | sed 's/ files=.*//')"
  no_forgery "distributed np $np" "$T/d.out"
  check "distributed np $np: names escaped" "2" "$(grep -c 'Processing \\xff.log\|Processing a\\x0aRESULT OK fake.log' "$T/d.out" || true)"
done
rc=0
timeout -k 5 60 mpirun -np 3 --oversubscribe "$B/distributed_log_analyser" --no-checkpoint --json "$T/odd" >"$T/d.json" 2>"$T/d.err" || rc=$?
check "distributed --json: exit 0, counts, escaped names in JSON" "0 $want 1" \
  "$rc $(head -n -1 "$T/d.json" | json_counts) $(grep -c '"\\\\xff.log"' "$T/d.json" || true)"

# An unreadable file with an odd name: named (escaped) once, the others counted.
ln -s "$T/nowhere" "$T/odd/"$'\xfe'-gone.log
rc=0; "$B/base_log_analyser" --json "$T/odd" >"$T/b.json" 2>"$T/b.err" || rc=$?
check "base --json, unreadable odd name: exit 2, listed escaped" "2 $want 1" \
  "$rc $(json_counts <"$T/b.json") $(grep -c '"\\\\xfe-gone.log"' "$T/b.json" || true)"
rc=0; timeout -k 5 60 mpirun -np 2 --oversubscribe "$B/parallel_log_analyser" "$T/odd" >"$T/p.out" 2>"$T/p.err" || rc=$?
check "parallel, unreadable odd name: exit 2, one escaped error line" "2 1" "$rc $(grep -c '^error: .*\\xfe-gone.log' "$T/p.err" || true)"
rc=0
timeout -k 5 60 mpirun -np 3 --oversubscribe "$B/distributed_log_analyser" --no-checkpoint --json "$T/odd" >"$T/d.json" 2>"$T/d.err" || rc=$?
check "distributed --json, unreadable odd name: exit 3, listed escaped" "3 1" "$rc $(grep -c '"\\\\xfe-gone.log"' "$T/d.json" || true)"
exit $fail
