#!/usr/bin/env bash
# needs: mpi
# timeout: 240
# The replicated store on a lab of real hosts (issue 14; tools/dla-lab: network namespaces with
# their own host names, real Open MPI over TCP): 3 hosts x 2 ranks (rank 0 and 1 on host 1, 2 and
# 3 on host 2, 4 and 5 on host 3), K = 2. The ingest must place the two replicas of every block on
# two different hosts (host-aware placement: the test reads the directories ROOT/<host>/<rank>).
# Mid-analysis every process of host 3 is SIGKILLed (ranks 4, 5 and its orted): the job ends with
# RESULT OK, counts equal to awk's, failed=4,5 and no block lost. Host 3's store directories are
# then removed (its disks are gone) and fsck --repair, fsck in the same lab (host 3 back, empty)
# end with `FSCK OK`: at least K replicas of every block, again on distinct hosts.
# Skipped (77) where network namespaces or the cgroup v1 controllers are not available.
set -uo pipefail
SRC=$(cd "${DLA_SRC:-.}" && pwd)
LAB="$SRC/tools/dla-lab"
K=2
# Every block's replicas ($1 = ROOT, $2 = the input): byte-equal to the input's range, on K distinct
# hosts. "ok N" or the first problems.
replicas_check() {
  python3 - "$1" "$K" "$2" <<'EOF'
import glob, json, os, sys
root, k, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
man = json.load(open(glob.glob(os.path.join(root, "*", "0", "MANIFEST"))[0]))["manifest"]
bad, n = [], 0
for f in man["files"]:
    data = open(os.path.join(src, f["name"]), "rb").read()
    for b in f["blocks"]:
        n += 1
        crc = int(b["crc"], 16) if isinstance(b["crc"], str) else int(b["crc"])
        want = data[b["offset"]:b["offset"] + b["length"]]
        hosts = set()
        for r in b["replicas"]:
            for p in glob.glob(os.path.join(root, "*", str(r), "block-%06d-%08x" % (b["id"], crc))):
                if open(p, "rb").read() == want: hosts.add(p.split(os.sep)[-3])
        if len(hosts) < k: bad.append("block %d: good replicas on hosts %s" % (b["id"], sorted(hosts)))
print("ok %d" % n if not bad else "; ".join(bad[:4]))
EOF
}
if [[ "${1:-}" == --inner ]]; then  # inside `dla-lab with`: DLA_LAB is the lab
  source "$SRC/tests/integration/lib/common.bash"
  B=$2 T=$3 fail=0
  cd "$T" || exit 1
  want=$(cat "$T"/logs/*.log | LC_ALL=C awk '{ n++; if (match($0, /\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/)) { t = substr($0, RSTART + 1, RLENGTH - 2); if (t == "WARNING") t = "WARN"; c[t]++ } }
    END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n }')
  echo "lab $DLA_LAB; awk counts: $want"
  run() { timeout -k 5 100 "$LAB" mpirun "$DLA_LAB" --ranks-per-host 2 --no-supervise -- "$@"; }
  run "$B/dla_store" ingest --store "$T/store" --replicas $K --block-size 262144 "$T/logs" >"$T/ingest.out" 2>"$T/ingest.err"
  check "ingest summary" yes "$(grep -q '^Ingested .* K=2 ' "$T/ingest.out" && echo yes || { tail -3 "$T/ingest.out" "$T/ingest.err"; echo no; })"
  check "host dirs" 3 "$(ls "$T/store" | wc -l)"
  check "every block on 2 distinct hosts after ingest" yes "$(replicas_check "$T/store" "$T/logs" | grep -q '^ok ' && echo yes || replicas_check "$T/store" "$T/logs")"
  run "$B/distributed_log_analyser" --store "$T/store" --throttle 300000 >"$T/out" 2>"$T/err" &
  job=$!
  for _ in $(seq 200); do "$LAB" rank-pid "$DLA_LAB" 5 >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1.5
  "$LAB" kill-host "$DLA_LAB" 3
  wait $job
  line=$(grep '^RESULT ' "$T/out" | tail -1)
  check "RESULT OK with the awk counts" "RESULT OK $want" "$(sed 's/ files=.*//' <<<"$line")"
  check "failed workers (host 3's ranks)" "4,5" "$(grep -o 'failed=[0-9,]*' <<<"$line" | cut -d= -f2)"
  grep -E '^(Store locality|Re-replicated)' "$T/out"
  rm -rf "$T/store/$DLA_LAB-h3"  # host 3's disks are lost with it
  run "$B/dla_store" fsck --store "$T/store" --repair >"$T/fsck1.out" 2>&1
  run "$B/dla_store" fsck --store "$T/store" >"$T/fsck2.out" 2>&1
  check "fsck after the host loss" yes "$(grep -qE '^FSCK OK blocks=[0-9]+ replicas=[0-9]+$' "$T/fsck2.out" && echo yes || tail -3 "$T/fsck2.out")"
  check "every block on >= 2 distinct hosts after fsck" yes "$(replicas_check "$T/store" "$T/logs" | grep -q '^ok ' && echo yes || replicas_check "$T/store" "$T/logs")"
  if ((fail)); then cat "$T/out" "$T/err" "$T/fsck1.out"; fi
  exit $fail
fi

if [[ $(id -u) != 0 || ! -d /sys/fs/cgroup/cpu || ! -d /sys/fs/cgroup/freezer ]] || ! unshare -n true 2>/dev/null; then
  echo "skipped: network namespaces or cgroup v1 cpu/freezer not available here (needs root)"
  exit 77
fi
command -v python3 >/dev/null || { echo "skipped: python3 (the replica check) is not installed"; exit 77; }
source "$SRC/tests/integration/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
"$B/generate_logs" --out "$T/logs" --files 8 --lines 20000 --seed 29 >/dev/null
rc=0
"$LAB" with 3 -- bash "${BASH_SOURCE[0]}" --inner "$B" "$T" | tee "$T/with.out" || rc=$?
check "the run in the lab" 0 "$rc"
exit $fail
