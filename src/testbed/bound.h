// The work lower bound of a scenario: no schedule, however clever, finishes before it.
//
//   LB = max(T_work, T_task)
//   T_work: the earliest time at which the workers' combined capacity, integrated over time, covers
//           the total work: the smallest T with  integral_0^T sum_w rate_w(t) dt >= W;
//   T_task: the earliest time at which one worker alone could have finished the largest indivisible
//           task: the smallest T with  max_w integral_0^T rate_w(t) dt >= largest.
// W = task bytes x flops_per_byte. rate_w(t) is worker rank w's flop rate at time t:
//   host peak speed x the host's speed profile (scenario `slowdowns`, exactly the SimGrid profile
//   the runner writes), divided by the rank's `slow` factor, capped at throttle x flops_per_byte,
//   and 0 from the moment the rank crashes, hangs, exits or its host goes off (a fault never comes
//   back as capacity: its ranks are gone). Ranks sharing a host share its cores (a host gives at most
//   cores x its speed). Rank 0, the master, does not count. With constant speeds and no faults this
//   is the classic max(W / sum of speeds, largest / fastest).
// Why integrate: a worker that slows 10x mid-run keeps its full speed until then; a bound at peak
// speeds would be unreachable-looking-good, one at the slowed speed would be wrong. Capacity before a
// crash is counted although work in flight at the crash is lost: the bound stays a lower bound.
// Not modelled (the bound stays valid, only looser): network transfer times, protocol messages,
// timeouts (a crashed worker's task can only restart after detection).
#pragma once
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "testbed/scenario.h"

namespace dla::scen {

// A piecewise-constant rate: `rate` flop/s from `at` (seconds) until the next step. Sorted by `at`,
// the first at 0; the last step lasts for ever.
struct RateStep {
  double at = 0, rate = 0;
};
using RateProfile = std::vector<RateStep>;

// The smallest T with integral_0^T f >= work (0 for work <= 0; infinity if never).
double time_to_reach(const RateProfile& f, double work);

// rate_w(t) of every worker rank (index = rank; rank 0 empty) and their host-capped sum. Error when a
// host's speed is unknown (a platform file host the parser could not read).
struct Capacity {
  std::vector<RateProfile> per_rank;
  RateProfile total;
  bool time_varying = false;  // some slowdown or fault changes a rate during the run
};
Result<Capacity> worker_capacity(const Scenario& s);

struct Bound {
  double value = 0;            // max(work_term, task_term)
  double work_term = 0, task_term = 0;
  double total_work = 0, largest_task = 0;  // flops
  bool time_varying = false;
};
// `task_bytes`: the tasks as the analyser makes them (whole files or --split-bytes ranges);
// `largest_unit`: the largest piece that no policy splits further (0: the largest task).
Result<Bound> work_bound(const Scenario& s, const std::vector<std::uint64_t>& task_bytes, std::uint64_t largest_unit = 0);

}  // namespace dla::scen
