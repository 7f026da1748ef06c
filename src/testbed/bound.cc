#include "testbed/bound.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace dla::scen {
namespace {

// The host's speed fraction at time t, as the SimGrid speed profile the runner writes says
// (scenario_materialize.cc make_profiles): changes sorted stably by time, the last one at or before
// t wins, 1 before any.
double speed_fraction(const Scenario& s, const std::string& host, double t) {
  std::vector<std::pair<double, double>> ch;
  for (const auto& d : s.slowdowns) {
    if (d.host != host) continue;
    ch.push_back({d.at, d.speed});
    if (d.duration > 0) ch.push_back({d.at + d.duration, 1});
  }
  std::stable_sort(ch.begin(), ch.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double v = 1;
  for (const auto& [at, val] : ch)
    if (at <= t) v = val;
  return v;
}

// When rank r stops contributing (crash, hang, exit, its host off); infinity if never.
double death_time(const Scenario& s, int r) {
  double t = std::numeric_limits<double>::infinity();
  for (const auto& f : s.faults) {
    const bool hits = f.kind == Fault::HostOff ? s.host_of(r).name == f.host : f.rank == r;
    if (hits) t = std::min(t, f.at);
  }
  return t;
}

double slow_factor(const Scenario& s, int r) {
  double k = 1;
  for (const auto& x : s.options.slow)
    if (x.rank == r) k = x.factor;  // the worker takes the last one given for its rank
  return k;
}

// Every time at which some rate may change.
std::vector<double> change_times(const Scenario& s) {
  std::set<double> t = {0};
  for (const auto& d : s.slowdowns) {
    t.insert(std::max(0.0, d.at));
    if (d.duration > 0) t.insert(d.at + d.duration);
  }
  for (const auto& f : s.faults) t.insert(std::max(0.0, f.at));
  return {t.begin(), t.end()};
}

void push_step(RateProfile& p, double at, double rate) {
  if (!p.empty() && p.back().rate == rate) return;
  p.push_back({at, rate});
}

}  // namespace

double time_to_reach(const RateProfile& f, double work) {
  if (work <= 0) return 0;
  double done = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double end = i + 1 < f.size() ? f[i + 1].at : std::numeric_limits<double>::infinity();
    const double r = f[i].rate;
    if (r > 0 && done + r * (end - f[i].at) >= work) return f[i].at + (work - done) / r;
    if (std::isfinite(end)) done += r * (end - f[i].at);
  }
  return std::numeric_limits<double>::infinity();
}

Result<Capacity> worker_capacity(const Scenario& s) {
  Capacity c;
  c.per_rank.resize(static_cast<std::size_t>(std::max(s.ranks, 1)));
  std::map<std::string, std::vector<int>> ranks_on;
  for (int r = 1; r < s.ranks; ++r) {
    const auto& h = s.host_of(r);
    if (h.speed <= 0) return Error{"host " + h.name + ": speed unknown (not declared as <host> or <cluster> in the platform file)"};
    ranks_on[h.name].push_back(r);
  }
  const double cap = s.options.throttle > 0 ? s.options.throttle * s.options.flops_per_byte : std::numeric_limits<double>::infinity();
  const auto times = change_times(s);
  c.time_varying = times.size() > 1;
  for (double t : times) {
    double total = 0;
    for (const auto& [name, ranks] : ranks_on) {
      const HostSpec& h = s.host_of(ranks.front());
      const double speed = h.speed * speed_fraction(s, name, t);
      double sum = 0;
      for (int r : ranks) {
        const double rate = t < death_time(s, r) ? std::min(speed, cap) / slow_factor(s, r) : 0.0;
        push_step(c.per_rank[static_cast<std::size_t>(r)], t, rate);
        sum += rate;
      }
      total += std::min(sum, speed * h.cores);
    }
    push_step(c.total, t, total);
  }
  return c;
}

Result<Bound> work_bound(const Scenario& s, const std::vector<std::uint64_t>& task_bytes, std::uint64_t largest_unit) {
  Bound b;
  if (task_bytes.empty()) return b;
  auto cap = worker_capacity(s);
  if (!cap) return Error{cap.error()};
  std::uint64_t largest = 0;
  for (auto x : task_bytes) {
    b.total_work += static_cast<double>(x) * s.options.flops_per_byte;
    largest = std::max(largest, x);
  }
  if (largest_unit > 0) largest = std::min(largest, largest_unit);
  b.largest_task = static_cast<double>(largest) * s.options.flops_per_byte;
  b.time_varying = cap->time_varying;
  b.work_term = time_to_reach(cap->total, b.total_work);
  b.task_term = std::numeric_limits<double>::infinity();
  for (int r = 1; r < s.ranks; ++r)
    b.task_term = std::min(b.task_term, time_to_reach(cap->per_rank[static_cast<std::size_t>(r)], b.largest_task));
  b.value = std::max(b.work_term, b.task_term);
  if (!std::isfinite(b.value)) return Error{"the workers that survive the scenario's faults cannot finish its work: no bound"};
  return b;
}

Result<double> lower_bound(const Scenario& s, const std::vector<std::uint64_t>& task_bytes) {
  auto b = work_bound(s, task_bytes);
  if (!b) return Error{b.error()};
  return b->value;
}

}  // namespace dla::scen
