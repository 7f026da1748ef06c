#include "dash/replay.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace dla::dash {

namespace {

// "key=value" from the trace's header comments ("# policy=dynamic workers=7 files=28 tasks=28 ...").
int header_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '#') break;
    const auto p = line.find(" " + key + "=");
    if (p != std::string::npos) return std::atoi(line.c_str() + p + key.size() + 2);
  }
  return -1;
}

// Trace event -> timeline kind ("" = not on the timeline).
std::string timeline_kind(const std::string& ev) {
  if (ev == "timeout") return "failure";
  if (ev == "speculate") return "copy";
  if (ev == "crash" || ev == "reassign" || ev == "checkpoint" || ev == "steal" || ev == "cancel" || ev == "duplicate") return ev;
  if (ev.find("failover") != std::string::npos || ev == "takeover") return "failover";
  return "";
}

const char* outcome_name(dla::GanttBar::Outcome o) {
  switch (o) {
    case dla::GanttBar::Done: return "done";
    case dla::GanttBar::Duplicate: return "duplicate";
    case dla::GanttBar::Lost: return "lost";
    case dla::GanttBar::Cancelled: return "cancelled";
    case dla::GanttBar::Open: break;
  }
  return "running";
}

}  // namespace

Result<TraceReplay> TraceReplay::from_text(const std::string& text) {
  auto t = Trace::parse(text);
  if (!t) return t.err();
  TraceReplay r;
  r.trace_ = std::move(*t);
  r.gantt_ = build_gantt(r.trace_);
  std::set<int> ranks;
  const int workers = header_value(text, "workers");
  for (int w = 1; w <= workers && w <= 100000; ++w) ranks.insert(w);
  for (const auto& e : r.trace_.events()) {
    if (e.rank > 0) ranks.insert(e.rank);
    if (e.task >= 0 && (e.event == "assign" || e.event == "start" || e.event == "result" || e.event == "split"))
      r.task_bytes_[e.task] = std::max(r.task_bytes_[e.task], e.bytes);
    if (e.task >= 0 && e.event == "assign" && !e.detail.empty()) r.task_label_.emplace(e.task, e.detail);
    r.duration_ = std::max(r.duration_, e.time);
  }
  r.ranks_.assign(ranks.begin(), ranks.end());
  r.tasks_total_ = std::max(header_value(text, "tasks"), static_cast<int>(r.task_bytes_.size()));
  r.files_total_ = std::max(0, header_value(text, "files"));
  return r;
}

void TraceReplay::fill_workers(double t, DashState* s) const {
  std::map<int, WorkerRow> rows;
  std::map<int, double> heard;
  std::map<int, int> done;
  for (int w : ranks_) rows[w].rank = w;
  for (const auto& e : trace_.events()) {
    if (e.time > t) break;
    auto it = rows.find(e.rank);
    if (it == rows.end()) continue;
    if (e.event == "timeout" || e.event == "crash") it->second.state = "failed";
    else if (e.event == "stop") it->second.state = it->second.state == "failed" ? "failed" : "stopped";
    else if (e.event == "result" || e.event == "heartbeat" || e.event == "start") {
      if (it->second.state != "stopped") it->second.state = "idle";  // heard again: alive (a false suspicion)
      heard[e.rank] = e.time;
      if (e.event == "result") ++done[e.rank];
    }
  }
  for (const auto& b : gantt_.bars) {
    const bool running = b.outcome == dla::GanttBar::Open || b.end > t;
    if (b.moved || b.begin > t || !running) continue;
    auto it = rows.find(b.rank);
    if (it == rows.end() || it->second.state == "failed" || it->second.state == "stopped") continue;
    WorkerRow& w = it->second;
    w.state = b.speculative ? "speculating" : "busy";
    w.task = b.task;
    const auto label = task_label_.find(b.task);
    w.task_label = label != task_label_.end() ? label->second : "task " + std::to_string(b.task);
    w.progress = b.end > b.begin && b.outcome != dla::GanttBar::Open ? std::clamp((t - b.begin) / (b.end - b.begin), 0.0, 1.0) : -1;
    w.rate = b.end > b.begin ? static_cast<double>(b.bytes) / (b.end - b.begin) : 0;
    ++w.held;
  }
  for (auto& [rank, w] : rows) {
    w.heartbeat_age = heard.count(rank) ? t - heard[rank] : t;
    w.tasks_done = done[rank];
    s->workers.push_back(w);
  }
}

