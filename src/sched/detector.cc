#include "sched/detector.h"

#include <algorithm>
#include <cmath>

namespace dla {
namespace {

class FixedDetector final : public FailureDetector {
 public:
  explicit FixedDetector(const DetectorOptions& o) : timeout_(o.timeout) {}
  std::string name() const override { return "fixed"; }
  void heard(int worker, double now) override {
    auto& l = last_[worker];
    l = std::max(l, now);
  }
  double level(int worker, double now) const override {
    auto it = last_.find(worker);
    return it == last_.end() || timeout_ <= 0 ? 0 : (now - it->second) / timeout_;
  }
  bool suspect(int worker, double now) const override {
    auto it = last_.find(worker);
    return it != last_.end() && now - it->second > timeout_;
  }
  double silence_bound(int) const override { return timeout_; }

 private:
  double timeout_;
  std::map<int, double> last_;
};

// Phi-accrual over a window of inter-arrival times (running sums for O(1) updates).
class PhiDetector final : public FailureDetector {
 public:
  explicit PhiDetector(const DetectorOptions& o) : o_(o) {
    if (o_.acceptable_pause < 0) o_.acceptable_pause = o_.first_interval;
  }
  std::string name() const override { return "phi"; }
  void heard(int worker, double now) override {
    auto [it, fresh] = w_.try_emplace(worker);
    Win& w = it->second;
    if (fresh) {
      w.last = now;
      return;
    }
    const double gap = now - w.last;
    if (gap <= 0) return;  // several messages handled at one instant: one arrival
    w.last = now;
    w.gaps.push_back(gap);
    w.sum += gap;
    w.sq += gap * gap;
    if (static_cast<int>(w.gaps.size()) > std::max(o_.window, 2)) {
      const double old = w.gaps.front();
      w.gaps.pop_front();
      w.sum -= old;
      w.sq -= old * old;
    }
  }
  double level(int worker, double now) const override {
    auto it = w_.find(worker);
    if (it == w_.end()) return 0;
    double mean, sd;
    stats(it->second, &mean, &sd);
    return phi_value(now - it->second.last, mean + o_.acceptable_pause, sd);
  }
  bool suspect(int worker, double now) const override {
    auto it = w_.find(worker);
    if (it == w_.end()) return false;
    const double t = now - it->second.last;
    return t > o_.timeout || level(worker, now) > o_.threshold;
  }
  double silence_bound(int worker) const override {
    auto it = w_.find(worker);
    double mean = o_.first_interval, sd = std::max(o_.first_interval / 4, o_.min_std);
    if (it != w_.end()) stats(it->second, &mean, &sd);
    // Bisection on phi(t) = threshold over [0, timeout] (phi is increasing in t).
    double lo = 0, hi = o_.timeout;
    if (phi_value(hi, mean + o_.acceptable_pause, sd) <= o_.threshold) return o_.timeout;
    for (int i = 0; i < 60; ++i) {
      const double mid = (lo + hi) / 2;
      (phi_value(mid, mean + o_.acceptable_pause, sd) > o_.threshold ? hi : lo) = mid;
    }
    return hi;
  }

 private:
  struct Win {
    double last = 0;
    std::deque<double> gaps;
    double sum = 0, sq = 0;
  };
  // Mean and std dev of the window; seeded with first_interval (std / 4) until 2 gaps are known.
  void stats(const Win& w, double* mean, double* sd) const {
    const double n = static_cast<double>(w.gaps.size());
    if (w.gaps.size() < 2) {
      *mean = w.gaps.empty() ? o_.first_interval : (w.sum + o_.first_interval) / 2;
      *sd = std::max(o_.first_interval / 4, o_.min_std);
      return;
    }
    *mean = w.sum / n;
    const double var = std::max(0.0, w.sq / n - *mean * *mean);
    *sd = std::max(std::sqrt(var), o_.min_std);
  }
  DetectorOptions o_;
  std::map<int, Win> w_;
};

}  // namespace

double phi_value(double t, double mean, double std) {
  if (!(std > 0)) std = 1e-9;
  const double z = (t - mean) / std;
  // 1 - F(t) for the normal distribution, computed without cancellation: erfc(z / sqrt 2) / 2.
  const double tail = 0.5 * std::erfc(z / std::sqrt(2.0));
  if (tail <= 1e-300) return 1000;
  return std::min(1000.0, -std::log10(tail));
}

std::unique_ptr<FailureDetector> make_detector(const DetectorOptions& opt) {
  if (opt.kind == "fixed") return std::make_unique<FixedDetector>(opt);
  if (opt.kind == "phi") return std::make_unique<PhiDetector>(opt);
  return nullptr;
}

}  // namespace dla
