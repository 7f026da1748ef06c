#include "dash/observer.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace dla::dash {

std::string task_text(const Task& t, const std::vector<std::string>& file_names, const std::vector<std::uint64_t>& file_sizes) {
  const auto f = static_cast<std::size_t>(t.file);
  const std::string name = f < file_names.size() ? file_names[f] : "file " + std::to_string(t.file);
  // A whole file is shown by its name alone, a range of a split file with its bytes.
  if (t.range.offset == 0 && f < file_sizes.size() && t.range.length == file_sizes[f]) return name;
  return name + " [" + std::to_string(t.range.offset) + "+" + std::to_string(t.range.length) + "]";
}

SchedulerObserver::SchedulerObserver(ObserverOptions o) : opt_(std::move(o)), rates_(opt_.rate_step) {}

void SchedulerObserver::note(TimelineEvent e) { add_event(std::move(e)); }

void SchedulerObserver::add_event(TimelineEvent e) {
  events_.push_back(std::move(e));
  while (events_.size() > kMaxEvents) {
    events_.pop_front();
    ++dropped_;
  }
}

namespace {

std::string state_name(const Scheduler& s, int w, int task, double now, double heartbeat) {
  switch (s.worker_state(w)) {
    case Scheduler::WorkerState::Failed: return "failed";
    case Scheduler::WorkerState::Stopped: return "stopped";
    case Scheduler::WorkerState::Active: break;
  }
  const double silence = now - s.last_heard(w);
  if (silence > std::max(2 * heartbeat, s.timeout() / 2)) return "suspected";
  if (task < 0) return "idle";
  return s.task_copy(task) == w ? "speculating" : "busy";
}

std::string list_text(const std::vector<int>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < 8; ++i) out += (i ? "," : "") + std::to_string(v[i]);
  if (v.size() > 8) out += ",... (" + std::to_string(v.size()) + ")";
  return out;
}

}  // namespace

WorkerRow SchedulerObserver::row_of(const Scheduler& s, int w, double now) const {
  WorkerRow r;
  r.rank = w;
  const auto held = s.held_by(w);
  r.held = static_cast<int>(held.size());
  r.task = held.empty() ? -1 : held.front();
  r.state = state_name(s, w, r.task, now, opt_.heartbeat);
  const bool gone = r.state == "failed" || r.state == "stopped";
  if (gone) r.task = -1;
  r.rate = gone ? 0 : s.worker_rate(w);
  r.heartbeat_age = std::max(0.0, now - s.last_heard(w));
  if (r.task >= 0) {
    const Task& t = s.tasks()[static_cast<std::size_t>(r.task)];
    r.task_label = task_text(t, opt_.file_names, opt_.file_sizes);
    // The scheduler's own estimate (time_left = bytes left / rate + silence beyond a heartbeat).
    const double left = s.time_left(r.task, now);
    if (left >= 0 && t.bytes() > 0 && r.rate > 0) {
      const double silence = std::max(0.0, now - s.last_heard(w) - opt_.heartbeat);
      const double done = static_cast<double>(t.bytes()) - std::max(0.0, left - silence) * r.rate;
      r.progress = std::clamp(done / static_cast<double>(t.bytes()), 0.0, 1.0);
    } else if (t.bytes() == 0) {
      r.progress = 1;
    }
  }
  return r;
}

void SchedulerObserver::close_bar(int rank, Seen& seen, const Scheduler& s, double t, bool failed) {
  if (seen.task < 0) return;
  GanttBar b;
  b.rank = rank;
  b.task = seen.task;
  b.begin = seen.since;
  b.end = t;
  const bool done = s.task_state(seen.task) == Scheduler::TaskState::Done;
  b.outcome = done ? "done" : failed ? "lost" : "moved";
  if (done) ++seen.done;
  bars_.push_back(b);
  while (bars_.size() > kMaxBars) bars_.pop_front();
  seen.task = -1;
}

void SchedulerObserver::observe_reassigned(const Scheduler& s, int w, double t) {
  for (int task : s.held_by(w)) {
    const auto i = static_cast<std::size_t>(task);
    if (i >= attempt_seen_.size()) attempt_seen_.resize(s.tasks().size(), 1);
    const int a = s.task_attempts(task);
    if (a <= attempt_seen_[i]) continue;
    attempt_seen_[i] = static_cast<std::uint8_t>(std::min(a, 255));
    if (s.task_owner(task) != w || s.task_copy(task) == w) continue;  // copies come from the counters
    add_event({t, "reassign", w, task,
               "task " + std::to_string(task) + " " + task_text(s.tasks()[i], opt_.file_names, opt_.file_sizes) + " (attempt " +
                   std::to_string(a) + ")"});
  }
}

