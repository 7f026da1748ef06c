#include "testbed/compare.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"

using nlohmann::json;
namespace sc = dla::scen;

namespace {

sc::Scenario parse_ok(const json& j) {
  auto r = sc::parse_scenario(j, "t", "/nonexistent");
  INFO((r.ok() ? std::string() : r.error()));
  REQUIRE(r.ok());
  return *r;
}

sc::RunMetrics run(const std::string& scen, const std::string& pol, double mk, double lb) {
  sc::RunMetrics m;
  m.scenario = scen;
  m.policy = pol;
  m.has_result = true;
  m.makespan = mk;
  m.lower_bound = lb;
  m.ratio = mk / lb;
  m.reassigned = 0;
  m.messages = 10;
  return m;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("compare: policy names, +speculate only on dynamic policies") {
  auto all = sc::all_policy_names();
  CHECK(all.size() == 9);
  CHECK(all.front() == "static");
  CHECK(all.back() == "steal+speculate");
  auto c = sc::split_policy("lpt+speculate");
  REQUIRE(c.ok());
  CHECK(c->policy == "lpt");
  CHECK(c->speculate);
  CHECK_FALSE(sc::split_policy("static+speculate").ok());
  CHECK_FALSE(sc::split_policy("psychic").ok());
  CHECK_FALSE(sc::split_policy("dynamic+").ok());
}

TEST_CASE("compare: program arguments carry speculation and the detector") {
  auto j = json::parse(R"({"platform": {"hosts": 2}, "input": {"files": 1, "lines": 1},
                           "options": {"policy": "steal", "speculate": true, "detector": "phi", "phi_threshold": 8}})");
  auto s = parse_ok(j);
  auto a = sc::program_args(s, "input", "run.trace");
  auto has = [&](const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); };
  CHECK(has("--speculate"));
  CHECK(has("phi"));
  CHECK(has("--phi-threshold"));
  a = sc::program_args(s, "input", "run.trace", "static");  // the override replaces policy and speculation
  CHECK_FALSE(std::find(a.begin(), a.end(), "--speculate") != a.end());
  CHECK(a[1] == "static");
  j["options"] = {{"policy", "static"}, {"speculate", true}};
  CHECK_FALSE(sc::parse_scenario(j, "t", "/nonexistent").ok());
  j["options"] = {{"detector", "oracle"}};
  CHECK_FALSE(sc::parse_scenario(j, "t", "/nonexistent").ok());
}

TEST_CASE("compare: with_option re-parses the scenario with one option changed") {
  auto s = parse_ok(json::parse(R"({"platform": {"hosts": 2}, "input": {"files": 1, "lines": 1},
                                    "options": {"timeout": 3, "heartbeat": 0.5}})"));
  dla::MemEnv env;
  std::string note;
  auto t = sc::with_option(s, "timeout", "1.5", "/nonexistent", &note, env);
  REQUIRE(t.ok());
  CHECK(t->options.timeout == 1.5);
  CHECK(note.empty());
  t = sc::with_option(s, "timeout", "0.4", "/nonexistent", &note, env);  // below the heartbeat: lowered
  REQUIRE(t.ok());
  CHECK(t->options.heartbeat == Approx(0.2));
  CHECK(note.find("heartbeat 0.2") != std::string::npos);
  t = sc::with_option(s, "phi-threshold", "8", "/nonexistent", &note, env);
  REQUIRE(t.ok());
  CHECK(t->options.phi_threshold == 8);
  auto bad = sc::with_option(s, "no-such-option", "1", "/nonexistent", &note, env);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("no_such_option: unknown key") != std::string::npos);
}

TEST_CASE("compare: table, JSON and chart have one entry per run") {
  std::vector<sc::RunMetrics> runs = {run("a", "static", 6.6, 1.0), run("a", "dynamic", 1.02, 1.0), run("b", "dynamic", 4, 2)};
  runs[2].counts_ok = false;
  runs[2].count_problems = {"count INFO = 4, base_log_analyser says 3"};
  auto table = sc::compare_table(runs);
  CHECK(count(table, "\n") == 5);  // header, rule, three rows
  CHECK(table.find("MISMATCH") != std::string::npos);
  auto j = sc::compare_json(runs);
  REQUIRE(j.size() == 3);
  for (const auto& o : j)
    for (const char* k : {"policy", "makespan", "lower_bound", "ratio"}) CHECK(o.contains(k));
  CHECK(j[0]["ratio"] == Approx(6.6));
  auto problems = sc::compare_problems(runs);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "b dynamic: COUNTS WRONG: count INFO = 4, base_log_analyser says 3");
  auto svg = sc::compare_chart_svg(runs, "t<1>");
  CHECK(count(svg, "class=\"bar\"") == 3);
  CHECK(count(svg, "class=\"bound\"") == 2);
  CHECK(count(svg, "class=\"panel\"") == 2);
  CHECK(svg.find("t&lt;1&gt;") != std::string::npos);
}

TEST_CASE("compare: the sweep table has one row per value") {
  std::vector<sc::SweepPoint> pts(2);
  pts[0].value = "1";
  pts[0].m = run("j", "dynamic", 5, 4);
  pts[0].m.false_suspicions = 2;
  pts[1].value = "3";
  pts[1].m = run("j", "dynamic", 6, 4);
  pts[1].note = "heartbeat 0.25 s";
  auto t = sc::sweep_table("timeout", pts);
  CHECK(count(t, "\n") == 4);
  CHECK(t.find("heartbeat 0.25 s") != std::string::npos);
  auto j = sc::sweep_json("timeout", pts);
  CHECK(j[1]["value"] == 3.0);
  CHECK(j[0]["false_suspicions"] == 2);
}
