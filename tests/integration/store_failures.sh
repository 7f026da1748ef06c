#!/usr/bin/env bash
# needs: mpi
# timeout: 420
# The replicated store on real Open MPI (issue 14), np 5 (rank 0 coordinates, ranks 1..4 hold
# blocks), K = 2, 256 KiB blocks:
#   1. ingest; fsck: K verified replicas of every block (and the test's own check of the files:
#      every block's K replica files on distinct ranks, each byte-equal to its range of the input);
#   2. a homogeneous analysis without failures: exact counts (awk), locality >= 90 % (the JSON's
#      store.locality is a percentage);
#   3. bytes flipped in one replica file: fsck reports it (exit 2, a `corrupt` line naming the block
#      and the rank), fsck --repair copies a good replica over it, fsck then says OK;
#   4. bytes flipped in another replica, then an analysis during which a holder rank is kill -9ed
#      (its pid from the master's "Worker N ready (pid P" line): exact counts, the victim declared
#      failed, its blocks re-replicated; then fsck --repair and fsck: K verified replicas of every
#      block again.
# Counts are compared with an awk count of the input, never with the program's own. The analysis
# under kill runs without --json: the master prints the workers' pids only in its chatty mode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
fail=0
for p in dla_store distributed_log_analyser generate_logs; do
  [ -x "$B/$p" ] || { echo "FAIL: $B/$p is not built"; exit 1; }
