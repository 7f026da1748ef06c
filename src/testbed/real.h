// A scenario on a lab of real hosts (issue 12: tools/dla-lab, real Open MPI, real time), and the
// calibration that makes the simulated twin of that lab. Pure: this module plans the lab (CPU
// quota per host, the mpirun command, the faults as timed dla-lab commands, the faults the lab
// cannot make, named) and checks the finished run; the app (src/apps/dla_scenario.cc) spawns the
// processes and times the commands on the run's clock (the master's --announce-start line).
//
// Calibration (report/validation.md, tools/calibrate-lab): both runs scan with the same CPU-bound
// workload (a --format regex, `workload_format`) whose rate on one whole core, `scan_rate` bytes/s,
// was measured under a known cgroup CPU quota. A host of speed S Gf gets S x scale of a core on the
// lab, so it scans S x scale x scan_rate bytes/s; the simulated twin keeps S and uses
//     flops_per_byte = 1e9 / (scan_rate x scale)
// so that it scans exactly as fast. `scale` is cores_per_gf, lowered until the quotas of all
// hosts sum to at most max_cores (the machine is shared). Links get the measured latency and
// bandwidth of the lab's veth/bridge path.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "testbed/runner.h"
#include "testbed/scenario.h"
#include "testbed/validate.h"

