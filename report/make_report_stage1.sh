#!/usr/bin/env bash
# Stage 1 report: measures the sequential and parallel analysers and writes report/report_stage1.txt.
#   report/make_report_stage1.sh [OUTPUT]          (default OUTPUT: report/report_stage1.txt)
# Env: DLA_BUILD   build dir to use (default: configure and build $repo/build-report, Release)
#      REPS        runs per real measurement; the median (and the minimum) is reported (default 7)
#      LINES       average lines per generated file (default 300000: 64 files, about 1.07 GB; the
#                  scanner runs at several GB/s, so a smaller input scans in less time than
#                  mpirun needs to start and the real timings drown in noise)
#      MPIRUN_FLAGS    extra mpirun flags (default "--oversubscribe --bind-to none", see the report)
# Re-runnable: all inputs are generated (deterministic seeds) in a temp dir removed at the end.
# Real timings depend on the machine and its load (recorded in the report); simulated timings
# do not (SimGrid SMPI with the determinism flags: identical on every run).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/report/report_stage1.txt}
REPS=${REPS:-7}
MPIRUN_FLAGS=${MPIRUN_FLAGS:---oversubscribe --bind-to none}
LINES=${LINES:-300000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ -z "${DLA_BUILD:-}" ]; then
  # Build exactly the committed HEAD (not the working tree, which may hold unfinished work).
  REV=$(git -C "$SRC" rev-parse --short HEAD)
  BUILT_FROM="commit $REV exactly (git archive HEAD, Release build)"
  rm -rf "$SRC/build-report/src"
  mkdir -p "$SRC/build-report/src"
  git -C "$SRC" archive HEAD | tar -x -C "$SRC/build-report/src"
  DLA_BUILD=$SRC/build-report/build
  echo "[make_report_stage1] building $REV in $DLA_BUILD" >&2
  cmake -S "$SRC/build-report/src" -B "$DLA_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$DLA_BUILD" -j2 --target base_log_analyser parallel_log_analyser parallel_log_analyser_smpi generate_logs >/dev/null
else
  BUILT_FROM="the binaries in $DLA_BUILD; source tree at commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet HEAD -- src 2>/dev/null || echo " with uncommitted changes in src/")"
