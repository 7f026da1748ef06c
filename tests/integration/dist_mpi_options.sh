#!/usr/bin/env bash
# needs: mpi
# timeout: 200
# Option values and the --trace target are checked before any work (issue 8), -np 2, plain mpirun:
#  * non-finite, negative or meaningless values (--split-bytes -1 / 1, --timeout inf, --poll -1 / 0,
#    --master-timeout nan, --startup-timeout 0, --throttle -5, --checkpoint-interval inf) and Stage 1's
#    (--baseline-seconds -1 / inf, --flops-per-byte 0): exit 1, one `error:` line, nothing counted;
#    a --split-bytes that would make more than 100,000 tasks (e.g. --split-bytes 1 on 2 MB) is
#    refused the same way, at start;
#  * --trace into a missing directory: refused at start (exit 1, RESULT ERROR), not after the run;
#  * --trace over an input log, into the checkpoint directory, or over an existing file that is not a
#    dla trace: refused, and that file is unchanged; over a previous trace: replaced (temp + rename);
#  * the trace has one `checkpoint` event per checkpoint saved.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
"$B/generate_logs" --out "$T/logs" --files 3 --lines 1000 --seed 2 >/dev/null
run() {  # app args... -> $T/out $T/err $rc
  local app=$1
  shift
  rc=0
  timeout -k 5 30 mpirun -np 2 --oversubscribe "$B/$app" "$@" >"$T/out" 2>"$T/err" || rc=$?
}
refused() {  # what: exit 1, one error line, RESULT ERROR (distributed) / no result block
  check "$1: exit 1, one error line, nothing counted" "1 1 0" \
    "$rc $(grep -c '^error:' "$T/err" || true) $(grep -c 'ANALYSIS RESULTS\|^RESULT OK' "$T/out" || true)"
}

for bad in "--split-bytes -1" "--timeout inf" "--timeout nan" "--poll -1" \
           "--poll 0" "--master-timeout nan" "--startup-timeout 0" "--throttle -5" "--heartbeat inf" \
           "--checkpoint-interval inf"; do
  # shellcheck disable=SC2086
  run distributed_log_analyser --no-checkpoint $bad "$T/logs"
  refused "distributed $bad"
done
for bad in "--baseline-seconds -1" "--baseline-seconds inf" "--flops-per-byte 0" "--startup-timeout -1"; do
  # shellcheck disable=SC2086
  run parallel_log_analyser $bad "$T/logs"
  refused "parallel $bad"
done

# Too many tasks: 100,001 ranges of 64 KiB (a sparse file: no disk used), and --split-bytes 1 on 2 MB.
mkdir "$T/big" "$T/two"
truncate -s $(( (100000 + 1) * 65536 )) "$T/big/huge.log"
truncate -s 2000000 "$T/two/two.log"
run distributed_log_analyser --no-checkpoint --split-bytes 65536 "$T/big"
refused "split into 100,001 tasks"
check "too many tasks: the message says so" 1 "$(grep -c 'tasks (at most 100000)' "$T/err" || true)"
start=$(date +%s)
run distributed_log_analyser --no-checkpoint --split-bytes 1 "$T/two"
refused "--split-bytes 1 on 2 MB"
check "--split-bytes 1 on 2 MB: refused at once (< 10 s)" yes "$( [ $(( $(date +%s) - start )) -lt 10 ] && echo yes)"

# --trace targets.
start=$(date +%s)
run distributed_log_analyser --no-checkpoint --throttle 200000 --trace "$T/missing/dir/t.trace" "$T/logs"
refused "--trace into a missing directory"
check "--trace into a missing directory: refused at once (< 5 s), RESULT ERROR" "yes RESULT ERROR" \
  "$( [ $(( $(date +%s) - start )) -lt 5 ] && echo yes) $(tail -n 1 "$T/out" | cut -d' ' -f1,2)"
sum_before=$(md5sum "$T/logs/node1.log")
run distributed_log_analyser --no-checkpoint --trace "$T/logs/node1.log" "$T/logs"
refused "--trace over an input log"
ln "$T/logs/node2.log" "$T/hardlink.log"
run distributed_log_analyser --no-checkpoint --trace "$T/hardlink.log" "$T/logs"
refused "--trace over a hard link to an input"
check "--trace over an input: the input is unchanged" "$sum_before" "$(md5sum "$T/logs/node1.log")"
run distributed_log_analyser --checkpoint-dir "$T/ck" "$T/logs"
check "checkpointed run: RESULT OK" "RESULT OK" "$(tail -n 1 "$T/out" | cut -d' ' -f1,2)"
run distributed_log_analyser --checkpoint-dir "$T/ck" --fresh --trace "$T/ck/t.trace" "$T/logs"
refused "--trace inside the checkpoint directory"
echo "my notes" >"$T/notes.txt"
run distributed_log_analyser --no-checkpoint --trace "$T/notes.txt" "$T/logs"
refused "--trace over a file that is not a trace"
check "--trace over a file that is not a trace: unchanged" "my notes" "$(cat "$T/notes.txt")"
run distributed_log_analyser --no-checkpoint --trace "$T/run.trace" "$T/logs"
check "--trace to a new file: exit 0, a dla trace" "0 # dla-trace 1 distributed_log_analyser" "$rc $(head -n 1 "$T/run.trace")"
run distributed_log_analyser --no-checkpoint --trace "$T/run.trace" "$T/logs"
check "--trace over a previous trace: replaced, no temp file left" "0 0" "$rc $(ls "$T" | grep -c 'tmp-' || true)"
# The trace records every checkpoint the master saved (event `checkpoint`, rank 0): as many as the
# footer's "Checkpoints saved" (before: documented and drawn, never recorded).
run distributed_log_analyser --checkpoint-dir "$T/ck2" --checkpoint-every 1 --checkpoint-sync --trace "$T/ck.trace" "$T/logs"
saved=$(sed -n 's/^Checkpoints saved: \([0-9]*\).*/\1/p' "$T/out")
check "checkpoint events on the trace = checkpoints saved (> 0)" "$saved yes" \
  "$(awk '$2 == 0 && $3 == "checkpoint"' "$T/ck.trace" | wc -l) $( [ "${saved:-0}" -gt 0 ] && echo yes)"
exit $fail
