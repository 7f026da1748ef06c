#!/usr/bin/env bash
# needs: mpi
# timeout: 500
# distributed_log_analyser --store on Open MPI (issue 14): the edges a review found.
#  1. Small blocks: a file's format is its head's (detected at ingest on the whole file's first
#     64 KiB, as base_log_analyser does, kept in the manifest), never a small first block's. A file
#     "[t] [info] start", 50 x "[t] [WARN] w", 10 x "[t] [info] i" ingested with --block-size 16
#     (its first block alone looks like apache): counts = awk's bracket rule = base_log_analyser's.
#     tests/data/loghub (17 formats) with 16 KiB and 4 KiB blocks: counts = base_log_analyser's.
#  2. Options that would be silently ignored with --store (--pattern, --recursive, --split-bytes,
#     the checkpoint and follow options; a DIR): one `error:` line, RESULT ERROR, exit 1 under
#     tools/dla-mpirun. --no-checkpoint and --format are accepted.
#  3. A job smaller than the ingest's: blocks left without a replica on its ranks -> one `error:`
#     line naming the absent ranks (not one per block), RESULT ERROR, exit 1; every block still
#     reachable -> a note, exact counts, and K restored on the job's ranks (fsck OK at that size).
#  4. A manifest from before the per-file formats (format 1): with format detection, one error
#     line asking to ingest again; the same ingest again upgrades it (nothing sent) and the run is OK.
#  5. --recursive ingest, a truncated .gz, rank 0's store dir lost, fsck/status at a smaller -np (below).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
ST="$B/dla_store"
APP="$B/distributed_log_analyser"

ingest() {  # NP DIR ROOT BLOCK_SIZE [K]
  timeout -k 5 180 mpirun -np "$1" --oversubscribe "$ST" ingest --store "$3" --replicas "${5:-2}" --block-size "$4" "$2" \
    >"$T/ingest.out" 2>&1 || true
  grep -q "files=" "$T/ingest.out" || { echo "FAIL ingest of $2"; cat "$T/ingest.out"; fail=1; }
}
analyse() {  # NP OUT args... -> OUT, OUT.err, $rc (tools/dla-mpirun: the exit status from the RESULT line)
  local np=$1 out=$2
  shift 2
  rc=0
  DLA_MPIRUN_TIMEOUT=120 "$SRC/tools/dla-mpirun" -np "$np" "$APP" "$@" >"$out" 2>"$out.err" || rc=$?
}
result_counts() { grep '^RESULT ' "$1" | tail -n 1 | sed -e 's/ files=.*//'; }
base_counts() { "$B/base_log_analyser" --json "$1" | json_counts; }
errors() { grep -c '^error: ' "$1" || true; }

# ---- 1: small blocks ---------------------------------------------------------------------------
mkdir "$T/mixed"
{
  echo "[t] [info] start"
  for i in $(seq 50); do echo "[t] [WARN] w"; done
  for i in $(seq 10); do echo "[t] [info] i"; done
} >"$T/mixed/m.log"
awk_want=$(awk '{ if (match($0, /\[(DEBUG|ERROR|INFO|WARN)\]/)) c[substr($0, RSTART + 1, RLENGTH - 2)]++ }
  END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d unleveled=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"],
        NR - c["DEBUG"] - c["ERROR"] - c["INFO"] - c["WARN"], NR }' "$T/mixed/m.log")
check "mixed: base_log_analyser = awk's bracket rule" "$awk_want" "$(base_counts "$T/mixed")"
ingest 5 "$T/mixed" "$T/root-mixed" 16
check "mixed: the manifest says bracket" bracket "$(jq -r '.manifest.files[0].format' "$(find "$T/root-mixed" -path '*/1/MANIFEST')")"
analyse 5 "$T/mixed.out" --store "$T/root-mixed" --json -q
check "mixed, 16-byte blocks: RESULT OK, counts = base_log_analyser" "RESULT OK $awk_want" "$(result_counts "$T/mixed.out")"
check "mixed: exit 0" 0 "$rc"

