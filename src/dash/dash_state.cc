#include "dash/dash_state.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace dla::dash {

void RateHistory::observe(double now, std::uint64_t bytes_done, std::uint64_t lines_done) {
  if (!started_) {
    started_ = true;
    last_t_ = now;
    last_bytes_ = bytes_done;
    last_lines_ = lines_done;
    return;
  }
  const double dt = now - last_t_;
  if (dt < step_) return;
  RatePoint p;
  p.time = now;
  p.bytes_per_s = bytes_done >= last_bytes_ ? static_cast<double>(bytes_done - last_bytes_) / dt : 0;
  p.lines_per_s = lines_done >= last_lines_ ? static_cast<double>(lines_done - last_lines_) / dt : 0;
  p.bytes_done = bytes_done;
  points_.push_back(p);
  last_t_ = now;
  last_bytes_ = bytes_done;
  last_lines_ = lines_done;
  if (points_.size() < cap_) return;
  // Full: keep every other point (the rate of a merged pair is their mean), double the step.
  std::deque<RatePoint> kept;
  for (std::size_t i = 0; i + 1 < points_.size(); i += 2) {
    RatePoint m = points_[i + 1];
    m.bytes_per_s = (points_[i].bytes_per_s + points_[i + 1].bytes_per_s) / 2;
    m.lines_per_s = (points_[i].lines_per_s + points_[i + 1].lines_per_s) / 2;
    kept.push_back(m);
  }
  if (points_.size() % 2) kept.push_back(points_.back());
  points_.swap(kept);
  step_ *= 2;
}

int workers_alive(const DashState& s) {
  int n = 0;
  for (const auto& w : s.workers) n += w.state != "failed" && w.state != "stopped";
  return n;
}

namespace {

nlohmann::json workers_json(const DashState& s) {
  auto a = nlohmann::json::array();
  for (const auto& w : s.workers)
    a.push_back({{"rank", w.rank}, {"state", w.state}, {"task", w.task}, {"task_label", w.task_label},
                 {"progress", w.progress}, {"rate", w.rate}, {"heartbeat_age", w.heartbeat_age},
                 {"held", w.held}, {"tasks_done", w.tasks_done}});
  return a;
}

nlohmann::json timeline_json(const DashState& s) {
  auto ev = nlohmann::json::array();
  for (const auto& e : s.events)
    ev.push_back({{"time", e.time}, {"kind", e.kind}, {"rank", e.rank}, {"task", e.task}, {"detail", e.detail}});
  auto bars = nlohmann::json::array();
  for (const auto& b : s.bars)
    bars.push_back({{"rank", b.rank}, {"task", b.task}, {"begin", b.begin}, {"end", b.end}, {"outcome", b.outcome}});
  auto rates = nlohmann::json::array();
  for (const auto& r : s.rates)
    rates.push_back({{"time", r.time}, {"bytes_per_s", r.bytes_per_s}, {"lines_per_s", r.lines_per_s}, {"bytes_done", r.bytes_done}});
  return {{"events", ev}, {"bars", bars}, {"rates", rates}};
}

// Numbers JSON cannot hold (NaN, inf) become null rather than invalid text.
double finite_or(double x, double d) { return std::isfinite(x) ? x : d; }

}  // namespace

nlohmann::json to_json(const DashState& s) {
  nlohmann::json j = timeline_json(s);
  j["mode"] = s.mode;
  j["seq"] = s.seq;
  j["time"] = finite_or(s.time, 0);
  j["duration"] = finite_or(s.duration, 0);
  j["status"] = s.status;
  j["finished"] = s.finished;
  j["idle"] = s.idle;
  j["workers"] = workers_json(s);
  j["workers_alive"] = workers_alive(s);
  j["queue"] = {{"length", s.queue_length}, {"head", s.queue_head}};
  j["tasks"] = {{"total", s.tasks_total}, {"done", s.tasks_done}, {"running", s.tasks_running}, {"reassigned", s.tasks_reassigned}};
  j["files"] = {{"total", s.files_total}, {"done", s.files_done}, {"failed", s.files_failed}};
  j["bytes"] = {{"total", s.bytes_total}, {"done", s.bytes_done}, {"running", s.bytes_running}};
  j["rate"] = finite_or(s.rate, 0);
  j["eta"] = finite_or(s.eta, -1);
  j["counts_known"] = s.counts_known;
  j["counts"] = counts_json(s.counts);
  j["lines"] = s.counts.lines;
  j["unleveled"] = s.counts.unleveled();
  j["stats"] = {{"checkpoints", s.checkpoints}, {"steals", s.steals}, {"copies", s.copies}, {"duplicates", s.duplicates},
                {"failures", s.failures}, {"false_suspicions", s.false_suspicions}};
  j["events_dropped"] = s.events_dropped;
  return j;
}

namespace {

void metric(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

std::string num(double x) {
  if (!std::isfinite(x)) return "NaN";
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", x);
  return b;
}

}  // namespace

std::string metrics_text(const DashState& s) {
  std::ostringstream o;
  metric(o, "dla_lines_total", "counter", "Log lines counted so far, by level (unleveled: lines without one).");
  for (const auto& name : report_levels(s.counts)) o << "dla_lines_total{level=\"" << name << "\"} " << s.counts.get(name) << '\n';
  o << "dla_lines_total{level=\"unleveled\"} " << s.counts.unleveled() << '\n';
  metric(o, "dla_bytes_done", "gauge", "Bytes of input counted so far.");
  o << "dla_bytes_done " << s.bytes_done << '\n';
  metric(o, "dla_bytes_total", "gauge", "Bytes of input in this run.");
  o << "dla_bytes_total " << s.bytes_total << '\n';
  metric(o, "dla_tasks", "gauge", "Tasks by state.");
  o << "dla_tasks{state=\"done\"} " << s.tasks_done << "\ndla_tasks{state=\"running\"} " << s.tasks_running
    << "\ndla_tasks{state=\"queued\"} " << s.queue_length << "\ndla_tasks{state=\"total\"} " << s.tasks_total << '\n';
  metric(o, "dla_tasks_reassigned_total", "counter", "Tasks handed out again after a failure.");
  o << "dla_tasks_reassigned_total " << s.tasks_reassigned << '\n';
  metric(o, "dla_workers", "gauge", "Workers by state.");
  std::map<std::string, int> by;
  for (const char* st : {"idle", "busy", "speculating", "suspected", "failed", "stopped"}) by[st] = 0;
  for (const auto& w : s.workers) ++by[w.state];
  for (const auto& [st, n] : by) o << "dla_workers{state=\"" << st << "\"} " << n << '\n';
  metric(o, "dla_worker_failures_total", "counter", "Workers declared failed.");
  o << "dla_worker_failures_total " << s.failures << '\n';
  metric(o, "dla_checkpoints_total", "counter", "Checkpoints saved.");
  o << "dla_checkpoints_total " << s.checkpoints << '\n';
  metric(o, "dla_rate_bytes_per_second", "gauge", "Recent scan rate of the whole run.");
  o << "dla_rate_bytes_per_second " << num(s.rate) << '\n';
  metric(o, "dla_run_seconds", "gauge", "Seconds since the run started.");
  o << "dla_run_seconds " << num(s.time) << '\n';
  metric(o, "dla_finished", "gauge", "1 once the run has finished.");
  o << "dla_finished " << (s.finished ? 1 : 0) << '\n';
  return o.str();
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  const long long s = std::llround(seconds);
  char b[32];
  if (s >= 3600) std::snprintf(b, sizeof b, "%lldh%02lldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(b, sizeof b, "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%llds", s);
  return b;
}

}  // namespace dla::dash
