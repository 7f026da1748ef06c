// Scheduler: rate sampling, time-left estimates (LATE) and speculative copies.
#include <algorithm>
#include <cmath>

#include "sched/scheduler.h"

namespace dla {

// A progress report of `worker` on `task` (heartbeat, or the result: bytes_done = all): one rate
// sample since its previous report; the first report of a task counts from when the worker can
// have started it (its hand-out, or the end of the worker's previous task, whichever is later).
void Scheduler::rate_progress(int worker, int task, std::uint64_t bytes_done, double now) {
  auto* wi = find(worker);
  if (!wi) return;
  const auto i = static_cast<std::size_t>(task);
  if (wi->sample_task != task) {
    const double handed = copy_[i] == worker ? copy_since_[i] : since_[i];
    wi->sample_task = task;
    wi->sample_bytes = 0;
    wi->sample_time = std::max(handed, wi->last_finish);
  }
  if (bytes_done <= wi->sample_bytes) return;
  rates_.sample(worker, bytes_done - wi->sample_bytes, now - wi->sample_time);
  wi->sample_bytes = bytes_done;
  wi->sample_time = now;
}

// Bytes of `task` that `worker` (one of its runners) has probably done by `now`: its last report
// extrapolated at its rate for at most one heartbeat interval (no news for longer = no progress).
double Scheduler::progress_estimate(int task, int worker, double now) const {
  const auto i = static_cast<std::size_t>(task);
  const bool copy = copy_[i] == worker;
  const Runner& p = copy ? prog_copy_[i] : prog_owner_[i];
  double from = p.at, done = static_cast<double>(p.bytes);
  if (from < 0) {
    const auto* wi = find(worker);
    from = std::max(copy ? copy_since_[i] : since_[i], wi ? wi->last_finish : 0.0);
  }
  const double dt = std::clamp(now - from, 0.0, opt_.speculation.heartbeat);
  done += rates_.rate(worker) * dt;
  return std::min(done, static_cast<double>(tasks_[i].bytes()));
}

double Scheduler::busy_until(int w) const {
  const auto* wi = find(w);
  if (!wi || wi->state != WorkerState::Active) return now_;
  double s = 0;
  bool first = true;
  for (int t : wi->held) {
    double left = static_cast<double>(tasks_[static_cast<std::size_t>(t)].bytes());
    if (first) left -= progress_estimate(t, w, now_);
    first = false;
    s += std::max(0.0, left) / rates_.rate(w);
  }
  return now_ + s;
}

double Scheduler::time_left(int task, double now) const {
  if (task < 0 || task >= static_cast<int>(tasks_.size())) return -1;
  const auto i = static_cast<std::size_t>(task);
  const int o = owner_[i];
  const auto* wi = find(o);
  if (tstate_[i] != TaskState::Assigned || !wi || wi->held.empty() || wi->held.front() != task) return -1;
  const double left = (static_cast<double>(tasks_[i].bytes()) - progress_estimate(task, o, now)) / rates_.rate(o);
  const double silence = std::max(0.0, now - wi->last_heard - opt_.speculation.heartbeat);
  return std::max(0.0, left) + silence;
}

// LATE: among the tasks running on other workers, the one with the longest estimated time left,
// if a copy on `worker` is expected to finish first by the margin; at most one copy per task, ever.
Scheduler::Reply Scheduler::try_speculate(int worker, double now) {
  Reply r;
  r.kind = Reply::Wait;
  const SpeculationOptions& so = opt_.speculation;
  int best = -1;
  double best_left = 0;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    const auto& wi = winfo_[k];
    if (workers_[k] == worker || wi.state != WorkerState::Active || wi.held.empty()) continue;
    const int t = wi.held.front();
    const auto i = static_cast<std::size_t>(t);
    if (owner_[i] != workers_[k] || copied_[i] || steal_.count(t)) continue;
    const double left = time_left(t, now);
    const double scratch = static_cast<double>(tasks_[i].bytes()) / rates_.rate(worker);
    if (left > so.multiplier * scratch && left > so.min_left && left > best_left) {
      best = t;
      best_left = left;
    }
  }
  if (best < 0) return r;
  const auto i = static_cast<std::size_t>(best);
  copy_[i] = worker;
  copied_[i] = 1;
  copy_since_[i] = now;
  prog_copy_[i] = Runner{};
  ++attempts_[i];
  if (auto* wi = find(worker)) wi->held.push_back(best), wi->got.insert(best);
  ++stats_.speculative_started;
  record(now, worker, "speculate", best, tasks_[i].bytes(), task_label(best) + " copy-of " + std::to_string(owner_[i]));
  r.kind = Reply::Assign;
  r.task = best;
  r.attempt = attempts_[i];
  return r;
}

}  // namespace dla
