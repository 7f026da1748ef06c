#!/usr/bin/env bash
# needs: smpi
# timeout: 180
# dla-scenario compare and sweep (issue 9), on the small straggler-10x scenario (8 ranks, 56 files;
# some policies speculate and steal there, so the cross-checks of 2b are not vacuous):
#  1. compare --json over the policies the program knows: a JSON array with one object per policy,
#     each with a policy name and numbers for makespan, lower_bound and ratio (= makespan / bound);
#  2. every run's counts equal an independent awk count of the same input (the first bracketed level
#     token of each line, [WARNING] as WARN), read from each run's own result.json;
#  2b. speculative copies and steals: compare's figures against grep on the trace and against the
#     scheduler's own counters in result.json, at least one copy and one steal among the runs;
#  3. the check can fail: a copy of the scenario expecting one INFO line too many makes compare exit 2
#     with a COUNTS WRONG error;
#  4. sweep --timeout 1,3: one row per value, and the chart is an SVG with one bar per run.
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
source "$S/tests/integration/lib/common.bash"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ds() { timeout -k 5 150 "$B/dla_scenario" "$@" --repo "$S" --build "$B" --runs "$tmp/runs"; }
fail=0

# 1. the JSON shape
ds compare "$S/scenarios/straggler-10x" --json --chart "$tmp/chart.svg" > "$tmp/c.json" 2> "$tmp/c.err" || { cat "$tmp/c.err"; exit 1; }
n=$(grep -c '^    "policy": "' "$tmp/c.json")
runs=$(ls -d "$tmp"/runs/compare/straggler-10x-*/ | wc -l)
check "objects = runs" "$runs" "$n"
[ "$n" -ge 2 ] || { echo "FAIL: fewer than 2 policies compared"; exit 1; }
for k in makespan lower_bound ratio; do
  check "numeric $k in every object" "$n" "$(grep -cE "^    \"$k\": [0-9][0-9.e+-]*,?$" "$tmp/c.json")"
done
# ratio = makespan / lower_bound, recomputed here
awk -F': ' '/^    "makespan"/{m=$2+0} /^    "lower_bound"/{l=$2+0} /^    "ratio"/{r=$2+0; d=m/l-r; if (d<0) d=-d; if (d>1e-9) bad++}
  END{exit bad>0}' "$tmp/c.json" || { echo "FAIL: a ratio is not makespan / lower_bound"; fail=1; }

# 2. counts, against awk on the input each run read
awk_counts() {
  LC_ALL=C awk 'match($0,/\[(DEBUG|ERROR|INFO|WARN|WARNING)\]/){t=substr($0,RSTART+1,RLENGTH-2); if(t=="WARNING")t="WARN"; c[t]++} {n++}
    END{printf "DEBUG=%d ERROR=%d INFO=%d WARN=%d lines=%d\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"], n}' "$@"
}
for d in "$tmp"/runs/compare/straggler-10x-*/; do
  check "counts of $(basename "$d")" "$(awk_counts "$d"/input/*.log)" "$(json_counts < "$d/result.json")"
done

# 2b. speculative copies and steals: compare's figures (from the trace) against the scheduler's own
#     counters in each result.json, and against grep on the trace
jnum() { awk -v k="\"$1\":" '$1==k{v=$2; gsub(/[^0-9]/,"",v); print v; exit}' "$2"; }
for d in "$tmp"/runs/compare/straggler-10x-*/; do
  [ -n "$(jnum speculative_started "$d/result.json")" ] || continue  # a program without the scheduler's statistics
  pol=${d%/}; pol=${pol##*/straggler-10x-}
  obj=$(awk -v p="\"$pol\"" '/^  \{/{o=""} {o=o $0 "\n"} $1=="\"policy\":" && $2==p","{f=1} /^  \}/{if(f){printf "%s", o; exit}}' "$tmp/c.json")
  check "$pol: speculative copies" "$(grep -c ' speculate ' "$d/run.trace" || true) $(jnum speculative_started "$d/result.json")" \
    "$(echo -e "$obj" | awk '$1=="\"spec_copies\":"{v=$2; gsub(/[^0-9]/,"",v); print v}') $(grep -c ' speculate ' "$d/run.trace" || true)"
  check "$pol: steals" "$(grep -c ' steal ' "$d/run.trace" || true)" "$(jnum steals_succeeded "$d/result.json")"
done
if grep -q speculative_started "$tmp"/runs/compare/straggler-10x-dynamic/result.json; then
  copies=$(cat "$tmp"/runs/compare/straggler-10x-*/run.trace | grep -c ' speculate ' || true)
  steals=$(cat "$tmp"/runs/compare/straggler-10x-*/run.trace | grep -c ' steal ' || true)
  [ "$copies" -ge 1 ] && [ "$steals" -ge 1 ] || { echo "FAIL: no speculative copy ($copies) or steal ($steals) in any run"; fail=1; }
fi

# 3. a wrong expected count fails loudly (the scenario's exact INFO count, plus one)
mkdir -p "$tmp/repo/scenarios/s10" "$tmp/repo/platforms"
info=$(awk_counts "$tmp"/runs/compare/straggler-10x-dynamic/input/*.log | sed 's/.*INFO=\([0-9]*\).*/\1/')
grep -q "\"INFO\": $info," "$S/scenarios/straggler-10x/scenario.json" || { echo "FAIL: the scenario's exact INFO count is not awk's $info"; exit 1; }
sed "s/\"INFO\": $info,/\"INFO\": $((info + 1)),/" "$S/scenarios/straggler-10x/scenario.json" > "$tmp/repo/scenarios/s10/scenario.json"
set +e
timeout -k 5 60 "$B/dla_scenario" compare "$tmp/repo/scenarios/s10" --policies dynamic --repo "$tmp/repo" --build "$B" \
  --runs "$tmp/runs2" > "$tmp/bad.out" 2> "$tmp/bad.err"
rc=$?
set -e
check "compare with a wrong expected count: exit status" 2 "$rc"
grep -q "^error: s10 dynamic: COUNTS WRONG: count INFO = $info, the scenario expects exactly $((info + 1))" "$tmp/bad.err" \
  || { echo "FAIL: no COUNTS WRONG error"; cat "$tmp/bad.err"; fail=1; }

# 4. sweep and chart
ds sweep "$S/scenarios/straggler-10x" --timeout 1,3 > "$tmp/s.txt" 2> "$tmp/s.err" || { cat "$tmp/s.err"; exit 1; }
check "sweep rows" "1 3" "$(awk 'NR>2{printf "%s%s", s, $1; s=" "}' "$tmp/s.txt")"
check "chart bars" "$n" "$(grep -o 'class="bar"' "$tmp/chart.svg" | wc -l)"
tail -c 7 "$tmp/chart.svg" | grep -q '</svg>' || { echo "FAIL: chart not closed"; fail=1; }
exit $fail