done
command -v python3 >/dev/null || { echo "skip: python3 (the replica check reads the manifest and crcs) is not installed"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
SEED=${DLA_TEST_SEED:-1}
echo "seed: $SEED (set DLA_TEST_SEED to change the victim and the kill time)"
RANDOM=$SEED
K=2

"$B/generate_logs" --out "$T/logs" --files 8 --lines 40000 --seed 21 >/dev/null
want=$(cat "$T"/logs/*.log | LC_ALL=C awk '{ n++; if (match($0, /\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/)) { t = substr($0, RSTART + 1, RLENGTH - 2); if (t == "WARNING") t = "WARN"; c[t]++ } }
  END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n }')
echo "awk counts: $want"

# dla_store under plain mpirun (no rank dies during a store command): its exit code is rank 0's.
store() { timeout -k 5 120 mpirun -np 5 --oversubscribe "$B/dla_store" "$@"; }
# The analyser with the recovery flags (tools/dla-mpirun: exit code from the RESULT line).
analyse() { DLA_MPIRUN_TIMEOUT=150 "$SRC/tools/dla-mpirun" -np 5 "$B/distributed_log_analyser" --store "$T/store" "$@"; }
counts_of() { sed -n '/^RESULT /{s/^RESULT [A-Z]* //; s/ files=.*//; p}' "$1" | tail -n 1 | sed 's/unleveled=[0-9]* //'; }
json_of() { awk '/^{$/{buf=""; on=1} on{buf=buf $0 "\n"} /^}$/{on=0; last=buf} END{printf "%s", last}' "$1"; }
last_fsck() { grep '^FSCK ' "$1" | tail -n 1; }

# The test's own look at the disks: rank 0's manifest, then for every block: at least K replica
# files block-<id>-<crc> on distinct ranks, every listed one byte-equal to its range of the input.
# Prints "ok N blocks" or the first problems.
replicas_check() {
  python3 - "$T/store" "$K" "$T/logs" <<'EOF'
import glob, json, os, sys
root, k, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
m0 = glob.glob(os.path.join(root, "*", "0", "MANIFEST"))
if len(m0) != 1: print("rank 0's MANIFEST not found"); sys.exit(0)
man = json.load(open(m0[0]))["manifest"]
bad = []
for f in man["files"]:
    data = open(os.path.join(src, f["name"]), "rb").read()
    for b in f["blocks"]:
        crc = int(b["crc"], 16) if isinstance(b["crc"], str) else int(b["crc"])
        want = data[b["offset"]:b["offset"] + b["length"]]
        good = 0
        for r in b["replicas"]:
            p = glob.glob(os.path.join(root, "*", str(r), "block-%06d-%08x" % (b["id"], crc)))
            if p and open(p[0], "rb").read() == want: good += 1
        # (more than K after a kill: the master copied the dead rank's blocks, and its disk came back)
        if good < k or good != len(set(b["replicas"])): bad.append("block %d: %d good of %s" % (b["id"], good, b["replicas"]))
print("ok %d blocks" % sum(len(f["blocks"]) for f in man["files"]) if not bad else "; ".join(bad[:5]))
EOF
}

# A replica of block $1 (index $2 in its replica list): "rank path size".
replica_of() {
  python3 - "$T/store" "$1" "$2" <<'EOF'
import glob, json, os, sys
root, blk, idx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
man = json.load(open(glob.glob(os.path.join(root, "*", "0", "MANIFEST"))[0]))["manifest"]
for f in man["files"]:
    for b in f["blocks"]:
        if b["id"] == blk:
            crc = int(b["crc"], 16) if isinstance(b["crc"], str) else int(b["crc"])
            r = b["replicas"][idx]
            p = glob.glob(os.path.join(root, "*", str(r), "block-%06d-%08x" % (blk, crc)))[0]
            print(r, p, os.path.getsize(p))
EOF
}
flip() {  # flip FILE: three bytes XORed with 0x20, like the scenario runner's corruption
  python3 - "$1" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); n = len(b)
for i in sorted({n // 4, n // 2, 3 * n // 4}): b[i] ^= 0x20
open(p, "r+b").write(bytes(b))
EOF
}

echo "== 1. ingest K=$K"
rc=0; store ingest --store "$T/store" --replicas $K --block-size 262144 "$T/logs" >"$T/ingest.out" 2>"$T/ingest.err" || rc=$?
check "ingest exit" 0 "$rc"
[ "$rc" == 0 ] || { cat "$T/ingest.out" "$T/ingest.err"; exit 1; }
rc=0; store fsck --store "$T/store" >"$T/fsck1.out" 2>&1 || rc=$?
blocks=$(last_fsck "$T/fsck1.out" | sed -n 's/^FSCK OK blocks=\([0-9]*\) .*/\1/p')
check "fsck after ingest" "FSCK OK blocks=$blocks replicas=$((blocks * K)) (exit 0)" "$(last_fsck "$T/fsck1.out") (exit $rc)"
check "replica files after ingest" "ok $blocks blocks" "$(replicas_check)"

echo "== 2. homogeneous analysis, K=$K"
rc=0; analyse --json >"$T/a1.out" 2>"$T/a1.err" || rc=$?
check "analysis exit" 0 "$rc"
check "counts (homogeneous)" "$want" "$(counts_of "$T/a1.out")"
loc=$(json_of "$T/a1.out" | jq -r '.store.locality // "none"')
check "locality >= 90 %" yes "$(awk -v l="$loc" 'BEGIN{print (l != "none" && l + 0 >= 90) ? "yes" : "no (" l ")"}')"
echo "locality: $loc %"

echo "== 3. a corrupt replica: fsck reports, repairs"
read -r crank cpath csize < <(replica_of 1 0)
flip "$cpath"
rc=0; store fsck --store "$T/store" >"$T/fsck2.out" 2>&1 || rc=$?
check "fsck exit with a corrupt replica" 2 "$rc"
check "fsck names the corrupt replica" yes "$(grep -q "^corrupt 1 .* on rank $crank\$" "$T/fsck2.out" && echo yes || { cat "$T/fsck2.out"; echo no; })"
# (a block with a corrupt replica has fewer than K good ones: counting it under-replicated too is fine)
check "fsck summary" yes "$(last_fsck "$T/fsck2.out" | grep -qE '^FSCK PROBLEMS under=[01] corrupt=1 missing=0$' && echo yes || last_fsck "$T/fsck2.out")"
rc=0; store fsck --store "$T/store" --repair >"$T/fsck3.out" 2>&1 || rc=$?
check "fsck --repair exit" 0 "$rc"
check "fsck --repair made a copy for block 1" yes "$(grep -q "^repaired 1: rank [0-9]* -> rank $crank\$" "$T/fsck3.out" && echo yes || { cat "$T/fsck3.out"; echo no; })"
rc=0; store fsck --store "$T/store" >"$T/fsck4.out" 2>&1 || rc=$?
check "fsck after repair" "FSCK OK blocks=$blocks replicas=$((blocks * K)) (exit 0)" "$(last_fsck "$T/fsck4.out") (exit $rc)"
check "replica files after repair" "ok $blocks blocks" "$(replicas_check)"

echo "== 4. a corrupt replica and kill -9 of a holder mid-analysis"
read -r crank cpath csize < <(replica_of 3 1)
flip "$cpath"
victim=$((1 + RANDOM % 4))
delay=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.8 + 1.2 * r / 32767}')
analyse --throttle 400000 >"$T/a2.out" 2>"$T/a2.err" &
job=$!
pid=$(worker_pid "$T/a2.out" "$victim" 150)
sleep "$delay"
if [ -n "$pid" ] && pgrep -f distributed_log_analyser | grep -qx "$pid"; then kill -9 "$pid"; else echo "FAIL: victim rank $victim's pid not found"; fail=1; fi
rc=0; wait $job || rc=$?
what="kill -9 rank $victim (pid ${pid:-?}) at +${delay}s"
check "$what: analysis exit" 0 "$rc"
check "$what: counts" "$want" "$(counts_of "$T/a2.out")"
failed=$(grep '^RESULT ' "$T/a2.out" | tail -n 1 | grep -o 'failed=[0-9,]*' | cut -d= -f2 || true)
check "$what: victim declared failed" yes "$(echo ",$failed," | grep -q ",$victim," && echo yes || echo "no ($failed)")"
rerep=$(sed -n 's/^Re-replicated: \([0-9]*\) blocks.*/\1/p' "$T/a2.out" | tail -n 1)
check "$what: blocks re-replicated" yes "$([ "${rerep:-0}" -gt 0 ] && echo yes || echo "no ($rerep)")"
grep -E '^(Store locality|Re-replicated)' "$T/a2.out" || true
rc=0; store fsck --store "$T/store" --repair >"$T/fsck5.out" 2>&1 || rc=$?
check "fsck --repair after the kill" 0 "$rc"
rc=0; store fsck --store "$T/store" >"$T/fsck6.out" 2>&1 || rc=$?
# The victim's disk survived the kill: its replicas are back beside the copies the master made, so
# a block may have K+1 replicas (nothing trims them): at least K each.
reps=$(last_fsck "$T/fsck6.out" | sed -n "s/^FSCK OK blocks=$blocks replicas=\([0-9]*\)\$/\1/p")
check "fsck after the kill: OK with >= K replicas of every block (exit 0)" "yes (exit 0)" \
  "$([ -n "$reps" ] && [ "$reps" -ge $((blocks * K)) ] && echo yes || last_fsck "$T/fsck6.out") (exit $rc)"
check "replica files after the kill" "ok $blocks blocks" "$(replicas_check)"
[ "$fail" == 0 ] || { for f in a2.out fsck5.out fsck6.out; do echo "--- $f"; cat "$T/$f"; done; }
exit $fail
