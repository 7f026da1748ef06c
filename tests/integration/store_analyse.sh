#!/usr/bin/env bash
# needs: mpi
# timeout: 400
# distributed_log_analyser --store on Open MPI (issue 14), -np 5 (4 data ranks), K = 2:
#  1. sample_logs and a generated set (12 files, skewed, 256 KiB blocks): the counts equal an awk
#     count of the original files AND base_log_analyser's on the directory; RESULT OK.
#  2. locality on that homogeneous run (every worker holds half the blocks, equal speeds) >= 90 %,
#     read from the JSON's store.local_bytes / remote_bytes, whose sum must be the input's size.
#  1b. files whose format only their head shows (log4j, then lines with "[ERROR]" in the message):
#     every block counted with the file's format (detected at ingest on the file's head, in the
#     manifest; store_analyse_edges.sh covers blocks smaller than that head).
#  3. kill -9 of a holder (rank 2) mid-analysis (a 0.5 MB/s throttle keeps the run >= ~6 s): exact
#     counts, the victim declared failed, its blocks re-replicated (Re-replicated > 0), and
#     `dla_store fsck` afterwards exits 0 (2 verified replicas of every block) without --repair.
#  4. every replica file of rank 1 with flipped bytes (so that whichever blocks rank 1 reads, it
#     meets corruption): detected on read, the counts stay exact, store.corrupt_repaired names at
#     least one block, fsck --repair fixes what nobody read, and fsck afterwards exits 0.
#  4b. rank 0's MANIFEST copy damaged: the data ranks' newest copy is used (said on stderr) and
#     saved again (the next run does not say it).
#  5. every replica of one block removed: RESULT INCOMPLETE naming that file, store.lost names its
#     byte range, every other file counted; --standbys with --store is a one-line error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
ST="$B/dla_store"
APP="$B/distributed_log_analyser"
MPIRUN=(mpirun -np 5 --oversubscribe --enable-recovery --mca async_mpi_finalize 1)

# "DEBUG=n ERROR=n INFO=n WARN=n lines=n" of plain [LEVEL] logs, by awk (the first token of a line wins).
awk_counts() {
  cat "$@" | awk '{ if (match($0, /\[(DEBUG|ERROR|INFO|WARN)\]/)) c[substr($0, RSTART + 1, RLENGTH - 2)]++ }
    END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], NR }'
}
ingest() {  # DIR ROOT BLOCK_SIZE
  timeout -k 5 120 "${MPIRUN[@]}" "$ST" ingest --store "$2" --replicas 2 --block-size "$3" "$1" >"$T/ingest.out" 2>&1 ||
    true
  grep -q "files=" "$T/ingest.out" || { echo "FAIL ingest of $1"; cat "$T/ingest.out"; fail=1; }
}
analyse() {  # ROOT OUT [args...]
  local root=$1 out=$2
  shift 2
  timeout -k 5 120 "${MPIRUN[@]}" "$APP" --store "$root" "$@" >"$out" 2>"$out.err" || true
}
result_counts() { tail -n 1 "$1" | sed -e 's/ files=.*//' -e 's/ unleveled=[0-9]*//'; }
json_num() { jq -r "$2" <(sed -n '/^{/,/^}/p' "$1"); }  # (the JSON object among the printed lines)