cp -r "$SRC/tests/data/loghub" "$T/loghub"
totals() { jq -c '{counts, lines, unleveled}'; }
want=$("$B/base_log_analyser" --json "$T/loghub" | totals)
# Every level (FATAL, NOTICE, ... too) and, per file, the format, lines, levels and unleveled lines.
per_file() { jq -c '[.per_file[] | {file, format, lines, counts, unleveled}] | sort_by(.file)'; }
base_files=$("$B/base_log_analyser" --json --per-file "$T/loghub" | per_file)
check "loghub: base_log_analyser's per-file rows (16 files)" 16 "$(jq length <<<"$base_files")"
for bs in 16384 4096; do
  ingest 5 "$T/loghub" "$T/root-lh-$bs" "$bs"
  analyse 5 "$T/lh-$bs.out" --store "$T/root-lh-$bs" --json --per-file -q
  check "loghub, $bs-byte blocks ($(grep -o ' blocks=[0-9]*' "$T/ingest.out" | head -n 1)): every level's count = base_log_analyser's" \
    "$want" "$(sed -n '/^{/,/^}/p' "$T/lh-$bs.out" | totals)"
  check "loghub, $bs-byte blocks: RESULT OK" "RESULT OK" "$(result_counts "$T/lh-$bs.out" | cut -d' ' -f1-2)"
  check "loghub, $bs-byte blocks: every file's format, lines and levels = base_log_analyser's" \
    "$base_files" "$(sed -n '/^{/,/^}/p' "$T/lh-$bs.out" | per_file)"
done

# ---- 2: options that do not apply to --store -------------------------------------------------
for opt in "--pattern *.txt" "--recursive" "--split-bytes 1000" "--checkpoint-every 5" "--fresh" "--keep 2" \
           "--consistency strong" "--follow-for 3" "$T/loghub"; do
  read -r -a args <<<"$opt"
  analyse 3 "$T/opt.out" --store "$T/root-mixed" "${args[@]}"
  check "--store with $opt: exit 1" 1 "$rc"
  check "--store with $opt: one error line" 1 "$(errors "$T/opt.out.err")"
  check "--store with $opt: RESULT ERROR" 1 "$(grep -c '^RESULT ERROR' "$T/opt.out" || true)"
done
analyse 3 "$T/opt.out" --store "$T/root-mixed" --split-bytes 1000
check "--store with --split-bytes: says why" 1 "$(grep -c '^error: --split-bytes does not apply to --store: the tasks are the store.s blocks' "$T/opt.out.err" || true)"
analyse 5 "$T/ok.out" --store "$T/root-mixed" --no-checkpoint --format bracket -q
check "--store with --no-checkpoint --format bracket: RESULT OK" "RESULT OK $awk_want" "$(result_counts "$T/ok.out")"

# ---- 3: fewer ranks than the ingest ------------------------------------------------------------
analyse 3 "$T/few.out" --store "$T/root-lh-16384" -q  # ingested at -np 5: ranks 3 and 4 absent
check "np 3 for a store of np 5: exit 1" 1 "$rc"
check "np 3 for a store of np 5: one error line" 1 "$(errors "$T/few.out.err")"
check "np 3 for a store of np 5: names the absent ranks" 1 \
  "$(grep -c '^error: --store .* was ingested by 5 ranks, this job has 3: the stores of data ranks 3 4 are absent and [0-9]* of [0-9]* blocks .*run with -np 5$' "$T/few.out.err" || true)"
check "np 3 for a store of np 5: RESULT ERROR" 1 "$(grep -c '^RESULT ERROR' "$T/few.out" || true)"
# K = 2 over 3 data ranks: every block has a replica on rank 1 or 2, so -np 3 can read them all.
ingest 4 "$T/loghub" "$T/root-lh-np4" 65536
analyse 3 "$T/np3.out" --store "$T/root-lh-np4" --json -q
check "np 3 for a store of np 4 (every block reachable): counts = base_log_analyser" "$want" "$(sed -n '/^{/,/^}/p' "$T/np3.out" | totals)"
check "np 3 for a store of np 4: RESULT OK, exit 0" "RESULT OK 0" "$(result_counts "$T/np3.out" | cut -d' ' -f1-2) $rc"
check "np 3 for a store of np 4: one note naming rank 3, no error" "1 0" \
  "$(grep -c '^note: --store .* data rank 3 absent, treated as lost' "$T/np3.out.err" || true) $(errors "$T/np3.out.err")"
