#!/usr/bin/env bash
# needs: smpi
# timeout: 150
# The testbed's own checks must be able to fail, and its tools must work:
#  0. every committed scenario validates (dla_scenario check);
#  1. a scenario copied under another name matches its golden; a tampered golden trace, a wrong
#     expectation, a missing golden each fail the run (exit 2) with a message saying why;
#     --update-golden refuses to accept a failing run;
#  2. bad scenario files are rejected (exit 1, one "error:" line naming the key);
#  3. timeline: the SVG has one done bar per result event and one failure mark per timeout event
#     (counted here with grep/awk on the trace);
#  4. replay: a trace with a crash becomes a scenario that runs and fails the same rank;
#  5. `run DIR/..` is refused (the run directory would leave --runs), a run directory not made by
#     the tool is never cleaned, a 100,000-rank scenario fails `check` with one line.
set -euo pipefail
B=${DLA_BUILD:?}; S=${DLA_SRC:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
R="$tmp/repo"
mkdir -p "$R/scenarios/h8" "$R/traces"
cp "$S/scenarios/homogeneous-8/scenario.json" "$R/scenarios/h8/"
cp "$S/traces/homogeneous-8.trace" "$R/traces/h8.trace"
cp "$S/traces/homogeneous-8.out" "$R/traces/h8.out"
ds() { timeout -k 5 100 "$B/dla_scenario" "$@" --repo "$R" --build "$B" --runs "$tmp/runs"; }
expect_rc() {  # expect_rc RC PATTERN LOG -- command...
  local want=$1 pat=$2 log=$3; shift 4
  set +e; "$@" > "$log" 2>&1; local rc=$?; set -e
  if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" "$log"; then
    echo "FAIL: '$*' gave rc $rc (want $want) / no '$pat' in:"; cat "$log"; exit 1
  fi
  echo "ok: rc $rc, '$pat'"
}

# 0. every committed scenario validates
expect_rc 0 "OK worker-crash" "$tmp/0.log" -- "$B/dla_scenario" check --repo "$S" --build "$B" --runs "$tmp/runs"

# 1. goldens and expectations
expect_rc 0 "PASS h8 (matches golden)" "$tmp/1.log" -- ds run "$R/scenarios/h8"
sed -i '0,/ assign 3 /s/ assign 3 / assign 4 /' "$R/traces/h8.trace"
expect_rc 2 "trace differs from golden" "$tmp/2.log" -- ds run "$R/scenarios/h8"
cp "$S/traces/homogeneous-8.trace" "$R/traces/h8.trace"
echo "tampered" >> "$R/traces/h8.out"
expect_rc 2 "output differs from golden" "$tmp/3.log" -- ds run "$R/scenarios/h8"
rm "$R/traces/h8.out"
expect_rc 2 "no golden" "$tmp/4.log" -- ds run "$R/scenarios/h8"
cp "$S/traces/homogeneous-8.out" "$R/traces/h8.out"
sed -i 's/"failed_workers": \[\]/"failed_workers": [2]/' "$R/scenarios/h8/scenario.json"
expect_rc 2 "failed workers \[\], expected \[2\]" "$tmp/5.log" -- ds run "$R/scenarios/h8"
expect_rc 2 "goldens NOT updated" "$tmp/6.log" -- ds run "$R/scenarios/h8" --update-golden
cmp "$R/traces/h8.trace" "$S/traces/homogeneous-8.trace"
sed -i 's/"makespan_max": 6/"makespan_max": 1/; s/"failed_workers": \[2\]/"failed_workers": []/' "$R/scenarios/h8/scenario.json"
expect_rc 2 "makespan .* > makespan_max 1 s" "$tmp/7.log" -- ds run "$R/scenarios/h8" --no-golden

# 2. bad scenarios
bad() {  # bad NAME JSON PATTERN
  mkdir -p "$R/scenarios/$1"; printf '%s\n' "$2" > "$R/scenarios/$1/scenario.json"
  expect_rc 1 "$3" "$tmp/bad-$1.log" -- ds check "$R/scenarios/$1"
  [ "$(grep -c '^error:' "$tmp/bad-$1.log")" -eq 1 ] || { echo "FAIL: not exactly one error line"; exit 1; }
  rm -r "$R/scenarios/$1"
}
base='"platform": {"hosts": 4}, "input": {"files": 2, "lines": 10}'
bad unknown "{$base, \"fautls\": []}" "error: .*fautls: unknown key"
bad negtime "{$base, \"faults\": [{\"rank\": 1, \"at\": -2}]}" "faults\[0\].at"
bad norank "{$base, \"faults\": [{\"rank\": 7, \"at\": 2}]}" "rank 7 does not exist"
bad hb "{$base, \"options\": {\"heartbeat\": 4, \"timeout\": 3}}" "shorter than the timeout"
bad latdur "{$base, \"network\": [{\"host\": \"node-1\", \"at\": 1, \"latency\": \"1s\", \"duration\": 1}]}" "a latency change cannot end"
bad json "{$base," "not valid JSON"
bad speed "{\"platform\": {\"hosts\": 2, \"speed\": \"fast\"}, \"input\": {\"files\": 1, \"lines\": 1}}" "platform.speed: 'fast' is not a speed"

# 3. timeline against counts taken from the trace itself
g="$S/traces/two-crashes.trace"
"$B/dla_scenario" timeline "$g" -o "$tmp/t.svg" --title "two crashes"
results=$(grep -c ' result ' "$g"); timeouts=$(grep -c ' timeout ' "$g")
done_bars=$(grep -oE 'class="task (late )?done"' "$tmp/t.svg" | wc -l); marks=$(grep -o 'class="timeout"' "$tmp/t.svg" | wc -l)
echo "timeline: $done_bars done bars for $results results, $marks failure marks for $timeouts timeouts"
[ "$done_bars" -eq "$results" ] && [ "$marks" -eq "$timeouts" ] && [ "$timeouts" -eq 2 ]
tail -c 7 "$tmp/t.svg" | grep -q '</svg>'
expect_rc 1 "error: cannot read trace" "$tmp/tl.log" -- "$B/dla_scenario" timeline "$tmp/none.trace" -o "$tmp/x.svg"

"$B/dla_scenario" summary "$g" > "$tmp/sum.log"
grep -q "^tasks $results, .* failures: 2@[0-9.]* 5@[0-9.]*, reassignments 2" "$tmp/sum.log" || { echo "FAIL: summary"; cat "$tmp/sum.log"; exit 1; }
echo "ok: summary of two-crashes: $(tail -1 "$tmp/sum.log")"

# 4. replay: the worker-crash trace (rank 3 dies) as if it were a real incident
"$B/dla_scenario" replay "$S/traces/worker-crash.trace" -o "$R/scenarios/incident" --repo "$R"
grep -q '"rank": 3' "$R/scenarios/incident/scenario.json"
expect_rc 0 "PASS incident" "$tmp/r.log" -- ds run "$R/scenarios/incident" --no-golden
grep -A2 '"failed_workers"' "$tmp/runs/incident/result.json" | tr -d ' \n' | grep -q '"failed_workers":\[3\]'
expect_rc 1 "exists (--force to overwrite)" "$tmp/r2.log" -- "$B/dla_scenario" replay "$S/traces/worker-crash.trace" -o "$R/scenarios/incident" --repo "$R"
# 5. the run directory never escapes --runs and only what the tool made is cleaned
mkdir -p "$R/scenarios/h8/sub" "$tmp/runs2/keep"
echo precious > "$tmp/runs2/keep/notes.txt"
expect_rc 1 "cannot name a run directory" "$tmp/e1.log" -- "$B/dla_scenario" run "$R/scenarios/h8/sub/.." --repo "$R" --build "$B" --runs "$tmp/runs2/keep"
test -f "$tmp/runs2/keep/notes.txt"
mkdir -p "$tmp/runs3/h8" && echo precious > "$tmp/runs3/h8/notes.txt"
expect_rc 1 "was not made by dla-scenario" "$tmp/e2.log" -- "$B/dla_scenario" run "$R/scenarios/h8" --no-golden --repo "$R" --build "$B" --runs "$tmp/runs3"
test -f "$tmp/runs3/h8/notes.txt"
test -f "$tmp/runs/h8/.dla-scenario-run"  # a run directory the tool made carries its marker
# a scenario too big for this machine is refused by check, in one line
sed 's/"platform": {/"ranks": 100000, "platform": {/' "$R/scenarios/h8/scenario.json" > "$R/huge.json"
expect_rc 1 "at most 4096" "$tmp/e3.log" -- "$B/dla_scenario" check "$R/huge.json" --repo "$R" --build "$B" --runs "$tmp/runs"
echo "scen_tools: all checks passed"