# ---- 1, 2: exact counts and locality -----------------------------------------------------------
cp -r "$SRC/sample_logs" "$T/sample"
"$B/generate_logs" --out "$T/gen" --files 12 --lines 20000 --skew 0.5 --seed 23 >/dev/null
for set in sample gen; do
  ingest "$T/$set" "$T/root-$set" 262144
  analyse "$T/root-$set" "$T/$set.json" --json -q
  want=$(awk_counts "$T/$set"/*.log)
  base=$("$B/base_log_analyser" --json "$T/$set" | json_counts)
  check "$set: counts = awk" "RESULT OK $want" "$(result_counts "$T/$set.json")"
  check "$set: counts = base_log_analyser" "$base" "$(json_counts <"$T/$set.json")"
  local_b=$(json_num "$T/$set.json" .store.local_bytes)
  remote_b=$(json_num "$T/$set.json" .store.remote_bytes)
  check "$set: bytes read = input size" "$(cat "$T/$set"/*.log | wc -c)" "$((local_b + remote_b))"
  pct=$((100 * local_b / (local_b + remote_b)))
  check "$set: locality >= 90 % ($pct %: $local_b local, $remote_b remote)" yes "$([ "$pct" -ge 90 ] && echo yes || echo no)"
done

# ---- 1b: a format that only the file's head shows: log4j lines, then lines whose only level-like
# token is a "[ERROR]" in the message (a later block alone would be detected as bracket). The
# counts must be base_log_analyser's on the files (log4j for the whole file: those are unleveled).
mkdir "$T/fmt"
for f in a b c; do
  awk 'BEGIN { for (i = 0; i < 2500; i++) printf "2024-01-01 12:00:%02d INFO Main - started step %d\n", i % 60, i
               for (i = 0; i < 6000; i++) printf "note %d: the [ERROR] token is in the message\n", i }' >"$T/fmt/$f.log"
done
ingest "$T/fmt" "$T/root-fmt" 65536
analyse "$T/root-fmt" "$T/fmt.json" --json -q
check "format from the file's head: counts = base_log_analyser" "$("$B/base_log_analyser" --json "$T/fmt" | json_counts)" \
  "$(json_counts <"$T/fmt.json")"

# ---- 3: kill -9 of a holder mid-analysis ------------------------------------------------------
want=$(awk_counts "$T/gen"/*.log)
out="$T/kill.out"
timeout -k 5 120 "$SRC/tools/dla-mpirun" -np 5 "$APP" --store "$T/root-gen" --throttle 500000 >"$out" 2>"$T/kill.err" &
job=$!
pid=$(worker_pid "$out" 2 100)
sleep 1.5
if [ -n "$pid" ] && pgrep -f distributed_log_analyser | grep -qx "$pid"; then
  kill -9 "$pid"
else
  echo "FAIL kill: rank 2's pid not found"
  fail=1
fi
wait $job || true
check "kill -9: RESULT OK, exact counts" "RESULT OK $want" "$(result_counts "$out")"
check "kill -9: rank 2 declared failed" "failed=2" "$(tail -n 1 "$out" | grep -o 'failed=[0-9,]*$' || true)"
rerep=$(sed -n 's/^Re-replicated: \([0-9]*\) blocks.*/\1/p' "$out")
check "kill -9: the victim's blocks re-replicated" yes "$([ "${rerep:-0}" -gt 0 ] && echo yes || echo "no (${rerep:-none})")"
echo "kill -9: $(grep -E '^(Store locality|Re-replicated|Total time)' "$out" | tr '\n' ' ')"
rc=0
timeout -k 5 60 mpirun -np 5 --oversubscribe "$ST" fsck --store "$T/root-gen" >"$T/fsck.out" 2>&1 || rc=$?
check "kill -9: fsck afterwards exits 0" 0 "$rc"
check "kill -9: fsck OK" yes "$(grep -q '^FSCK OK' "$T/fsck.out" && echo yes || echo no)"

# ---- 4: a corrupt replica ----------------------------------------------------------------------
for victim in $(find "$T/root-sample" -path '*/1/block-*'); do
  printf 'XXXXXXXX' | dd of="$victim" bs=1 seek=10 conv=notrunc 2>/dev/null
done
analyse "$T/root-sample" "$T/corrupt.json" --json -q
check "corrupt: counts exact" "RESULT OK $(awk_counts "$T/sample"/*.log)" "$(result_counts "$T/corrupt.json")"
nrep=$(json_num "$T/corrupt.json" '.store.corrupt_repaired | length')
check "corrupt: repaired in place on read ($nrep)" yes "$([ "$nrep" -ge 1 ] && echo yes || echo no)"
timeout -k 5 60 mpirun -np 5 --oversubscribe "$ST" fsck --store "$T/root-sample" --repair >"$T/fsck2.out" 2>&1 || true
rc=0
timeout -k 5 60 mpirun -np 5 --oversubscribe "$ST" fsck --store "$T/root-sample" >"$T/fsck2.out" 2>&1 || rc=$?
check "corrupt: fsck afterwards exits 0" 0 "$rc"

# ---- 4b: rank 0's own MANIFEST copy damaged: the data ranks' copy is used (and saved again) --------
man0=$(find "$T/root-gen" -path '*/0/MANIFEST')
printf 'garbage' | dd of="$man0" bs=1 seek=30 conv=notrunc 2>/dev/null
analyse "$T/root-gen" "$T/man.out" -q
check "rank 0 manifest damaged: counts exact" "RESULT OK $(awk_counts "$T/gen"/*.log)" "$(result_counts "$T/man.out")"
check "rank 0 manifest damaged: said so" 1 "$(grep -c 'own manifest copy unusable' "$T/man.out.err" || true)"
analyse "$T/root-gen" "$T/man2.out" -q
check "rank 0 manifest damaged: saved again" 0 "$(grep -c 'own manifest copy unusable' "$T/man2.out.err" || true)"

# ---- 5: a lost block; bad options ------------------------------------------------------------
man=$(find "$T/root-sample" -path '*/1/MANIFEST')
read -r id name off end < <(jq -r '.manifest.files[3] as $f | $f.blocks[0] | "\(.id) \($f.name) \(.offset) \(.offset + .length)"' "$man")
find "$T/root-sample" -name "$(printf 'block-%06d-*' "$id")" -delete
analyse "$T/root-sample" "$T/lost.json" --json -q
check "lost: RESULT INCOMPLETE, 1 unreadable" "INCOMPLETE 9/10 1" \
  "$(tail -n 1 "$T/lost.json" | sed -n 's/^RESULT \([A-Z]*\) .*files=\([0-9/]*\) unreadable=\([0-9]*\).*/\1 \2 \3/p')"
check "lost: store.lost names file and range" "$name [$off,$end)" \
  "$(json_num "$T/lost.json" '.store.lost[0]' | sed 's/:.*//')"
check "lost: the file is the unreadable one" "$name" "$(json_num "$T/lost.json" '.unreadable_files[0]')"
rc=0
timeout -k 5 60 "${MPIRUN[@]}" "$APP" --store "$T/root-sample" --standbys 1 >"$T/bad.out" 2>"$T/bad.err" || rc=$?
check "--standbys with --store: one error line" 1 "$(grep -c '^error: --standbys is not available with --store' "$T/bad.err" || true)"
exit $fail
