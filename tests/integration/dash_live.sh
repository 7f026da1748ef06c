#!/usr/bin/env bash
# needs: mpi
# timeout: 240
# The live dashboard (issue 15) on a real, throttled Open MPI run: `--dashboard 127.0.0.1:0` (the
# port it got is printed on stderr), then with curl: /api/state (3 busy workers, status running),
# the SSE stream (several snapshots, rising seq), /metrics (Prometheus text), bad requests (4xx).
# A worker is killed (kill -9 of the pid the master printed): /api/state must show it failed, a
# failure event for it, and a reassign event for its task on another worker. Then Debian's
# chromium, headless (its own --dump-dom and --screenshot; no npm), loads the page while the run
# goes on: the DOM must hold the three worker rows, the failed one marked, the counts per level
# and the failure and reassignment on the timeline; a screenshot is saved (DLA_DASH_SCREENSHOT=PATH
# copies it there, e.g. report/dashboard.png). The run must still end RESULT OK with the counts of
# base_log_analyser (an independent count) and the victim among the failed. Under SMPI
# --dashboard is refused with a clear error. The browser part is skipped, saying so, only where
# chromium is missing or cannot start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
SRC=$(cd "${DLA_SRC:-.}" && pwd)
T=$(mktemp -d)
job=""
cleanup() { [ -n "$job" ] && kill "$job" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
fail=0
APP="$B/distributed_log_analyser"
for tool in curl jq; do command -v $tool >/dev/null || { echo "FAIL: $tool is needed (tools/install-deps installs it)"; exit 1; }; done

"$B/generate_logs" --out "$T/logs" --files 24 --lines 5000 --seed 23 >/dev/null
base=$("$B/base_log_analyser" --json "$T/logs" | json_counts)
echo "base counts: $base"

# ---- a throttled run with the dashboard (~30 s: 24 x ~0.37 MB at 100 KB/s per worker, 3 then 2 workers) ----
timeout -k 5 150 "$SRC/tools/dla-mpirun" -np 4 "$APP" --no-checkpoint --throttle 100000 --dashboard 127.0.0.1:0 --progress \
  "$T/logs" >"$T/run.out" 2>"$T/run.err" &
job=$!
url=""
for _ in $(seq 1 150); do
  url=$(sed -n 's/^dashboard: \(http:[^ ]*\).*/\1/p' "$T/run.err" | head -n 1)
  [ -n "$url" ] && break
  sleep 0.1
done
check "dashboard URL printed on stderr" yes "$( [[ "$url" == http://127.0.0.1:* ]] && echo yes || echo "no ($url)")"
[ -n "$url" ] || { cat "$T/run.err"; exit 1; }
echo "dashboard at $url"
state() { curl -sf --max-time 5 "${url}api/state"; }
sleep 1.5
state >"$T/s1.json"
check "/api/state: live mode" live "$(jq -r .mode "$T/s1.json")"
check "/api/state: running" running "$(jq -r .status "$T/s1.json")"
check "/api/state: three workers" 3 "$(jq '.workers | length' "$T/s1.json")"
check "/api/state: all three busy" "busy busy busy" "$(jq -r '[.workers[].state] | join(" ")' "$T/s1.json")"
check "/api/state: 24 tasks" 24 "$(jq .tasks.total "$T/s1.json")"
check "/api/state: bytes total = the input's" "$(cat "$T"/logs/*.log | wc -c)" "$(jq .bytes.total "$T/s1.json")"

# The stream: several snapshots in ~2 s, seq rising.
timeout 2.5 curl -sN "${url}api/stream" >"$T/stream.txt" || true
n=$(grep -c '^data: ' "$T/stream.txt" || true)
check "SSE stream: >= 4 snapshots in 2.5 s" yes "$([ "$n" -ge 4 ] && echo yes || echo "no ($n)")"
seqs=$(sed -n 's/^data: //p' "$T/stream.txt" | jq -s '[.[].seq] | (. == (sort | unique))')
check "SSE stream: seq strictly rising" true "$seqs"
curl -sf "${url}metrics" >"$T/metrics.txt"
check "/metrics: workers by state" yes "$(grep -q '^dla_workers{state="busy"} [0-9]' "$T/metrics.txt" && echo yes || echo no)"
check "/metrics: lines by level" yes "$(grep -q '^dla_lines_total{level="INFO"} [0-9]' "$T/metrics.txt" && echo yes || echo no)"
check "POST is refused (4xx)" 4 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "${url}api/state" | cut -c1)"
check "unknown path: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "${url}etc/passwd")"
check "time travel on a live run: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "${url}api/state?t=1")"
check "oversized header: 4xx" 4 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' y)" "${url}api/state" | cut -c1)"

