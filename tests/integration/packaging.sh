#!/usr/bin/env bash
# needs: mpi
# timeout: 300
# Packaging (issue 8): `cmake --install` into a scratch prefix, then only the installed copies are
# used, from a directory outside the repository and with the build dir off PATH:
#   * the layout: programs and wrappers in bin/, SMPI objects in lib/dla/, platforms in share/dla/;
#   * every program answers --version with "NAME VERSION", VERSION being the build's git describe
#     (build/generated/dla_version.h); the MPI programs without a launcher, and once under mpirun;
#   * installed base_log_analyser and dla-mpirun + distributed_log_analyser (a bare program name:
#     the wrapper finds it beside itself) on sample_logs count what an independent awk count of
#     the [LEVEL] rule counts;
#   * parallel_log_analyser --baseline prints a measured, labelled baseline and a numeric speedup
#     (and "Speedup: n/a" without it), with the same counts;
#   * with SMPI: the installed parallel_log_analyser_smpi runs (--baseline, simulated), and the
#     installed dla-scenario runs a scenario from share/dla against its golden.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir --stay
fail=0
P="$T/prefix"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

cmake --install "$B" --prefix "$P" >"$T/install.log" 2>&1 || { echo "FAIL cmake --install"; cat "$T/install.log"; exit 1; }
cd "$T"  # outside the repository: nothing may be found by accident relative to it
export PATH="/usr/local/bin:/usr/bin:/bin"  # (the build dir and tools/ are not on it)

# ---- layout ----
progs=(base_log_analyser generate_logs dla_scenario parallel_log_analyser distributed_log_analyser)
for f in "${progs[@]}" dla-mpirun dla-scenario; do
  check "installed bin/$f" yes "$([ -x "$P/bin/$f" ] && echo yes || echo no)"
done
check "installed share/dla/platforms" yes "$([ -f "$P/share/dla/platforms/cluster8.xml" ] && echo yes || echo no)"
smpi=no
if [ -e "$B/distributed_log_analyser_smpi" ]; then
  smpi=yes
  for f in distributed_log_analyser_smpi parallel_log_analyser_smpi; do
    check "installed lib/dla/$f" yes "$([ -f "$P/lib/dla/$f" ] && echo yes || echo no)"
  done
  check "lib/dla/base_log_analyser resolves" yes "$([ -x "$P/lib/dla/base_log_analyser" ] && echo yes || echo no)"
fi

# ---- --version ----
version=$(sed -n 's/^#define DLA_VERSION "\(.*\)"$/\1/p' "$B/generated/dla_version.h")
check "build version is set" yes "$([ -n "$version" ] && echo yes || echo no)"
now=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo "")
[ -z "$now" ] || [ "$now" == "$version" ] || echo "note: built as $version, the tree is now $now (rebuild to update)"
for p in "${progs[@]}"; do
  rc=0
  out=$("$P/bin/$p" --version 2>&1) || rc=$?
  check "$p --version" "0 $p $version" "$rc $out"
done
for p in parallel_log_analyser distributed_log_analyser; do
  out=$(timeout -k 5 60 mpirun -np 3 --oversubscribe "$P/bin/$p" --version 2>&1 | grep -v 'PMIX ERROR' || true)
  check "$p --version under mpirun -np 3: one line" "$p $version" "$out"
done

