// The figures `dla-scenario compare` and `sweep` print for one run, every one defined here and
// only here, from the run's JSON result (--json), its event trace (base/trace.h) and the scenario
// (which gives the ground truth: when and where faults really happened).
//
//   makespan        result makespan_s: simulated seconds from the start to the last result.
//   lower_bound     testbed/bound.h work_bound (capacity integrated over time); ratio = makespan / it.
//   reassigned      result tasks_reassigned: hand-outs of a task after its worker was declared failed.
//   spec_copies     `speculate` trace events: backup copies started for a running task.
//   spec_won        speculative copies whose result was the one applied (the backup beat the original).
//   wasted_bytes    bytes scanned for nothing: every `duplicate` result (a whole task's bytes: a copy
//                   finished after another copy had won) plus, for each `cancel` event (a losing copy
//                   stopped early), the bytes it had done (the event's bytes, else its last heartbeat).
//                   Work lost with a crashed worker is not counted: that is the fault, not the policy.
//   steals          `steal` trace events: a task moved from one worker's queue to an idle worker
//                   (successful steals; a `refused` one moved nothing and is not counted).
//   messages        result messages_sent (master and workers).
//   failures        ranks the master declared failed (`timeout` events, distinct ranks).
//   false_suspicions ranks declared failed although no fault had hit them (yet) at that moment: the
//                   scenario's faults (crash, hang, exit, host-off) are the truth. A slowed, stalled or
//                   cut-off-but-alive worker declared failed is a false suspicion. (The scheduler's
//                   own `false_suspicions` counts workers heard from again after being declared
//                   failed: it cannot know about a fault that came later or a worker that fell silent.)
//   detection_max / detection_mean   over the ranks a fault hit that were declared failed: time from
//                   the fault to the first `timeout` event about that rank (-1: no such rank).
//   undetected      ranks a fault hit that were never declared failed (the run did not need them).
//   counts_ok       the counts equal base_log_analyser's and the scenario's exact ones (count_failures).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/trace.h"
#include "testbed/bound.h"
#include "testbed/scenario.h"

namespace dla::scen {

// Trace event names the metrics read (besides the base ones: assign start result duplicate timeout).
namespace ev {
constexpr const char* kSpeculate = "speculate";
constexpr const char* kCancel = "cancel";
constexpr const char* kSteal = "steal";
}  // namespace ev

struct RunMetrics {
  std::string scenario, policy;
  bool has_result = false;  // false: the master died (no JSON result), figures below are -1
  double makespan = -1, lower_bound = -1, ratio = -1;
  bool bound_time_varying = false;
  long long reassigned = -1, messages = -1;
  int spec_copies = 0, spec_won = 0, steals = 0;
  std::uint64_t wasted_bytes = 0;
  int failures = 0, false_suspicions = 0, undetected = 0;
  double detection_max = -1, detection_mean = -1;
  bool counts_ok = true;
  std::vector<std::string> count_problems;
  bool run_ok = true;                  // the run itself (rc, deadlock, RESULT line) was fine
  std::vector<std::string> run_problems;
};

// When each rank a fault hits stops being alive (rank -> time); ranks never hit are absent.
std::vector<std::pair<int, double>> fault_times(const Scenario& s);

// The figures of one run. `base`: base_log_analyser --json; `bound`: work_bound of the scenario
// (value <= 0: unknown, ratio -1).
RunMetrics evaluate_run(const Scenario& s, const std::string& policy, const nlohmann::json& result,
                        const nlohmann::json& base, const Trace& trace, double bound);

// JSON object of the figures (policy, makespan, lower_bound, ratio, ... as named above).
nlohmann::json metrics_json(const RunMetrics& m);

}  // namespace dla::scen