# ---- a worker killed: failed, then its task reassigned ----
victim=2
pid=$(sed -n "s/^\[Master\] Worker $victim ready (pid \([0-9]*\),.*/\1/p" "$T/run.out")
check "victim pid known" yes "$([ -n "$pid" ] && echo yes || echo no)"
state >"$T/s1b.json"
vtask=$(jq ".workers[] | select(.rank == $victim) | .task" "$T/s1b.json")
kill -9 "$pid"
echo "killed rank $victim (pid $pid) holding task $vtask"
seen_failed=no seen_reassign=no
for _ in $(seq 1 150); do  # <= 15 s: timeout 3 s, then a worker finishes its ~3.7 s task
  state >"$T/s2.json" || continue
  [ "$(jq -r ".workers[] | select(.rank == $victim) | .state" "$T/s2.json")" == failed ] && seen_failed=yes
  jq -e ".events[] | select(.kind == \"reassign\" and .task == $vtask and .rank != $victim)" "$T/s2.json" >/dev/null && seen_reassign=yes
  [ $seen_failed == yes ] && [ $seen_reassign == yes ] && break
  sleep 0.1
done
check "victim seen failed on /api/state" yes "$seen_failed"
check "failure event for the victim" yes "$(jq -e ".events[] | select(.kind == \"failure\" and .rank == $victim)" "$T/s2.json" >/dev/null && echo yes || echo no)"
check "its task $vtask seen reassigned to another worker" yes "$seen_reassign"
check "workers alive: 2" 2 "$(jq .workers_alive "$T/s2.json")"
check "/metrics: one failed worker" yes "$(curl -sf "${url}metrics" | grep -q '^dla_workers{state="failed"} 1$' && echo yes || echo no)"

# ---- the page in a real browser (Debian's chromium, headless) ----
CHROME=$(command -v chromium || command -v chromium-browser || true)
chrome() { timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
             --user-data-dir="$T/chrome-profile" --virtual-time-budget=4000 "$@" 2>>"$T/chrome.err" || echo "chromium failed: $?" >&2; }
if [ -z "$CHROME" ]; then
  echo "SKIP browser part: no chromium here (apt-get install chromium)"
elif ! timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome-profile" --dump-dom about:blank \
       >/dev/null 2>>"$T/chrome.err"; then
  echo "SKIP browser part: chromium cannot start here:"; tail -n 5 "$T/chrome.err"
else
  # ?poll=1: the page polls /api/state (an open SSE stream would hold virtual time back).
  chrome --dump-dom "${url}?poll=1" >"$T/dom.html"
  state >"$T/s3.json"
  rows=$(grep -o '<tr class="worker state-[a-z]*" data-rank="[0-9]*"' "$T/dom.html" | wc -l)
  check "DOM: three worker rows" 3 "$rows"
  check "DOM: the victim's row is failed" yes "$(grep -q "<tr class=\"worker state-failed\" data-rank=\"$victim\"" "$T/dom.html" && echo yes || echo no)"
  check "DOM: the live workers are not failed" 2 "$(grep -o '<tr class="worker state-[a-z]*"' "$T/dom.html" | grep -vc state-failed)"
  for lvl in DEBUG ERROR INFO WARN; do
    dom=$(sed -n "s/.*id=\"count-$lvl\">\([0-9,]*\)<.*/\1/p" "$T/dom.html" | tr -d ,)
    final=$(echo "$base" | grep -o "$lvl=[0-9]*" | cut -d= -f2)
    check "DOM: count $lvl shown, <= the final count" yes "$([ -n "$dom" ] && [ "$dom" -le "$final" ] && echo yes || echo "no ($dom)")"
  done
  check "DOM: failure on the timeline" yes "$(grep -q "data-kind=\"failure\" data-rank=\"$victim\"" "$T/dom.html" && echo yes || echo no)"
  check "DOM: reassignment on the timeline" yes "$(grep -q 'data-kind="reassign"' "$T/dom.html" && echo yes || echo no)"
  check "DOM: status running" yes "$(grep -q 'data-status="running"' "$T/dom.html" && echo yes || echo no)"
  chrome --window-size=1400,900 --screenshot="$T/dashboard.png" "${url}?poll=1" >/dev/null
  size=$(stat -c %s "$T/dashboard.png" 2>/dev/null || echo 0)
  check "screenshot saved (PNG)" yes "$([ "$size" -gt 20000 ] && head -c 8 "$T/dashboard.png" | grep -q PNG && echo yes || echo "no ($size bytes)")"
  if [ -n "${DLA_DASH_SCREENSHOT:-}" ]; then cp "$T/dashboard.png" "$DLA_DASH_SCREENSHOT"; echo "screenshot copied to $DLA_DASH_SCREENSHOT"; fi
