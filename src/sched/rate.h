// Per-worker processing rate (bytes per second), estimated from what the master observes: the
// progress in heartbeats and the completion of tasks, both on the master's clock. Feeds the
// size-aware policies (lpt, guided, steal) and speculation (time left of a running task).
//
// Estimator: a time-weighted EWMA (Dask keeps an EWMA of task durations; here the unit of work
// is a byte, so the rate is the natural quantity). A sample of `bytes` done in `seconds` moves the
// estimate by weight w = 1 - exp(-seconds / tau): a 0.5 s heartbeat interval counts for much more
// than a 1 ms task whose duration is mostly message latency, and the estimate follows a worker
// that slows down mid-run within a few tau. A worker starts from a prior: the mean rate of the
// workers already measured, else RateOptions::prior (a new worker is assumed average, neither fast
// nor slow), so its first sample moves it by the same weight as any other: a first task of 1 ms,
// mostly message latency, does not brand a fast worker as slow.
//
// Pure, no clock: samples carry their own duration. Thread-safety: none.
#pragma once
#include <cstdint>
#include <map>

namespace dla {

struct RateOptions {
  double tau = 1.0;            // seconds: the EWMA's memory (weight of a sample of length tau = 63 %)
  double prior = 50e6;         // bytes/s assumed before any worker was measured
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
  // Mean of the measured workers' rates, or the prior if none is measured.
  double mean_rate() const;
  const RateOptions& options() const { return opt_; }

 private:
  struct Est {
    double rate = 0;
    int n = 0;
  };
  RateOptions opt_;
  std::map<int, Est> est_;
  double sum_ = 0;  // of est_[*].rate, for mean_rate()
};

}  // namespace dla
