// Evaluating policies and options on a scenario: `dla-scenario compare` (one run per policy) and
// `dla-scenario sweep` (one run per value of one option), their tables, JSON and SVG bar chart.
// The figures are testbed/metrics.h's. Runs go through testbed/runner.h (processes started by the
// caller's SpawnFn); nothing here spawns, reads a clock or touches a file but through the Env.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "testbed/metrics.h"
#include "testbed/runner.h"
#include "testbed/scenario.h"

namespace dla::scen {

// Every policy, then the +speculate variant of each dynamic one (the default of `compare`).
std::vector<std::string> all_policy_names();

struct EvalRequest {
  std::string runs_subdir = "compare";  // run dirs: RUNS/<subdir>/<scenario>-<label>
  std::ostream* echo = nullptr;          // smpirun command lines (verbose)
  std::ostream* progress = nullptr;      // one line per finished run
};

// One run of `s` (already configured) under `policy` ("" = the scenario's), evaluated. `label`
// names its run dir. An Error only when the run could not be set up.
Result<RunMetrics> evaluate_one(const Scenario& s, const std::string& policy, const std::string& label,
                                const RunPaths& paths, const EvalRequest& req, const SpawnFn& spawn, Env& env);

// `s` once per policy (names as split_policy takes them).
Result<std::vector<RunMetrics>> compare_policies(const Scenario& s, const std::vector<std::string>& policies,
                                                 const RunPaths& paths, const EvalRequest& req, const SpawnFn& spawn,
                                                 Env& env);

// Problems that make a comparison fail (exit 2): counts not the expected ones, runs that failed.
std::vector<std::string> compare_problems(const std::vector<RunMetrics>& runs);

// The table: one line per run (scenario, policy, makespan, lower bound, ratio, reassigned, speculative
// copies / won, wasted MB, steals, messages, false suspicions, detection latency, counts).
std::string compare_table(const std::vector<RunMetrics>& runs);
// What every column means (printed under the table and in the report).
std::string compare_legend();
// A JSON array of metrics_json objects.
nlohmann::json compare_json(const std::vector<RunMetrics>& runs);
// An SVG bar chart: per scenario a group of bars (makespan per policy), its lower bound a dashed line.
std::string compare_chart_svg(const std::vector<RunMetrics>& runs, const std::string& title);

// ---- sweep ----
// `option`: an options key of the scenario format, dashes allowed ("phi-threshold" = phi_threshold).
// Returns `s` re-parsed with that option set to `value` (a number, true/false, or a word). Sweeping
// `timeout` below the scenario's heartbeat lowers the heartbeat to half the timeout (*note says so),
// since the scenario format requires heartbeat < timeout.
Result<Scenario> with_option(const Scenario& s, const std::string& option, const std::string& value,
                             const std::string& repo_root, std::string* note, Env& env);

struct SweepPoint {
  std::string value, note;
  RunMetrics m;
};
// The trade-off table: per value, detection latency (max, mean), false suspicions, failures,
// reassigned, makespan and counts.
std::string sweep_table(const std::string& option, const std::vector<SweepPoint>& points);
nlohmann::json sweep_json(const std::string& option, const std::vector<SweepPoint>& points);

}  // namespace dla::scen
