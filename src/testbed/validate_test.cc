// testbed/validate.h: the figures side by side.
#include "testbed/validate.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace dla::scen {

TEST_CASE("relative_error: signed, undefined without a real value", "[testbed][validate]") {
  CHECK(relative_error(4.4, 4.0) == Approx(0.1));
  CHECK(relative_error(3.0, 4.0) == Approx(-0.25));
  CHECK(std::isnan(relative_error(1.0, 0.0)));
  CHECK(std::isnan(relative_error(-1, 2.0)));
}

TEST_CASE("tasks_per_rank counts applied results per rank", "[testbed][validate]") {
  auto t = Trace::parse("0.1 1 assign 0 10\n0.5 1 result 0 10\n0.6 2 result 1 10\n0.7 2 duplicate 0 10\n0.8 2 result 2 10\n");
  REQUIRE(t.ok());
  CHECK(tasks_per_rank(*t, 3) == std::vector<int>{0, 1, 2});
}

TEST_CASE("validation json and table", "[testbed][validate]") {
  Validation v;
  v.scenario = "s";
  v.sim.makespan = 5.5;
  v.real.makespan = 5.0;
  v.sim.detection_max = 3;
  v.sim.reassigned = v.real.reassigned = 1;
  v.tasks_sim = {0, 3, 4};
  v.tasks_real = {0, 4, 3};
  v.sim_ok = true;
  v.not_reproduced = {"latency"};
  auto j = validation_json(v);
  CHECK(j["scenario"] == "s");
  CHECK(j["makespan_error"].get<double>() == Approx(0.1));
  CHECK(j["detection_real"].is_null());
  CHECK(j["detection_error"].is_null());
  CHECK(j["real_ok"] == false);
  const std::string t = validation_table({v});
  CHECK(t.find("+10.0%") != std::string::npos);
  CHECK(t.find("3 4") != std::string::npos);
  CHECK(t.find("REAL FAILED") != std::string::npos);
  CHECK(t.find("not reproduced: latency") != std::string::npos);
}

}  // namespace dla::scen
