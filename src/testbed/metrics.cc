#include "testbed/metrics.h"

#include <algorithm>
#include <map>
#include <set>

namespace dla::scen {
namespace {

using nlohmann::json;

long long result_int(const json& r, const char* key) {
  return r.is_object() && r.contains(key) && r[key].is_number() ? r[key].get<long long>() : -1;
}

// Failures: who was declared failed, which of those were false, how fast the true ones were caught.
void failure_metrics(const Scenario& s, const Trace& t, RunMetrics& m) {
  std::map<int, double> fault_at;
  for (const auto& [r, at] : fault_times(s)) fault_at[r] = at;
  std::set<int> declared, false_ranks;
  std::map<int, double> detected;  // faulted rank -> first timeout at or after its fault
  for (const auto& e : t.events()) {
    if (e.event != "timeout" || e.rank <= 0) continue;
    declared.insert(e.rank);
    auto f = fault_at.find(e.rank);
    if (f == fault_at.end() || e.time < f->second) {
      false_ranks.insert(e.rank);
      continue;
    }
    if (!detected.count(e.rank)) detected[e.rank] = e.time - f->second;
  }
  m.failures = static_cast<int>(declared.size());
  m.false_suspicions = static_cast<int>(false_ranks.size());
  double sum = 0;
  for (const auto& [r, d] : detected) {
    m.detection_max = std::max(m.detection_max, d);
    sum += d;
  }
  if (!detected.empty()) m.detection_mean = sum / static_cast<double>(detected.size());
  m.undetected = static_cast<int>(fault_at.size() - detected.size());
}

// Speculation, stealing and the bytes scanned for nothing.
void redundancy_metrics(const Trace& t, RunMetrics& m) {
  std::set<std::pair<int, int>> spec;                     // (rank, task) of speculative copies
  std::map<std::pair<int, int>, std::uint64_t> progress;  // (rank, task) -> last heartbeat bytes
  for (const auto& e : t.events()) {
    const auto key = std::make_pair(e.rank, e.task);
    if (e.event == ev::kSpeculate) {
      ++m.spec_copies;
      spec.insert(key);
    } else if (e.event == ev::kSteal) {
      ++m.steals;
    } else if (e.event == "heartbeat") {
      progress[key] = e.bytes;
    } else if (e.event == "duplicate") {
      m.wasted_bytes += e.bytes;
    } else if (e.event == ev::kCancel) {
      m.wasted_bytes += e.bytes ? e.bytes : progress[key];
    } else if (e.event == "result" && spec.count(key)) {
      ++m.spec_won;
    }
  }
}

}  // namespace

std::vector<std::pair<int, double>> fault_times(const Scenario& s) {
  std::map<int, double> at;
  auto hit = [&](int r, double t) {
    auto it = at.find(r);
    if (it == at.end() || t < it->second) at[r] = t;
  };
  for (const auto& f : s.faults) {
    if (f.kind == Fault::HostOff) {
      for (int r = 1; r < s.ranks; ++r)
        if (s.host_of(r).name == f.host) hit(r, f.at);
    } else if (f.rank > 0) {
      hit(f.rank, f.at);
    }
  }
  return {at.begin(), at.end()};
}

RunMetrics evaluate_run(const Scenario& s, const std::string& policy, const json& result, const json& base,
                        const Trace& trace, double bound) {
  RunMetrics m;
  m.scenario = s.name;
  m.policy = policy;
  m.has_result = result.is_object() && result.contains("makespan_s");
  m.lower_bound = bound > 0 ? bound : -1;
  if (m.has_result) {
    m.makespan = result["makespan_s"].get<double>();
    m.reassigned = result_int(result, "tasks_reassigned");
    m.messages = result_int(result, "messages_sent");
    if (bound > 0) m.ratio = m.makespan / bound;
  }
  failure_metrics(s, trace, m);
  redundancy_metrics(trace, m);
  if (s.expect.result == "none") return m;  // the master dies: no counts to check
  m.count_problems = m.has_result ? count_failures(s, result, base) : std::vector<std::string>{"no result: no counts"};
  m.counts_ok = m.count_problems.empty();
  return m;
}

json metrics_json(const RunMetrics& m) {
  auto opt = [](double v) { return v >= 0 ? json(v) : json(nullptr); };
  auto opti = [](long long v) { return v >= 0 ? json(v) : json(nullptr); };
  return {{"scenario", m.scenario},
          {"policy", m.policy},
          {"makespan", opt(m.makespan)},
          {"lower_bound", opt(m.lower_bound)},
          {"ratio", opt(m.ratio)},
          {"bound_time_varying", m.bound_time_varying},
          {"reassigned", opti(m.reassigned)},
          {"spec_copies", m.spec_copies},
          {"spec_won", m.spec_won},
          {"wasted_bytes", m.wasted_bytes},
          {"steals", m.steals},
          {"messages", opti(m.messages)},
          {"failures", m.failures},
          {"false_suspicions", m.false_suspicions},
          {"detection_max", opt(m.detection_max)},
          {"detection_mean", opt(m.detection_mean)},
          {"undetected", m.undetected},
          {"counts_ok", m.counts_ok},
          {"run_ok", m.run_ok},
          {"problems", m.count_problems}};
}

}  // namespace dla::scen