fi

# ---- the run ends on its own, with the right counts ----
rc=0
wait $job || rc=$?
job=""
check "wrapper exit" 0 "$rc"
check "RESULT OK with base counts" "RESULT OK $base" "$(tail -n 1 "$T/run.out" | sed 's/ files=.*//')"
check "the victim was declared failed" yes "$(tail -n 1 "$T/run.out" | grep -q "failed=\(.*,\)\?$victim\(,\|$\| \)" && echo yes || echo no)"
check "--progress: progress lines on stderr, workers 2/3 after the kill" yes \
  "$(tr '\r' '\n' <"$T/run.err" | grep -q '^dla .*%.* / .*/s  ETA .*  workers 2/3  tasks [0-9]*/24  failed 1' && echo yes || echo no)"
[ "$fail" == 0 ] || { echo "--- run.out"; cat "$T/run.out"; echo "--- run.err"; tr '\r' '\n' <"$T/run.err" | tail -n 20; }

# ---- a finished simulated run, replayed: dla-scenario dashboard TRACE ----
"$B/dla_scenario" dashboard "$SRC/traces/worker-crash.trace" --port 0 >"$T/replay.out" 2>&1 &
rjob=$!
rurl=""
for _ in $(seq 1 100); do
  rurl=$(sed -n 's/.*\(http:[^ ]*\).*/\1/p' "$T/replay.out" | head -n 1)
  [ -n "$rurl" ] && break
  sleep 0.1
done
curl -sf "${rurl}api/state?t=2" >"$T/r2.json" || true
curl -sf "${rurl}api/state" >"$T/rend.json" || true
check "replay: mode" replay "$(jq -r .mode "$T/r2.json")"
check "replay at t=2: running, 7 workers" "running 7" "$(jq -r '"\(.status) \(.workers | length)"' "$T/r2.json")"
check "replay at the end: finished, 28/28 tasks" "finished 28/28" "$(jq -r '"\(.status) \(.tasks.done)/\(.tasks.total)"' "$T/rend.json")"
check "replay at the end: worker 3 failed, one reassignment" "failed 1" \
  "$(jq -r '"\(.workers[] | select(.rank == 3) | .state) \(.tasks.reassigned)"' "$T/rend.json")"
check "replay: bad t is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "${rurl}api/state?t=x")"
if [ -n "$CHROME" ] && [ -s "$T/dom.html" ]; then
  chrome --dump-dom "$rurl" >"$T/rdom.html"
  check "replay DOM: a time slider" yes "$(grep -q '<div id="replay" class="show">' "$T/rdom.html" && echo yes || echo no)"
  check "replay DOM: worker 3 failed" yes "$(grep -q '<tr class="worker state-failed" data-rank="3"' "$T/rdom.html" && echo yes || echo no)"
fi
kill $rjob 2>/dev/null || true
wait $rjob 2>/dev/null || true

# ---- refused under SMPI, with a clear error ----
if [ -f "$B/distributed_log_analyser_smpi" ] && command -v smpirun >/dev/null; then
  rc=0
  timeout -k 5 60 smpirun -platform "$SRC/platforms/cluster8.xml" -hostfile "$SRC/platforms/cluster8.hosts" -np 2 \
    "${SMPI_DET_FLAGS[@]}" "$B/distributed_log_analyser_smpi" --no-checkpoint --dashboard 8080 "$T/logs" >"$T/smpi.out" 2>"$T/smpi.err" || rc=$?
  check "SMPI: --dashboard refused with an error line" yes "$(grep -q '^error: --dashboard needs real MPI' "$T/smpi.err" && echo yes || echo no)"
  check "SMPI: RESULT ERROR" yes "$(grep -q '^RESULT ERROR --dashboard' "$T/smpi.out" && echo yes || echo no)"
fi
exit $fail