namespace dla::scen {

struct Calibration {
  std::string workload_format;  // --format given to both runs (a regex: real CPU work per byte)
  double scan_rate = 0;         // bytes/s of that workload per core of quota (measured, nominal)
  // Measured (quota cores, bytes/s per core of quota) pairs, ascending: CFS gives small quotas more
  // than their share (the throttle acts at scheduler ticks), so the rate per core depends on the
  // quota. rate_at interpolates them (flat outside); empty = scan_rate everywhere.
  std::vector<std::pair<double, double>> rate_by_quota;
  double rate_at(double quota) const;
  double cores_per_gf = 0;      // a host of S Gf gets S x this of a core (before the cap below); 0 = auto:
                                // 1e9 / (scan_rate x the scenario's flops_per_byte), its own time scale
  double max_cores = 1.6;       // the lab's quotas sum to at most this many cores
  double min_cores = 0.01;      // the smallest quota a host gets (tools/dla-lab: 1 ms per 100 ms period)
  double master_cores = 0.1;    // the master's host gets at least this: its polling is not simulated work
  double link_latency = -1;     // s, measured on the lab (< 0: keep the scenario's)
  double link_bandwidth = -1;   // bytes/s, measured on the lab (< 0: keep the scenario's)
  nlohmann::json document;      // the calibration file as read (measurements, date, load)
};
Result<Calibration> parse_calibration(const nlohmann::json& j);
Result<Calibration> load_calibration(const std::string& path, Env& env = *Env::posix());

// The fraction of a core per simulated Gf this scenario gets (cores_per_gf, capped by max_cores).
// Needs host speeds (a generated platform): an Error otherwise.
Result<double> lab_scale(const Scenario& s, const Calibration& c);
// Each host's CPU quota (cores), hostfile order.
Result<std::vector<double>> lab_host_cores(const Scenario& s, const Calibration& c);

// The simulated twin of the lab run: flops_per_byte = 1e9 / (rate_at(scale) x scale), each worker
// host as fast as its quota q really scans (rate_at(q) x q bytes/s; the smallest quota may also
// exceed S x scale), slowdowns as the lab can make them (same rule), the
// workload format, the measured link latency and bandwidth.
Result<Scenario> calibrated_scenario(const Scenario& s, const Calibration& c);

// A dla-lab command at a time of the run's clock.
struct LabAction {
  double at = 0;
  std::vector<std::string> args;  // after the dla-lab program, e.g. {"kill-rank", LAB, "3"}
  bool raw = false;                  // args is a whole command (not dla-lab's)
  std::vector<std::string> resolve;  // after the dla-lab program: pids to SIGKILL at `at` (args then
  bool fallback_only = false;        // run always, or only if none was found)
  std::string what;               // "crash rank 3"
  int fault = -1;                 // index in the scenario's faults (its real time is recorded), else -1
};
struct LabPlan {
  std::string lab;
  double scale = 0, min_cores = 0;
  std::vector<double> host_cores;
  std::vector<std::string> up_args, down_args, mpirun_args;  // after the dla-lab program
  std::vector<LabAction> actions;                            // sorted by time
  std::vector<std::string> not_reproduced;  // faults the lab cannot make: named, never silently skipped
  std::vector<std::string> notes;           // how the others were made (approximations said)
};
// The lab's name of host index i (0 = the first hostfile line): "h<i+1>", as tools/dla-lab numbers them.
std::string lab_host(int i);
// `s`: the scenario; `twin`: calibrated_scenario(s) (with the runner's defaults: its options are
// the program's); `program`: the real distributed_log_analyser; the program runs in the run
// directory and reads `input`, writes `trace_file`.
Result<LabPlan> plan_lab(const Scenario& s, const Scenario& twin, const Calibration& c, const std::string& lab,
                         const std::string& program, const std::string& trace_file);
// What `dla-scenario run --real` prints before the run: quotas, commands, named faults.
std::string describe_plan(const LabPlan& p);

// ---- running it (processes spawned by the app) ----
// At `at`: the signal to the pids `resolve` printed (run as soon as the clock starts, so that the
// fault lands on time: a dla-lab kill-rank takes 0.2-0.5 s to find its pid under load), then `spec`
// (always, or only when nothing was resolved: `fallback_only`). Empty argv = none.
struct TimedCommand {
  double at = 0;
  ProcessSpec spec;
  ProcessSpec resolve;
  int signal = 0;
  bool fallback_only = false;
};
// Start `main`; once `start_line` appears on its stderr file the run's clock starts and each
// command runs at its time; `grace` seconds after a RESULT line appeared on its stdout the main
// process group is ended (Open MPI may wait for ever for a lost host's daemon).
struct SupervisedSpec {
  ProcessSpec main;
  std::string start_line;
  std::vector<TimedCommand> commands;  // sorted by time
  double grace = 8;  // (tools/dla-mpirun ends mpirun 5 s after the RESULT line itself)
  double start_limit = 20;  // the clock not started by then: start-up hung, the group is ended (normal: 1-4 s)
};
struct SupervisedOutput {
  RunOutput out;
  bool started = false;        // the start line was seen
  bool ended_by_grace = false;
  bool start_hung = false;     // ended because the clock had not started within start_limit
  std::vector<double> ran_at;  // per command: the run-clock time it was started (< 0: never)
  std::vector<int> rcs;        // per command: exit status
};
using SuperviseFn = std::function<SupervisedOutput(const SupervisedSpec&, double* real_seconds)>;

struct RealRequest {
  std::string run_dir, lab_tool, lab;  // lab_tool: tools/dla-lab; lab: the name the lab gets
  std::ostream* echo = nullptr;        // the plan and commands are printed here
};
struct RealResult {
  RunResult run;
  LabPlan plan;
  Scenario as_run;                    // the twin with each fault at the time it was really applied
  std::vector<std::string> timing;    // unmet timing expectations (real time differs: not failures)
};
// Sets the lab up, runs the scenario on it, applies the faults, takes the lab down (always), checks
// counts (exact), result and failed workers (failures) and the timing bounds (reported apart).
Result<RealResult> run_real(const Scenario& s, const Calibration& c, const RunPaths& paths, const RealRequest& req,
                            const SpawnFn& spawn, const SuperviseFn& supervise, Env& env = *Env::posix());

// `dla-scenario validate`: the calibrated twin simulated (run dir RUNS/NAME.twin, timing
// expectations not checked) and the scenario on the lab (RUNS/NAME.real), side by side.
Result<Validation> validate_scenario(const Scenario& s, const Calibration& c, const RunPaths& paths, const RealRequest& req,
                                     const SpawnFn& spawn, const SuperviseFn& supervise, Env& env = *Env::posix());

}  // namespace dla::scen
