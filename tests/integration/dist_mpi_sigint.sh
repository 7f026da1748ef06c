#!/usr/bin/env bash
# needs: mpi
# timeout: 150
# Ctrl+C on tools/dla-mpirun, as in a terminal (the assignment's Test 3): the wrapper runs in its
# own session (setsid) with SIGINT at its default disposition, like a shell's foreground job, and
# `kill -INT -PGID` sends SIGINT to the whole process group as the terminal does. Expected: the
# master saves a checkpoint and prints "RESULT INCOMPLETE interrupted ...", the wrapper says
# progress was saved and how to resume, exits 3, and the same command then resumes and ends
# RESULT OK with the counts of base_log_analyser. Before: only "^C", exit 1, no RESULT line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
fail=0
"$B/generate_logs" --out "$T/logs" --files 6 --lines 4000 --seed 9 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
cmd=("$SRC/tools/dla-mpirun" -np 3 "$B/distributed_log_analyser" --checkpoint-dir "$T/ck" --checkpoint-every 1
     --throttle 40000 --quiet "$T/logs")
cat >"$T/run.sh" <<EOS
"\$@" >"$T/a.out" 2>"$T/a.err"
echo \$? >"$T/a.rc"
EOS
# perl: SIGINT back to default (a script's background job inherits "ignore", a terminal's job does not)
setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' bash "$T/run.sh" "${cmd[@]}" &
leader=$!
for _ in $(seq 100); do  # until the first checkpoint exists
  ls -d "$T"/ck/ckpt-* >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.3
kill -INT -- "-$leader"
for _ in $(seq 300); do [ -s "$T/a.rc" ] && break; sleep 0.1; done
check "Ctrl+C: the wrapper exits 3" 3 "$(cat "$T/a.rc" 2>/dev/null || echo none)"
check "Ctrl+C: RESULT INCOMPLETE interrupted" "RESULT INCOMPLETE interrupted" "$(grep '^RESULT' "$T/a.out" | tail -n 1 | cut -d' ' -f1-3)"
check "Ctrl+C: the master says where progress was saved" 1 "$(grep -c "progress saved in $T/ck" "$T/a.err" || true)"
check "Ctrl+C: the wrapper says how to resume" 1 "$(grep -c 'progress was saved .* run the same command again to resume' "$T/a.err" || true)"
check "Ctrl+C: no rank left running" 0 "$(pgrep -fc "distributed_log_analyser .*$T/logs" || true)"
rc=0
timeout -k 5 120 "${cmd[@]}" >"$T/b.out" 2>"$T/b.err" || rc=$?
check "resume: exit 0, RESULT OK with base counts" "0 RESULT OK $base" "$rc $(tail -n 1 "$T/b.out" | sed 's/ files=.*//')"
check "resume: resumed from the checkpoint" 1 "$(grep -c '^Resuming from checkpoint' "$T/b.out" || true)"
exit $fail