// Scan rate over time: each bar's bytes spread evenly over its duration (what the workers were
// scanning, including work later lost), in at most ~200 buckets of the run.
void TraceReplay::fill_rates(double t, DashState* s) const {
  const double step = std::max(0.01, duration_ / 200);
  const auto nb = static_cast<std::size_t>(std::floor(t / step));
  std::vector<double> acc(nb + 1, 0.0);
  for (const auto& b : gantt_.bars) {
    if (b.moved || b.begin >= t || b.end <= b.begin) continue;
    const double per_s = static_cast<double>(b.bytes) / (b.end - b.begin), e = std::min(b.end, t);
    for (auto k = static_cast<std::size_t>(b.begin / step); k <= nb && k * step < e; ++k) {
      const double lo = std::max(b.begin, k * step), hi = std::min(e, (k + 1) * step);
      if (hi > lo) acc[k] += per_s * (hi - lo);
    }
  }
  double cum = 0;
  for (std::size_t k = 0; k < nb; ++k) {  // complete buckets only
    cum += acc[k];
    RatePoint p;
    p.time = static_cast<double>(k + 1) * step;
    p.bytes_per_s = acc[k] / step;
    p.bytes_done = static_cast<std::uint64_t>(cum);
    s->rates.push_back(p);
  }
  s->rate = s->rates.empty() ? 0 : s->rates.back().bytes_per_s;
}

void TraceReplay::fill_progress(double t, DashState* s) const {
  std::set<int> done_tasks;
  for (const auto& e : trace_.events()) {
    if (e.time > t) break;
    if (e.event == "result" && e.task >= 0 && done_tasks.insert(e.task).second) {
      ++s->tasks_done;
      const auto it = task_bytes_.find(e.task);
      s->bytes_done += it == task_bytes_.end() ? e.bytes : it->second;
    }
  }
  fill_rates(t, s);
  for (const auto& [task, b] : task_bytes_) s->bytes_total += b;
  s->tasks_total = tasks_total_;
  for (const auto& w : s->workers) {
    if (w.task < 0) continue;
    ++s->tasks_running;
    const auto it = task_bytes_.find(w.task);
    if (w.progress > 0 && it != task_bytes_.end()) s->bytes_running += static_cast<std::uint64_t>(w.progress * static_cast<double>(it->second));
  }
  s->queue_length = std::max(0, s->tasks_total - s->tasks_done - s->tasks_running);
  const std::uint64_t seen = std::min(s->bytes_total, s->bytes_done + s->bytes_running);
  const std::uint64_t left = s->bytes_total - seen;
  s->eta = left == 0 ? 0 : s->rate > 0 ? static_cast<double>(left) / s->rate : -1;
}

void TraceReplay::fill_events(double t, DashState* s) const {
  std::vector<TimelineEvent> all;
  for (const auto& e : trace_.events()) {
    if (e.time > t) break;
    const std::string kind = timeline_kind(e.event);
    if (kind.empty()) continue;
    all.push_back({e.time, kind, e.event == "checkpoint" ? -1 : e.rank, e.task, e.detail});
    if (kind == "failure") ++s->failures;
    else if (kind == "reassign") ++s->tasks_reassigned;
    else if (kind == "checkpoint") ++s->checkpoints;
    else if (kind == "steal") ++s->steals;
    else if (kind == "copy") ++s->copies;
    else if (kind == "duplicate") ++s->duplicates;
  }
  const std::size_t from = all.size() > kMaxEvents ? all.size() - kMaxEvents : 0;
  s->events.assign(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
  s->events_dropped = from;
  std::vector<dash::GanttBar> bars;
  for (const auto& b : gantt_.bars) {
    if (b.moved || b.begin > t) continue;
    const bool running = b.end > t || b.outcome == dla::GanttBar::Open;
    bars.push_back({b.rank, b.task, b.begin, running ? t : b.end, running ? std::string("running") : std::string(outcome_name(b.outcome))});
  }
  const std::size_t bfrom = bars.size() > kMaxBars ? bars.size() - kMaxBars : 0;
  s->bars.assign(bars.begin() + static_cast<std::ptrdiff_t>(bfrom), bars.end());
}

DashState TraceReplay::state_at(double t) const {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, duration_);
  DashState s;
  s.mode = "replay";
  s.seq = static_cast<std::uint64_t>(std::llround(t * 1e6)) + 1;
  s.time = t;
  s.duration = duration_;
  s.counts_known = false;
  s.files_total = files_total_;
  fill_workers(t, &s);
  fill_progress(t, &s);
  fill_events(t, &s);
  s.finished = t >= duration_;
  s.idle = tasks_total_ == 0;
  s.status = s.idle ? "nothing to do" : s.finished ? "finished" : "running";
  return s;
}

}  // namespace dla::dash
