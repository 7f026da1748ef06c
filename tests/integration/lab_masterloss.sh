#!/usr/bin/env bash
# needs: mpi
# timeout: 120
# The master's host lost (issue 12): a lab of 3 hosts x 2 ranks (tools/dla-lab) runs
# distributed_log_analyser with checkpoints every 2 files; once a checkpoint is saved, every process
# of host 1 (the master, rank 1 and its orted) is SIGKILLed. Nothing can print a RESULT line now, so
# dla-lab mpirun's supervisor must end the run and start it again on hosts 2 and 3, which resumes
# from the checkpoint: RESULT OK, exit 0, counts equal to an independent awk count, the rerun
# announced and the checkpoint resumed. Then nothing of the lab may remain. Skipped (exit 77) only
# where network namespaces or the cgroup v1 cpu and freezer controllers are not available.
set -uo pipefail
SRC=$(cd "${DLA_SRC:-.}" && pwd)
LAB="$SRC/tools/dla-lab"
if [[ $(id -u) != 0 || ! -d /sys/fs/cgroup/cpu || ! -d /sys/fs/cgroup/freezer ]] || ! unshare -n true 2>/dev/null; then
  echo "skipped: network namespaces or cgroup v1 cpu/freezer not available here (needs root)"
  exit 77
fi
source "$SRC/tests/integration/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
T=$(mktemp -d)
lab=""
trap '[[ -n "$lab" ]] && "$LAB" down "$lab" >/dev/null 2>&1; rm -rf "$T"' EXIT
fail=0
"$B/generate_logs" --out "$T/logs" --files 12 --lines 10000 --seed 29 >/dev/null
want=$(awk '{ lev = ""; if (match($0, /\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/)) lev = substr($0, RSTART + 1, RLENGTH - 2)
    if (lev == "WARNING") lev = "WARN"; if (lev != "") c[lev]++; n++ }
  END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n }' "$T"/logs/*.log)
lab=$("$LAB" up 3) || { echo "FAIL: dla-lab up"; exit 1; }
echo "lab $lab; awk counts: $want"
cd "$T"
timeout -k 5 90 "$LAB" mpirun "$lab" --ranks-per-host 2 -- "$B/distributed_log_analyser" --quiet \
  --checkpoint-every 2 --throttle 300000 "$T/logs" >"$T/out" 2>"$T/err" &
job=$!
for _ in $(seq 300); do ls -d "$T"/checkpoints/ckpt-* >/dev/null 2>&1 && break; sleep 0.1; done
check "a checkpoint before the loss" yes "$(ls -d "$T"/checkpoints/ckpt-* >/dev/null 2>&1 && echo yes || echo no)"
"$LAB" kill-host "$lab" 1
rc=0
wait $job || rc=$?
line=$(grep '^RESULT ' "$T/out" | tail -1)
check "exit" 0 "$rc"
check "RESULT OK with the awk counts" "RESULT OK $want" "$(sed 's/ files=.*//' <<<"$line")"
check "all files" "files=12/12" "$(grep -o 'files=[0-9/]*' <<<"$line")"
check "one RESULT line (the rerun's)" 1 "$(grep -c '^RESULT ' "$T/out")"
check "the rerun ran on the hosts left" yes "$(grep -q "running again on $lab-h2,$lab-h3" "$T/err" && echo yes || echo no)"
check "the rerun resumed the checkpoint" yes "$(grep -q '^Resuming from checkpoint: [1-9]' "$T/out" && echo yes || echo no)"
"$LAB" down "$lab" >/dev/null
check "no namespace of $lab left" "" "$(ip netns list | grep "^$lab-")"
check "no cgroup of $lab left" "" "$(ls -d /sys/fs/cgroup/cpu/"$lab" /sys/fs/cgroup/freezer/"$lab" 2>/dev/null)"
check "no state of $lab left" "" "$(ls -d /run/dla-lab/"$lab" 2>/dev/null)"
lab=""
((fail)) && cat "$T/out" "$T/err"
exit $fail
