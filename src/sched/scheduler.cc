#include "sched/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

namespace dla {
namespace {

class DynamicPolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "dynamic"; }
  void init(const std::vector<Task>& pending, const std::vector<int>&) override {
    for (const auto& t : pending) q_.push_back(t.id);
  }
  int next(int) override { return next_any(); }
  int next_any() override {
    if (q_.empty()) return -1;
    int t = q_.front();
    q_.pop_front();
    return t;
  }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>&) override {
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) q_.push_front(it->id);
  }
  void worker_gone(int, const std::vector<int>&) override {}
  bool remove(int task) override {
    auto it = std::find(q_.begin(), q_.end(), task);
    if (it == q_.end()) return false;
    q_.erase(it);
    return true;
  }
  std::vector<int> pending() const override { return {q_.begin(), q_.end()}; }

 private:
  std::deque<int> q_;
};

class StaticPolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "static"; }
  void init(const std::vector<Task>& pending, const std::vector<int>& workers) override {
    std::vector<std::uint64_t> w;
    for (const auto& t : pending) {
      w.push_back(t.bytes());
      bytes_[t.id] = t.bytes();
    }
    auto bins = partition_lpt(w, static_cast<int>(std::max<std::size_t>(workers.size(), 1)));
    for (std::size_t b = 0; b < workers.size(); ++b) {
      auto& q = queues_[workers[b]];
      for (int i : bins[b]) q.push_back(pending[static_cast<std::size_t>(i)].id);
    }
    if (workers.empty())
      for (const auto& t : pending) orphans_.push_back(t.id);
  }
  int next(int worker) override {
    if (!orphans_.empty()) return pop(orphans_);
    auto it = queues_.find(worker);
    if (it == queues_.end() || it->second.empty()) return -1;
    return pop(it->second);
  }
  int next_any() override {
    if (!orphans_.empty()) return pop(orphans_);
    for (auto& [w, q] : queues_)
      if (!q.empty()) return pop(q);
    return -1;
  }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>& live) override {
    std::vector<int> ids;
    for (const auto& t : tasks) ids.push_back(t.id);
    spread(ids, live, /*front=*/true);
  }
  void worker_gone(int worker, const std::vector<int>& live) override {
    auto it = queues_.find(worker);
    if (it == queues_.end()) return;
    std::vector<int> ids(it->second.begin(), it->second.end());
    queues_.erase(it);
    spread(ids, live, /*front=*/false);
  }
  bool remove(int task) override {
    if (erase_from(orphans_, task)) return true;
    for (auto& [w, q] : queues_)
      if (erase_from(q, task)) return true;
    return false;
  }
  std::vector<int> pending() const override {
    std::vector<int> out(orphans_.begin(), orphans_.end());
    for (const auto& [w, q] : queues_) out.insert(out.end(), q.begin(), q.end());
    return out;
  }

 private:
  static int pop(std::deque<int>& q) {
    int t = q.front();
    q.pop_front();
    return t;
  }
  static bool erase_from(std::deque<int>& q, int task) {
    auto it = std::find(q.begin(), q.end(), task);
    if (it == q.end()) return false;
    q.erase(it);
    return true;
  }
  std::uint64_t load(int w) const {
    std::uint64_t s = 0;
    auto it = queues_.find(w);
    if (it != queues_.end())
      for (int t : it->second) s += bytes_.at(t);
    return s;
  }
  // LPT over the live workers' remaining bytes: biggest task to the lightest worker (lower rank on ties).
  void spread(std::vector<int> ids, const std::vector<int>& live, bool front) {
    if (live.empty()) {
      if (front) orphans_.insert(orphans_.begin(), ids.begin(), ids.end());
      else orphans_.insert(orphans_.end(), ids.begin(), ids.end());
      return;
    }
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return bytes_.at(a) > bytes_.at(b); });
    std::map<int, std::uint64_t> loads;
    for (int w : live) loads[w] = load(w);
    std::map<int, std::vector<int>> add;
    for (int t : ids) {
      int best = live.front();
      for (int w : live)
        if (loads[w] < loads[best] || (loads[w] == loads[best] && w < best)) best = w;
      loads[best] += bytes_.at(t);
      add[best].push_back(t);
    }
    for (auto& [w, ts] : add) {
      auto& q = queues_[w];
      if (front) q.insert(q.begin(), ts.begin(), ts.end());
      else q.insert(q.end(), ts.begin(), ts.end());
    }
  }

  std::map<int, std::deque<int>> queues_;
  std::deque<int> orphans_;  // tasks with no live worker to plan them on (the master takes them)
  std::map<int, std::uint64_t> bytes_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> make_dynamic_policy() { return std::make_unique<DynamicPolicy>(); }
