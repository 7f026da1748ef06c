#!/usr/bin/env bash
# timeout: 120
# Real-world formats through base_log_analyser (issue 10): each loghub sample in tests/data/loghub
# gives exactly the per-level counts of tests/data/loghub/expected.txt (derived from loghub's own
# structured CSVs, Level column, normalised by the README's table), in the format expected; the
# same files gzip'd, nested with --recursive (and a symlink loop), --pattern; --format forcing and
# regex:; bad --format values; a level only in the message never counted; the assignment's
# sample_logs block unchanged (no UNLEVELED line) and JSON's "unleveled".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
LH=$SRC/tests/data/loghub
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# The --per-file table -> one line per file: "NAME FORMAT lines=N LEVEL=n ... unleveled=N" (nonzero
# levels, alphabetical), sorted by name.
table_rows() {
  awk 'NR == 1 { for (i = 1; i <= NF; i++) col[i] = $i; n = NF; next }
       NF == n && $3 ~ /^[0-9]+$/ { s = $1 " " $2 " lines=" $3
         for (i = 4; i < n; i++) if ($i > 0) s = s " " col[i] "=" $i
         print s " unleveled=" $n }' | LC_ALL=C sort
}
per_file() {  # DIR [options...]: the table rows of a run (the table ends at the first empty line)
  local d=$1; shift
  "$B/base_log_analyser" --per-file "$@" "$d" | sed -n '/^FILE /,/^$/p' | table_rows
}

want=$(LC_ALL=C sort "$LH/expected.txt")
got=$(per_file "$LH")
check "loghub: every sample's format and per-level counts (expected.txt)" "$want" "$got"

# gzip'd: the same rows under .gz names; rotated plain names need --pattern
mkdir "$T/gz"
for f in "$LH"/*.log; do gzip -c "$f" >"$T/gz/$(basename "$f").gz"; done
cp "$LH/Spark_2k.log" "$T/gz/Spark_2k.log.1"
got=$(per_file "$T/gz" --pattern '*.gz' | sed 's/\.log\.gz /.log /')
check "gzip'd samples: the same rows" "$want" "$got"
got=$(per_file "$T/gz" --pattern 'Spark*' | awk '{print $1, $3, $4}')
check "--pattern 'Spark*': the .gz and the rotated .1" "$(printf 'Spark_2k.log.1 lines=2000 INFO=2000\nSpark_2k.log.gz lines=2000 INFO=2000')" "$got"

# --recursive: nested copies, names carry the relative path, a symlink loop is read once
mkdir -p "$T/tree/a/b" "$T/tree/c"
cp "$LH/Hadoop_2k.log" "$T/tree/a/b/"
cp "$LH/Android_2k.log" "$T/tree/c/"
cp "$LH/OpenSSH_2k.log" "$T/tree/"
ln -s "$T/tree" "$T/tree/a/loop"
got=$(per_file "$T/tree" --recursive | awk '{print $1, $2}')
check "--recursive: relative names, formats" "$(printf 'OpenSSH_2k.log syslog\na/b/Hadoop_2k.log log4j\nc/Android_2k.log logcat')" "$got"
got=$(per_file "$T/tree" | awk '{print $1}')
check "without --recursive: the top only" "OpenSSH_2k.log" "$got"

# JSON: counts with every level found, unleveled, per-file format
"$B/base_log_analyser" --json --per-file "$T/tree" --recursive >"$T/tree.json"
check "JSON unleveled = OpenSSH's 2000" 1 "$(grep -c '^  "unleveled": 2000,' "$T/tree.json")"
check "JSON counts has FATAL and VERBOSE" "2 257" "$(awk '/^  "counts"/,/}/' "$T/tree.json" | awk -F': ' '/"FATAL"|"VERBOSE"/{gsub(/,/,"",$2); printf "%s ", $2}' | sed 's/ $//')"
check "JSON per-file formats" "3" "$(grep -cE '"format": "(syslog|log4j|logcat)"' "$T/tree.json")"

# --format: forced names and regex
got=$("$B/base_log_analyser" --json --format bracket "$LH" | json_counts)
awk_bracket=$(LC_ALL=C awk 'match($0,/\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/){t=substr($0,RSTART+1,RLENGTH-2); if(t=="WARNING")t="WARN"; c[t]++}
  END{u = NR - c["DEBUG"] - c["ERROR"] - c["INFO"] - c["WARN"]
      printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d %slines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], u ? "unleveled=" u " " : "", NR}' "$LH"/*.log)
check "--format bracket: the assignment's rule (awk)" "$awk_bracket" "$got"
mkdir "$T/spark" && cp "$LH/Spark_2k.log" "$LH/Hadoop_2k.log" "$T/spark/"
got=$(per_file "$T/spark" --format 'regex:^\S+ \S+ (?<level>[A-Z]+) ' | awk '{$2=""; print}')
check "--format regex: (?<level>) on Spark and Hadoop" \
  "$(printf 'Hadoop_2k.log  lines=2000 ERROR=150 FATAL=2 INFO=1040 WARN=808 unleveled=0\nSpark_2k.log  lines=2000 INFO=2000 unleveled=0')" "$got"
got=$(per_file "$T/spark" --format 'regex:^\S+ \S+ (?P<level>\w+)' | awk '{print $1, $2, $4}')
check "--format regex: (?P<level>) too" "$(printf 'Hadoop_2k.log regex ERROR=150\nSpark_2k.log regex INFO=2000')" "$got"
for bad in 'regex:^(?<level>[A-Z+' 'regex:^(\S+) (INFO|WARN)' 'log5j'; do
  rc=0
  "$B/base_log_analyser" --format "$bad" "$LH" >"$T/out" 2>"$T/err" || rc=$?
  check "--format '$bad': exit 1, one error line, no output" "1 1 0" "$rc $(grep -c '^error: ' "$T/err") $(wc -c <"$T/out")"
done

# A level only in the message is never counted (header formats); unleveled lines are shown.
mkdir "$T/body"
{
  echo "2015-10-18 18:01:47,978 INFO [main] a.B: all good"
  echo "2015-10-18 18:01:48,001 WARN [main] a.B: renew failed ERROR FATAL [ERROR]"
  echo "    at org.example.Thing(Thing.java:12) ERROR"
} >"$T/body/app.log"
got=$("$B/base_log_analyser" "$T/body" | grep -E '^[A-Z]+: [0-9]+$' | tr '\n' ' ')
check "body-only ERROR/FATAL not counted; UNLEVELED shown" "DEBUG: 0 ERROR: 0 INFO: 1 WARN: 1 UNLEVELED: 1 " "$got"

# The assignment's sample logs: the block has exactly the four seed levels, no UNLEVELED line.
got=$("$B/base_log_analyser" "$SRC/sample_logs" | sed -n '/^ANALYSIS RESULTS$/,/^Total time/p' | grep -cE '^[A-Z]+: [0-9]+$')
check "sample_logs: four level lines, nothing else" 4 "$got"
check "sample_logs: JSON unleveled 0" 1 "$("$B/base_log_analyser" --json "$SRC/sample_logs" | grep -c '"unleveled": 0')"

if [ "$fail" != 0 ]; then echo "formats_base: FAILED"; exit 1; fi
echo "formats_base: all checks passed"