rerep=$(sed -n '/^{/,/^}/p' "$T/np3.out" | jq '.store.rereplicated_blocks')
check "np 3 for a store of np 4: rank 3's blocks re-replicated ($rerep)" yes "$([ "${rerep:-0}" -gt 0 ] && echo yes || echo no)"
rc=0
timeout -k 5 60 mpirun -np 3 --oversubscribe "$ST" fsck --store "$T/root-lh-np4" >"$T/fsck3.out" 2>&1 || rc=$?
check "np 3 for a store of np 4: K restored on ranks 1, 2 (fsck at np 3 exits 0)" "0 FSCK OK" \
  "$rc $(grep '^FSCK ' "$T/fsck3.out" | tail -n 1 | cut -d' ' -f1-2)"

# ---- 4: a format-1 manifest (before the per-file formats) --------------------------------------
# Rewritten as the old code wrote it: no "format" per file, "format": 1, its crc (CRC-32C of the
# compact JSON) recomputed; the script first checks that it re-encodes today's manifest byte for byte.
downgrade() {  # MANIFEST [check]
  python3 - "$@" <<'PY'
import json, sys
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
def encode(body):
    compact = json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    whole = {"crc": "%08x" % crc32c(compact), "manifest": body}
    return json.dumps(whole, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
body = json.loads(text)["manifest"]
if len(sys.argv) > 2:
    print("same" if encode(body) == text else "differs")
    sys.exit(0)
body["format"] = 1
for f in body["files"]:
    f.pop("format", None)
open(path, "w", encoding="utf-8").write(encode(body))
PY
}
man1=$(find "$T/root-mixed" -path '*/1/MANIFEST')
check "format 1: the test's encoder reproduces a manifest" same "$(downgrade "$man1" check)"
for m in $(find "$T/root-mixed" -name MANIFEST); do downgrade "$m"; done
analyse 5 "$T/old.out" --store "$T/root-mixed" -q
check "format-1 manifest: exit 1" 1 "$rc"
check "format-1 manifest: one error line asking to ingest again" 1 \
  "$(grep -c '^error: --store .*records no log format per file; run dla_store ingest again' "$T/old.out.err" || true)"
analyse 5 "$T/old-fixed.out" --store "$T/root-mixed" --format bracket -q
check "format-1 manifest with --format bracket: RESULT OK" "RESULT OK $awk_want" "$(result_counts "$T/old-fixed.out")"
ingest 5 "$T/mixed" "$T/root-mixed" 16
check "re-ingest of a format-1 store: nothing sent, manifest upgraded" "skipped=$(jq '.manifest.files[0].blocks | length' "$man1") 2" \
  "$(grep -o 'skipped=[0-9]*' "$T/ingest.out") $(jq '.manifest.format' "$man1")"
analyse 5 "$T/new.out" --store "$T/root-mixed" -q
check "after the re-ingest: RESULT OK, counts = base_log_analyser" "RESULT OK $awk_want" "$(result_counts "$T/new.out")"

# ---- 5: nested input, a bad .gz, rank 0's dir lost, fsck/status in a smaller job ---------------
# --recursive at ingest: the files of subdirectories too, counted as base_log_analyser --recursive
# counts them (per file too, named dir/file). A truncated .gz (it passes ingest: its bytes are
# stored as they are): the analysis names it unreadable, as base_log_analyser does, and no block
# is "lost" (its stored copy is intact). Rank 0's store dir removed (it holds only a MANIFEST copy):
# status and the analysis make it again from the data ranks' copies. fsck and status in a job that
# lacks data ranks holding the only replicas: one error line naming -np, not "missing" blocks.
mkdir -p "$T/tree/a/b"
cp "$T/mixed/m.log" "$T/tree/top.log"
cp "$T/loghub/$(ls "$T/loghub" | head -n 1)" "$T/tree/a/x.log"
cp "$T/loghub/$(ls "$T/loghub" | sed -n 2p)" "$T/tree/a/b/y.log"
timeout -k 5 120 mpirun -np 5 --oversubscribe "$ST" ingest --store "$T/root-tree" --replicas 2 --block-size 4096 --recursive \
  "$T/tree" >"$T/ingest.out" 2>&1 || true
check "--recursive ingest: 3 files" "files=3" "$(grep -o 'files=[0-9]*' "$T/ingest.out" | head -n 1)"
analyse 5 "$T/tree.out" --store "$T/root-tree" --json --per-file -q
check "--recursive: every file's format, lines and levels = base_log_analyser --recursive's" \
  "$("$B/base_log_analyser" --json --per-file --recursive "$T/tree" | per_file)" "$(sed -n '/^{/,/^}/p' "$T/tree.out" | per_file)"
check "--recursive: RESULT OK" "RESULT OK" "$(result_counts "$T/tree.out" | cut -d' ' -f1-2)"

mkdir "$T/gz"
cp "$T/mixed/m.log" "$T/gz/plain.log"
head -c 3000 "$T/loghub/$(ls "$T/loghub" | head -n 1)" >"$T/gz/part.log"
gzip -c "$T/loghub/$(ls "$T/loghub" | sed -n 2p)" | head -c 400 >"$T/gz/cut.log.gz"
timeout -k 5 120 mpirun -np 5 --oversubscribe "$ST" ingest --store "$T/root-gz" --replicas 2 --pattern '*.log*' "$T/gz" \
  >"$T/ingest.out" 2>&1 || true
analyse 5 "$T/gz.out" --store "$T/root-gz" --json -q
base_gz=$("$B/base_log_analyser" --json --pattern '*.log*' "$T/gz" 2>/dev/null || true)  # (exit 2: an unreadable file)
check "truncated .gz: counts of the others = base_log_analyser's" "$(totals <<<"$base_gz")" "$(sed -n '/^{/,/^}/p' "$T/gz.out" | totals)"
check "truncated .gz: unreadable, exit 3, no block lost" "cut.log.gz 3 0" \
  "$(sed -n '/^{/,/^}/p' "$T/gz.out" | jq -r '.unreadable_files | join(",")') $rc $(sed -n '/^{/,/^}/p' "$T/gz.out" | jq '.store.lost | length')"
check "truncated .gz: the error names the file, not a temporary" 0 "$(grep -c 'block\.gz' "$T/gz.out.err" || true)"

rank0_dir=$(find "$T/root-mixed" -mindepth 2 -maxdepth 2 -type d -name 0)
[[ -n $rank0_dir ]] || { echo "FAIL no rank 0 dir in $T/root-mixed"; exit 1; }
rm -rf "$rank0_dir"
DLA_MPIRUN_TIMEOUT=60 "$SRC/tools/dla-mpirun" -np 5 "$ST" status --store "$T/root-mixed" >"$T/st0.out" 2>"$T/st0.err" || true
check "rank 0's dir lost: status OK, says it made it again" "RESULT OK status 1" \
  "$(tail -n 1 "$T/st0.out") $(grep -c 'was missing: made again' "$T/st0.err" || true)"
rm -rf "$rank0_dir"  # (status made it again, without a MANIFEST copy: status only reads)
analyse 5 "$T/r0.out" --store "$T/root-mixed" -q
check "rank 0's dir lost: the analysis runs, counts = awk's" "RESULT OK $awk_want" "$(result_counts "$T/r0.out")"

for cmd in fsck status; do
  rc=0
  DLA_MPIRUN_TIMEOUT=60 "$SRC/tools/dla-mpirun" -np 2 "$ST" $cmd --store "$T/root-gz" >"$T/small.out" 2>"$T/small.err" || rc=$?
  check "$cmd at -np 2 of a store of -np 5: exit 1, one error naming -np 5, no 'missing' line" "1 1 0" \
    "$rc $(grep -c '^error: .*absent.*run with -np 5$' "$T/small.err" || true) $(grep -c '^missing' "$T/small.out" || true)"
done
exit $fail
