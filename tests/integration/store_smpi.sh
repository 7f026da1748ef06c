#!/usr/bin/env bash
# needs: smpi
# timeout: 240
# dla_store_smpi under smpirun (issue 14), with the determinism flags: ingest K=2 at -np 8 on
# cluster8 (8 hosts: every block's 2 replicas on 2 distinct hosts), two identical runs give
# byte-identical output (simulated times included), fsck OK; a replica deleted and one corrupted:
# fsck exits 2 and names both, --repair restores them, fsck OK again; a data host turned off in the
# middle of an ingest (a state_file profile): the ingest still ends OK with its blocks re-placed
# (the manifest lists no block on the dead rank) and fsck finds 2 good replicas of every block.
# With --sites prefix on hetero8 (two sites a and b), every block has one replica on each site.
# Block counts are checked against awk (line starts), never against the code under test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
P="$SRC/platforms"
fail=0
BS=131072

# smpirun OUT PLATFORM HOSTFILE args... -> $rc; a deadlock or a vanished-actor abort fails the test.
sim() {
  local out=$1 plat=$2 hosts=$3
  shift 3
  rc=0
  timeout -k 5 100 smpirun -platform "$plat" -hostfile "$hosts" -np 8 "${SMPI_DET_FLAGS[@]}" \
    "$B/dla_store_smpi" "$@" >"$out" 2>"$out.err" || rc=$?
  if grep -qE 'Deadlock detected|is gone\?\?' "$out.err"; then
    echo "FAIL smpirun $*: deadlock or vanished actor"
    tail -5 "$out.err"
    fail=1
  fi
}
block_files() { find "$1" -type f -name 'block-*' | wc -l; }

"$B/generate_logs" --out "$T/logs" --files 8 --lines 20000 --skew 0.5 --seed 41 >/dev/null
nblocks=$(for f in "$T"/logs/*.log; do
  awk -v B=$BS 'BEGIN{off=0; n=0} {k=int(off/B); if (!(k in seen)) {seen[k]=1; n++} off += length($0) + 1} END{print (n ? n : 1)}' "$f"
done | awk '{s+=$1} END{print s}')
echo "input: $(cat "$T"/logs/*.log | wc -c) bytes, $nblocks blocks (awk)"

C8=("$P/cluster8.xml" "$P/cluster8.hosts")
sim "$T/i1" "${C8[@]}" ingest --store "$T/r1" --replicas 2 --block-size $BS "$T/logs"
check "ingest: exit" 0 "$rc"
check "ingest: blocks" "blocks=$nblocks skipped=0" "$(grep -o 'blocks=[0-9]* skipped=[0-9]*' "$T/i1" || true)"
check "ingest: replica files" "$((2 * nblocks))" "$(block_files "$T/r1")"
check "ingest: the 2 replicas of every block on 2 distinct hosts" "$nblocks" \
  "$(find "$T/r1" -name 'block-*' | sed 's|.*/\(node-[0-9]*\)/[0-9]*/block-\([0-9]*\)-.*|\2 \1|' | sort -u |
     awk '{n[$1]++} END{for (b in n) if (n[b] == 2) m++; print m+0}')"
sim "$T/i2" "${C8[@]}" ingest --store "$T/r2" --replicas 2 --block-size $BS "$T/logs"
check "ingest: deterministic (same stdout twice, simulated seconds included)" same \
  "$(cmp -s "$T/i1" "$T/i2" && echo same || echo different)"

sim "$T/f1" "${C8[@]}" fsck --store "$T/r1"
check "fsck: exit" 0 "$rc"
check "fsck: last line" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(grep '^FSCK ' "$T/f1" | tail -n 1)"

lost=$(find "$T/r1" -path '*/3/block-*' | sort | head -n 1)
lost_id=$((10#$(basename "$lost" | cut -d- -f2)))
bad=$(find "$T/r1" -path '*/5/block-*' | sort | while read -r f; do
  id=$((10#$(basename "$f" | cut -d- -f2)))
  [ "$id" != "$lost_id" ] && [ "$(stat -c %s "$f")" -gt 100 ] && { echo "$f"; break; }
done)
bad_id=$((10#$(basename "$bad" | cut -d- -f2)))
rm "$lost"
printf 'XYZ' | dd of="$bad" bs=1 seek=20 conv=notrunc status=none
sim "$T/f2" "${C8[@]}" fsck --store "$T/r1"
check "fsck after damage: exit" 2 "$rc"
check "fsck after damage: both named" "1 1" \
  "$(grep -c "^under-replicated $lost_id " "$T/f2" || true) $(grep -c "^corrupt $bad_id .* on rank 5$" "$T/f2" || true)"
sim "$T/f3" "${C8[@]}" fsck --store "$T/r1" --repair
check "fsck --repair: exit" 0 "$rc"
check "fsck --repair: copies" 2 "$(grep -c '^repaired ' "$T/f3" || true)"
sim "$T/f4" "${C8[@]}" fsck --store "$T/r1"
check "fsck after repair: last line" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(grep '^FSCK ' "$T/f4" | tail -n 1)"

# Sites above hosts (hetero8: hosts a-0..a-3 and b-0..b-3, --sites prefix): the 2 replicas of every
# block on the 2 sites, one each (a site lost keeps one replica of everything).
sim "$T/h1" "$P/hetero8.xml" "$P/hetero8.hosts" ingest --store "$T/r4" --replicas 2 --block-size $BS --sites prefix "$T/logs"
check "ingest --sites prefix on hetero8: exit" 0 "$rc"
check "ingest --sites prefix on hetero8: every block on both sites" "$nblocks" \
  "$(find "$T/r4" -name 'block-*' | sed 's|.*/\([ab]\)-[0-9]*/[0-9]*/block-\([0-9]*\)-.*|\2 \1|' | sort -u |
     awk '{n[$1]++} END{for (b in n) if (n[b] == 2) m++; print m+0}')"

# node-2 (rank 2) turned off while the ingest runs (it takes ~0.035 s simulated here).
sed 's/off-at-2.0.txt/off-at-0.01.txt/' "$P/crash/crash8-one.xml" >"$T/crash.xml"
printf '0 1\n0.01 0\n' >"$T/off-at-0.01.txt"
sim "$T/c1" "$T/crash.xml" "$P/crash/crash8.hosts" ingest --store "$T/r3" --replicas 2 --block-size $BS --timeout 1 "$T/logs"
check "ingest with a host lost: exit" 0 "$rc"
check "ingest with a host lost: rank 2 named" 1 "$(grep -c '^Failed ranks (blocks re-placed): 2$' "$T/c1" || true)"
man=$(find "$T/r3" -path '*/1/MANIFEST')
check "ingest with a host lost: no block listed on rank 2" 0 "$(jq '[.manifest.files[].blocks[].replicas[] | select(. == 2)] | length' "$man")"
check "ingest with a host lost: 2 replicas listed per block" "$nblocks" \
  "$(jq '[.manifest.files[].blocks[] | select((.replicas | unique | length) == 2)] | length' "$man")"
sim "$T/c2" "${C8[@]}" fsck --store "$T/r3"
check "fsck after the lost host: exit" 0 "$rc"
check "fsck after the lost host: every block has 2 good replicas or more" "FSCK OK blocks=$nblocks" \
  "$(grep '^FSCK ' "$T/c2" | tail -n 1 | sed 's/ replicas=.*//')"
exit $fail
