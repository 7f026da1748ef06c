// `dla-scenario validate`: the same scenario simulated (the calibrated twin, testbed/real.h) and
// run on the lab, side by side. Figures, each defined once:
//   makespan         result makespan_s of each run (simulated s / real s from the master's clock start)
//   detection        metrics.h detection_max: the worst time from a fault (real: when the lab really
//                    applied it) to the master's `timeout` event about that rank; -1 = no fault detected
//   reassigned       result tasks_reassigned
//   tasks per rank   `result` events per rank in the trace (results applied, late ones included)
//   error            signed relative error of the simulation: (sim - real) / real (+: the simulation
//                    is slower than the real run); undefined (null) when real is 0 or missing
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/trace.h"
#include "testbed/metrics.h"

namespace dla::scen {

struct Validation {
  std::string scenario;
  RunMetrics sim, real;
  std::vector<int> tasks_sim, tasks_real;  // index = rank (0 = the master)
  bool sim_ok = false, real_ok = false;    // each run passed its (hard) checks
  std::vector<std::string> problems;       // both runs' failures, prefixed "sim: " / "real: "
  std::vector<std::string> not_reproduced; // faults the lab could not make
  std::vector<std::string> timing;         // the real run's unmet timing expectations and late faults
  double real_wall_s = -1;                 // the real run's wall time (mpirun start-up included)
};

// Signed relative error (sim - real) / real; NaN when undefined.
double relative_error(double sim, double real);
// `result` events per rank (ranks 0 .. ranks-1).
std::vector<int> tasks_per_rank(const Trace& t, int ranks);

// A table: one row per scenario (makespan, detection, reassigned, tasks per rank; sim, real, error).
std::string validation_table(const std::vector<Validation>& v);
// One object per scenario: scenario, makespan_sim, makespan_real, makespan_error, detection_sim,
// detection_real, detection_error, reassigned_sim, reassigned_real, tasks_per_rank_sim,
// tasks_per_rank_real, counts_ok_sim, counts_ok_real, sim_ok, real_ok, problems, not_reproduced, timing.
nlohmann::json validation_json(const Validation& v);

}  // namespace dla::scen
