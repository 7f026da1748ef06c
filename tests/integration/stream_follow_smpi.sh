#!/usr/bin/env bash
# needs: smpi
# timeout: 120
# --follow under SimGrid SMPI (issue 13): polling runs on simulated time (sleep_seconds, MPI_Wtime).
# The input does not grow here (scripted growth inside the simulation is tested by the scenarios
# follow-rotation and follow-worker-crash, scenarios/README.md): --follow-for 3 simulated seconds over generated logs must count
# exactly what base_log_analyser counts, declare no worker failed, and two runs must print
# byte-identical output (determinism).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
enter_test_dir
fail=0
"$B/generate_logs" --out "$T/logs" --files 9 --lines 3000 --seed 5 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
for i in 1 2; do
  rc=0
  timeout -k 5 60 smpirun -platform "$SRC/platforms/cluster8.xml" -hostfile "$SRC/platforms/cluster8.hosts" -np 4 \
    "${SMPI_DET_FLAGS[@]}" "$B/distributed_log_analyser_smpi" --follow "$T/logs" --follow-for 3 --no-checkpoint \
    >"$T/run$i.out" 2>"$T/run$i.err" || rc=$?
  check "run $i: smpirun exit status" 0 "$rc"
  check "run $i: counts equal base_log_analyser's, no worker failed" "RESULT OK $base files=9/9 failed_workers=0" \
    "$(grep '^RESULT' "$T/run$i.out" | tail -n 1)"
  check "run $i: live lines on simulated time (3 s, one per second)" "yes" \
    "$(grep -c '^\[Follow\] t=' "$T/run$i.out" | awk '{print ($1 >= 3 && $1 <= 5) ? "yes" : "no: " $1}')"
done
check "two runs print the same" "identical" "$(cmp -s "$T/run1.out" "$T/run2.out" && echo identical || echo different)"
exit $fail
