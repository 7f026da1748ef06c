// testbed/real.h: calibration, lab quotas, the calibrated twin and the lab plan (pure; the real
// runs themselves are the lab_validate integration test, which needs root).
#include "testbed/real.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"

namespace dla::scen {
namespace {

using nlohmann::json;

Calibration calib() {
  auto c = parse_calibration(json{{"workload_format", "regex:^(?<level>[A-Z]+)"},
                                  {"scan_rate", 40e6},
                                  {"scan_rate_by_quota", json::array({json::array({0.01, 30e6}), json::array({0.1, 40e6})})},
                                  {"cores_per_gf", 0},
                                  {"max_cores", 1.6},
                                  {"min_cores", 0.01},
                                  {"master_cores", 0.1},
                                  {"link_latency", 2e-5},
                                  {"link_bandwidth", 1e9}});
  REQUIRE(c.ok());
  return *c;
}

Scenario scenario(const json& extra) {
  json j = {{"platform", {{"hosts", 4}, {"speeds", {1, 1, 2, 0.25}}}},
            {"input", {{"files", 4}, {"lines", 100}, {"seed", 1}}},
            {"options", {{"flops_per_byte", 1000}}}};
  j.update(extra);
  auto s = parse_scenario(j, "t", "/nonexistent");
  REQUIRE(s.ok());
  return *s;
}

}  // namespace

TEST_CASE("calibration: parsed, checked, rate interpolated per quota", "[testbed][real]") {
  const Calibration c = calib();
  CHECK(c.rate_at(0.001) == Approx(30e6));  // flat outside the measured quotas
  CHECK(c.rate_at(0.055) == Approx(35e6));
  CHECK(c.rate_at(1) == Approx(40e6));
  CHECK_FALSE(parse_calibration(json{{"scan_rate", 1}}).ok());                                  // no workload
  CHECK_FALSE(parse_calibration(json{{"workload_format", "bracket"}, {"scan_rate", 0}}).ok());  // no rate
  CHECK_FALSE(parse_calibration(json{{"workload_format", "x"}, {"scan_rate", 1}, {"scan_rate_by_quota", json::array({1})}}).ok());
  MemEnv env;
  CHECK(load_calibration("/none.json", env).error().find("tools/calibrate-lab") != std::string::npos);
}

TEST_CASE("lab quotas: the scenario's time scale, the budget cap, the floors", "[testbed][real]") {
  const Calibration c = calib();
  const Scenario s = scenario(json::object());
  // auto: 1e9 / (40e6 x 1000) = 0.025 core per Gf; sum 0.1/0.025 (master floor) + 1 + 2 + 0.25 = 7.25 Gf
  CHECK(*lab_scale(s, c) == Approx(0.025));
  const auto cores = *lab_host_cores(s, c);
  REQUIRE(cores.size() == 4);
  CHECK(cores[0] == Approx(0.1));     // the master's floor
  CHECK(cores[1] == Approx(0.025));
  CHECK(cores[2] == Approx(0.05));
  CHECK(cores[3] == Approx(0.01));    // 0.00625 raised to the smallest quota
  Calibration tight = c;
  tight.max_cores = 0.0725;  // the scale shrinks so that the sum (7.25 Gf, the master at 4) fits
  CHECK(*lab_scale(s, tight) == Approx(0.01));
}

TEST_CASE("calibrated twin: flops_per_byte and host speeds as the quotas really scan", "[testbed][real]") {
  const Calibration c = calib();
  const Scenario s = scenario({{"slowdowns", {{{"host", "node-1"}, {"at", 1}, {"speed", 0.5}}}}});
  auto t = calibrated_scenario(s, c);
  REQUIRE(t.ok());
  const double ref = c.rate_at(0.025) * 0.025;
  CHECK(t->options.flops_per_byte == Approx(1e9 / ref));
  CHECK(t->platform.hosts[1].speed == Approx(1e9));
  // node-3: quota 0.01 (not 0.00625) at 30 MB/s per core
  CHECK(t->platform.hosts[3].speed == Approx(c.rate_at(0.01) * 0.01 / ref * 1e9));
  // node-1 slowed to half: 0.0125 core, at that quota's rate
  CHECK(t->slowdowns[0].speed == Approx(c.rate_at(0.0125) * 0.0125 / ref));
  CHECK(t->options.extra_args.back() == "regex:^(?<level>[A-Z]+)");
  CHECK(t->platform.latency == Approx(1e-5));
  CHECK(t->platform.backbone_latency == 0);
  Scenario file = s;
  file.platform.generated = false;  // a platform file: no host speeds to make quotas from
  CHECK(calibrated_scenario(file, c).error().find("generated platform") != std::string::npos);
  CHECK(calibrated_scenario(scenario({{"ranks_per_host", 2}}), c).error().find("one rank per host") != std::string::npos);
}

TEST_CASE("lab plan: crashes from outside, host loss, slowdowns, links; latency named", "[testbed][real]") {
  const Calibration c = calib();
  const Scenario s = scenario({{"faults", {{{"rank", 2}, {"at", 1.5}}, {{"rank", 3}, {"at", 2}, {"kind", "hang"}},
                                           {{"host", "node-1"}, {"at", 3}, {"kind", "host-off"}}}},
                               {"slowdowns", {{{"host", "node-2"}, {"at", 1}, {"speed", 0.001}, {"duration", 2}}}},
                               {"network", {{{"host", "node-3"}, {"at", 0.5}, {"bandwidth", "96Bps"}, {"duration", 1}},
                                            {{"host", "node-3"}, {"at", 4}, {"latency", "0.3s"}}}}});
  auto p = plan_lab(s, *calibrated_scenario(s, c), c, "dla-t1", "/b/distributed_log_analyser", "run.trace");
  REQUIRE(p.ok());
  CHECK(p->up_args == std::vector<std::string>{"up", "4", "--speeds", "0.1,0.025,0.05,0.01", "--name", "dla-t1"});
  auto has = [&](const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  // rank 2's crash is a SIGKILL from outside, not --inject-crash; rank 3's hang stays injected
  CHECK(has(p->mpirun_args, "3@2:hang"));
  CHECK_FALSE(has(p->mpirun_args, "2@1.5:kill"));
  CHECK(has(p->mpirun_args, "--announce-start"));
  CHECK(p->mpirun_args.back() == "input");
  std::vector<std::string> what;
  for (const auto& a : p->actions) what.push_back(a.args[0] + "@" + std::to_string(a.at).substr(0, 3));
  CHECK(what == std::vector<std::string>{"sh@0.5", "freeze@1.0", "kill-rank@1.5", "sh@1.5", "kill-host@3.0", "thaw@3.0"});
  CHECK(p->actions[2].resolve == std::vector<std::string>{"rank-pid", "dla-t1", "2"});
  CHECK(p->actions[2].fallback_only);
  CHECK(p->actions[4].args == std::vector<std::string>{"kill-host", "dla-t1", "h2"});  // node-1 is the second host
  CHECK(p->actions[0].raw);  // 96 B/s: tbf with a one-packet burst, in the lab's namespaces
  CHECK(p->actions[0].args[2].find("ip netns exec dla-t1-sw tc qdisc replace dev dla-t1-s4 root tbf rate 96bps burst 1600") == 0);
  CHECK(p->actions[3].args[2].find("tc qdisc del dev dla-t1-s4") != std::string::npos);
  REQUIRE(p->not_reproduced.size() == 1);
  CHECK(p->not_reproduced[0].find("latency of link-node-3") == 0);
  CHECK(describe_plan(*p).find("NOT REPRODUCED: latency") != std::string::npos);
}

}  // namespace dla::scen