std::unique_ptr<SchedulingPolicy> make_static_policy() { return std::make_unique<StaticPolicy>(); }
std::unique_ptr<SchedulingPolicy> make_policy(const std::string& name) {
  if (name == "dynamic") return make_dynamic_policy();
  if (name == "static") return make_static_policy();
  return nullptr;
}

const char* to_string(Scheduler::WorkerState s) {
  switch (s) {
    case Scheduler::WorkerState::Active: return "active";
    case Scheduler::WorkerState::Stopped: return "stopped";
    case Scheduler::WorkerState::Failed: return "failed";
  }
  return "?";
}

Scheduler::Scheduler(std::vector<Task> tasks, int num_files, std::vector<int> workers,
                     std::unique_ptr<SchedulingPolicy> policy, SchedulerOptions opt, double now)
    : tasks_(std::move(tasks)),
      workers_(std::move(workers)),
      policy_(std::move(policy)),
      opt_(std::move(opt)),
      t0_(now) {
  const std::size_t n = tasks_.size();
  tstate_.assign(n, TaskState::Pending);
  owner_.assign(n, -1);
  attempts_.assign(n, 0);
  since_.assign(n, 0);
  started_seen_.assign(n, 0);
  winfo_.resize(workers_.size());
  for (auto& w : winfo_) w.last_heard = now;
  file_left_.assign(static_cast<std::size_t>(num_files), 0);
  file_counts_.resize(static_cast<std::size_t>(num_files));
  file_error_.resize(static_cast<std::size_t>(num_files));
  for (const auto& t : tasks_) ++file_left_[static_cast<std::size_t>(t.file)];
  totals_ = opt_.base_counts;
  std::vector<char> done(static_cast<std::size_t>(num_files), 0);
  for (int f : opt_.files_done) {
    if (f < 0 || f >= num_files || done[static_cast<std::size_t>(f)]) continue;
    done[static_cast<std::size_t>(f)] = 1;
    processed_.push_back(f);
  }
  std::vector<Task> pending;
  for (const auto& t : tasks_) {
    if (done[static_cast<std::size_t>(t.file)]) {
      tstate_[static_cast<std::size_t>(t.id)] = TaskState::Done;
      ++tasks_done_;
      --file_left_[static_cast<std::size_t>(t.file)];
    } else {
      pending.push_back(t);
    }
  }
  policy_->init(pending, workers_);
}

Scheduler::WorkerInfo* Scheduler::find(int w) {
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (workers_[i] == w) return &winfo_[i];
  return nullptr;
}
const Scheduler::WorkerInfo* Scheduler::find(int w) const {
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (workers_[i] == w) return &winfo_[i];
  return nullptr;
}

Scheduler::WorkerState Scheduler::worker_state(int w) const {
  const auto* wi = find(w);
  return wi ? wi->state : WorkerState::Failed;
}
double Scheduler::last_heard(int w) const {
  const auto* wi = find(w);
  return wi ? wi->last_heard : 0;
}
std::vector<int> Scheduler::held_by(int w) const {
  const auto* wi = find(w);
  return wi ? wi->held : std::vector<int>{};
}

std::vector<int> Scheduler::live_workers() const {
  std::vector<int> out;
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (winfo_[i].state == WorkerState::Active) out.push_back(workers_[i]);
  return out;
}

bool Scheduler::workers_settled() const {
  for (const auto& w : winfo_)
    if (w.state == WorkerState::Active) return false;
  return true;
}
bool Scheduler::any_worker_usable() const { return !workers_settled(); }

