#!/usr/bin/env bash
# needs: mpi smpi
# timeout: 240
# Real-world formats through the distributed analyser (issue 10), on real Open MPI and in SMPI:
# each loghub sample in tests/data/loghub gives exactly the per-level counts of
# tests/data/loghub/expected.txt (from loghub's own structured CSVs, independent of dla) in the
# format expected, with whole files and with files cut into byte ranges (every range detects the
# file's format from the file's head), under several policies; gzip'd copies with --pattern (a
# .gz is never cut); --recursive names; a bad --format is one error line and exit 1; a run
# interrupted by kill -9 of the master resumes from its checkpoint with FATAL/SEVERE/NOTICE
# counts intact.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
LH=$SRC/tests/data/loghub
P="$SRC/platforms"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
MPI=("$SRC/tools/dla-mpirun")

# The --per-file table -> "NAME FORMAT lines=N LEVEL=n ... unleveled=N" (nonzero levels), sorted.
table_rows() {
  sed -n '/^FILE /,/^$/p' | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[i] = $i; n = NF; next }
       NF == n && $3 ~ /^[0-9]+$/ { s = $1 " " $2 " lines=" $3
         for (i = 4; i < n; i++) if ($i > 0) s = s " " col[i] "=" $i
         print s " unleveled=" $n }' | LC_ALL=C sort
}
# "LEVEL=n ... unleveled=n lines=n" summed over expected.txt's rows (awk, independent of dla)
sum_expected() {
  awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
       END { n = asorti(s, k); for (i = 1; i <= n; i++) if (k[i] != "lines" && k[i] != "unleveled") o = o k[i] "=" s[k[i]] " ";
             printf "%sunleveled=%d lines=%d\n", o, s["unleveled"], s["lines"] }' "$@"
}
# The RESULT line's counts, without the seed levels that are 0 (expected.txt lists nonzero ones).
result_counts() {
  tail -n 1 "$1" | sed 's/^RESULT [A-Z]* //; s/ files=.*//' | tr ' ' '\n' | grep -v '=0$' | paste -sd' '
}

want=$(LC_ALL=C sort "$LH/expected.txt")
want_sum=$(sum_expected "$LH/expected.txt")
for args in "-np 3 --policy dynamic" "-np 3 --policy guided --split-bytes 40000" "-np 4 --policy steal --split-bytes 25000 --speculate"; do
  read -r np n rest <<<"$args"
  rc=0
  timeout -k 5 120 "${MPI[@]}" $np $n "$B/distributed_log_analyser" -q --per-file --checkpoint-dir "$T/ck-$n-${rest// /_}" \
    $rest "$LH" >"$T/out" 2>"$T/err" || rc=$?
  check "mpirun $args: exit 0" 0 "$rc"
  check "mpirun $args: per-file formats and counts (expected.txt)" "$want" "$(table_rows <"$T/out")"
  check "mpirun $args: RESULT line = sum of expected.txt" "$want_sum" "$(result_counts "$T/out")"
done

# SMPI: the same program under smpirun, ranges cut small
rc=0
timeout -k 5 120 smpirun -platform "$P/cluster8.xml" -hostfile "$P/cluster8.hosts" -np 5 "${SMPI_DET_FLAGS[@]}" \
  "$B/distributed_log_analyser_smpi" -q --per-file --split-bytes 50000 --policy lpt --no-checkpoint "$LH" >"$T/smpi" 2>"$T/smpi.err" || rc=$?
check "smpirun: exit 0, no deadlock" "0 0" "$rc $(grep -c 'Deadlock detected' "$T/smpi.err" || true)"
check "smpirun: per-file formats and counts (expected.txt)" "$want" "$(table_rows <"$T/smpi")"
check "smpirun: RESULT line = sum of expected.txt" "$want_sum" "$(result_counts "$T/smpi")"

# .gz with --pattern (never cut, even with --split-bytes), --recursive names
mkdir -p "$T/gz/sub"
for f in Hadoop_2k.log Android_2k.log; do gzip -c "$LH/$f" >"$T/gz/$f.gz"; done
cp "$LH/Apache_2k.log" "$T/gz/sub/"
rc=0
timeout -k 5 60 "${MPI[@]}" -np 3 "$B/distributed_log_analyser" -q --per-file --split-bytes 10000 --pattern '*.log*' \
  --recursive --checkpoint-dir "$T/ck-gz" "$T/gz" >"$T/gz.out" 2>"$T/gz.err" || rc=$?
check "gz + --pattern + --recursive: exit 0" 0 "$rc"
got=$(table_rows <"$T/gz.out" | sed 's/\.log\.gz /.log /; s|^sub/||' | LC_ALL=C sort)
check "gz + --recursive: rows" "$(grep -E '^(Hadoop|Android|Apache)_' "$LH/expected.txt" | LC_ALL=C sort)" "$got"
check "gz + --recursive: names" "Android_2k.log.gz Hadoop_2k.log.gz sub/Apache_2k.log" \
  "$(table_rows <"$T/gz.out" | awk '{print $1}' | paste -sd' ')"

# bad --format: one error line, RESULT ERROR, exit 1
rc=0
timeout -k 5 60 "${MPI[@]}" -np 2 "$B/distributed_log_analyser" --format 'regex:(no-level-group)' "$LH" >"$T/bad" 2>"$T/bad.err" || rc=$?
check "bad --format: exit 1, RESULT ERROR, error names the option" "1 1 1" \
  "$rc $(grep -c '^RESULT ERROR' "$T/bad") $(grep -c '^error: --format' "$T/bad.err")"

# Resume with levels beyond the seed four: kill -9 the whole job once a checkpoint holds some
# files, then resume; the final counts still match expected.txt.
rc=0
timeout -k 5 60 "${MPI[@]}" -np 3 "$B/distributed_log_analyser" -q --throttle 200000 --checkpoint-dir "$T/ck-r" "$LH" \
  >"$T/r1" 2>&1 &
job=$!
for _ in $(seq 1 100); do
  [ -n "$(ls "$T/ck-r" 2>/dev/null | grep '^ckpt-' || true)" ] && break
  sleep 0.1
done
kill -9 "$job" 2>/dev/null || true
pkill -9 -f "distributed_log_analyser -q --throttle 200000 --checkpoint-dir $T/ck-r" 2>/dev/null || true
wait "$job" 2>/dev/null || true
check "resume: a checkpoint was written before the kill" 1 "$([ -n "$(ls "$T/ck-r" | grep '^ckpt-' || true)" ] && echo 1 || echo 0)"
cp -a "$T/ck-r" "$T/ck-r2"
timeout -k 5 60 "${MPI[@]}" -np 3 "$B/distributed_log_analyser" -q --checkpoint-dir "$T/ck-r" "$LH" >"$T/r2" 2>"$T/r2.err" || rc=$?
check "resume: exit 0, RESULT line = sum of expected.txt" "0 $want_sum" "$rc $(result_counts "$T/r2")"
# The same checkpoint with another --format is not resumed (two rule sets would be added together).
rc=0
timeout -k 5 60 "${MPI[@]}" -np 3 "$B/distributed_log_analyser" -q --format bracket --checkpoint-dir "$T/ck-r2" "$LH" \
  >"$T/r3" 2>"$T/r3.err" || rc=$?
want_b=$("$B/base_log_analyser" --json --format bracket "$LH" | json_counts)
check "another --format: starts over, counts = base --format bracket" "0 1 RESULT OK $want_b" \
  "$rc $(grep -c 'used another --format: starting from the beginning' "$T/r3") $(tail -n 1 "$T/r3" | sed 's/ files=.*//')"
exit $fail
