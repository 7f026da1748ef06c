#!/usr/bin/env bash
# needs: smpi
# timeout: 300
# distributed_log_analyser_smpi --store under smpirun (issue 14), cluster8 (8 hosts, 7 data ranks),
# K = 2, with the determinism flags: the counts equal an awk count of the original files and the
# run is 100 % local; a holder crashed mid-analysis (--inject-crash 3@...): exact counts, rank 3
# failed, its blocks re-replicated, and two identical runs print byte-identical output (simulated
# times, bytes moved and repairs included); dla_store_smpi fsck afterwards: OK.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
P="$SRC/platforms"
fail=0

sim() {  # OUT PROGRAM args... -> $rc; a deadlock or a vanished-actor abort fails the test
  local out=$1 prog=$2
  shift 2
  rc=0
  timeout -k 5 120 smpirun -platform "$P/cluster8.xml" -hostfile "$P/cluster8.hosts" -np 8 "${SMPI_DET_FLAGS[@]}" \
    "$B/$prog" "$@" >"$out" 2>"$out.err" || rc=$?
  if grep -qE 'Deadlock detected|is gone\?\?' "$out.err"; then
    echo "FAIL smpirun $prog $*: deadlock or vanished actor"
    tail -5 "$out.err"
    fail=1
  fi
}
awk_counts() {
  cat "$@" | awk '{ if (match($0, /\[(DEBUG|ERROR|INFO|WARN)\]/)) c[substr($0, RSTART + 1, RLENGTH - 2)]++ }
    END { printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], NR }'
}
result_counts() { tail -n 1 "$1" | sed -e 's/ files=.*//'; }

"$B/generate_logs" --out "$T/logs" --files 8 --lines 40000 --skew 0.5 --seed 43 >/dev/null
want="RESULT OK $(awk_counts "$T/logs"/*.log)"
sim "$T/ingest" dla_store_smpi ingest --store "$T/root" --replicas 2 --block-size 524288 "$T/logs"
check "ingest: exit" 0 "$rc"
cp -r "$T/root" "$T/root2"

sim "$T/a" distributed_log_analyser_smpi --store "$T/root" -q
check "analyse: counts = awk" "$want" "$(result_counts "$T/a")"
check "analyse: 100 % local" "100.0%" "$(sed -n 's/^Store locality: \([0-9.]*%\).*/\1/p' "$T/a")"

# (--flops-per-byte 20: the run lasts long enough for the crash at 0.01 s to land mid-analysis)
sim "$T/c1" distributed_log_analyser_smpi --store "$T/root" -q --flops-per-byte 20 --inject-crash 3@0.01
check "crash: counts exact" "$want" "$(result_counts "$T/c1")"
check "crash: rank 3 failed" "failed=3" "$(tail -n 1 "$T/c1" | grep -o 'failed=[0-9,]*$' || true)"
rerep=$(sed -n 's/^Re-replicated: \([0-9]*\) blocks.*/\1/p' "$T/c1")
check "crash: rank 3's blocks re-replicated" yes "$([ "${rerep:-0}" -gt 0 ] && echo yes || echo "no (${rerep:-none})")"
echo "crash: $(grep -E '^(Total time|Store locality|Re-replicated)' "$T/c1" | tr '\n' ' ')"
sim "$T/c2" distributed_log_analyser_smpi --store "$T/root2" -q --flops-per-byte 20 --inject-crash 3@0.01
check "crash: deterministic (same output twice)" same "$(cmp -s "$T/c1" "$T/c2" && echo same || echo different)"

# (rank 3's actor is gone in the analysis only: fsck runs a new job where it serves its old copies)
sim "$T/f" dla_store_smpi fsck --store "$T/root"
check "fsck after the crash: exit" 0 "$rc"
check "fsck after the crash: OK" yes "$(grep -q '^FSCK OK' "$T/f" && echo yes || echo no)"
exit $fail
