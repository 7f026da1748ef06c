// Failure detectors: when is a silent worker declared failed? The scheduler tells the detector
// every time it hears from a worker (`heard`) and asks it at every tick (`suspect`).
//
// "fixed" (the default, today's rule): failed when silent for more than `timeout` seconds.
//   Bounds: a worker that dies at t (last message t_last <= t) is declared failed by
//   t_last + timeout + poll (poll = the master's tick interval). A live worker is falsely
//   suspected only if one of its inter-arrival gaps exceeds the timeout (a pause, a slow network).
//
// "phi" (phi-accrual: Hayashibara et al. 2004, as in Cassandra and Akka): per worker, a window of
//   the last `window` inter-arrival times of its messages; with their mean m and standard deviation
//   s (s >= min_std), and t = now - last message,
//     phi(t) = -log10(1 - F(t)),  F = the normal CDF with mean m + acceptable_pause and std s,
//   the suspicion level: phi = 1 means a 10 % chance that such a silence comes from a live worker,
//   phi = 8 one in 10^8. A worker is suspected when phi > threshold OR t > timeout (the hard cap,
//   so detection is never slower than the fixed detector). Until a worker has 2 intervals its
//   window is seeded with `first_interval` (the heartbeat; std first_interval / 4, as Akka does).
//   Bounds: phi > threshold  <=>  t > m + pause + z * s, with z = Phi^-1(1 - 10^-threshold)
//   (z = 5.61 for threshold 8, 4.75 for 6, 3.72 for 4). A dead worker is therefore declared failed
//   after a silence of min(timeout, m + pause + z * max(s, min_std)) (+ one poll). The pause
//   defaults to one heartbeat interval because a worker's messages are bursty: results every few
//   milliseconds between small tasks (a small mean), then only heartbeats during a big task; with
//   heartbeats every 0.5 s, threshold 8 and min_std 0.1 a dead worker is declared failed after
//   0.5 + 0.5 + 0.56 ~ 1.6 s of silence at most (less when its gaps were short), against 3 s. False
//   suspicion: if a live worker's gaps were normal with that m and s, a given gap exceeds the bound
//   with probability 10^-threshold; real jitter is heavier-tailed (a GC, a loaded host), hence
//   min_std and acceptable_pause, which raise the bound by min_std*z and pause. A worker whose gaps
//   jump from steady to long (a network that suddenly jitters) can be suspected before its window
//   adapts: each such event is counted as a false suspicion when the worker is heard again.
//
// Pure, no clock: time is the `now` argument. Thread-safety: none.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <string>

namespace dla {

struct DetectorOptions {
  std::string kind = "fixed";     // "fixed" | "phi"
  double timeout = 3.0;           // fixed: the limit; phi: the hard cap
  double threshold = 8.0;         // phi
  double min_std = 0.1;           // phi: seconds, floor of the interval std dev
  double acceptable_pause = -1;   // phi: seconds added to the mean interval; < 0: first_interval
  double first_interval = 0.5;    // phi: bootstrap interval (the workers' heartbeat)
  int window = 100;               // phi: intervals kept per worker
};

class FailureDetector {
 public:
  virtual ~FailureDetector() = default;
  virtual std::string name() const = 0;
  // A message from `worker` arrived at `now` (also the start: the scheduler calls it for every
  // worker at construction time).
  virtual void heard(int worker, double now) = 0;
  // Suspicion level (fixed: silence / timeout; phi: phi, capped at 1000). 0 if never heard.
  virtual double level(int worker, double now) const = 0;
  virtual bool suspect(int worker, double now) const = 0;
  // The silence after which `worker`, if it stays silent from now on, will be suspected.
  virtual double silence_bound(int worker) const = 0;
};

// nullptr if opt.kind is unknown.
std::unique_ptr<FailureDetector> make_detector(const DetectorOptions& opt);
// phi for a silence `t` with interval mean `mean` and std dev `std` (> 0). Exposed for tests.
double phi_value(double t, double mean, double std);

}  // namespace dla
