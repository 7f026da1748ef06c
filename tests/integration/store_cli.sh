#!/usr/bin/env bash
# needs: mpi
# timeout: 300
# dla_store on Open MPI (issue 14): ingest K=2 at -np 5 (4 data ranks), status, fsck OK; a re-ingest
# sends nothing (every block skipped, manifest version unchanged); one replica file deleted and
# another corrupted (bytes flipped in place): fsck reports both and exits 2, fsck --repair copies
# them back, fsck again exits 0 with 2 replicas of every block. Independent counts: the number of
# blocks is computed with awk from the line starts (block k = lines starting in [kB, (k+1)B), empty
# ones dropped), replica files are counted with find, and every file is rebuilt byte for byte from
# its block files (cmp). Bad input: K > data ranks, a block size that makes more than 100,000
# blocks, a missing DIR, a ROOT that is a user's non-empty
# directory (left untouched), a ROOT holding another DIR, a negative --block-size, an infinite
# --timeout, no command: one `error:` line, exit 1. Rank 0's own
# MANIFEST damaged: status uses the newest valid copy of a data rank and says so. Bad MANIFEST
# copies (rank 0's torn, rank 3's deleted, rank 4's an older version put back) and orphan replica
# files (a copy of a block on a rank the manifest does not list for it, a block id it does not
# have): fsck names each (exit 0: every block still has K replicas), status counts only listed replicas, fsck
# --repair rewrites the copies and removes the orphans (a user's file beside them stays).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
ST="$B/dla_store"
BS=65536

