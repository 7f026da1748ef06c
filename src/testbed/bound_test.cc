#include "testbed/bound.h"

#include <catch2/catch.hpp>
#include <cmath>

using nlohmann::json;
namespace sc = dla::scen;

namespace {

sc::Scenario parse_ok(const json& j) {
  auto r = sc::parse_scenario(j, "t", "/nonexistent");
  INFO((r.ok() ? std::string() : r.error()));
  REQUIRE(r.ok());
  return *r;
}

json doc() {  // workers (ranks 1..3): 4 Gf, 1 Gf, 0.25 Gf; rank 0 (the master) is not counted
  return json::parse(R"({"platform": {"hosts": 4, "speeds": [1, 4, 1, 0.25]}, "input": {"files": 3, "lines": 10}})");
}

}  // namespace

TEST_CASE("bound: time_to_reach integrates a step profile") {
  sc::RateProfile f = {{0, 2}, {3, 1}};
  CHECK(sc::time_to_reach(f, 0) == 0);
  CHECK(sc::time_to_reach(f, 4) == Approx(2));
  CHECK(sc::time_to_reach(f, 6) == Approx(3));
  CHECK(sc::time_to_reach(f, 8) == Approx(5));  // 6 by t=3, then 2 more at rate 1
  CHECK(std::isinf(sc::time_to_reach({{0, 1}, {2, 0}}, 3)));  // capacity gone for ever
}

TEST_CASE("bound: constant speeds give max(work / sum, largest / fastest)") {
  auto s = parse_ok(doc());
  auto b = sc::work_bound(s, {100, 100, 400});
  REQUIRE(b.ok());
  CHECK_FALSE(b->time_varying);
  CHECK(b->value == Approx(600 / 5.25e9));
  b = sc::work_bound(s, {4000, 10, 10});
  CHECK(b->value == Approx(4000 / 4e9));
  CHECK(b->task_term == Approx(4000 / 4e9));
  // a policy that splits tasks further: only the work term is left
  b = sc::work_bound(s, {4000, 10, 10}, 100);
  CHECK(b->value == Approx(4020 / 5.25e9));
}

TEST_CASE("bound: a worker slowing 10x mid-run is integrated, not taken at peak or at its slow speed") {
  auto j = doc();
  j["platform"]["speeds"] = {1, 1, 1, 1};  // three 1 Gf workers
  j["slowdowns"] = json::array({{{"rank", 1}, {"at", 1.0}, {"speed", 0.1}}});
  auto s = parse_ok(j);
  // work 6e9 flops: by t=1 all three did 3e9; then 2.1e9 flop/s: 3e9 more takes 1.4286 s
  auto b = sc::work_bound(s, {2000000000, 2000000000, 2000000000}, 0);
  REQUIRE(b.ok());
  CHECK(b->time_varying);
  CHECK(b->work_term == Approx(1 + 3.0 / 2.1));
  CHECK(b->task_term == Approx(2.0));  // an unslowed worker does the 2e9 task in 2 s
}

TEST_CASE("bound: a crashed worker contributes until its crash; a slowdown with a duration ends") {
  auto j = doc();
  j["platform"]["speeds"] = {1, 1, 1};
  j["platform"]["hosts"] = 3;
  j["faults"] = json::array({{{"rank", 2}, {"at", 1.0}}});
  auto b = sc::work_bound(parse_ok(j), {1500000000, 1500000000});
  REQUIRE(b.ok());
  CHECK(b->work_term == Approx(2.0));  // 2e9 by t=1, the last 1e9 on one worker
  j.erase("faults");
  j["slowdowns"] = json::array({{{"rank", 1}, {"at", 0.5}, {"speed", 0.5}, {"duration", 1.0}}});
  auto cap = sc::worker_capacity(parse_ok(j));
  REQUIRE(cap.ok());
  REQUIRE(cap->per_rank[1].size() == 3);
  CHECK(cap->per_rank[1][1].rate == Approx(0.5e9));
  CHECK(cap->per_rank[1][2].at == Approx(1.5));
  CHECK(cap->total.back().rate == Approx(2e9));
}

TEST_CASE("bound: ranks sharing a host share its cores; throttle and slow factors cap a rank") {
  auto j = json::parse(R"({"platform": {"hosts": 2, "speed": 1, "cores": 2}, "ranks": 6, "input": {"files": 3, "lines": 10}})");
  auto cap = sc::worker_capacity(parse_ok(j));  // workers: 2 on host 0 (with the master), 3 on host 1
  REQUIRE(cap.ok());
  CHECK(cap->total[0].rate == Approx(4e9));  // each host gives at most 2 cores
  j["options"] = {{"throttle", 1e8}, {"flops_per_byte", 1}, {"slow", {{{"rank", 1}, {"factor", 4}}}}};
  cap = sc::worker_capacity(parse_ok(j));
  CHECK(cap->per_rank[1][0].rate == Approx(2.5e7));
  CHECK(cap->per_rank[2][0].rate == Approx(1e8));
  CHECK(cap->total[0].rate == Approx(4.25e8));
  auto dead = json::parse(R"({"platform": {"hosts": 2}, "input": {"files": 1, "lines": 1}, "faults": [{"rank": 1, "at": 0}]})");
  CHECK_FALSE(sc::work_bound(parse_ok(dead), {100}).ok());
}
