// One simulated run of a scenario, end to end, and its comparison with the golden files: claim a
// run directory, materialise the scenario into it, count the input with base_log_analyser, run
// smpirun, check the run's output and trace against the expectations, and compare repeats and
// goldens. Processes are started by the caller (a SpawnFn: spawning and timing processes is not
// this layer's business); every file is read and written through an Env.
//
// Run directories: RUNS/NAME is ours only if it carries the marker file kRunMarker (written when we
// create it). A directory without it is never cleaned, whatever --runs or the scenario name point at.
//
// Thread-safety: none needed (the runner runs one scenario at a time).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "testbed/scenario.h"

namespace dla::scen {

// Where the runner finds things: the repository root (scenarios/, traces/, platforms/), the build
// dir (distributed_log_analyser_smpi, base_log_analyser) and where run directories go.
struct RunPaths {
  std::string repo, build, runs;
};

// A process to start: argv (PATH lookup) in `cwd`, stdout and stderr into files (names relative
// to cwd), killed with its whole process group after `limit` real seconds.
struct ProcessSpec {
  std::vector<std::string> argv;
  std::string cwd, stdout_file, stderr_file;
  double limit = 0;
};
// Starts and waits for a process; returns rc and timed_out (the texts are read by the runner) and
// stores the real seconds it took in *real_seconds.
using SpawnFn = std::function<RunOutput(const ProcessSpec&, double* real_seconds)>;

constexpr const char* kRunMarker = ".dla-scenario-run";

// Makes `dir` a run directory of ours: refuses a symbolic link, a non-directory, and a non-empty
// directory without our marker; creates it and writes the marker.
Status claim_run_dir(const std::string& dir, Env& env = *Env::posix());

// argv as a shell command line (arguments with special characters single-quoted).
std::string shell_quote(const std::vector<std::string>& argv);
// Whether the program binary contains an option name (feature detection without running it).
bool program_knows(const std::string& program, const std::string& option, Env& env = *Env::posix());
// The scenario as the runner runs it: checkpoints are on by default once the program knows them, so
// a scenario without "checkpoint": true turns them off (runs never write or read checkpoint state).
Scenario with_run_defaults(const Scenario& s, const std::string& program, Env& env = *Env::posix());

struct RunRequest {
  std::string run_dir;
  std::string policy;            // "" = the scenario's
  bool paje = false;             // also write run.paje
  std::ostream* echo = nullptr;  // the smpirun command line is printed here before it runs
};

struct RunResult {
  bool ok = false;
  std::vector<std::string> failures;       // everything: the run's own failures and unmet expectations
  std::vector<std::string> run_problems;   // the run's own failures only (rc, deadlock, RESULT line, no trace)
  nlohmann::json base;                     // base_log_analyser --json on the same input
  nlohmann::json result;
  std::string trace_text, out_text;
  double real_s = 0;
  std::string run_dir;
  std::vector<std::uint64_t> task_bytes;  // the tasks the analyser makes (for the lower bound)
  std::vector<std::string> stderr_tail;   // a failed run: the last lines of smpirun's stderr
};

// The first steps of every run (simulated or real, testbed/real.h): claim and clean the run
// directory, materialise the scenario (the program reads `input` there), count the input with
// base_log_analyser. Fills rr.run_dir and rr.task_bytes.
struct RunSetup {
  Materialized m;
  nlohmann::json base;
};
Result<RunSetup> set_up_scenario_run(const Scenario& s, const RunPaths& paths, const std::string& run_dir,
                                     const SpawnFn& spawn, RunResult& rr, Env& env = *Env::posix());

// Starts `spec` and reads what it wrote to its stdout and stderr files.
RunOutput run_and_read(const SpawnFn& spawn, const ProcessSpec& spec, double* real_seconds, Env& env = *Env::posix());
// Fills rr from the finished analyser run `r` (rr.run_dir set): failures of the run itself
// (stdout.txt gets the program's output, smpirun's lines stripped), its result (result.json) and
// trace (run.trace) checked against the expectations.
void check_run(const Scenario& s, RunOutput& r, const std::string& program, const nlohmann::json& base_json, RunResult& rr,
               Env& env = *Env::posix());
// A failed run: keeps the last lines of smpirun's stderr in rr.stderr_tail, the last few among the failures.
void note_stderr_tail(const std::string& stderr_text, RunResult& rr);

// One simulation of `s` (a store scenario: store_run.h). An Error means the run could not be set up (missing programs, a run
// directory that is not ours, bad platform, base_log_analyser failing); a run that fails its
// checks is a RunResult with failures.
Result<RunResult> run_scenario(const Scenario& s, const RunPaths& paths, const RunRequest& req, const SpawnFn& spawn,
                               Env& env = *Env::posix());

// Repeat `rep` against run 1: "NOT DETERMINISTIC: ..." lines (empty = identical).
std::vector<std::string> compare_repeat(const RunResult& first, const RunResult& again, int rep);
// Run 1 against traces/NAME.{trace,out}: problems (empty = matches).
std::vector<std::string> compare_with_goldens(const std::string& repo, const std::string& name, const RunResult& first,
                                              Env& env = *Env::posix());
// Makes run 1's trace and output the goldens traces/NAME.{trace,out}.
Status update_goldens(const std::string& repo, const std::string& name, const RunResult& first, Env& env = *Env::posix());

}  // namespace dla::scen