std::vector<int> Scheduler::failed_workers() const {
  std::vector<int> out;
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (winfo_[i].state == WorkerState::Failed) out.push_back(workers_[i]);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> Scheduler::pending_files() const {
  std::vector<int> out;
  for (int f = 0; f < num_files(); ++f)
    if (file_left_[static_cast<std::size_t>(f)] > 0) out.push_back(f);
  return out;
}
std::vector<int> Scheduler::failed_files() const {
  std::vector<int> out;
  for (int f = 0; f < num_files(); ++f)
    if (!file_error_[static_cast<std::size_t>(f)].empty()) out.push_back(f);
  return out;
}

std::string Scheduler::task_label(int t) const {
  const Task& k = tasks_[static_cast<std::size_t>(t)];
  std::string s = k.file < static_cast<int>(opt_.file_names.size()) ? opt_.file_names[static_cast<std::size_t>(k.file)]
                                                                     : "file" + std::to_string(k.file);
  return s;
}

void Scheduler::record(double now, int rank, const char* ev, int task, std::uint64_t bytes, std::string detail) {
  if (opt_.trace) opt_.trace->add(now - t0_, rank, ev, task, bytes, std::move(detail));
}

void Scheduler::drop_held(int worker, int task) {
  auto* wi = find(worker);
  if (!wi) return;
  auto it = std::find(wi->held.begin(), wi->held.end(), task);
  if (it != wi->held.end()) wi->held.erase(it);
}

void Scheduler::on_hello(int worker, double now) { heard(find(worker), now); }

Scheduler::Reply Scheduler::hand_out(int worker, double now) {
  auto* wi = find(worker);
  Reply r;
  if (!wi || wi->state != WorkerState::Active) return r;  // Stop
  if (all_done()) {
    wi->state = WorkerState::Stopped;
    record(now, worker, "stop", -1, 0);
    return r;
  }
  int t = policy_->next(worker);
  if (t < 0) {
    r.kind = Reply::Wait;
    return r;
  }
  const auto i = static_cast<std::size_t>(t);
  tstate_[i] = TaskState::Assigned;
  owner_[i] = worker;
  since_[i] = now;
  started_seen_[i] = 0;
  ++attempts_[i];
  wi->held.push_back(t);
  r.kind = Reply::Assign;
  r.task = t;
  r.attempt = attempts_[i];
  if (r.attempt > 1) ++reassigned_;
  record(now, worker, r.attempt > 1 ? "reassign" : "assign", t, tasks_[i].bytes(), task_label(t));
  return r;
}

Scheduler::Reply Scheduler::on_request(int worker, double now) {
  auto* wi = find(worker);
  heard(wi, now);
  return hand_out(worker, now);
}

void Scheduler::on_heartbeat(int worker, int task, std::uint64_t bytes_done, double now, double started_at) {
  heard(find(worker), now);
  if (task < 0 || task >= static_cast<int>(tasks_.size())) return;
  const auto i = static_cast<std::size_t>(task);
  if (tstate_[i] != TaskState::Assigned || owner_[i] != worker) return;
  if (!started_seen_[i] && started_at >= 0) {
    started_seen_[i] = 1;
    // (the worker's clock, rounded: never before the hand-out on the master's clock)
    if (opt_.trace) opt_.trace->add(std::max(started_at, since_[i] - t0_), worker, "start", task, tasks_[i].bytes(), task_label(task));
  }
  record(now, worker, "heartbeat", task, bytes_done);
}

Scheduler::ResultOutcome Scheduler::on_result(int worker, int task, const Counts& c, double now, double started_at) {
  return finish(worker, task, &c, nullptr, now, started_at);
}

Scheduler::ResultOutcome Scheduler::on_task_error(int worker, int task, const std::string& msg, double now) {
  return finish(worker, task, nullptr, &msg, now, -1);
}

Scheduler::ResultOutcome Scheduler::finish(int worker, int task, const Counts* c, const std::string* err, double now,
                                           double started_at) {
  ResultOutcome out;
  auto* wi = find(worker);
  heard(wi, now);
  if (task < 0 || task >= static_cast<int>(tasks_.size())) {
    out.kind = ResultOutcome::Rejected;
    if (worker != 0) out.next = hand_out(worker, now);
    return out;
  }
  const auto i = static_cast<std::size_t>(task);
  drop_held(worker, task);
  if (tstate_[i] == TaskState::Done) {
    ++duplicates_;
    out.kind = ResultOutcome::Duplicate;
    record(now, worker, "duplicate", task, tasks_[i].bytes(), task_label(task));
  } else if (err && owner_[i] != worker) {
    // A late ERROR from a worker already declared failed: its task is queued again or runs
    // elsewhere, and a live retry must win (the failed worker's read may have failed because it
    // was dying). Ignored, neither applied nor a duplicate.
    out.kind = ResultOutcome::Rejected;
  } else {
    const bool late = owner_[i] != worker;  // it was taken away from this worker (declared failed)
    if (tstate_[i] == TaskState::Pending) {
      policy_->remove(task);
    } else if (late) {
      drop_held(owner_[i], task);  // the reassigned copy becomes a duplicate
    }
    if (!late && !started_seen_[i] && started_at >= 0 && opt_.trace)
      opt_.trace->add(std::max(started_at, since_[i] - t0_), worker, "start", task, tasks_[i].bytes(), task_label(task));
    started_seen_[i] = 1;
    tstate_[i] = TaskState::Done;
    owner_[i] = worker;
    ++tasks_done_;
    const auto f = static_cast<std::size_t>(tasks_[i].file);
    if (err) {
      if (file_error_[f].empty()) {
        file_error_[f] = *err;
        // A file with an unreadable range is not counted at all (as the base analyser does).
        totals_ -= file_counts_[f];
      }
    } else {
      file_counts_[f] += *c;
      if (file_error_[f].empty()) totals_ += *c;
    }
    if (--file_left_[f] == 0) {
      if (file_error_[f].empty()) processed_.push_back(static_cast<int>(f));
      out.file_completed = static_cast<int>(f);
    }
    if (worker == 0) ++by_master_;
    if (late) ++late_accepted_;
    out.kind = late ? ResultOutcome::LateApplied : ResultOutcome::Applied;
    std::string detail = task_label(task);
    if (err) detail += " error";
    if (late) detail += " late";
    record(now, worker, "result", task, tasks_[i].bytes(), detail);
  }
  if (worker != 0) out.next = hand_out(worker, now);
  return out;
}

std::vector<Scheduler::Failure> Scheduler::tick(double now) {
  std::vector<Failure> out;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    auto& wi = winfo_[k];
    if (wi.state != WorkerState::Active || now - wi.last_heard <= opt_.timeout) continue;
    char buf[96];
    std::snprintf(buf, sizeof buf, "silent %.6fs", now - wi.last_heard);
    out.push_back(fail(k, now, buf));
  }
  return out;
}

