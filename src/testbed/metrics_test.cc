#include "testbed/metrics.h"

#include <catch2/catch.hpp>

using nlohmann::json;
namespace sc = dla::scen;

namespace {

sc::Scenario scenario(const json& faults) {
  json j = json::parse(R"({"platform": {"hosts": 5}, "input": {"files": 3, "lines": 10}})");
  j["faults"] = faults;
  auto r = sc::parse_scenario(j, "t", "/nonexistent");
  REQUIRE(r.ok());
  return *r;
}

dla::Trace trace(const std::string& text) {
  auto t = dla::Trace::parse(text);
  REQUIRE(t.ok());
  return *t;
}

json result(double makespan) {
  return {{"counts", {{"DEBUG", 1}, {"ERROR", 2}, {"INFO", 3}, {"WARN", 4}}}, {"lines", 10}, {"makespan_s", makespan},
          {"tasks_reassigned", 1}, {"messages_sent", 40}};
}

}  // namespace

TEST_CASE("metrics: detection latency from the scenario's faults, false suspicions are the rest") {
  auto s = scenario(json::array({{{"rank", 1}, {"at", 1.0}}, {{"rank", 2}, {"at", 5.0}, {"kind", "hang"}}}));
  // rank 1 crashed at 1.0 and is detected at 4.2; rank 3 (no fault) is declared failed: false;
  // rank 2 is declared failed at 2.0, BEFORE its hang at 5.0: false too, and its hang is never detected.
  auto t = trace("1.0 1 crash -1 0 kill\n2.0 2 timeout 4 0\n3.5 3 timeout 2 0 silent 3.1s\n4.2 1 timeout 1 0\n");
  auto m = sc::evaluate_run(s, "dynamic", result(8.0), result(0), t, 4.0);
  CHECK(m.makespan == 8.0);
  CHECK(m.ratio == Approx(2.0));
  CHECK(m.failures == 3);
  CHECK(m.false_suspicions == 2);
  CHECK(m.detection_max == Approx(3.2));
  CHECK(m.undetected == 1);
  CHECK(m.counts_ok);
  CHECK(m.reassigned == 1);
  CHECK(m.messages == 40);
}

TEST_CASE("metrics: speculative copies, steals and wasted bytes come from the trace") {
  auto s = scenario(json::array());
  auto t = trace(
      "0.1 1 assign 0 1000\n0.2 2 steal 1 500 from 3\n0.5 4 speculate 0 1000\n0.6 1 heartbeat 0 300\n"
      "0.9 4 result 0 1000\n0.9 1 cancel 0 0\n1.0 3 speculate 2 800\n1.5 3 duplicate 2 800\n1.6 2 cancel 5 200\n");
  auto m = sc::evaluate_run(s, "steal+speculate", result(2.0), result(0), t, -1);
  CHECK(m.spec_copies == 2);
  CHECK(m.spec_won == 1);
  CHECK(m.steals == 1);
  CHECK(m.wasted_bytes == 300 + 800 + 200);  // cancel at the last heartbeat, the duplicate, a cancel with bytes
  CHECK(m.ratio == -1);                      // no bound
  CHECK(m.false_suspicions == 0);
  CHECK(m.detection_max == -1);
}

TEST_CASE("metrics: wrong counts are reported, a run without result has none") {
  auto s = scenario(json::array());
  auto wrong = result(1.0);
  wrong["counts"]["INFO"] = 4;
  auto m = sc::evaluate_run(s, "dynamic", wrong, result(0), dla::Trace(), 1.0);
  CHECK_FALSE(m.counts_ok);
  REQUIRE(m.count_problems.size() == 1);
  CHECK(m.count_problems[0] == "count INFO = 4, base_log_analyser says 3");
  auto none = sc::evaluate_run(s, "dynamic", json(), result(0), dla::Trace(), 1.0);
  CHECK_FALSE(none.has_result);
  CHECK_FALSE(none.counts_ok);
  auto j = sc::metrics_json(m);
  CHECK(j["policy"] == "dynamic");
  CHECK(j["lower_bound"] == 1.0);
  CHECK(j["ratio"] == 1.0);
  CHECK(sc::metrics_json(none)["makespan"].is_null());
}

TEST_CASE("metrics: a host switched off hits every rank on it") {
  json j = json::parse(R"({"platform": {"hosts": 2}, "ranks": 5, "input": {"files": 1, "lines": 1},
                           "faults": [{"host": "node-1", "at": 2, "kind": "host-off"}, {"rank": 3, "at": 1}]})");
  auto s = sc::parse_scenario(j, "t", "/nonexistent");
  REQUIRE(s.ok());
  auto f = sc::fault_times(*s);
  REQUIRE(f.size() == 2);  // ranks 1 and 3 live on node-1; rank 3 crashed earlier
  CHECK(f[0] == std::make_pair(1, 2.0));
  CHECK(f[1] == std::make_pair(3, 1.0));
}
