#!/usr/bin/env bash
# needs: smpi
# timeout: 120
# Stage 1 in simulation: parallel_log_analyser_smpi under smpirun -np 4, 8, 64 on the homogeneous
# cluster8 and the heterogeneous two-site hetero8 platform, with the determinism flags. Checks:
# counts equal the sequential base_log_analyser; two identical runs give byte-identical output
# (simulated times included); 8 ranks on 8 hosts finish sooner (simulated) than 8 ranks sharing
# 1 host and than 1 rank; the scan time matches the cost model bytes * F / speed; LPT by bytes
# beats round-robin by count on a skewed set; bad input exits 1 and a dangling .log exits 2, with
# one error line from the master.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
P="$SRC/platforms"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
DET=("${SMPI_DET_FLAGS[@]}")

total_time() { sed -n 's/^  "total_time_s": \([0-9.e+-]*\).*/\1/p'; }
check_lt() {  # name a b : a < b (floats)
  if awk -v a="$2" -v b="$3" 'BEGIN{exit !(a < b)}'; then echo "ok   $1: $2 < $3"; else echo "FAIL $1: $2 not < $3"; fail=1; fi
}
# run_smpi OUT platform hostfile np args... ; fails the test on rc != 0, deadlock or "is gone??".
run_smpi() {
  local out=$1 plat=$2 hosts=$3 np=$4 rc=0
  shift 4
  timeout -k 5 60 smpirun -platform "$plat" -hostfile "$hosts" -np "$np" "${DET[@]}" \
    "$B/parallel_log_analyser_smpi" --json "$@" >"$out" 2>"$out.err" || rc=$?
  if [ "$rc" != 0 ] || grep -qE 'Deadlock detected|is gone\?\?' "$out.err"; then
    echo "FAIL smpirun -np $np on $(basename "$plat") $*: rc=$rc"
    tail -5 "$out.err"
    fail=1
  fi
}

# ~6.7 MB, 40 files, mildly skewed (largest file ~6% of the bytes).
"$B/generate_logs" --out "$T/set" --files 40 --lines 3000 --skew 0.5 --seed 31 >/dev/null
base=$("$B/base_log_analyser" --json "$T/set" | json_counts)
bytes=$(cat "$T/set"/*.log | wc -c)
echo "input: 40 files, $bytes bytes; base: $base"

for plat in cluster8 hetero8; do
  for np in 4 8 64; do
    run_smpi "$T/a" "$P/$plat.xml" "$P/$plat.hosts" "$np" "$T/set"
    run_smpi "$T/b" "$P/$plat.xml" "$P/$plat.hosts" "$np" "$T/set"
    check "$plat -np $np: counts equal base" "$base" "$(json_counts <"$T/a")"
    check "$plat -np $np: simulated run" 1 "$(grep -c '"simulated": true' "$T/a" || true)"
    if cmp -s "$T/a" "$T/b"; then
      echo "ok   $plat -np $np: two runs byte-identical (total $(total_time <"$T/a") s simulated)"
    else
      echo "FAIL $plat -np $np: two runs differ"; diff "$T/a" "$T/b" | head -5; fail=1
    fi
  done
done

# 8 hosts vs 1 host (cluster8, 1 Gf hosts): 8 ranks spread over 8 hosts against 8 ranks sharing
# node-0, and against a single rank.
echo node-0 >"$T/one.hosts"
run_smpi "$T/h8" "$P/cluster8.xml" "$P/cluster8.hosts" 8 "$T/set"
run_smpi "$T/h1" "$P/cluster8.xml" "$T/one.hosts" 8 "$T/set"
run_smpi "$T/n1" "$P/cluster8.xml" "$P/cluster8.hosts" 1 "$T/set"
t8=$(total_time <"$T/h8") t1=$(total_time <"$T/h1") tn1=$(total_time <"$T/n1")
check_lt "cluster8: 8 ranks on 8 hosts faster than 8 ranks on 1 host (x2 at least)" "$(awk -v t="$t8" 'BEGIN{print 2*t}')" "$t1"
check_lt "cluster8: 8 ranks on 8 hosts faster than 1 rank (x2 at least)" "$(awk -v t="$t8" 'BEGIN{print 2*t}')" "$tn1"
# Cost model: one rank on a 1 Gf host scans the whole set in bytes / 1e9 s (F = 1), F = 3 triples it.
check "cost model: -np 1 scan time = bytes / 1 GB/s" "$(awk -v b="$bytes" 'BEGIN{printf "%.6f", b/1e9}')" \
  "$(sed -n 's/^ *"scan_s": \([0-9.e+-]*\).*/\1/p' "$T/n1" | awk '{printf "%.6f", $1}')"
run_smpi "$T/f3" "$P/cluster8.xml" "$P/cluster8.hosts" 1 --flops-per-byte 3 "$T/set"
check "cost model: --flops-per-byte 3 -> 3 x bytes / 1 GB/s" "$(awk -v b="$bytes" 'BEGIN{printf "%.6f", 3*b/1e9}')" \
  "$(sed -n 's/^ *"scan_s": \([0-9.e+-]*\).*/\1/p' "$T/f3" | awk '{printf "%.6f", $1}')"

# LPT by bytes vs round-robin by count on a strongly skewed set (file i ~ 1/i^1.2, 16 files, 4 ranks):
# round-robin puts files 1, 5, 9, 13 (the largest) on rank 0.
"$B/generate_logs" --out "$T/skew" --files 16 --lines 3000 --skew 1.2 --seed 32 >/dev/null
run_smpi "$T/lpt" "$P/cluster8.xml" "$P/cluster8.hosts" 4 --partition lpt "$T/skew"
run_smpi "$T/rr" "$P/cluster8.xml" "$P/cluster8.hosts" 4 --partition roundrobin "$T/skew"
check "skewed set: round-robin counts equal LPT counts" "$(json_counts <"$T/lpt")" "$(json_counts <"$T/rr")"
check_lt "skewed set, 4 ranks: LPT makespan < round-robin makespan" "$(total_time <"$T/lpt")" "$(total_time <"$T/rr")"

# Bad input and an unreadable file behave as on Open MPI: exit 1 / 2, the master's one error line.
mkdir "$T/dangling"
cp "$SRC/sample_logs/node1.log" "$SRC/sample_logs/node2.log" "$T/dangling/"
ln -s "$T/vanished.log" "$T/dangling/gone.log"
for c in "$T/does-not-exist:1:input directory" "$T/dangling:2:gone.log"; do
  dir=${c%%:*} rest=${c#*:}
  want=${rest%%:*} pat=${rest#*:}
  rc=0
  timeout -k 5 60 smpirun -platform "$P/cluster8.xml" -hostfile "$P/cluster8.hosts" -np 4 "${DET[@]}" \
    "$B/parallel_log_analyser_smpi" --json "$dir" >"$T/out" 2>"$T/err" || rc=$?
  check "smpirun on $(basename "$dir"): exit status" "$want" "$rc"
  check "smpirun on $(basename "$dir"): one error: line naming it" 1 "$(grep -c "^error: .*$pat" "$T/err" || true)"
done
check "smpirun dangling: good files counted" "$("$B/base_log_analyser" --json "$T/dangling" 2>/dev/null | json_counts)" "$(json_counts <"$T/out")"

if [ "$fail" != 0 ]; then echo "stage1_smpi: FAILED"; exit 1; fi
echo "stage1_smpi: all checks passed"
