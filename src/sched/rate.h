// Per-worker processing rate (bytes per second), estimated from what the master observes: the
// progress in heartbeats and the completion of tasks, both on the master's clock. Feeds the
// size-aware policies (lpt, guided, steal) and speculation (time left of a running task).
//
// Estimator (Dask keeps an EWMA of task durations; here the unit of work is a byte, so the rate
// is the natural quantity). A new worker starts from a prior: the mean rate of the workers already
// measured, else RateOptions::prior (assumed average, neither fast nor slow). For its first `tau`
// seconds of observation the estimate is its throughput, total bytes / total seconds, with the
// prior counted as `prior_seconds` of observation until that much time was observed (then dropped:
// a prior far off, e.g. 50 MB/s for a host simulated at 1 MB/s, must not linger): a first task of
// 1 ms, mostly message latency, barely moves it, while one 0.2 s task of a slow host already shows
// it slow. After that, a
// time-weighted EWMA: a sample of `seconds` moves the estimate by w = 1 - exp(-seconds / tau),
// so a 0.5 s heartbeat interval counts for much more than a 1 ms task, and a worker that slows
// down mid-run is followed within a few tau.
//
// Pure, no clock: samples carry their own duration. Thread-safety: none.
#pragma once
#include <cstdint>
#include <map>

namespace dla {

struct RateOptions {
  double tau = 1.0;            // seconds: the warm-up, then the EWMA's memory (a tau-long sample weighs 63 %)
  double prior = 50e6;         // bytes/s assumed before any worker was measured
  double prior_seconds = 0.05; // the prior's weight during the warm-up, in seconds of observation
  double min_seconds = 1e-6;   // shorter samples are ignored (no meaningful rate)
};

class RateEstimator {
 public:
  explicit RateEstimator(RateOptions o = {}) : opt_(o) {}
  // One observation: `worker` did `bytes` in `seconds`.
  void sample(int worker, std::uint64_t bytes, double seconds);
  // Estimated bytes/s of `worker` (the prior if it has no sample yet). Always > 0.
  double rate(int worker) const;
  bool known(int worker) const { return est_.count(worker) != 0; }
  int samples(int worker) const;
  double observed(int worker) const;  // seconds of samples so far
  // Mean of the measured workers' rates, or the prior if none is measured.
  double mean_rate() const;
  const RateOptions& options() const { return opt_; }

 private:
  struct Est {
    double rate = 0, prior = 0;
    double bytes = 0, seconds = 0;  // observed so far (the warm-up's throughput)
    int n = 0;
  };
  RateOptions opt_;
  std::map<int, Est> est_;
  double sum_ = 0;  // of est_[*].rate, for mean_rate()
};

}  // namespace dla
