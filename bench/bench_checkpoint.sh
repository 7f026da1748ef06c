#!/usr/bin/env bash
# Checkpoint benchmark (not a ctest entry: timings belong here, not in tests).
#   bench/bench_checkpoint.sh [BUILD_DIR]      (default: build)
# Env: DLA_BENCH_DATA=DIR reuse/keep a generated data set; DLA_BENCH_REPS (default 7);
#      DLA_BENCH_KILL_TRIALS (default 40; 0 skips); DLA_BENCH_OUT=FILE also write the report there.
#
# 1. Overhead on real Open MPI (tools/dla-mpirun -np 3) over >= 1 GB in 1000 files, default
#    settings (checkpoint every 5 files, keep 3, eventual, background writer) against
#    --no-checkpoint in the same session, configurations interleaved round by round, medians of
#    wall time (the whole command, final checkpoint included). Also: --checkpoint-sync (the
#    master writes every checkpoint itself) and --consistency strong. Target: default <= 1.05x.
# 2. Consistency trade-off, deterministic (SMPI, cluster8, 8 ranks): makespan of eventual vs strong
#    for several batch sizes, and what a power cut of every host at time T loses: files completed
#    by T in an uninterrupted run (its trace) minus files in the newest checkpoint left at T.
# 3. More kill-and-restart trials: tests/integration/ckpt_mpi_kill.sh with DLA_CKPT_TRIALS.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$SRC/build}" && pwd)
REPS=${DLA_BENCH_REPS:-7}
KILLS=${DLA_BENCH_KILL_TRIALS:-40}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OUT=${DLA_BENCH_OUT:-/dev/null}
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

DATA=${DLA_BENCH_DATA:-$T/big}
if [ ! -d "$DATA" ] || [ "$(ls "$DATA" | grep -c '\.log$')" -lt 1000 ]; then
  "$B/generate_logs" --out "$DATA" --files 1000 --lines 20000 --seed 7 >/dev/null
fi
NF=$(ls "$DATA" | grep -c '\.log$')
BYTES=$(du -sb "$DATA" | cut -f1)
base=$("$B/base_log_analyser" --json "$DATA" | jq -c .counts)
say "== 1. Checkpoint overhead, real Open MPI, -np 3 (2 workers + master), $(nproc) cores"
say "data: $NF files, $BYTES bytes ($(awk -v b="$BYTES" 'BEGIN{printf "%.2f", b/1e9}') GB); $REPS rounds, configurations interleaved"

