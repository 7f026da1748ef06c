// Scheduler: prefetch deques and master-brokered steals (policy "steal"), guided splitting.
//
// (Why brokered by the master and not peer to peer, and its message cost: sched/policy.h.)
#include <algorithm>
#include <cmath>

#include "sched/scheduler.h"

namespace dla {

// Whether `worker` should get one more task now: always when it holds nothing; with a deque, while
// it holds fewer than `prefetch` tasks or fewer than `prefetch_bytes` bytes, less than
// `prefetch_seconds` of work, and only while there is more pending than live workers (at the end,
// prefetching would starve the others).
bool Scheduler::wants_more(int worker) const {
  const auto* wi = find(worker);
  if (!wi) return false;
  if (wi->held.empty()) return true;
  return deque_open(static_cast<int>(wi->held.size()), wi->held_bytes, busy_until(worker) - now_);
}

// wants_more's rule for a worker holding `held` tasks of `bytes` bytes, `busy` seconds of work.
bool Scheduler::deque_open(int held, std::uint64_t bytes, double busy) const {
  if (held >= traits_.prefetch && bytes >= traits_.prefetch_bytes) return false;
  if (busy >= traits_.prefetch_seconds) return false;
  return pending_ > live_;
}

// Tops the deque up, keeping the queued seconds as a running sum (a byte floor lets a deque hold
// thousands of tiny tasks: recomputing busy_until per task would be quadratic).
void Scheduler::top_up(int worker, double now) {
  if (traits_.prefetch <= 1) return;
  if (!wants_more(worker)) return;
  const auto* wi = find(worker);
  std::uint64_t bytes = wi->held_bytes;
  double busy = busy_until(worker) - now_;
  int held = static_cast<int>(wi->held.size());
  do {
    const int t = policy_->next(worker);
    if (t < 0) return;
    const Reply r = assign(worker, maybe_split(t, worker), now);
    order(Order::Assign, worker, r.task, r.attempt);
    const auto b = tasks_[static_cast<std::size_t>(r.task)].bytes();
    bytes += b;
    busy += static_cast<double>(b) / rates_.rate(worker);
    ++held;
  } while (deque_open(held, bytes, busy));
}

void Scheduler::end_steal(int task) {
  auto it = steal_.find(task);
  if (it == steal_.end()) return;
  if (auto* th = find(it->second.thief); th && th->stealing == task) th->stealing = -1;
  steal_.erase(it);
}

// The thief found nothing pending: ask the most loaded worker (latest estimated finish) to release
// the last not-yet-started task of its deque, if the thief would finish it before the victim gets
// to it. Returns whether a RELEASE was ordered (the thief is answered WAIT either way).
bool Scheduler::try_steal(int thief, double now) {
  int victim = -1, task = -1;
  double worst = now;
  const double rt = rates_.rate(thief);
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    const auto& wi = winfo_[k];
    const int v = workers_[k];
    if (v == thief || wi.state != WorkerState::Active || wi.held.size() < 2) continue;
    const double until = busy_until(v);
    if (until <= worst) continue;
    for (std::size_t j = wi.held.size(); j-- > 1;) {  // from the back; never the running front
      const int t = wi.held[j];
      const auto i = static_cast<std::size_t>(t);
      if (owner_[i] != v || copy_[i] >= 0 || started_seen_[i] || steal_.count(t)) continue;
      if (now + static_cast<double>(tasks_[i].bytes()) / rt >= until) break;  // no gain
      victim = v, task = t, worst = until;
      break;
    }
  }
  if (task < 0) return false;
  steal_[task] = Steal{victim, thief};
  find(thief)->stealing = task;
  ++stats_.steals_attempted;
  order(Order::Release, victim, task);
  return true;
}

void Scheduler::on_release_reply(int worker, int task, bool released, double now) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
  if (!released) ++stats_.steals_refused;
  auto it = steal_.find(task);
  if (it == steal_.end() || it->second.victim != worker) return;  // settled otherwise meanwhile
  const int thief = it->second.thief;
  end_steal(task);
  const auto i = static_cast<std::size_t>(task);
  if (!released) {
    started_seen_[i] = 1;  // it runs (or ran) there: do not ask again
    record(now, worker, "refused", task, 0, task_label(task) + " steal-by " + std::to_string(thief));
    return;
  }
  if (tstate_[i] != TaskState::Assigned || owner_[i] != worker) return;
  drop_held(worker, task);
  auto* th = find(thief);
  if (!th || th->state != WorkerState::Active) {  // the thief is gone: back to the queue
    to_pending(task);
    requeue(-1, {task});
    return;
  }
  owner_[i] = thief;
  since_[i] = now;
  started_seen_[i] = 0;
  prog_owner_[i] = Runner{};
  hold(*th, task);
  ++stats_.steals_succeeded;
  record(now, thief, "steal", task, tasks_[i].bytes(), task_label(task) + " from " + std::to_string(worker));
  order(Order::Assign, thief, task, attempts_[i]);
}

// Guided self-scheduling: cut a never-handed-out task so that the piece handed to `worker` is
// about remaining / (k * live workers), scaled by the worker's rate against the mean; the tail
// becomes a new task (appended id) that goes back to the policy. Returns the task to hand out.
int Scheduler::maybe_split(int t, int worker) {
  const auto i = static_cast<std::size_t>(t);
  const Task& task = tasks_[i];
  if (traits_.split_k <= 0 || attempts_[i] > 0) return t;
  const auto f = static_cast<std::size_t>(task.file);
  if (f < opt_.unsplittable.size() && opt_.unsplittable[f]) return t;
  const double share = static_cast<double>(pending_bytes_) / (traits_.split_k * std::max(live_, 1)) *
                       (rates_.rate(worker) / rates_.mean_rate());
  const std::uint64_t floor = std::max<std::uint64_t>(traits_.split_floor, 1);
  const std::uint64_t chunk = std::max<std::uint64_t>(floor, static_cast<std::uint64_t>(std::ceil(share)));
  if (task.bytes() < chunk + floor) return t;  // no tail smaller than the floor
  Task tail;
  tail.id = static_cast<int>(tasks_.size());
  tail.file = task.file;
  tail.range.offset = task.range.offset + chunk;
  tail.range.length = task.bytes() - chunk;
  tasks_[i].range.length = chunk;
  append_task(tail);
  LogEntry e;
  e.kind = LogEntry::Split;
  e.task = tail.id, e.from = t, e.file = tail.file, e.offset = tail.range.offset, e.length = tail.range.length;
  log_.push_back(e);
  ++pending_;  // (the bytes moved from t, still counted pending, to the tail)
  ++stats_.tasks_split;
  record(now_, 0, "split", tail.id, tail.bytes(),
         task_label(t) + " from " + std::to_string(t) + " at " + std::to_string(tail.range.offset));
  requeue(-1, {tail.id});
  return t;
}

// A new task (a guided cut's tail, here or replayed): Pending, never handed out; one more for its
// file. The caller puts it in the policy (or the constructor does).
void Scheduler::append_task(const Task& t) {
  tasks_.push_back(t);
  tstate_.push_back(TaskState::Pending);
  owner_.push_back(-1);
  copy_.push_back(-1);
  attempts_.push_back(0);
  since_.push_back(0);
  copy_since_.push_back(0);
  copied_.push_back(0);
  started_seen_.push_back(0);
  prog_owner_.push_back(Runner{});
  prog_copy_.push_back(Runner{});
  format_.emplace_back();
  ++file_left_[static_cast<std::size_t>(t.file)];
}

}  // namespace dla