std::optional<Scheduler::Failure> Scheduler::on_peer_error(int worker, double now) {
  for (std::size_t k = 0; k < workers_.size(); ++k)
    if (workers_[k] == worker && winfo_[k].state == WorkerState::Active) return fail(k, now, "mpi-error");
  return std::nullopt;
}

Scheduler::Failure Scheduler::fail(std::size_t k, double now, const std::string& why) {
  auto& wi = winfo_[k];
  const int w = workers_[k];
  wi.state = WorkerState::Failed;
  Failure f;
  f.worker = w;
  f.last_heard = wi.last_heard;
  std::vector<Task> back;
  for (int t : wi.held) {
    const auto i = static_cast<std::size_t>(t);
    if (tstate_[i] == TaskState::Assigned && owner_[i] == w) {
      tstate_[i] = TaskState::Pending;
      owner_[i] = -1;
      back.push_back(tasks_[i]);
      f.requeued.push_back(t);
    }
  }
  wi.held.clear();
  record(now, w, "timeout", f.requeued.empty() ? -1 : f.requeued.front(), 0, why);
  auto live = live_workers();
  policy_->worker_gone(w, live);
  policy_->give_back(back, live);
  return f;
}

int Scheduler::take_for_master(double now) {
  int t = policy_->next_any();
  if (t < 0) return -1;
  const auto i = static_cast<std::size_t>(t);
  tstate_[i] = TaskState::Assigned;
  owner_[i] = 0;
  since_[i] = now;
  started_seen_[i] = 1;
  ++attempts_[i];
  if (attempts_[i] > 1) ++reassigned_;
  record(now, 0, attempts_[i] > 1 ? "reassign" : "assign", t, tasks_[i].bytes(), task_label(t));
  return t;
}

void Scheduler::mark_stopped(int worker, double now) {
  auto* wi = find(worker);
  if (!wi || wi->state != WorkerState::Active) return;
  std::vector<Task> back;
  for (int t : wi->held) {
    const auto i = static_cast<std::size_t>(t);
    if (tstate_[i] == TaskState::Assigned && owner_[i] == worker) {
      tstate_[i] = TaskState::Pending;
      owner_[i] = -1;
      back.push_back(tasks_[i]);
    }
  }
  wi->held.clear();
  wi->state = WorkerState::Stopped;
  record(now, worker, "stop", -1, 0);
  auto live = live_workers();
  policy_->worker_gone(worker, live);
  policy_->give_back(back, live);
}

}  // namespace dla