declare -A WALL SPAN SAVED
configs=(none default sync strong)
run_cfg() {  # name -> one run; appends wall and makespan
  local name=$1 args=()
  case $name in
    none) args=(--no-checkpoint) ;;
    default) args=(--checkpoint-dir "$T/ck" --fresh) ;;
    sync) args=(--checkpoint-dir "$T/ck" --fresh --checkpoint-sync) ;;
    strong) args=(--checkpoint-dir "$T/ck" --fresh --consistency strong) ;;
  esac
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(DLA_MPIRUN_TIMEOUT=300 "$SRC/tools/dla-mpirun" -np 3 --bind-to none "$B/distributed_log_analyser" --quiet "${args[@]}" "$DATA" 2>/dev/null || true)
  t1=$(date +%s.%N)
  if ! echo "$out" | grep -q '^RESULT OK'; then echo "run $name failed" >&2; echo "$out" | tail -3 >&2; exit 1; fi
  local got
  got=$(echo "$out" | sed -n 's/^RESULT OK .*DEBUG=\([0-9]*\) ERROR=\([0-9]*\) INFO=\([0-9]*\) WARN=\([0-9]*\) .*/{"DEBUG":\1,"ERROR":\2,"INFO":\3,"WARN":\4}/p')
  [ "$(echo "$got" | jq -c .)" = "$base" ] || { echo "run $name: counts differ from base_log_analyser" >&2; exit 1; }
  WALL[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') "
  SPAN[$name]+="$(echo "$out" | sed -n 's/^Total time: \([0-9.]*\)s$/\1/p') "
  SAVED[$name]+="$(echo "$out" | sed -n 's/^Checkpoints saved: \([0-9]*\).*/\1/p') "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{if(NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | grep . | sort -g | head -n 1; }
run_cfg none >/dev/null  # warm the page cache
for r in $(seq 1 "$REPS"); do
  for c in "${configs[@]}"; do run_cfg "$c"; done
done
mn=$(echo "${WALL[none]}" | median)
sn=$(echo "${SPAN[none]}" | median)
mnmin=$(echo "${WALL[none]}" | minimum)
say "$(printf '%-9s %10s %8s %10s %8s %12s %8s %s' config wall_med ratio wall_min ratio makespan_med ratio checkpoints_saved)"
for c in "${configs[@]}"; do
  mw=$(echo "${WALL[$c]}" | median)
  mwmin=$(echo "${WALL[$c]}" | minimum)
  ms=$(echo "${SPAN[$c]}" | median)
  say "$(printf '%-9s %9ss %7sx %9ss %7sx %11ss %7sx %s' "$c" "$mw" "$(awk -v a="$mw" -v b="$mn" 'BEGIN{printf "%.3f", a/b}')" \
        "$mwmin" "$(awk -v a="$mwmin" -v b="$mnmin" 'BEGIN{printf "%.3f", a/b}')" \
        "$ms" "$(awk -v a="$ms" -v b="$sn" 'BEGIN{printf "%.3f", a/b}')" "${SAVED[$c]:-0}")"
done
ratio=$(awk -v a="$(echo "${WALL[default]}" | median)" -v b="$mn" 'BEGIN{printf "%.3f", a/b}')
rmin=$(awk -v a="$(echo "${WALL[default]}" | minimum)" -v b="$mnmin" 'BEGIN{printf "%.3f", a/b}')
verdict=$(awk -v r="$ratio" 'BEGIN{print (r <= 1.05) ? "MET" : "NOT MET"}')
say "default checkpointing / no checkpoint (wall, median): ${ratio}x  (target <= 1.05: $verdict); minima: ${rmin}x"
say "load average during the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share these $(nproc) cores)"
say "(wall = the whole dla-mpirun command incl. start-up and the final checkpoint; makespan = the"
say " master's 'Total time', first task to last result. All runs gave base_log_analyser's counts.)"
say ""

# ---- 2. consistency trade-off under SMPI (deterministic) -----------------------------------
say "== 2. Consistency models, SMPI cluster8, 8 ranks (7 workers), deterministic"
SD=$T/sim
"$B/generate_logs" --out "$SD" --files 60 --lines 4000 --skew 0.8 --seed 3 >/dev/null
SB=$(du -sb "$SD" | cut -f1)
say "data: 60 files, $SB bytes, skewed sizes (1/i^0.8); --flops-per-byte 500 (a 1 Gf host scans 2 MB/s)"
FL=(--cfg=smpi/simulate-computation:no --cfg=smpi/grow-injected-times:no --cfg=smpi/iprobe:1e-6
    --cfg=smpi/async-small-thresh:65536 --log=root.thres:critical)
sim() {  # platform-xml hosts ckdir out extra...
  local p=$1 h=$2 ck=$3 out=$4
  shift 4
  (cd "$T" && timeout -k 5 120 smpirun -platform "$p" -hostfile "$h" -np 8 "${FL[@]}" "$B/distributed_log_analyser_smpi" \
     --flops-per-byte 500 --quiet --checkpoint-dir "$ck" "$@" "$SD") >"$out" 2>"$out.err" || true
}
span_of() { sed -n 's/^Total time: \([0-9.]*\)s (simulated)$/\1/p' "$1"; }
say "$(printf '%-26s %12s %12s %s' model makespan_s vs_eventual checkpoints)"
sim "$SRC/platforms/cluster8.xml" "$SRC/platforms/cluster8.hosts" "$T/se" "$T/se.out" --trace "$T/se.trace"
E=$(span_of "$T/se.out")
say "$(printf '%-26s %12s %12s %s' 'eventual (every 5)' "$E" 1.000 "$(sed -n 's/^Checkpoints saved: //p' "$T/se.out")")"
for n in 3 5 7 14 28; do
  sim "$SRC/platforms/cluster8.xml" "$SRC/platforms/cluster8.hosts" "$T/ss$n" "$T/ss$n.out" --consistency strong --checkpoint-every "$n"
  S=$(span_of "$T/ss$n.out")
  say "$(printf '%-26s %12s %12s %s' "strong (batch $n files)" "$S" "$(awk -v a="$S" -v b="$E" 'BEGIN{printf "%.3f", a/b}')" \
        "$(sed -n 's/^Checkpoints saved: //p' "$T/ss$n.out")")"
done
say ""
say "Power cut of every host at T (the whole job dies); lost = files completed by T minus files in"
say "the newest checkpoint left on disk (they are processed again after the restart):"
say "$(printf '%-8s %-22s %10s %14s %6s' T model completed in_checkpoint lost)  (T = 0.2 .. 0.8 x the eventual makespan)"
models=("eventual 5" "strong 7" "strong 14")
for m in "${models[@]}"; do
  set -- $m
  sim "$SRC/platforms/cluster8.xml" "$SRC/platforms/cluster8.hosts" "$T/full-$1-$2" "$T/full-$1-$2.out" \
    --consistency "$1" --checkpoint-every "$2" --trace "$T/full-$1-$2.trace"
done
for frac in 0.2 0.4 0.6 0.8; do
  Tcut=$(awk -v f="$frac" -v e="$E" 'BEGIN{printf "%.3f", f*e}')
  P=$T/cut$frac
  mkdir -p "$P"
  for i in 0 1 2 3 4 5 6 7; do printf '0 1\n%s 0\n' "$Tcut" >"$P/off-node-$i.txt"; done
  cp "$SRC/platforms/ckpt/alloff8.xml" "$SRC/platforms/ckpt/alloff8.hosts" "$P/"
  for m in "${models[@]}"; do
    set -- $m
    sim "$P/alloff8.xml" "$P/alloff8.hosts" "$P/ck-$1-$2" "$P/$1-$2.out" --consistency "$1" --checkpoint-every "$2"
    done_by=$(awk -v t="$Tcut" '!/^#/ && $3=="result" && $1+0 <= t+0 {n++} END{print n+0}' "$T/full-$1-$2.trace")
    last=$(ls -d "$P/ck-$1-$2"/ckpt-* 2>/dev/null | sort | tail -n 1 || true)
    inck=0
    [ -n "$last" ] && inck=$(jq '.processed_files | length' "$last/checkpoint.json")
    say "$(printf '%-8s %-22s %10s %14s %6s' "${Tcut}s" "$1 (every/batch $2)" "$done_by" "$inck" "$((done_by - inck))")"
  done
done
say "(eventual keeps at most N-1 completed files out of its newest checkpoint; strong loses the whole"
say " open batch, completed files included, and idles workers at each batch barrier.)"
say ""

if [ "$KILLS" -gt 0 ]; then
  say "== 3. Kill-and-restart trials on Open MPI (tests/integration/ckpt_mpi_kill.sh, $KILLS trials)"
  DLA_BUILD=$B DLA_SRC=$SRC DLA_CKPT_TRIALS=$KILLS bash "$SRC/tests/integration/ckpt_mpi_kill.sh" >"$T/kill.out" 2>&1 && krc=0 || krc=$?
  grep -c '^ok ' "$T/kill.out" | sed 's/^/trials exact: /' | tee -a "$OUT"
  tail -n 2 "$T/kill.out" | tee -a "$OUT"
  [ $krc -eq 0 ] || { grep '^FAIL' "$T/kill.out" | tee -a "$OUT"; exit 1; }
fi
