// testbed/real.h run_real and validate_scenario through MemEnv with scripted processes: what the
// runner makes of the lab's answers (the real processes are the lab_validate integration test).
#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "testbed/real.h"

namespace dla::scen {
namespace {

using nlohmann::json;

Calibration calib() {
  return *parse_calibration(json{{"workload_format", "bracket"}, {"scan_rate", 1e9}, {"cores_per_gf", 0.05}});
}

Scenario crash_scenario() {
  json j = {{"platform", {{"hosts", 3}, {"speed", 1}}},
            {"input", {{"files", 2}, {"lines", 10}, {"seed", 1}}},
            {"faults", {{{"rank", 2}, {"at", 1.0}}}},
            {"expect", {{"failed_workers", {2}}, {"detection_max", 3.5}}}};
  auto s = parse_scenario(j, "c", "/repo");
  REQUIRE(s.ok());
  return *s;
}

// A world of processes: base_log_analyser says `base`, dla-lab up/down succeed, the supervised run
// writes `out` and `trace` (and hangs at start `hangs` times).
struct World {
  MemEnv env;
  json base = {{"counts", {{"DEBUG", 5}, {"ERROR", 5}, {"INFO", 5}, {"WARN", 5}}}, {"lines", 20}};
  std::string out, trace;
  int hangs = 0, ups = 0, downs = 0, supervised = 0;
  double kill_at = 1.02;
  SpawnFn spawn() {
    return [this](const ProcessSpec& p, double*) {
      RunOutput r;
      const std::string& tool = p.argv[0];
      if (tool.find("base_log_analyser") != std::string::npos)
        write_file(env, p.cwd + "/" + p.stdout_file, base.dump(), WriteMode::kTruncate, false);
      else if (p.argv.at(1) == "up") ++ups;
      else if (p.argv.at(1) == "down") ++downs;
      return r;
    };
  }
  SuperviseFn supervise() {
    return [this](const SupervisedSpec& sp, double* secs) {
      SupervisedOutput o;
      *secs = 4;
      ++supervised;
      if (hangs-- > 0) {
        o.start_hung = true;
        return o;
      }
      o.started = true;
      o.ended_by_grace = true;
      o.out.rc = 143;
      o.ran_at.assign(sp.commands.size(), kill_at);
      o.rcs.assign(sp.commands.size(), 0);
      write_file(env, sp.main.cwd + "/stdout.txt", out, WriteMode::kTruncate, false);
      write_file(env, sp.main.cwd + "/run.trace", trace, WriteMode::kTruncate, false);
      return o;
    };
  }
  World() {
    make_dirs(env, "/b");
    write_file(env, "/b/distributed_log_analyser", "x", WriteMode::kTruncate, false);
    write_file(env, "/b/base_log_analyser", "x", WriteMode::kTruncate, false);
    trace = "0.1 1 assign 0 10\n0.1 2 assign 1 10\n0.9 2 heartbeat 1 5\n1.5 1 result 0 10\n3.95 2 timeout 1 0\n"
            "3.95 1 reassign 1 10\n4.5 1 result 1 10\n";
  }
  std::string result(int debug) const {
    json r = {{"counts", {{"DEBUG", debug}, {"ERROR", 5}, {"INFO", 5}, {"WARN", 5}}}, {"lines", 20}, {"makespan_s", 4.5},
              {"tasks_reassigned", 1}, {"failed_workers", {2}}, {"result", "OK"}};
    return "{\n" + r.dump().substr(1, r.dump().size() - 2) + "\n}\nRESULT OK failed=2\n";
  }
};

RealRequest request() {
  RealRequest q;
  q.run_dir = "/runs/c.real";
  q.lab_tool = "/repo/tools/dla-lab";
  q.lab = "dla-t9";
  return q;
}

}  // namespace

TEST_CASE("run_real: a good run passes, with the fault at the time it was really applied", "[testbed][real]") {
  World w;
  w.out = w.result(5);
  auto r = run_real(crash_scenario(), calib(), {"/repo", "/b", "/runs"}, request(), w.spawn(), w.supervise(), w.env);
  INFO((r.ok() ? std::string() : r.error()));
  REQUIRE(r.ok());
  INFO((r->run.failures.empty() ? std::string() : r->run.failures[0]));
  CHECK(r->run.ok);
  CHECK(w.ups == 1);
  CHECK(w.downs == 1);
  CHECK(r->as_run.faults[0].at == Approx(1.02));
  CHECK(r->plan.actions.at(0).args == std::vector<std::string>{"kill-rank", "dla-t9", "2"});
  CHECK(is_regular_file(w.env, "/runs/c.real/lab-plan.txt"));
}

TEST_CASE("run_real: counts not equal to base_log_analyser's fail the run", "[testbed][real]") {
  World w;
  w.out = w.result(6);
  auto r = run_real(crash_scenario(), calib(), {"/repo", "/b", "/runs"}, request(), w.spawn(), w.supervise(), w.env);
  REQUIRE(r.ok());
  CHECK_FALSE(r->run.ok);
  REQUIRE_FALSE(r->run.failures.empty());
  CHECK(r->run.failures[0].find("count DEBUG = 6") != std::string::npos);
}

TEST_CASE("run_real: a start-up hang is run again once on a fresh lab, and said", "[testbed][real]") {
  World w;
  w.out = w.result(5);
  w.hangs = 1;
  auto r = run_real(crash_scenario(), calib(), {"/repo", "/b", "/runs"}, request(), w.spawn(), w.supervise(), w.env);
  REQUIRE(r.ok());
  CHECK(r->run.ok);
  CHECK(w.supervised == 2);
  CHECK(w.ups == 2);
  CHECK(w.downs == 2);
  REQUIRE_FALSE(r->timing.empty());
  CHECK(r->timing[0].find("start-up hung") != std::string::npos);
  World twice;
  twice.hangs = 2;
  auto f = run_real(crash_scenario(), calib(), {"/repo", "/b", "/runs"}, request(), twice.spawn(), twice.supervise(), twice.env);
  REQUIRE(f.ok());
  CHECK_FALSE(f->run.ok);
  CHECK(twice.supervised == 2);
}

TEST_CASE("run_real: a late detection is a timing note, not a failure", "[testbed][real]") {
  World w;
  w.out = w.result(5);
  w.kill_at = 0.2;  // applied early: detected 3.75 s after it, over detection_max 3.5
  auto r = run_real(crash_scenario(), calib(), {"/repo", "/b", "/runs"}, request(), w.spawn(), w.supervise(), w.env);
  REQUIRE(r.ok());
  CHECK(r->run.ok);
  REQUIRE(r->timing.size() == 1);
  CHECK(r->timing[0].find("detected 3.75 s after its fault") != std::string::npos);
}

}  // namespace dla::scen
