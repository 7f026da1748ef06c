#include "sched/rate.h"

#include <cmath>

namespace dla {

void RateEstimator::sample(int worker, std::uint64_t bytes, double seconds) {
  if (!(seconds >= opt_.min_seconds) || !std::isfinite(seconds)) return;
  const double r = static_cast<double>(bytes) / seconds;
  if (!(r > 0)) return;  // no progress in this interval: the silence is the detector's business
  const double prior = mean_rate();
  auto [it, fresh] = est_.try_emplace(worker);
  Est& e = it->second;
  const double before = e.rate;
  if (fresh) e.prior = prior;
  e.bytes += static_cast<double>(bytes);
  e.seconds += seconds;
  if (e.seconds - seconds < opt_.tau) {
    // Warm-up: total bytes over total time; the prior counts as prior_seconds of observation
    // only until that much was observed (a prior 50x off must not linger for seconds).
    e.rate = e.seconds >= opt_.prior_seconds ? e.bytes / e.seconds
                                             : (e.prior * opt_.prior_seconds + e.bytes) / (opt_.prior_seconds + e.seconds);
  } else {
    e.rate += (1 - std::exp(-seconds / opt_.tau)) * (r - e.rate);
  }
  ++e.n;
  sum_ += e.rate - before;
}

double RateEstimator::rate(int worker) const {
  auto it = est_.find(worker);
  return it != est_.end() && it->second.rate > 0 ? it->second.rate : mean_rate();
}

int RateEstimator::samples(int worker) const {
  auto it = est_.find(worker);
  return it == est_.end() ? 0 : it->second.n;
}

double RateEstimator::observed(int worker) const {
  auto it = est_.find(worker);
  return it == est_.end() ? 0 : it->second.seconds;
}

double RateEstimator::mean_rate() const {
  if (est_.empty() || !(sum_ > 0)) return opt_.prior > 0 ? opt_.prior : 1;
  return sum_ / static_cast<double>(est_.size());
}

}  // namespace dla