void SchedulerObserver::observe_worker(const Scheduler& s, int w, double now, double t, DashState* out) {
  WorkerRow r = row_of(s, w, now);
  Seen& seen = seen_[w];
  const bool failed = r.state == "failed";
  if (failed && seen.state != "failed" && !first_) {
    char silent[48];
    std::snprintf(silent, sizeof silent, "declared failed after %.1f s of silence", now - s.last_heard(w));
    add_event({t, "failure", w, -1, silent + (seen.held.empty() ? std::string() : "; tasks " + list_text(seen.held) + " back to the queue")});
  }
  if (r.task != seen.task) {
    close_bar(w, seen, s, t, failed);
    if (r.task >= 0) {
      seen.task = r.task;
      seen.since = t;
    }
  }
  if (!failed) observe_reassigned(s, w, t);
  seen.state = r.state;
  seen.held = s.held_by(w);
  r.tasks_done = seen.done;
  if (seen.task >= 0) out->bars.push_back({w, seen.task, seen.since, t, "running"});
  if (r.task >= 0 && r.progress > 0 && s.task_owner(r.task) == w)
    out->bytes_running += static_cast<std::uint64_t>(r.progress * static_cast<double>(s.tasks()[static_cast<std::size_t>(r.task)].bytes()));
  out->workers.push_back(std::move(r));
}

void SchedulerObserver::observe_counters(const Scheduler& s, double t, int checkpoints) {
  const SchedulerStats& n = s.stats();
  auto moved = [&](int now_v, int before, const char* kind, const char* what) {
    if (now_v > before && !first_)
      add_event({t, kind, -1, -1, std::to_string(now_v - before) + " " + what + " (" + std::to_string(now_v) + " in all)"});
  };
  moved(n.steals_succeeded, last_stats_.steals_succeeded, "steal", "task(s) stolen");
  moved(n.speculative_started, last_stats_.speculative_started, "copy", "speculative cop(y/ies) started");
  moved(n.speculative_lost + n.speculative_won, last_stats_.speculative_lost + last_stats_.speculative_won, "cancel",
        "losing cop(y/ies) cancelled");
  moved(n.duplicates, last_stats_.duplicates, "duplicate", "duplicate result(s) dropped");
  moved(n.false_suspicions, last_stats_.false_suspicions, "false-suspicion", "worker(s) heard again after being declared failed");
  if (checkpoints > last_checkpoints_)
    add_event({t, "checkpoint", 0, -1, "checkpoint #" + std::to_string(checkpoints) + " saved"});
  last_stats_ = n;
  last_checkpoints_ = checkpoints;
}

void SchedulerObserver::fill_totals(const Scheduler& s, DashState* out) const {
  const auto& tasks = s.tasks();
  out->tasks_total = static_cast<int>(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    out->bytes_total += tasks[i].bytes();
    const auto st = s.task_state(static_cast<int>(i));
    if (st == Scheduler::TaskState::Done) out->bytes_done += tasks[i].bytes();
    else if (st == Scheduler::TaskState::Assigned) ++out->tasks_running;
  }
  out->tasks_done = s.tasks_done();
  out->tasks_reassigned = s.tasks_reassigned();
  out->files_total = s.num_files();
  out->files_done = static_cast<int>(s.processed_files().size());
  out->files_failed = static_cast<int>(s.failed_files().size());
  const auto pending = s.pending_tasks();
  out->queue_length = static_cast<int>(pending.size());
  for (std::size_t i = 0; i < pending.size() && i < kMaxQueueShown; ++i)
    out->queue_head.push_back(task_text(tasks[static_cast<std::size_t>(pending[i])], opt_.file_names, opt_.file_sizes));
  out->counts = s.totals();
  const SchedulerStats& st = s.stats();
  out->steals = st.steals_succeeded;
  out->copies = st.speculative_started;
  out->duplicates = st.duplicates;
  out->failures = st.failures;
  out->false_suspicions = st.false_suspicions;
}

DashState SchedulerObserver::observe(const Scheduler& s, double now, int checkpoints, bool finished, bool interrupted) {
  DashState out;
  out.seq = ++seq_;
  out.time = std::max(0.0, now - s.start_time());
  out.duration = out.time;
  if (first_) idle_at_start_ = s.all_done();
  for (int w : s.workers()) observe_worker(s, w, now, out.time, &out);
  observe_counters(s, out.time, checkpoints);
  fill_totals(s, &out);
  out.checkpoints = checkpoints;
  rates_.observe(out.time, out.bytes_done + out.bytes_running, out.counts.lines);
  out.rates.assign(rates_.points().begin(), rates_.points().end());
  out.rate = rates_.current_rate();
  const std::uint64_t seen_done = std::min(out.bytes_total, out.bytes_done + out.bytes_running);
  const std::uint64_t left = out.bytes_total - seen_done;
  out.eta = left == 0 ? 0 : out.rate > 0 ? static_cast<double>(left) / out.rate : -1;
  out.idle = idle_at_start_;
  out.finished = finished;
  out.status = interrupted ? "interrupted" : idle_at_start_ ? "nothing to do" : finished ? "finished" : "running";
  out.events.assign(events_.begin(), events_.end());
  out.events_dropped = dropped_;
  out.bars.insert(out.bars.begin(), bars_.begin(), bars_.end());
  first_ = false;
  return out;
}

}  // namespace dla::dash
