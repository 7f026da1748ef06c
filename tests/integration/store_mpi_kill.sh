#!/usr/bin/env bash
# needs: mpi
# timeout: 200
# dla_store ingest on Open MPI with a data rank killed (-9) in the middle (issue 14): with the
# recovery recipe (shared/notes/backends.md) the survivors go on; rank 0 notices the silent chain
# member after --timeout, re-places every block that rank held or was to hold, and still ends with
# K=2 replicas of every block on live ranks (the manifest lists no block on the dead rank); fsck in
# a new job then reports FSCK OK. The kill is aimed by the rank's own environment
# (OMPI_COMM_WORLD_RANK) among the processes of this test's own store path, once that rank has
# stored a few blocks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
ST="$B/dla_store"
BS=65536
VICTIM=3

"$B/generate_logs" --out "$T/logs" --files 8 --lines 120000 --seed 77 >/dev/null
nblocks=$(for f in "$T"/logs/*.log; do
  awk -v B=$BS 'BEGIN{off=0; n=0} {k=int(off/B); if (!(k in seen)) {seen[k]=1; n++} off += length($0) + 1} END{print (n ? n : 1)}' "$f"
done | awk '{s+=$1} END{print s}')
echo "input: $(cat "$T"/logs/*.log | wc -c) bytes, $nblocks blocks (awk)"

timeout -k 5 90 mpirun -np 5 --oversubscribe --enable-recovery --mca async_mpi_finalize 1 \
  "$ST" ingest --store "$T/root" --replicas 2 --block-size $BS --window 2 --timeout 1 "$T/logs" >"$T/out" 2>"$T/err" &
job=$!
victim=""
for _ in $(seq 1 400); do  # up to 20 s: the victim's pid once it stored a few blocks
  if [ -z "$victim" ]; then
    for p in $(pgrep -f -- "--store $T/root" || true); do
      if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$VICTIM"; then victim=$p; fi
    done
  fi
  if [ -n "$victim" ] && [ "$(find "$T/root" -path "*/$VICTIM/block-*" 2>/dev/null | wc -l)" -ge 3 ]; then
    kill -9 "$victim"
    echo "killed rank $VICTIM (pid $victim) after $(find "$T/root" -path "*/$VICTIM/block-*" | wc -l) of its blocks"
    break
  fi
  sleep 0.05
done
wait "$job" || true
check "a rank was killed mid-ingest" yes "$([ -n "$victim" ] && echo yes || echo no)"
check "ingest: summary after the kill" "blocks=$nblocks" "$(grep "^Ingested" "$T/out" | grep -o " blocks=[0-9]*" | tr -d " " || true)"
# (another rank may be named too: Open MPI can break a survivor's link to the killed one mid-message)
check "ingest: the killed rank named" yes \
  "$(grep '^Failed ranks (blocks re-placed):' "$T/out" | sed 's/.*://' | tr ' ' '\n' | grep -qx "$VICTIM" && echo yes || echo no)"
man=$(find "$T/root" -path '*/1/MANIFEST')
check "manifest: no block on the killed rank" 0 \
  "$(jq "[.manifest.files[].blocks[].replicas[] | select(. == $VICTIM)] | length" "$man")"
check "manifest: 2 distinct replicas per block" "$nblocks" \
  "$(jq '[.manifest.files[].blocks[] | select((.replicas | unique | length) == 2)] | length' "$man")"
rc=0
timeout -k 5 60 mpirun -np 5 --oversubscribe "$ST" fsck --store "$T/root" >"$T/fsck" 2>"$T/fsck.err" || rc=$?
check "fsck after the kill: exit" 0 "$rc"
check "fsck after the kill" "FSCK OK blocks=$nblocks" "$(grep '^FSCK ' "$T/fsck" | tail -n 1 | sed 's/ replicas=.*//')"
if [ "$fail" != 0 ]; then tail -n 20 "$T/err"; fi
exit $fail