run() {  # np args... -> $T/out $T/err $rc (plain mpirun: the exit status comes through)
  local np=$1
  shift
  rc=0
  timeout -k 5 60 mpirun -np "$np" --oversubscribe "$ST" "$@" >"$T/out" 2>"$T/err" || rc=$?
}
one_error_line() {  # the stderr of a failed run: exactly one line starting "error: " (mpirun's own lines aside)
  grep -v -e '^---' -e 'mpirun\|MPI_\|PMIX\|prterun\|Primary job\|process\|exit code\|Node:\|^ *$\|^\s' "$T/err" | grep -c '^error: ' || true
}
block_files() { find "$1" -type f -name 'block-*' | wc -l; }
last_fsck() { grep '^FSCK ' "$T/out" | tail -n 1; }
dla_mpirun() {  # args... -> $T/out $T/err $rc (tools/dla-mpirun: the exit status from the RESULT line)
  rc=0
  DLA_MPIRUN_TIMEOUT=60 "$SRC/tools/dla-mpirun" -np 5 "$ST" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

"$B/generate_logs" --out "$T/logs" --files 6 --lines 4000 --skew 0.5 --seed 14 >/dev/null
: >"$T/logs/empty.log"  # an empty file: one empty block
# Independent block count: per file, the distinct floor(line start / BS), at least 1.
nblocks=$(for f in "$T"/logs/*.log; do
  awk -v B=$BS 'BEGIN{off=0; n=0} {k=int(off/B); if (!(k in seen)) {seen[k]=1; n++} off += length($0) + 1} END{print (n ? n : 1)}' "$f"
done | awk '{s+=$1} END{print s}')
nbytes=$(cat "$T"/logs/*.log | wc -c)
echo "input: $(ls "$T"/logs | wc -l) files, $nbytes bytes, $nblocks blocks of <= $BS (awk)"

# ---- ingest, status, fsck --------------------------------------------------------------------
run 5 ingest --store "$T/root" --replicas 2 --block-size $BS "$T/logs"
check "ingest: exit" 0 "$rc"
check "ingest: summary" "files=7 blocks=$nblocks skipped=0 bytes=$nbytes K=2" \
  "$(grep -o 'files=.* K=[0-9]*' "$T/out" || true)"
check "ingest: replica files (K x blocks)" "$((2 * nblocks))" "$(block_files "$T/root")"
check "ingest: a MANIFEST in every rank's dir" 5 "$(find "$T/root" -name MANIFEST | wc -l)"
cp "$(find "$T/root" -path '*/4/MANIFEST')" "$T/manifest-v1"
check "ingest: every block on 2 distinct ranks" "$nblocks 2" \
  "$(find "$T/root" -name 'block-*' | sed 's|.*/\([0-9]*\)/block-\([0-9]*\)-.*|\2 \1|' | sort -u |
     awk '{n[$1]++} END{m=0; mx=0; for (b in n) {m++; if (n[b] > mx) mx = n[b]} print m, mx}')"
# Rebuild every file from its blocks (the manifest lists them; any replica will do) and compare.
man=$(find "$T/root" -path '*/1/MANIFEST')
rebuilt=0
for name in $(jq -r '.manifest.files[].name' "$man"); do
  jq -r --arg n "$name" '.manifest.files[] | select(.name == $n) | .blocks[] | "\(.id) \(.crc)"' "$man" |
    while read -r id crc; do
      f=$(find "$T/root" -name "$(printf 'block-%06d-%08x' "$id" "$crc")" | head -n 1)
      cat "$f"
    done >"$T/rebuilt"
  cmp -s "$T/rebuilt" "$T/logs/$name" && rebuilt=$((rebuilt + 1))
done
check "ingest: every file equals the concatenation of its blocks" 7 "$rebuilt"

run 5 status --store "$T/root"
check "status: exit" 0 "$rc"
check "status: files / blocks / bytes / K / version" "Files: 7|Blocks: $nblocks|Bytes: $nbytes|Replicas (K): 2|Manifest version: 1" \
  "$(grep -E '^(Files|Blocks|Bytes|Replicas \(K\)|Manifest version):' "$T/out" | paste -sd '|')"
check "status: blocks held per rank add up to K x blocks" "$((2 * nblocks))" \
  "$(sed -n 's/^Rank [0-9]* (.*): blocks=\([0-9]*\) .*/\1/p' "$T/out" | awk '{s+=$1} END{print s}')"

run 5 fsck --store "$T/root"
check "fsck: exit" 0 "$rc"
check "fsck: summary" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(last_fsck)"
check "fsck: RESULT line last" "RESULT OK fsck" "$(tail -n 1 "$T/out")"

# ---- idempotent re-ingest --------------------------------------------------------------------
run 5 ingest --store "$T/root" --replicas 2 --block-size $BS "$T/logs"
check "re-ingest: exit" 0 "$rc"
check "re-ingest: every block skipped" "skipped=$nblocks" "$(grep -o 'skipped=[0-9]*' "$T/out" || true)"
check "re-ingest: manifest version unchanged" "Manifest: version 1" "$(grep -o '^Manifest: version [0-9]*' "$T/out" || true)"
check "re-ingest: replica files" "$((2 * nblocks))" "$(block_files "$T/root")"

# ---- a lost replica and a corrupt one --------------------------------------------------------
lost=$(find "$T/root" -path '*/1/block-*' | sort | head -n 1)
lost_id=$((10#$(basename "$lost" | cut -d- -f2)))
bad=$(find "$T/root" -path '*/2/block-*' | sort | while read -r f; do
  id=$((10#$(basename "$f" | cut -d- -f2)))
  [ "$id" != "$lost_id" ] && [ "$(stat -c %s "$f")" -gt 100 ] && { echo "$f"; break; }
done)
bad_id=$((10#$(basename "$bad" | cut -d- -f2)))
rm "$lost"
printf '\x00\xff\x00' | dd of="$bad" bs=1 seek=50 conv=notrunc status=none
echo "deleted block $lost_id on rank 1, corrupted block $bad_id on rank 2"
run 5 fsck --store "$T/root"
check "fsck after damage: exit" 2 "$rc"
check "fsck after damage: the lost replica" 1 "$(grep -c "^under-replicated $lost_id .* have 1 of 2$" "$T/out" || true)"
check "fsck after damage: the corrupt replica" 1 "$(grep -c "^corrupt $bad_id .* on rank 2$" "$T/out" || true)"
check "fsck after damage: summary" "FSCK PROBLEMS under=2 corrupt=1 missing=0" "$(last_fsck)"
check "fsck after damage: RESULT line last" "RESULT PROBLEMS fsck" "$(tail -n 1 "$T/out" | cut -d' ' -f1-3)"
dla_mpirun fsck --store "$T/root"
check "fsck after damage under tools/dla-mpirun: exit" 2 "$rc"
check "fsck after damage under tools/dla-mpirun: summary" "FSCK PROBLEMS under=2 corrupt=1 missing=0" "$(last_fsck)"

run 5 fsck --store "$T/root" --repair
check "fsck --repair: exit" 0 "$rc"
check "fsck --repair: copies made" 2 "$(grep -c '^repaired ' "$T/out" || true)"
check "fsck --repair: summary" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(last_fsck)"
dla_mpirun fsck --store "$T/root"
check "fsck after repair under tools/dla-mpirun: exit" 0 "$rc"
check "fsck after repair: summary" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(last_fsck)"
check "fsck after repair: replica files" "$((2 * nblocks))" "$(block_files "$T/root")"
run 5 status --store "$T/root"
check "status after repair: manifest version grew" "Manifest version: 2" "$(grep '^Manifest version:' "$T/out")"

# ---- rank 0's manifest copy damaged: the newest valid copy of a data rank is used, and said so ----
m0=$(find "$T/root" -path '*/0/MANIFEST')
printf 'X' | dd of="$m0" bs=1 seek=30 conv=notrunc status=none
run 5 status --store "$T/root"
check "damaged own manifest: status exit" 0 "$rc"
check "damaged own manifest: still version 2" "Manifest version: 2" "$(grep '^Manifest version:' "$T/out")"
check "damaged own manifest: said on stderr" 1 "$(grep -c "using a data rank's manifest copy" "$T/err" || true)"

# ---- bad MANIFEST copies and orphan replicas: fsck names them, --repair fixes them ---------------
rm "$(find "$T/root" -path '*/3/MANIFEST')"
cp "$T/manifest-v1" "$(find "$T/root" -path '*/4/MANIFEST')"
d1=$(dirname "$(find "$T/root" -path '*/1/MANIFEST')")
d4=$(dirname "$(find "$T/root" -path '*/4/MANIFEST')")
orphan_src=$(cd "$d1" && ls block-* | while read -r f; do [ -e "$d4/$f" ] || { echo "$f"; break; }; done)
cp "$d1/$orphan_src" "$d4/"                         # rank 4 is not listed for that block
printf 'x\n' >"$d4/block-999999-00000000"           # a block id the manifest does not have
echo "mine" >"$d4/notes.txt"                         # a user's file: never touched
run 5 status --store "$T/root"
check "orphans: status still counts K x blocks" "$((2 * nblocks))" \
  "$(sed -n 's/^Rank [0-9]* (.*): blocks=\([0-9]*\) .*/\1/p' "$T/out" | awk '{s+=$1} END{print s}')"
check "orphans: status says so for rank 4" 1 "$(grep -c '^Rank 4 .*(+2 orphan files' "$T/out" || true)"
run 5 fsck --store "$T/root"
check "bad manifests: fsck exit (every block still has K replicas)" 0 "$rc"
check "bad manifests: one line per rank" "0 corrupt|3 missing|4 version 1, the newest is 2" \
  "$(sed -n 's/^manifest BAD on rank \([0-9]*\): \(corrupt\|missing\|version 1, the newest is 2\).*/\1 \2/p' "$T/out" | paste -sd '|')"
check "orphans: one line each, on rank 4" 2 "$(grep -c '^orphan [0-9]* on rank 4: block-' "$T/out" || true)"
check "bad manifests: counted in a note, last line unchanged" \
  "note: 3 MANIFEST copies bad (fsck --repair rewrites them from version 2)|FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" \
  "$(grep -v "^RESULT " "$T/out" | tail -n 2 | paste -sd '|')"
run 5 fsck --store "$T/root" --repair
check "fsck --repair of manifests: exit" 0 "$rc"
check "fsck --repair: manifests rewritten" 3 "$(grep -c '^repaired manifest on rank [034] (version 2)$' "$T/out" || true)"
check "fsck --repair: orphans removed" 2 "$(grep -c '^removed orphan [0-9]* on rank 4: block-' "$T/out" || true)"
check "fsck --repair of manifests: last line" "FSCK OK blocks=$nblocks replicas=$((2 * nblocks))" "$(last_fsck)"
check "after the repair: the user's file is still there" mine "$(cat "$d4/notes.txt")"
check "after the repair: replica files" "$((2 * nblocks))" "$(block_files "$T/root")"
check "after the repair: 5 MANIFEST copies, all the same" "5 1" \
  "$(find "$T/root" -name MANIFEST | wc -l) $(find "$T/root" -name MANIFEST -exec md5sum {} + | awk '{print $1}' | sort -u | wc -l)"
run 5 fsck --store "$T/root"
check "fsck after that: exit" 0 "$rc"
check "fsck after that: no orphan, no bad manifest" 0 "$(grep -c '^orphan \|^manifest BAD\|^note: .*MANIFEST' "$T/out" || true)"

# ---- bad input ---------------------------------------------------------------------------------
run 5 ingest --store "$T/root2" --replicas 5 "$T/logs"
check "K > data ranks: exit" 1 "$rc"
check "K > data ranks: one error line" 1 "$(one_error_line)"
check "K > data ranks: nothing created" no "$([ -e "$T/root2" ] && echo yes || echo no)"
run 5 ingest --store "$T/root3" --replicas 2 --block-size 8 "$T/logs"
check "too many blocks: exit" 1 "$rc"
check "too many blocks: one error line naming --block-size" 1 \
  "$(grep -c '^error: --block-size 8 makes up to [0-9]* blocks (at most 100000): use a larger --block-size$' "$T/err" || true)"
run 5 ingest --store "$T/root2" --replicas 2 "$T/no-such-dir"
check "missing DIR: exit" 1 "$rc"
check "missing DIR: one error line" 1 "$(one_error_line)"
mkdir "$T/user"
echo "precious" >"$T/user/notes.txt"
run 5 ingest --store "$T/user" --replicas 2 "$T/logs"
check "foreign ROOT: exit" 1 "$rc"
check "foreign ROOT: one error line naming it" 1 "$(grep -c '^error: .*not a dla store' "$T/err" || true)"
check "foreign ROOT: left as it was" "notes.txt precious" "$(ls -A "$T/user" | paste -sd ' ') $(cat "$T/user/notes.txt")"
mkdir "$T/other"
cp "$T"/logs/*.log "$T/other/"
echo "extra line" >>"$T/other/empty.log"
run 5 ingest --store "$T/root" --replicas 2 --block-size $BS "$T/other"
check "ROOT of another DIR: exit" 1 "$rc"
check "ROOT of another DIR: error" 1 "$(grep -c '^error: ROOT already holds a store of .*use another ROOT' "$T/err" || true)"
run 5 fsck --store "$T/nothing-here"
check "fsck of no store: exit" 1 "$rc"
run 5 frobnicate --store "$T/root"
check "unknown command: exit" 1 "$rc"

# ---- RESULT lines and tools/dla-mpirun; nested stores -------------------------------------------
# The last stdout line is a RESULT line (OK / PROBLEMS / ERROR: checked with fsck above), and under
# tools/dla-mpirun (whose mpirun loses the ranks' exit codes) the exit status follows it: fsck 0 / 2
# (above), errors 1. Nested stores (ROOT inside DIR, DIR inside ROOT, DIR a store or inside one):
# one `error:` line, exit 1, nothing created.
run 5 ingest --store "$T/root2" --replicas 5 "$T/logs"
check "K > data ranks: RESULT ERROR last" "RESULT ERROR K=5" "$(tail -n 1 "$T/out" | cut -d' ' -f1-3)"
dla_mpirun ingest --store "$T/root2" --replicas 5 "$T/logs"
check "K > data ranks under tools/dla-mpirun: exit" 1 "$rc"
dla_mpirun ingest --store "$T/root2" "$T/logs"
check "no --replicas under tools/dla-mpirun: exit" 1 "$rc"
check "no --replicas: RESULT ERROR last" "RESULT ERROR --replicas" "$(tail -n 1 "$T/out" | cut -d' ' -f1-3)"
# Nested stores: one error line, exit 1, nothing created (a store in DIR would be ingested next time).
mkdir -p "$T/nest/logs"
cp "$T"/logs/*.log "$T/nest/logs/"
ln -s "$T/nest/logs" "$T/nest/link"
before=$(find "$T/nest" "$T/root" | sort | md5sum)
for case in "ROOT inside DIR:$T/nest/logs/st:$T/nest/logs" "ROOT inside DIR via a link:$T/nest/link/st:$T/nest/logs" \
            "ROOT is DIR:$T/nest/logs:$T/nest/logs" "DIR inside ROOT:$T/nest:$T/nest/logs" \
            "DIR is a store:$T/nest/st2:$T/root" "DIR inside a store:$T/nest/st2:$(dirname "$m0")"; do
  IFS=: read -r what root dir <<<"$case"
  run 5 ingest --store "$root" --replicas 2 "$dir"
  check "$what: exit" 1 "$rc"
  check "$what: one error line" 1 "$(one_error_line)"
  check "$what: says why" 1 "$(grep -cE '^error: .*(put the store outside DIR|not a store)' "$T/err" || true)"
done
check "nested stores: nothing created or changed" "$before" "$(find "$T/nest" "$T/root" | sort | md5sum)"
dla_mpirun fsck --store "$T/nothing-here"
check "fsck of no store under tools/dla-mpirun: exit" 1 "$rc"
dla_mpirun frobnicate --store "$T/root"
check "unknown command under tools/dla-mpirun: exit" 1 "$rc"
for opt in "--block-size 4096" "--pattern *.txt" "--replicas 3" "--window 2"; do
  read -r -a args <<<"$opt"
  run 5 fsck --store "$T/root" "${args[@]}"
  check "fsck $opt (an ingest option): exit" 1 "$rc"
  check "fsck $opt: one error line" 1 "$(grep -c '^error: --[a-z-]* is for ingest' "$T/err" || true)"
done
run 5 status --store "$T/root" --block-size 4096
check "status --block-size: exit" 1 "$rc"
# Values Boost would take: a negative --block-size (it wraps to 2^64 - 5 in an unsigned), an
# infinite --timeout (a dead rank never detected), no command at all.
for bad in "--block-size -5" "--block-size 8MiB" "--timeout inf"; do
  read -r -a args <<<"$bad"
  dla_mpirun ingest --store "$T/root-bad" --replicas 2 "${args[@]}" "$T/logs"
  check "ingest $bad: exit 1, one error line, no store made" "1 1 no" \
    "$rc $(grep -c '^error: ' "$T/err" || true) $([[ -e $T/root-bad ]] && echo yes || echo no)"
done
dla_mpirun --store "$T/root"
check "no command: exit 1, says one is required" "1 1" "$rc $(grep -c '^error: a command is required' "$T/err" || true)"
exit $fail