fi
B=$DLA_BUILD
for x in base_log_analyser parallel_log_analyser parallel_log_analyser_smpi generate_logs; do
  [ -e "$B/$x" ] || { echo "error: $B/$x not built" >&2; exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DET=(--cfg=smpi/simulate-computation:no --cfg=smpi/grow-injected-times:no --cfg=smpi/iprobe:1e-6 --cfg=smpi/async-small-thresh:65536)
log() { echo "[make_report_stage1] $*" >&2; }

# ---- helpers -------------------------------------------------------------------------------
# timed OUTFILE KEY cmd...: runs cmd (stdout to OUTFILE, stderr to OUTFILE.err), appends its wall
# seconds to $T/KEY.w and the CPU seconds (user + sys of it and all its children: every rank of an
# mpirun job) to $T/KEY.c.
timed() {
  local out=$1 key=$2 tf
  shift 2
  tf=$T/timefile
  { TIMEFORMAT='%R %U %S'; time "$@" >"$out" 2>"$out.err"; } 2>"$tf"
  awk '{printf "%.4f\n", $1}' "$tf" >>"$T/$key.w"
  awk '{printf "%.4f\n", $2 + $3}' "$tf" >>"$T/$key.c"
}
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
minimum() { sort -g | head -1; }
calc() { awk "BEGIN{printf \"$1\\n\", $2}"; }                 # calc FORMAT EXPR
jnum() { sed -n "s/^  \"$1\": \([0-9.e+-]*\).*/\1/p" "$2"; }  # top-level numeric JSON field
counts() {  # the five counted numbers of a JSON result, one line
  awk '/^ *"(DEBUG|ERROR|INFO|WARN|lines)": *[0-9]+/{k=$1; gsub(/[" :]/,"",k); v=$2; gsub(/[^0-9]/,"",v); c[k]=v}
    END{printf "DEBUG=%s ERROR=%s INFO=%s WARN=%s lines=%s\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], c["lines"]}' "$1"
}
ranks() {  # per-rank "rank files bytes scan_s scan_cpu_s" lines of a parallel JSON result
  awk '/"ranks": \[/{r=1} r && /"bytes":/{b=$2} r && /"files":/{f=$2} r && /"rank":/{k=$2} r && /"scan_cpu_s":/{c=$2}
       r && /"scan_s":/{s=$2; gsub(/,/,"",b); gsub(/,/,"",f); gsub(/,/,"",k); gsub(/,/,"",c); print k, f, b, s, c+0}' "$1"
}
max_scan() { ranks "$1" | awk 'BEGIN{m=-1} $4>m{m=$4; r=$1} END{printf "%.4f (rank %d)", m, r}'; }
same_counts() {  # abort the report if a run disagrees with the sequential reference
  if [ "$(counts "$1")" != "$REF" ]; then echo "error: $2 counted $(counts "$1"), base $REF" >&2; exit 1; fi
}
smpi() {  # smpi OUT PLATFORM NP [HOSTFILE] -- args...
  local out=$1 plat=$2 np=$3 hosts=${4:-$SRC/platforms/$2.hosts}
  shift 4
  timeout -k 5 300 smpirun -platform "$SRC/platforms/$plat.xml" -hostfile "$hosts" -np "$np" "${DET[@]}" \
    "$B/parallel_log_analyser_smpi" --json "$@" >"$out" 2>"$out.err"
  if grep -qE 'Deadlock detected|is gone\?\?' "$out.err"; then echo "error: smpirun failed, see $out.err" >&2; exit 1; fi
}

# ---- inputs ------------------------------------------------------------------------------
log "generating inputs in $T"
"$B/generate_logs" --out "$T/big" --files 64 --lines "$LINES" --skew 0.6 --seed 2026 >/dev/null
"$B/generate_logs" --out "$T/skew" --files 32 --lines $((LINES / 4)) --skew 1.2 --seed 2027 >/dev/null
BYTES=$(cat "$T/big"/*.log | wc -c)
NFILES=$(ls "$T/big"/*.log | wc -l)
BIGGEST=$(ls -l "$T/big"/*.log | awk '{print $5}' | sort -n | tail -1)
SMALLEST=$(ls -l "$T/big"/*.log | awk '{print $5}' | sort -n | head -1)
SKBYTES=$(cat "$T/skew"/*.log | wc -c)
SKBIG=$(ls -l "$T/skew"/*.log | awk '{print $5}' | sort -n | tail -1)
cat "$T/big"/*.log >/dev/null  # warm the page cache: every timed run reads from memory

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# ---- sequential baseline and real parallel runs (Open MPI), interleaved ----------------------
# One round = base, then mpirun -np 1, 2, 4, 8; REPS rounds. Interleaving spreads the load of
# other jobs over all configurations instead of penalising whichever ran during a busy spell.
"$B/base_log_analyser" --json "$T/big" >"$T/base.json"  # warm-up, and the reference counts
REF=$(counts "$T/base.json")
declare -A PT PW IMB PMIN
: >"$T/base.t"; : >"$T/base.w"; : >"$T/base.c"; : >"$T/base.x"
for np in 1 2 4 8; do : >"$T/p$np.t"; : >"$T/p$np.w"; : >"$T/p$np.c"; : >"$T/p$np.x"; : >"$T/p$np.s"; done
for round in $(seq "$REPS"); do
  log "round $round/$REPS: base_log_analyser, mpirun -np 1 2 4 8"
  timed "$T/b.json" base "$B/base_log_analyser" --json "$T/big"
  same_counts "$T/b.json" base_log_analyser
  jnum total_time_s "$T/b.json" >>"$T/base.t"
  jnum cpu_s "$T/b.json" >>"$T/base.x"
  for np in 1 2 4 8; do
    # shellcheck disable=SC2086
    timed "$T/p$np.json" "p$np" timeout -k 5 300 mpirun -np "$np" $MPIRUN_FLAGS "$B/parallel_log_analyser" --json "$T/big"
    same_counts "$T/p$np.json" "mpirun -np $np"
    jnum total_time_s "$T/p$np.json" >>"$T/p$np.t"
    ranks "$T/p$np.json" | awk '$5>m{m=$5} END{print m+0}' >>"$T/p$np.x"   # slowest rank's scan CPU
    ranks "$T/p$np.json" | awk '{t+=$5} END{print t+0}' >>"$T/p$np.s"      # all ranks' scan CPU
  done
done
SEQ=$(median <"$T/base.t")
SEQMIN=$(minimum <"$T/base.t")
SEQW=$(median <"$T/base.w")
SEQC=$(median <"$T/base.c")
SEQX=$(median <"$T/base.x")
declare -A PC PX PS
for np in 1 2 4 8; do
  PT[$np]=$(median <"$T/p$np.t")
  PMIN[$np]=$(minimum <"$T/p$np.t")
  PW[$np]=$(median <"$T/p$np.w")
  PC[$np]=$(median <"$T/p$np.c")
  PX[$np]=$(median <"$T/p$np.x")
  PS[$np]=$(median <"$T/p$np.s")
  IMB[$np]=$(jnum max_over_mean_bytes "$T/p$np.json")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- simulated runs (SMPI) -----------------------------------------------------------------
declare -A ST SMAX
HSPEED=(4 2 1 1 1 0.5 0.5 0.25)  # Gf of hetero8.hosts lines, in order
for plat in cluster8 hetero8; do
  for np in 1 2 4 8; do
    log "smpirun $plat -np $np"
    smpi "$T/s-$plat-$np.json" "$plat" "$np" "" "$T/big"
    same_counts "$T/s-$plat-$np.json" "smpirun $plat -np $np"
    ST[$plat-$np]=$(jnum total_time_s "$T/s-$plat-$np.json")
    SMAX[$plat-$np]=$(max_scan "$T/s-$plat-$np.json")
  done
done
smpi "$T/again.json" hetero8 8 "" "$T/big"
if cmp -s "$T/again.json" "$T/s-hetero8-8.json"; then DETERMINISTIC="yes (a second hetero8 -np 8 run gave byte-identical output)"; else DETERMINISTIC="NO: two runs differed"; fi
smpi "$T/s64.json" cluster8 64 "" "$T/big"
same_counts "$T/s64.json" "smpirun cluster8 -np 64"

# LPT by bytes vs round-robin by count, simulated on cluster8 (1 Gf hosts), two inputs.
declare -A LT RT LI RI
for set in big skew; do
  for np in 2 4 8; do
    smpi "$T/l.json" cluster8 "$np" "" --partition lpt "$T/$set"
    smpi "$T/r.json" cluster8 "$np" "" --partition roundrobin "$T/$set"
    [ "$(counts "$T/l.json")" == "$(counts "$T/r.json")" ] || { echo "error: plans disagree on counts" >&2; exit 1; }
    LT[$set-$np]=$(jnum total_time_s "$T/l.json"); LI[$set-$np]=$(jnum max_over_mean_bytes "$T/l.json")
    RT[$set-$np]=$(jnum total_time_s "$T/r.json"); RI[$set-$np]=$(jnum max_over_mean_bytes "$T/r.json")
  done
done

# ---- the report ------------------------------------------------------------------------------
log "writing $OUT"
MB=$(calc %.1f "$BYTES / 1e6")
GBPS=$(calc %.2f "$BYTES / $SEQ / 1e9")
CPU=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
{
cat <<TXT
STAGE 1 REPORT: PARALLEL LOG ANALYSER (MPI)
===========================================
Generated by report/make_report_stage1.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), measuring
$BUILT_FROM.
Every number below comes from that run; re-run the script to reproduce (real times will differ,
simulated times will not).

1. SET-UP
---------
Programs (C++17, one source for both back-ends):
  base_log_analyser DIR                  sequential reference (src/apps/base_log_analyser.cc)
  mpirun -np N parallel_log_analyser DIR Stage 1 on Open MPI (src/mpi/parallel.cc)
  smpirun ... parallel_log_analyser_smpi the same source compiled for SimGrid SMPI (simulation)
Machine: $(nproc) cores ($CPU), $(awk '/MemTotal/{printf "%.0f GB", $2/1e6}' /proc/meminfo) RAM,
  $(mpirun --version 2>/dev/null | head -1), SimGrid $(pkg-config --modversion simgrid 2>/dev/null || echo '?').
  The machine is shared with other jobs: load average before the real runs $LOAD_BEFORE,
  after $LOAD_AFTER (1/5/15 min). Real timings are therefore noisy: each is the median of
  $REPS runs, and the minimum (the run least disturbed by other jobs) is shown next to it. Runs
  are interleaved (base, np 1, 2, 4, 8, then again) so that busy spells hit every configuration.
Input: $NFILES generated files (generate_logs --files 64 --lines $LINES --skew 0.6), $BYTES bytes
  ($MB MB), sizes skewed (file i has lines proportional to 1/i^0.6): largest $BIGGEST bytes,
  smallest $SMALLEST bytes. Counts: $REF
  (every run, real or simulated, was checked against these before its time was used).
Timing: "run time" is the programs' own measurement (base: discovery + scan; parallel: barrier
  after MPI_Init .. results merged at rank 0, i.e. discovery, plan broadcast, scan, gather).
  "wall" is the whole command from the shell, including process start-up (and, for mpirun,
  launching the MPI job). The page cache is warm (files read once before timing): we measure the
  analysis, not the disk. The sequential run time is $(calc %.4f "$SEQ") s (median), i.e. $GBPS GB/s.

2. EXECUTION TIMES, SPEEDUP, EFFICIENCY (real, Open MPI on this $(nproc)-core machine)
-------------------------------------------------------------------------------
speedup = sequential run time / parallel run time (medians); efficiency = speedup / np;
"min" columns: the same from the fastest run of each; "wall": medians of the whole command.
"imbalance" = largest rank share / mean share, in bytes, of the LPT plan.

  np  | run time (s) | speedup | efficiency | min (s) | min speedup | wall (s) | wall speedup | imbalance
  ----+--------------+---------+------------+---------+-------------+----------+--------------+----------
TXT
printf "  %-3s | %12.4f | %7s | %10s | %7.4f | %11s | %8.3f | %12s | %s\n" seq "$SEQ" 1.00 - "$SEQMIN" 1.00 "$SEQW" 1.00 -
for np in 1 2 4 8; do
  printf "  %-3s | %12.4f | %7.2f | %10.2f | %7.4f | %11.2f | %8.3f | %12.2f | %.3f\n" "$np" "${PT[$np]}" \
    "$(calc %.4f "$SEQ / ${PT[$np]}")" "$(calc %.4f "$SEQ / ${PT[$np]} / $np")" "${PMIN[$np]}" \
    "$(calc %.4f "$SEQMIN / ${PMIN[$np]}")" "${PW[$np]}" "$(calc %.4f "$SEQW / ${PW[$np]}")" "${IMB[$np]}"
done
cat <<TXT

CPU actually obtained: CPU seconds (user + sys of every process of the command: mpirun, its
helpers and all ranks; medians) against wall seconds. "cores used" = CPU / wall: at most $(nproc) here.
  np  | CPU (s) | wall (s) | cores used
  ----+---------+----------+-----------
TXT
printf "  %-3s | %7.3f | %8.3f | %10.2f\n" seq "$SEQC" "$SEQW" "$(calc %.4f "$SEQC / $SEQW")"
for np in 1 2 4 8; do
  printf "  %-3s | %7.3f | %8.3f | %10.2f\n" "$np" "${PC[$np]}" "${PW[$np]}" "$(calc %.4f "${PC[$np]} / ${PW[$np]}")"
done
cat <<TXT
If the parallel runs used about as many cores as the sequential one, the other jobs on the
machine, not the design, set the wall time: two ranks can only halve the time if they get two
cores.$(if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" == 1 ]; then printf '%s' "
This kernel has sched_autogroup on: CPU time is shared fairly between SESSIONS first, and all
processes of one session (here: this script, mpirun and every rank) share one session's part.
With other busy sessions on the machine, starting more ranks does not get this job more CPU."; fi)

CPU work per rank, independent of the CPU share granted: each rank measures its own scan CPU
time (CLOCK_THREAD_CPUTIME_ID). "projected speedup" = sequential CPU time ($(calc %.3f "$SEQX") s, median)
/ the slowest rank's scan CPU time: the speedup this plan would give if every rank had a core to
itself (for np > $(nproc) such cores do not exist on this machine). "total" = sum over the ranks:
the work did not grow with np if it stays near the sequential CPU time.
  np  | slowest rank CPU (s) | total CPU (s) | projected speedup | projected efficiency
  ----+----------------------+---------------+-------------------+---------------------
TXT
for np in 1 2 4 8; do
  printf "  %-3s | %20.4f | %13.4f | %17.2f | %20.2f\n" "$np" "${PX[$np]}" "${PS[$np]}" \
    "$(calc %.4f "$SEQX / ${PX[$np]}")" "$(calc %.4f "$SEQX / ${PX[$np]} / $np")"
done
cat <<TXT

Per-rank shares of the last -np 4 run (rank, files, bytes, scan wall and CPU seconds):
$(ranks "$T/p4.json" | awk '{printf "  rank %s: %3s files %11s bytes  scan %.4f s, CPU %.4f s\n", $1, $2, $3, $4, $5}')

mpirun flags: $MPIRUN_FLAGS.
-np 4 and -np 8 are OVERSUBSCRIBED: this machine has $(nproc) cores, so 4 or 8 processes time-share
them. No more than $(nproc) scans run at any instant; beyond np = $(nproc) the extra processes only add
start-up, context switches and cache interference. On this shared
machine, the CPU share the job is granted matters more than np (CPU table above, section 6).
Either way these rows do not measure the scalability of the design: that is measured in
simulation (section 3), on platforms with one core per rank.

3. SIMULATED TIMES (SimGrid SMPI, deterministic)
-------------------------------------------------
Cost model (platforms/README.md): scanning b bytes costs b * F flops (F = 1), so a 1 Gf host
scans 1 GB/s, a 4 Gf host 4 GB/s. Messages cost latency + size / bandwidth along their route.
The real files are read and counted (the counts above were checked); only time is modelled.
Determinism: $DETERMINISTIC.

cluster8: 8 identical 1 Gf hosts, 10 GbE, 150 us between hosts. Reference: np 1 = 1 host.
  np | simulated time (s) | speedup | efficiency | slowest rank's scan (s)
  ---+--------------------+---------+------------+------------------------
TXT
for np in 1 2 4 8; do
  t=${ST[cluster8-$np]}
  printf "  %-2s | %18.4f | %7.2f | %10.2f | %s\n" "$np" "$t" "$(calc %.4f "${ST[cluster8-1]} / $t")" \
    "$(calc %.4f "${ST[cluster8-1]} / $t / $np")" "${SMAX[cluster8-$np]}"
done
cat <<TXT
  (-np 64, 8 ranks per host sharing its CPU: $(calc %.4f "$(jnum total_time_s "$T/s64.json")") s: more processes than cores gain nothing.)

hetero8: a-0..a-3 = 4, 2, 1, 1 Gf on site A; b-0..b-3 = 1, 0.5, 0.5, 0.25 Gf on site B; 10 ms WAN
between the sites. Rank r runs on hostfile line r, so np <= 4 stays on site A. Reference: np 1 on
a-0 (4 Gf). "ideal" = bytes / (sum of the speeds of the hosts used): what a plan proportional to
host speed would take (no messages, perfectly divisible work).
  np | simulated time (s) | speedup vs np 1 | slowest rank's scan (s) | ideal (s)
  ---+--------------------+-----------------+-------------------------+----------
TXT
for np in 1 2 4 8; do
  t=${ST[hetero8-$np]}
  sum=0
  for ((i = 0; i < np; i++)); do sum=$(calc %.4f "$sum + ${HSPEED[$i]}"); done
  printf "  %-2s | %18.4f | %15.2f | %23s | %.4f\n" "$np" "$t" "$(calc %.4f "${ST[hetero8-1]} / $t")" \
    "${SMAX[hetero8-$np]}" "$(calc %.6f "$BYTES / ($sum * 1e9)")"
done
cat <<TXT

4. WORK DISTRIBUTION STRATEGY
-----------------------------
Rank 0 lists the *.log files (sorted by name), and builds a static plan: LPT (longest processing
time first) by bytes. Files are sorted by size, largest first, and each goes to the rank whose
share (in bytes) is currently the smallest (ties: lowest rank). The plan (paths, sizes, owner) is
broadcast once as JSON; each rank scans its files; partial results (4 level counts, lines, bytes,
files, unreadable files, scan time, length of the error text: 10 numbers per rank) come back with
one MPI_Gather, and the text of any file errors with one MPI_Gatherv, so the master prints them
once.

Why bytes, not file counts: scanning time is proportional to bytes (the scanner reads every
byte once, at about $GBPS GB/s here). File sizes vary: in this input the largest file is
$(calc %.0f "$BIGGEST / $SMALLEST") times the smallest. Dealing files out by count (round-robin) gives one rank
the largest files by chance of the name order. Measured in simulation (cluster8, times in s,
imbalance = largest share / mean share):

  input                                  np | LPT time  imbalance | round-robin time  imbalance
  ---------------------------------------+--+---------------------+----------------------------
TXT
for set in big skew; do
  if [ "$set" == big ]; then label="64 files, skew 0.6, $MB MB"; else label="32 files, skew 1.2, $(calc %.1f "$SKBYTES / 1e6") MB"; fi
  for np in 2 4 8; do
    printf "  %-38s %2s | %8.4f  %9.3f | %16.4f  %9.3f\n" "$label" "$np" "${LT[$set-$np]}" "${LI[$set-$np]}" "${RT[$set-$np]}" "${RI[$set-$np]}"
    label=""
  done
done
cat <<TXT

LPT is a classic: its makespan is at most (4/3 - 1/(3m)) times the optimum for m ranks (Graham
1969), and at most mean share + (1 - 1/m) * largest file. So whenever the largest file is small
against a rank's share, LPT is within a few percent of perfect, and it is never far off; finding
the optimum is NP-hard (it is multiprocessor scheduling), and at this size the 4/3 guarantee
costs nothing. Its limit is granularity: a file is never split, so no plan can beat
max(largest file, total / m). In the skewed 32-file input the largest file holds
$(calc %.1f "100 * $SKBIG / $SKBYTES") % of the bytes, which caps the speedup at $(calc %.1f "$SKBYTES / $SKBIG") whatever the plan. (Stage 2 can cut big
files into byte ranges, --split-bytes, which removes that cap.)

Rank 0 takes a share too. In a static scheme the master has nothing to do between sending the
plan and receiving the results: if it did not scan, 1 of np processes would idle for the whole
run (half of the machine at np = 2). Its extra work (discovery, planning, merging np x 10
numbers) is tiny next to scanning. The price: a slow or overloaded master delays everything, and
no rank can take over work from another - exactly what Stage 2's dynamic queue changes.

Static LPT by bytes assumes every rank scans at the same speed. On hetero8 that is false: each
rank gets about the same number of bytes, so the slowest host decides (table in section 3): at
np 8 the 0.25 Gf host needs as long for its 1/8 of the bytes as the 4 Gf host would need to scan
the whole input twice.
A speed-aware plan (shares proportional to speed, the "ideal" column) or a dynamic queue, where
fast ranks simply come back for more, fixes it.

5. CHALLENGES AND HOW THEY WERE SOLVED
-------------------------------------
- Trusting the counts. Every parallel result is compared with the sequential analyser and with an
  independent awk implementation of the counting rule (tests/integration/stage1_*.sh), on the
  sample logs, generated mixed/skewed sets, edge files (CRLF, no final newline, empty file, NUL
  byte, [WARNING], two level tokens) and the real loghub logs. This report's script also refuses
  to use a time whose counts differ from the sequential ones.
- Bad input in an MPI job: only rank 0 looks at the directory; it broadcasts either the plan or
  the error, so all ranks agree and exit with the same status (1 bad input, 2 some file
  unreadable), only the master prints, and mpirun's exit status carries it. A file that cannot be
  read during the scan (a dangling symlink) is counted as an error on the rank that owns it; its
  message travels to the master with the results (MPI_Gatherv), the other files are counted.
- More ranks than files: ranks with an empty share still take part in the collectives (no rank
  waits for a message that will never come); tested with 8 ranks on 3 files.
- Measuring on a small, shared machine: medians (and minima) of $REPS interleaved runs, warm page
  cache, the program's own timer (without MPI launch) next to the wall time, load average
  recorded. The first reports showed parallel runs no faster than the sequential one; the CPU
  columns explained why (the job as a whole got well under the 2 cores: sched_autogroup shares
  the CPU between sessions), so each rank now also reports its scan CPU time, which measures the
  work division independently of the share granted. The scaling study itself is done in
  simulation, where time is a function of bytes and host speed only.
- Deterministic simulation: SMPI would otherwise time the real CPU bursts (noisy). The scanner
  instead charges bytes x F flops (smpi_execute_flops) with smpi/simulate-computation off, plus
  the flags that stop injected polling costs from growing. Two runs give identical output.
- One source, two back-ends: all MPI code is in src/mpi, the counting code (src/base, src/scan) has no
  MPI at all (and is unit-tested alone); the SMPI build differs only in sim_hooks.

6. SCALABILITY OBSERVATIONS
---------------------------
- The scan is close to memory-bandwidth bound: one process scans about $GBPS GB/s from the page
  cache (the file is mapped from the page cache and every byte is touched once, with very little
  arithmetic per byte). Two processes on two cores share one memory
  bus and one last-level cache, and the other jobs on this machine take cycles as well, so np = 2
  cannot reach 2x in practice. Measured: $(calc %.2f "$SEQ / ${PT[2]}")x$(awk -v a="$SEQ" -v b="${PT[2]}" 'BEGIN{if (a / b > 2) print " (above 2x: the sequential runs were slowed by other jobs more than these; the noise of a shared machine)"}').
- np = 4 and 8 oversubscribe the $(nproc) cores: measured $(calc %.2f "$SEQ / ${PT[4]}")x and $(calc %.2f "$SEQ / ${PT[8]}")x (efficiency $(calc %.2f "$SEQ / ${PT[8]} / 8") at np 8).
  On an idle machine they cannot beat np = 2: time-sharing creates no cycles. On a shared
  machine the comparison is muddied by how the kernel shares the cores: without autogroup it
  shares them between runnable processes, so a job with 8 processes takes a larger share from
  its neighbours than a job with 2; with autogroup (on here) it shares them between sessions
  first, so extra ranks only help when the other sessions leave a core idle. Either way such a
  gain comes from the neighbours, not from the parallel design. (Open MPI also binds each rank
  to a core when np <= 2 and not when oversubscribed, which would add another difference: a bound
  rank cannot leave a core that another job keeps busy. The script runs every np with the same
  flags, "$MPIRUN_FLAGS", so that only the process count differs.)
- What the measurements do show: the work is divided without being inflated much. The ranks'
  scan CPU times add up to $(printf '%s\n' "${PS[@]}" | sort -g | head -1 | awk '{printf "%.3f", $1}') .. $(printf '%s\n' "${PS[@]}" | sort -g | tail -1 | awk '{printf "%.3f", $1}') s over np = 1..8, against $(calc %.3f "$SEQX") s for
  the sequential program (at np 1 the same scan's CPU time differs by $(calc %+.0f "100 * (${PS[1]} / $SEQX - 1)") % inside an MPI
  process from the plain program: the MPI runtime around it, plus noise), and the slowest
  rank needs about 1/np of that total (projected speedup $(calc %.2f "$SEQX / ${PX[2]}")x at np 2, $(calc %.2f "$SEQX / ${PX[8]}")x at
  np 8, in CPU seconds). On $(nproc) dedicated cores, np = 2 would get close to its projected speedup,
  less whatever the two scans lose by sharing one memory system - which this shared machine
  cannot show.
- Launch cost dominates small inputs: mpirun needs about $(calc %.2f "${PW[1]} - ${PT[1]}") s to start a 1-rank job,
  about $(calc %.2f "${PW[8]} - ${PT[8]}") s for 8 ranks, against $(calc %.3f "$SEQ") s of scanning for $MB MB. The 2.8 MB
  sample_logs take milliseconds to scan, so for them the sequential program always wins on wall
  time; parallelism pays only when the scan is long compared to starting the job.
- Homogeneous simulation (cluster8): $(calc %.2f "${ST[cluster8-1]} / ${ST[cluster8-8]}")x at 8 ranks: near-linear, limited only by the LPT
  imbalance ($(jnum max_over_mean_bytes "$T/s-cluster8-8.json" | awk '{printf "%.3f", $1}') at np 8 on this input) and a few collective latencies: after the
  start barrier a run has 4 collectives (plan length and plan text broadcast, one gather of the
  counts, one gatherv of error text), about 150 us each on cluster8. The master starts scanning
  right after sending the plan, the others a few latencies later; so on small inputs, when two
  plans' heaviest shares differ by less than that, the plan whose heaviest share is on rank 0
  can win by a fraction of a millisecond.
  64 ranks on 8 single-core hosts are no faster than 8.
- Heterogeneous simulation (hetero8): a byte-balanced static plan runs at the pace of its slowest
  host. np 2 and np 4 (site A: 4+2 and 4+2+1+1 Gf) are no faster than the 4 Gf host alone, and np 8
  is slower than np 1 ($(calc %.4f "${ST[hetero8-8]}") s vs $(calc %.4f "${ST[hetero8-1]}") s) because the 0.25 Gf host gets 1/8 of the bytes and
  each of the 4 collectives crosses the 10 ms WAN (about 40 ms per run, whatever the input
  size). The ideal speed-proportional plan would take $(calc %.4f "$BYTES / 10.25e9") s on all 8 hosts. This is
  the motivation for Stage 2's dynamic scheduling.
TXT
} >"$OUT"
log "done: $OUT"
