#!/usr/bin/env bash
# bench_store_ingest.sh: throughput of `dla_store ingest` on real Open MPI against a baseline
# measured in the same run on the same bytes: writing K copies of DIR with `cp` + `sync` (what
# K replicas cost the disk on one machine, with no network, no checksum, no chain). Not a ctest test.
#
#   bench/bench_store_ingest.sh [--build DIR] [--mb M] [--np N] [--replicas K] [--block-size B] [--reps R] [DIR]
#
# Without DIR it generates ~M MB (default 200) with generate_logs. Prints, per repetition, the
# ingest's own MB/s line and the wall time of a fresh ingest, a re-ingest (every block skipped) and
# the cp baseline, then the medians and the ratio ingest MB/s / baseline MB/s. Everything it
# creates lives in one temporary directory, removed at the end.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${DLA_BUILD:-$src/build}
mb=200
np=5
k=2
bs=8388608
reps=3
dir=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    --np) np=$2; shift 2 ;;
    --replicas) k=$2; shift 2 ;;
    --block-size) bs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 1 ;;
    *) dir=$1; shift ;;
  esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ -z "$dir" ]; then
  "$build/generate_logs" --out "$T/in" --files 20 --lines $((mb * 1000000 / 20 / 56)) --seed 3 >/dev/null
  dir="$T/in"
fi
bytes=$(cat "$dir"/*.log | wc -c)
echo "input: $dir, $bytes bytes; np $np, K=$k, block size $bs"
now() { date +%s.%N; }
med() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
: >"$T/ing"; : >"$T/re"; : >"$T/cp"; : >"$T/own"
for r in $(seq 1 "$reps"); do
  rm -rf "$T/root" "$T/copies"
  sync
  t0=$(now)
  timeout -k 5 600 mpirun -np "$np" --oversubscribe "$build/dla_store" ingest --store "$T/root" --replicas "$k" \
    --block-size "$bs" "$dir" >"$T/out"
  t1=$(now)
  timeout -k 5 600 mpirun -np "$np" --oversubscribe "$build/dla_store" ingest --store "$T/root" --replicas "$k" \
    --block-size "$bs" "$dir" >"$T/out2"
  t2=$(now)
  sync
  t3=$(now)
  for c in $(seq 1 "$k"); do mkdir -p "$T/copies/$c"; cp "$dir"/*.log "$T/copies/$c/"; done
  sync
  t4=$(now)
  own=$(grep -o 'MB/s=[0-9.]*' "$T/out" | cut -d= -f2)
  echo "rep $r: $(head -n 1 "$T/out")"
  echo "rep $r: wall ingest $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s, re-ingest" \
       "$(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.3f", b-a}') s ($(grep -o 'skipped=[0-9]*' "$T/out2")), cp x$k + sync" \
       "$(awk -v a="$t3" -v b="$t4" 'BEGIN{printf "%.3f", b-a}') s"
  echo "$own" >>"$T/own"
  awk -v a="$t0" -v b="$t1" -v n="$bytes" 'BEGIN{print n / 1e6 / (b - a)}' >>"$T/ing"
  awk -v a="$t1" -v b="$t2" -v n="$bytes" 'BEGIN{print n / 1e6 / (b - a)}' >>"$T/re"
  awk -v a="$t3" -v b="$t4" -v n="$bytes" 'BEGIN{print n / 1e6 / (b - a)}' >>"$T/cp"
done
own=$(med <"$T/own"); ing=$(med <"$T/ing"); re=$(med <"$T/re"); cpm=$(med <"$T/cp")
printf 'median: ingest %.1f MB/s (its own line, after start-up), %.1f MB/s wall incl. mpirun; re-ingest %.1f MB/s wall; cp x%d + sync %.1f MB/s\n' \
  "$own" "$ing" "$re" "$k" "$cpm"
awk -v a="$ing" -v b="$cpm" 'BEGIN{printf "ratio: ingest (wall) / cp baseline = %.2f\n", a / b}'