# ---- real runs of the installed programs ----
# Independent count: the first bracketed level token of a line; [WARNING] counts as WARN.
awk_counts() {
  LC_ALL=C awk 'match($0,/\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/){t=substr($0,RSTART+1,RLENGTH-2); if(t=="WARNING")t="WARN"; c[t]++}
    END{u = NR - c["DEBUG"] - c["ERROR"] - c["INFO"] - c["WARN"]
        printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d %slines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], u ? "unleveled=" u " " : "", NR}' "$@"
}
L="$SRC/sample_logs"
want=$(awk_counts "$L"/*.log)
echo "awk count of sample_logs: $want"
check "installed base_log_analyser vs awk" "$want" "$("$P/bin/base_log_analyser" --json "$L" | json_counts)"
rc=0
timeout -k 5 120 "$P/bin/dla-mpirun" -np 4 distributed_log_analyser --no-checkpoint --quiet "$L" >"$T/dist.out" 2>"$T/dist.err" || rc=$?
check "installed dla-mpirun + distributed_log_analyser (bare name): exit" 0 "$rc"
check "installed dla-mpirun + distributed_log_analyser: RESULT OK with awk counts" "RESULT OK $want" \
  "$(tail -n 1 "$T/dist.out" | sed -E 's/^(RESULT [A-Z]+) .*(DEBUG=[0-9]+ ERROR=[0-9]+ INFO=[0-9]+ WARN=[0-9]+ lines=[0-9]+).*/\1 \2/')"

# ---- parallel_log_analyser --baseline ----
pla() { timeout -k 5 60 mpirun -np 2 --oversubscribe "$P/bin/parallel_log_analyser" "$@" "$L" 2>"$T/pla.err"; }
pla --baseline >"$T/pla.out"
counts_of_text() {  # the "LEVEL: n" lines of the text report -> "DEBUG=n ERROR=n INFO=n WARN=n"
  awk -F': ' '/^(DEBUG|ERROR|INFO|WARN): [0-9]+$/{c[$1]=$2} END{printf "DEBUG=%s ERROR=%s INFO=%s WARN=%s\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"]}' "$1"
}
check "--baseline: counts" "${want% lines=*}" "$(counts_of_text "$T/pla.out")"
check "--baseline: a measured, labelled baseline" 1 "$(grep -cE '^Baseline \(sequential, measured in this run\): [0-9]+\.[0-9]+s( \(simulated\))?$' "$T/pla.out" || true)"
check "--baseline: a numeric speedup" 1 "$(grep -cE '^Speedup: [0-9]+\.[0-9]{2}x ' "$T/pla.out" || true)"
pla --baseline --json >"$T/pla.json"
check "--baseline --json: speedup and baseline_measured_s" "2" "$(grep -cE '"(speedup|baseline_measured_s)": [0-9.e+-]+' "$T/pla.json" || true)"
check "--baseline --json: counts" "$want" "$(json_counts <"$T/pla.json")"
pla >"$T/pla0.out"
check "without --baseline: Speedup n/a" 1 "$(grep -c '^Speedup: n/a' "$T/pla0.out" || true)"
[ "$fail" == 0 ] || cat "$T/pla.out"

# ---- SMPI: the installed objects and dla-scenario ----
if [ "$smpi" == yes ] && command -v smpirun >/dev/null; then
  # (under smpirun, SimGrid takes --version for itself and prints its own: the objects are checked
  # by a real run instead, with the simulated baseline)
  timeout -k 5 120 smpirun -np 4 -platform "$P/share/dla/platforms/cluster8.xml" -hostfile "$P/share/dla/platforms/cluster8.hosts" \
    "${SMPI_DET_FLAGS[@]}" "$P/lib/dla/parallel_log_analyser_smpi" --baseline "$L" >"$T/smpi.out" 2>"$T/smpi.err" || true
  check "installed parallel_log_analyser_smpi --baseline: counts" "${want% lines=*}" "$(counts_of_text "$T/smpi.out")"
  check "installed parallel_log_analyser_smpi --baseline: simulated baseline and speedup" 2 \
    "$(grep -cE '^(Baseline \(sequential, measured in this run\): [0-9.]+s \(simulated\)|Speedup: [0-9]+\.[0-9]{2}x .*)$' "$T/smpi.out" || true)"
  rc=0
  timeout -k 5 200 "$P/bin/dla-scenario" run "$P/share/dla/scenarios/worker-crash" --runs "$T/runs" >"$T/scen.out" 2>&1 || rc=$?
  check "installed dla-scenario run worker-crash (from share/dla, vs its golden): exit" 0 "$rc"
  [ "$rc" == 0 ] || cat "$T/scen.out"
else
  echo "skip SMPI checks (not built)"
fi
exit $fail
