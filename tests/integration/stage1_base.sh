#!/usr/bin/env bash
# timeout: 60
# Stage 1, sequential reference: base_log_analyser against an independent awk count on the
# sample logs, a generated --mixed set, a --skew set and the real loghub logs; line totals
# against wc -l plus the unterminated last line; bad input (exit 1, one `error:` line) and a
# dangling .log symlink among good files (exit 2, named, the others counted).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# Independent count: the scanner's contract written in awk. Prints "DEBUG=.. ERROR=.. INFO=.. WARN=.. lines=..".
awk_counts() {
  LC_ALL=C awk 'match($0,/\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/){t=substr($0,RSTART+1,RLENGTH-2); if(t=="WARNING")t="WARN"; c[t]++}
    END{u = NR - c["DEBUG"] - c["ERROR"] - c["INFO"] - c["WARN"]
        printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d %slines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], u ? "unleveled=" u " " : "", NR}' "$@"
}
# The same fields out of the analyser's pretty-printed JSON (no jq/python needed).
# Lines by a third method: wc -l counts newlines; a non-empty file whose last byte is not a newline
# has one more (unterminated) line.
wc_lines() {
  local n=0 f
  for f in "$@"; do
    n=$((n + $(wc -l <"$f")))
    if [ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -tx1 | tr -d ' \n')" != "0a" ]; then n=$((n + 1)); fi
  done
  echo "$n"
}
compare_dir() {  # name dir [analyser options...]
  local want got files name=$1 dir=$2
  shift 2
  files=$(find "$dir" -maxdepth 1 -name '*.log' -type f | LC_ALL=C sort)
  # shellcheck disable=SC2086
  want=$(awk_counts $files)
  got=$("$B/base_log_analyser" --json "$@" "$dir" | json_counts)
  check "$name base vs awk" "$want" "$got"
  # shellcheck disable=SC2086
  check "$name lines vs wc -l (+ unterminated last line)" "$(wc_lines $files)" "$(sed 's/.*lines=//' <<<"$got")"
}

"$B/generate_logs" --out "$T/mixed" --files 6 --lines 3000 --mixed --seed 11 >/dev/null
"$B/generate_logs" --out "$T/skew" --files 9 --lines 2000 --skew 1.5 --seed 12 >/dev/null
# Edge files: empty, no final newline, CRLF only, a NUL byte, [WARNING], a level after another.
mkdir "$T/edge"
: >"$T/edge/empty.log"
printf '[x] [INFO] a\n[x] [WARN] b' >"$T/edge/nofinal.log"
printf '[x] [ERROR] a\r\n[x] [DEBUG] b\r\n\r\n' >"$T/edge/crlf.log"
printf '[x] \0 [INFO] nul\n[x] [WARNING] w\nplain [debug] [INFO] [ERROR]\n[INFO][WARN]\n' >"$T/edge/odd.log"

compare_dir "sample_logs" "$SRC/sample_logs"
compare_dir "generated --mixed" "$T/mixed"
compare_dir "generated --skew" "$T/skew"
compare_dir "edge cases" "$T/edge"
# The real logs are in other formats (auto-detected: formats_base.sh checks them against loghub's
# labels); forced to the assignment's rule they must still count exactly as awk does.
compare_dir "loghub --format bracket (real logs, CRLF, no final newline)" "$SRC/tests/data/loghub" --format bracket

# ---- bad input: exit 1, stdout empty, exactly one line on stderr, starting with "error:" ----
bad_input() {  # name dir
  local rc=0
  "$B/base_log_analyser" "$2" >"$T/out" 2>"$T/err" || rc=$?
  check "$1: exit status" 1 "$rc"
  check "$1: one stderr line starting error:" "1 1" "$(wc -l <"$T/err") $(grep -c '^error: ' "$T/err" || true)"
  check "$1: nothing on stdout" 0 "$(wc -c <"$T/out")"
  echo "     stderr: $(cat "$T/err")"
}
mkdir -p "$T/nolog/sub.log"
echo x >"$T/nolog/readme.txt"
echo '[x] [INFO] deep' >"$T/nolog/sub.log/deep.log"
bad_input "missing dir" "$T/does-not-exist"
bad_input "a file instead of a dir" "$SRC/sample_logs/node1.log"
bad_input "no .log files (only a .txt and a dir named sub.log)" "$T/nolog"

# ---- a dangling symlink among good files: named on stderr, others counted, exit 2 ----
mkdir "$T/dangling"
cp "$SRC/sample_logs/node1.log" "$SRC/sample_logs/node2.log" "$T/dangling/"
ln -s "$T/vanished.log" "$T/dangling/gone.log"
rc=0
"$B/base_log_analyser" --json "$T/dangling" >"$T/out" 2>"$T/err" || rc=$?
check "dangling symlink: exit status" 2 "$rc"
check "dangling symlink: one error line naming it" 1 "$(grep -c '^error: .*gone\.log' "$T/err" || true)"
check "dangling symlink: listed as unreadable in JSON" 1 "$(grep -c '"gone.log"' "$T/out" || true)"
check "dangling symlink: good files counted" "$(awk_counts "$T/dangling/node1.log" "$T/dangling/node2.log")" "$(json_counts <"$T/out")"

# The text report prints the same counts as the JSON (one run each).
txt=$("$B/base_log_analyser" "$SRC/sample_logs" | awk -F': ' '/^(DEBUG|ERROR|INFO|WARN): /{printf "%s=%s ", $1, $2}')
js=$("$B/base_log_analyser" --json "$SRC/sample_logs" | json_counts | sed 's/ lines=.*//')
check "text block equals JSON counts" "$js" "${txt% }"

if [ "$fail" != 0 ]; then echo "stage1_base: FAILED"; exit 1; fi
echo "stage1_base: all checks passed"
