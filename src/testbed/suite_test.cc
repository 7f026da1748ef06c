#include "testbed/suite.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"

TEST_CASE("suite: scenarios listed by name, filtered by tags; a bad one is an error") {
  dla::MemEnv env;
  auto put = [&](const std::string& name, const std::string& tags) {
    REQUIRE(dla::make_dirs(env, "/r/scenarios/" + name).ok());
    REQUIRE(dla::write_file(env, "/r/scenarios/" + name + "/scenario.json",
                            R"({"platform": {"hosts": 2}, "input": {"files": 1, "lines": 1}, "tags": )" + tags + "}",
                            dla::WriteMode::kTruncate, false)
                .ok());
  };
  put("b", R"(["large"])");
  put("a", "[]");
  REQUIRE(dla::make_dirs(env, "/r/scenarios/.hidden").ok());
  auto all = dla::scen::list_scenarios("/r", {}, {}, env);
  REQUIRE(all.ok());
  CHECK(*all == std::vector<std::string>{"/r/scenarios/a", "/r/scenarios/b"});
  CHECK(*dla::scen::list_scenarios("/r", {}, {"large"}, env) == std::vector<std::string>{"/r/scenarios/a"});
  CHECK(*dla::scen::list_scenarios("/r", {"large"}, {}, env) == std::vector<std::string>{"/r/scenarios/b"});
  auto s = dla::scen::load_scenario("/r/scenarios/a", "/r", env);
  REQUIRE(s.ok());
  CHECK(dla::scen::describe_scenario(*s) ==
        "a: 2 ranks on 2 hosts (generated), input 1 generated files x 1 lines, policy dynamic, 0 fault(s), 0 slowdown(s), "
        "0 network change(s)");
  put("c", "[1]");
  CHECK_FALSE(dla::scen::list_scenarios("/r", {}, {}, env).ok());
}
