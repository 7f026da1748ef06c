#!/usr/bin/env bash
# needs: mpi
# timeout: 120
# Stage 1 on Open MPI: parallel_log_analyser under mpirun -np 1,2,4,8 (oversubscribed on this
# 2-core machine) gives the counts of the sequential base_log_analyser and of an independent awk
# count, on the sample logs and on a skewed set with more ranks than files, with both static
# plans (LPT by bytes, round-robin); every input file is scanned by exactly one rank. Bad input:
# exit 1 and the master's single `error:` line; a dangling .log symlink: named once, exit 2.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

awk_counts() {
  LC_ALL=C awk 'match($0,/\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/){t=substr($0,RSTART+1,RLENGTH-2); if(t=="WARNING")t="WARN"; c[t]++}
    END{printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], NR}' "$@"
}
# Sum of one numeric field over the per-rank entries of the parallel JSON ("files" or "bytes").
rank_sum() {
  awk -v k="\"$1\":" '/"ranks": \[/{in_r=1} in_r && $1==k {v=$2; gsub(/[^0-9]/,"",v); s+=v} END{print s+0}'
}
run_mpi() {  # np args... ; stdout to $T/out, stderr to $T/err, rc in $rc
  local np=$1
  shift
  rc=0
  timeout -k 5 60 mpirun -np "$np" --oversubscribe "$B/parallel_log_analyser" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

"$B/generate_logs" --out "$T/skew" --files 3 --lines 4000 --skew 2 --seed 21 >/dev/null
for set in "$SRC/sample_logs" "$T/skew"; do
  base=$("$B/base_log_analyser" --json "$set" | json_counts)
  check "base vs awk on $(basename "$set")" "$(awk_counts "$set"/*.log)" "$base"
  nfiles=$(ls "$set"/*.log | wc -l)
  bytes=$(cat "$set"/*.log | wc -c)
  for np in 1 2 4 8; do
    for plan in lpt roundrobin; do
      [ "$plan" == roundrobin ] && [ "$np" != 4 ] && continue  # one round-robin run per set is enough
      run_mpi "$np" --json --partition "$plan" "$set"
      what="mpirun -np $np --partition $plan $(basename "$set")"
      check "$what: exit status" 0 "$rc"
      check "$what: counts equal base" "$base" "$(json_counts <"$T/out")"
      check "$what: files/bytes scanned once over all ranks" "$nfiles $bytes" "$(rank_sum files <"$T/out") $(rank_sum bytes <"$T/out")"
      check "$what: one entry per rank" "$np" "$(grep -c '"rank":' "$T/out" || true)"
    done
  done
done
# Text mode on 8 ranks and 3 files: 5 ranks get nothing and the result block is still right.
run_mpi 8 -v "$T/skew"
check "text mode -np 8 on 3 files: exit" 0 "$rc"
check "text mode: 8 rank lines, 5 of them empty" "8 5" "$(grep -c '^\[Rank ' "$T/out") $(grep -c '^\[Rank .*files 0, bytes 0' "$T/out")"
txt=$(awk -F': ' '/^(DEBUG|ERROR|INFO|WARN): /{printf "%s=%s ", $1, $2}' "$T/out")
check "text mode: printed counts" "$(sed 's/ lines=.*//' <<<"$base")" "${txt% }"

# ---- bad input: exit 1, the master alone prints one error line ----
mkdir -p "$T/nolog"
echo x >"$T/nolog/readme.txt"
for bad in "$T/does-not-exist" "$SRC/sample_logs/node1.log" "$T/nolog"; do
  run_mpi 4 "$bad"
  check "bad input $bad: exit status" 1 "$rc"
  check "bad input $bad: exactly one error: line" 1 "$(grep -c '^error: ' "$T/err" || true)"
  check "bad input $bad: no result printed" 0 "$(grep -c 'ANALYSIS RESULTS' "$T/out" || true)"
  echo "     $(grep '^error: ' "$T/err" || true)"
done
run_mpi 2 --partition fastest "$SRC/sample_logs"
check "bad option --partition fastest: exit 1, one error line" "1 1" "$rc $(grep -c '^error: ' "$T/err" || true)"

# ---- a dangling symlink among good files ----
mkdir "$T/dangling"
cp "$SRC/sample_logs/node1.log" "$SRC/sample_logs/node2.log" "$SRC/sample_logs/node3.log" "$T/dangling/"
ln -s "$T/vanished.log" "$T/dangling/gone.log"
want=$(awk_counts "$T/dangling/node1.log" "$T/dangling/node2.log" "$T/dangling/node3.log")
for np in 1 4; do
  run_mpi "$np" --json "$T/dangling"
  check "dangling symlink -np $np: exit status" 2 "$rc"
  check "dangling symlink -np $np: named once on stderr" 1 "$(grep -c '^error: .*gone\.log' "$T/err" || true)"
  check "dangling symlink -np $np: good files counted" "$want" "$(json_counts <"$T/out")"
  check "dangling symlink -np $np: reported unreadable" 1 "$(grep -c '"unreadable_files": 1' "$T/out" || true)"
done

if [ "$fail" != 0 ]; then echo "stage1_mpi: FAILED"; exit 1; fi
echo "stage1_mpi: all checks passed"
