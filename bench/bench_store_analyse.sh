#!/usr/bin/env bash
# bench_store_analyse.sh: `distributed_log_analyser --store ROOT` on real Open MPI against a
# baseline measured in the same run on the same bytes: the same analyser on the directory itself
# (every rank reading the files as if the disk were shared; --no-checkpoint --standbys 0, as the
# store run has neither). Not a ctest test.
#
#   bench/bench_store_analyse.sh [--build DIR] [--mb M] [--np N] [--replicas K] [--reps R] [--throttle BPS]
#
# Generates ~M MB (default 200) with generate_logs, ingests it (K = 2, 8 MiB blocks), then per
# repetition runs the directory and the store analysis alternately and prints each run's wall time
# (mpirun included), its own "Total time", and for the store its locality and bytes moved; then the
# medians and the ratios store / directory. --throttle (bytes/s per worker) makes both runs last
# long enough to compare scheduling rather than start-up. Everything lives in one temporary
# directory, removed at the end.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${DLA_BUILD:-$src/build}
mb=200
np=5
k=2
reps=3
throttle=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    --np) np=$2; shift 2 ;;
    --replicas) k=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --throttle) throttle=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 1 ;;
  esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MPI=(timeout -k 5 600 mpirun -np "$np" --oversubscribe --enable-recovery --mca async_mpi_finalize 1)
"$build/generate_logs" --out "$T/in" --files 16 --lines $((mb * 1000000 / 16 / 56)) --seed 5 >/dev/null
echo "input: $(du -sh "$T/in" | cut -f1) in $(ls "$T/in" | wc -l) files; np $np, K $k"
"${MPI[@]}" "$build/dla_store" ingest --store "$T/root" --replicas "$k" "$T/in" 2>/dev/null | grep 'files=' || {
  echo "error: ingest failed" >&2
  exit 1
}
median() { sort -g | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
run() {  # label out args... -> prints one line, appends wall and total to $T/<label>.{wall,total}
  local label=$1 out=$2
  shift 2
  local s e
  s=$(date +%s.%N)
  "${MPI[@]}" "$build/distributed_log_analyser" -q --throttle "$throttle" "$@" >"$out" 2>/dev/null
  e=$(date +%s.%N)
  local wall total
  wall=$(echo "$e - $s" | bc)
  total=$(sed -n 's/^Total time: \([0-9.]*\)s.*/\1/p' "$out")
  echo "$wall" >>"$T/$label.wall"
  echo "$total" >>"$T/$label.total"
  printf '%-6s wall %6.2f s  total %6.2f s  %s  %s\n' "$label" "$wall" "$total" \
    "$(sed -n 's/^Store locality: //p' "$out")" "$(tail -n 1 "$out" | cut -c1-40)"
}
for r in $(seq 1 "$reps"); do
  run dir "$T/d$r" --no-checkpoint --standbys 0 "$T/in"
  run store "$T/s$r" --store "$T/root"
  a=$(tail -n 1 "$T/d$r" | sed 's/ files=.*//')
  b=$(tail -n 1 "$T/s$r" | sed 's/ files=.*//')
  [ "$a" == "$b" ] || echo "MISMATCH: directory [$a] store [$b]"
done
dw=$(median <"$T/dir.wall") sw=$(median <"$T/store.wall") dt=$(median <"$T/dir.total") st=$(median <"$T/store.total")
echo "median wall: directory $dw s, store $sw s, ratio store/directory $(echo "scale=3; $sw / $dw" | bc)"
echo "median total time: directory $dt s, store $st s, ratio store/directory $(echo "scale=3; $st / $dt" | bc)"
