#!/usr/bin/env bash
# needs: mpi
# timeout: 120
# Real hosts lost (issue 12): a lab of 3 hosts (tools/dla-lab: network namespaces on a bridge,
# cgroups) x 2 ranks runs distributed_log_analyser over generated logs; mid-run one worker rank is
# SIGKILLed (rank 2, host 2), then every process of host 3 (ranks 4 and 5 and its orted). The job
# must end on its own with RESULT OK, exit 0, ranks 2, 4 and 5 failed, and counts equal to an
# independent awk count. Afterwards nothing of the lab may remain: namespaces, veths, bridge,
# cgroups, state, processes. Skipped (exit 77) only where network namespaces or the cgroup v1 cpu
# and freezer controllers are not available (not root, a container without them).
set -uo pipefail
SRC=$(cd "${DLA_SRC:-.}" && pwd)
LAB="$SRC/tools/dla-lab"
if [[ "${1:-}" == --inner ]]; then  # inside `dla-lab with`: DLA_LAB is the lab
  source "$SRC/tests/integration/lib/common.bash"
  B=$2 T=$3 fail=0
  cd "$T"
  want=$(awk '{ lev = ""; if (match($0, /\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/)) lev = substr($0, RSTART + 1, RLENGTH - 2)
      if (lev == "WARNING") lev = "WARN"; if (lev != "") c[lev]++; n++ }
    END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n }' "$T"/logs/*.log)
  echo "lab $DLA_LAB; awk counts: $want"
  timeout -k 5 80 "$LAB" mpirun "$DLA_LAB" --ranks-per-host 2 -- "$B/distributed_log_analyser" --quiet \
    --no-checkpoint --throttle 300000 "$T/logs" >"$T/out" 2>"$T/err" &
  job=$!
  for _ in $(seq 200); do "$LAB" rank-pid "$DLA_LAB" 5 >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1.5
  "$LAB" kill-rank "$DLA_LAB" 2
  sleep 1.5
  "$LAB" kill-host "$DLA_LAB" 3
  check "host 3 has no process left" 0 "$("$LAB" pids "$DLA_LAB" 3 | wc -l)"
  rc=0
  wait $job || rc=$?
  line=$(grep '^RESULT ' "$T/out" | tail -1)
  check "wrapper exit" 0 "$rc"
  check "RESULT OK with the awk counts" "RESULT OK $want" "$(sed 's/ files=.*//' <<<"$line")"
  check "all files" "files=12/12" "$(grep -o 'files=[0-9/]*' <<<"$line")"
  check "failed workers (the killed rank and host 3's ranks)" "2,4,5" "$(grep -o 'failed=[0-9,]*' <<<"$line" | cut -d= -f2)"
  left=0
  for h in 1 2 3; do left=$((left + $("$LAB" pids "$DLA_LAB" "$h" | wc -l))); done
  check "no process left on the hosts" 0 "$left"
  if ((fail)); then cat "$T/out" "$T/err"; fi
  exit $fail
fi

if [[ $(id -u) != 0 || ! -d /sys/fs/cgroup/cpu || ! -d /sys/fs/cgroup/freezer ]] || ! unshare -n true 2>/dev/null; then
  echo "skipped: network namespaces or cgroup v1 cpu/freezer not available here (needs root)"
  exit 77
fi
source "$SRC/tests/integration/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
"$B/generate_logs" --out "$T/logs" --files 12 --lines 10000 --seed 23 >/dev/null
rc=0
"$LAB" with 3 -- bash "${BASH_SOURCE[0]}" --inner "$B" "$T" | tee "$T/with.out" || rc=$?
check "the run in the lab" 0 "$rc"
lab=$(sed -n 's/^lab \(dla-[a-z0-9]*\);.*/\1/p' "$T/with.out")
check "the lab was named" yes "$([[ -n "$lab" ]] && echo yes || echo no)"
if [[ -n "$lab" ]]; then
  check "no namespace of $lab left" "" "$(ip netns list | grep "^$lab-")"
  check "no interface of $lab in this namespace" "" "$(ip -br link show | grep "$lab")"
  check "no cgroup of $lab left" "" "$(ls -d /sys/fs/cgroup/cpu/"$lab" /sys/fs/cgroup/freezer/"$lab" 2>/dev/null)"
  check "no state of $lab left" "" "$(ls -d /run/dla-lab/"$lab" 2>/dev/null)"
  check "dla-lab status does not list it" "" "$("$LAB" status | grep "^$lab")"
fi
exit $fail
