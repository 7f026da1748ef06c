#include "sched/scheduler.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

namespace dla {
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
      rates_(opt_.rate),
      t0_(now),
      now_(now) {
  const std::size_t n = tasks_.size();
  tstate_.assign(n, TaskState::Pending);
  owner_.assign(n, -1);
  copy_.assign(n, -1);
  attempts_.assign(n, 0);
  since_.assign(n, 0);
  copy_since_.assign(n, 0);
  copied_.assign(n, 0);
  started_seen_.assign(n, 0);
  prog_owner_.assign(n, Runner{});
  prog_copy_.assign(n, Runner{});
  format_.assign(n, std::string());
  DetectorOptions d = opt_.detector;
  d.timeout = opt_.timeout;
  detector_ = make_detector(d);
  if (!detector_) {
    d.kind = "fixed";
    detector_ = make_detector(d);
  }
  winfo_.resize(workers_.size());
  live_ = static_cast<int>(workers_.size());
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    const int w = workers_[k];
    if (w >= 0 && w < (1 << 24)) {  // (a rank, not a hash)
      if (w >= static_cast<int>(index_.size())) index_.resize(static_cast<std::size_t>(w) + 1, -1);
      if (index_[static_cast<std::size_t>(w)] < 0) index_[static_cast<std::size_t>(w)] = static_cast<int>(k);
    }
    winfo_[k].last_heard = winfo_[k].last_finish = now;
    detector_->heard(workers_[k], now);
  }
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
  for (const auto& t : tasks_) {
    if (!done[static_cast<std::size_t>(t.file)]) continue;
    tstate_[static_cast<std::size_t>(t.id)] = TaskState::Done;
    ++tasks_done_;
    --file_left_[static_cast<std::size_t>(t.file)];
  }
  replay_log();  // (failover: may cut tasks, mark tasks done and workers failed)
  std::vector<Task> pending;
  for (const auto& t : tasks_) {
    if (tstate_[static_cast<std::size_t>(t.id)] != TaskState::Pending) continue;
    pending.push_back(t);
    ++pending_;
    pending_bytes_ += t.bytes();
  }
  policy_->bind(this);
  traits_ = policy_->traits();
  cancels_ = opt_.speculate || traits_.steal;
  policy_->init(pending, workers_);
  replay_failures();
  recovering_ = opt_.rejoin_grace > 0;
}

// O(1): ranks are small integers (1..size-1), so the index is a plain vector.
Scheduler::WorkerInfo* Scheduler::find(int w) {
  if (w < 0 || w >= static_cast<int>(index_.size()) || index_[static_cast<std::size_t>(w)] < 0) return nullptr;
  return &winfo_[static_cast<std::size_t>(index_[static_cast<std::size_t>(w)])];
}
const Scheduler::WorkerInfo* Scheduler::find(int w) const {
  return const_cast<Scheduler*>(this)->find(w);
}

Scheduler::WorkerState Scheduler::worker_state(int w) const {
  const auto* wi = find(w);
  return wi ? wi->state : WorkerState::Failed;
}
double Scheduler::last_heard(int w) const {
  const auto* wi = find(w);
  return wi ? wi->last_heard : 0;
}
std::uint64_t Scheduler::held_bytes(int w) const {
  const auto* wi = find(w);
  return wi ? wi->held_bytes : 0;
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

bool Scheduler::workers_settled() const { return live_ == 0; }
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
  return k.file < static_cast<int>(opt_.file_names.size()) ? opt_.file_names[static_cast<std::size_t>(k.file)]
                                                           : "file" + std::to_string(k.file);
}

void Scheduler::record(double now, int rank, const char* ev, int task, std::uint64_t bytes, std::string detail) {
  if (opt_.trace) opt_.trace->add(now - t0_, rank, ev, task, bytes, std::move(detail));
}

// Orders go to Active workers only: one declared failed may be dead (a send to a dead rank can
// abort a simulation), and if it is alive its next message is answered STOP anyway.
void Scheduler::order(Order::Kind k, int worker, int task, int attempt) {
  const auto* wi = find(worker);
  if (wi && wi->state == WorkerState::Active) outbox_.push_back(Order{k, worker, task, attempt});
}

std::vector<Scheduler::Order> Scheduler::take_orders() {
  std::vector<Order> out;
  out.swap(outbox_);
  stats_.messages_out += out.size();
  return out;
}

void Scheduler::drop_held(int worker, int task) {
  auto* wi = find(worker);
  if (!wi) return;
  auto it = std::find(wi->held.begin(), wi->held.end(), task);
  if (it == wi->held.end()) return;
  wi->held.erase(it);
  wi->held_bytes -= tasks_[static_cast<std::size_t>(task)].bytes();
}

// (and `got`: the tasks this master gave it, for on_rejoin)
void Scheduler::hold(WorkerInfo& wi, int task) {
  wi.held.push_back(task);
  wi.got.insert(task);
  wi.held_bytes += tasks_[static_cast<std::size_t>(task)].bytes();
}

void Scheduler::to_pending(int t) {
  tstate_[static_cast<std::size_t>(t)] = TaskState::Pending;
  owner_[static_cast<std::size_t>(t)] = -1;
  ++pending_;
  pending_bytes_ += tasks_[static_cast<std::size_t>(t)].bytes();
}

void Scheduler::from_pending(int t) {
  --pending_;
  pending_bytes_ -= tasks_[static_cast<std::size_t>(t)].bytes();
}

void Scheduler::heard(int w, double now) {
  auto* wi = find(w);
  if (!wi) return;
  if (now > wi->last_heard) wi->last_heard = now;
  detector_->heard(w, now);
  if (wi->state == WorkerState::Failed && wi->suspected && !wi->heard_after) {
    wi->heard_after = true;  // declared failed, yet it talks: it was alive
    ++stats_.false_suspicions;
  }
}

void Scheduler::on_heard(int worker, double now) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
}

void Scheduler::on_hello(int worker, double now) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
}

Scheduler::Reply Scheduler::assign(int worker, int t, double now) {
  const auto i = static_cast<std::size_t>(t);
  if (tstate_[i] == TaskState::Pending) from_pending(t);
  tstate_[i] = TaskState::Assigned;
  owner_[i] = worker;
  since_[i] = now;
  started_seen_[i] = 0;
  prog_owner_[i] = Runner{};
  ++attempts_[i];
  if (auto* wi = find(worker)) hold(*wi, t);
  Reply r;
  r.kind = Reply::Assign;
  r.task = t;
  r.attempt = attempts_[i];
  if (r.attempt > 1) ++stats_.tasks_reassigned;
  record(now, worker, r.attempt > 1 ? "reassign" : "assign", t, tasks_[i].bytes(), task_label(t));
  return r;
}

Scheduler::Reply Scheduler::hand_out(int worker, double now) {
  auto* wi = find(worker);
  Reply r;
  if (!wi || wi->state != WorkerState::Active) return r;  // Stop
  if (all_done()) {
    wi->state = WorkerState::Stopped;
    --live_;
    record(now, worker, "stop", -1, 0);
    return r;
  }
  r.kind = Reply::Wait;
  maybe_end_recovery(now);
  if (recovering_) return r;        // (failover) a task may still be in the hands of a worker not yet back
  if (wi->stealing >= 0) return r;  // a steal for it is under way
  if (traits_.prefetch > 1 && !wants_more(worker)) return r;
  int t = policy_->next(worker);
  if (t >= 0) {
    r = assign(worker, maybe_split(t, worker), now);
    top_up(worker, now);
    return r;
  }
  if (pending_ > 0 || !wi->held.empty()) return r;
  if (traits_.steal && try_steal(worker, now)) return r;
  if (opt_.speculate) return try_speculate(worker, now);
  return r;
}

Scheduler::Reply Scheduler::on_request(int worker, double now) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
  Reply r = hand_out(worker, now);
  ++stats_.messages_out;
  return r;
}

void Scheduler::on_heartbeat(int worker, int task, std::uint64_t bytes_done, double now, double started_at) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
  if (task < 0 || task >= static_cast<int>(tasks_.size())) return;
  const auto i = static_cast<std::size_t>(task);
  if (tstate_[i] != TaskState::Assigned) return;
  const bool is_owner = owner_[i] == worker, is_copy = copy_[i] == worker;
  if (!is_owner && !is_copy) return;
  rate_progress(worker, task, bytes_done, now);
  (is_owner ? prog_owner_ : prog_copy_)[i] = Runner{bytes_done, now};
  if (is_owner && !started_seen_[i] && started_at >= 0) {
    started_seen_[i] = 1;
    // (the worker's clock, rounded: never before the hand-out on the master's clock)
    if (opt_.trace) opt_.trace->add(std::max(started_at, since_[i] - t0_), worker, "start", task, tasks_[i].bytes(), task_label(task));
  }
  record(now, worker, "heartbeat", task, bytes_done);
}

Scheduler::ResultOutcome Scheduler::on_result(int worker, int task, const Counts& c, double now, double started_at,
                                              const std::string& format, const std::optional<TaskRange>& ran) {
  return finish(worker, task, &c, nullptr, now, started_at, format, ran);
}

Scheduler::ResultOutcome Scheduler::on_task_error(int worker, int task, const std::string& msg, double now,
                                                  const std::optional<TaskRange>& ran) {
  return finish(worker, task, nullptr, &msg, now, -1, {}, ran);
}

Scheduler::ResultOutcome Scheduler::finish(int worker, int task, const Counts* c, const std::string* err, double now,
                                           double started_at, const std::string& format,
                                           const std::optional<TaskRange>& ran) {
  now_ = now;
  ++stats_.messages_in;
  ResultOutcome out;
  heard(worker, now);
  if (task >= 0 && task < static_cast<int>(tasks_.size())) {
    const auto i = static_cast<std::size_t>(task);
    const bool is_owner = tstate_[i] == TaskState::Assigned && owner_[i] == worker;
    const bool is_copy = tstate_[i] == TaskState::Assigned && copy_[i] == worker;
    if (is_owner || is_copy) {
      rate_progress(worker, task, tasks_[i].bytes(), now);
      if (auto* wi = find(worker)) wi->last_finish = now, wi->sample_task = -1;
    }
    drop_held(worker, task);
    const auto* wi = find(worker);
    if ((ran && !matches(task, ran->file, ran->offset, ran->length)) || (wi && wi->rejoined && !wi->got.count(task))) {
      // (failover) the id names other bytes here (a cut this master made, or one the log prefix
      // lacks, or a task id an older master gave to other bytes altogether); or a task of an earlier master the worker did not hand over at its REJOIN
      // (or that was cancelled then), whose range may differ: its REJOIN's kept results are where
      // such a result counts, range-checked.
      ++stats_.foreign_results;
      out.kind = ResultOutcome::Rejected;
    } else if (tstate_[i] == TaskState::Done) {
      ++stats_.duplicates;
      stats_.wasted_bytes += tasks_[i].bytes();
      out.kind = ResultOutcome::Duplicate;
      record(now, worker, "duplicate", task, tasks_[i].bytes(), task_label(task));
      if (opt_.debug_plant_double_apply && c) {  // TEST ONLY: the bug the random test must catch
        file_counts_[static_cast<std::size_t>(tasks_[i].file)] += *c;
        totals_ += *c;
      }
    } else if (err && !is_owner && !is_copy) {
      // A late ERROR from a worker already declared failed: its task is queued again or runs
      // elsewhere, and a live retry must win (the failed worker's read may have failed because it
      // was dying). Ignored, neither applied nor a duplicate.
      out.kind = ResultOutcome::Rejected;
    } else if (err && copy_[i] >= 0) {
      // One of two runners could not read: the other (still running) decides.
      if (is_owner) {
        owner_[i] = copy_[i];
        since_[i] = copy_since_[i];
        prog_owner_[i] = prog_copy_[i];
      }
      copy_[i] = -1;
      out.kind = ResultOutcome::Rejected;
    } else {
      apply(worker, task, c, err, now, started_at, &out, format);
    }
  } else {
    out.kind = ResultOutcome::Rejected;
  }
  if (worker != 0) {
    out.next = hand_out(worker, now);
    ++stats_.messages_out;
  }
  return out;
}

// The first result of a task: applied (counts or error), the other runner (if any) told to stop.
void Scheduler::apply(int worker, int task, const Counts* c, const std::string* err, double now, double started_at,
                      ResultOutcome* out, const std::string& format) {
  const auto i = static_cast<std::size_t>(task);
  const bool is_copy = tstate_[i] == TaskState::Assigned && copy_[i] == worker;
  // taken away from it (declared failed); a live worker's kept result at its rejoin is not late
  const bool late = !is_copy && owner_[i] != worker && !rejoin_live_;
  if (tstate_[i] == TaskState::Pending) {
    policy_->remove(task);
    from_pending(task);
  }
  end_steal(task);
  if (tstate_[i] == TaskState::Assigned) settle_runners(worker, task, now);
  if (!late && !is_copy && !started_seen_[i] && started_at >= 0 && opt_.trace)
    opt_.trace->add(std::max(started_at, since_[i] - t0_), worker, "start", task, tasks_[i].bytes(), task_label(task));
  started_seen_[i] = 1;
  owner_[i] = worker;
  copy_[i] = -1;
  out->file_completed = account(worker, task, c, err, format);
  if (late) ++stats_.late_accepted;
  out->kind = late ? ResultOutcome::LateApplied : ResultOutcome::Applied;
  std::string detail = task_label(task);
  if (err) detail += " error";
  if (late) detail += " late";
  if (rejoin_live_) detail += " rejoin";
  record(now, worker, "result", task, tasks_[i].bytes(), detail);
}

// A task's first result enters the books: task done, its counts (or its error) in its file and
// the totals, the file processed when it was the last; logged (failover). Returns the file if
// this completed it, else -1. Shared by apply and the replay of a log (the same arithmetic).
int Scheduler::account(int worker, int task, const Counts* c, const std::string* err, const std::string& format) {
  const auto i = static_cast<std::size_t>(task);
  tstate_[i] = TaskState::Done;
  ++tasks_done_;
  const Task& t = tasks_[i];
  const auto f = static_cast<std::size_t>(t.file);
  LogEntry e;
  e.kind = err ? LogEntry::Error : LogEntry::Done;
  e.task = task, e.file = t.file, e.offset = t.range.offset, e.length = t.range.length, e.worker = worker;
  if (err) {
    e.error = *err;
    if (file_error_[f].empty()) {
      file_error_[f] = *err;
      // A file with an unreadable range is not counted at all (as the base analyser does).
      recount_totals();
    }
  } else {
    e.counts = *c;
    e.format = format;
    format_[i] = format;
    file_counts_[f] += *c;
    if (file_error_[f].empty()) totals_ += *c;
  }
  log_.push_back(std::move(e));
  if (worker == 0) ++by_master_;
  if (--file_left_[f] != 0) return -1;
  if (file_error_[f].empty()) processed_.push_back(static_cast<int>(f));
  return static_cast<int>(f);
}

// base_counts + every file without an error (Counts is opaque: no subtraction).
void Scheduler::recount_totals() {
  totals_ = opt_.base_counts;
  for (std::size_t f = 0; f < file_counts_.size(); ++f)
    if (file_error_[f].empty()) totals_ += file_counts_[f];
}

// `winner` delivered task's first result: every other runner loses it.
void Scheduler::settle_runners(int winner, int task, double now) {
  const auto i = static_cast<std::size_t>(task);
  const int runners[2] = {owner_[i], copy_[i]};
  if (copy_[i] >= 0) ++(winner == copy_[i] ? stats_.speculative_won : stats_.speculative_lost);
  for (int k = 0; k < 2; ++k) {
    const int r = runners[k];
    if (r < 0 || r == winner) continue;
    drop_held(r, task);
    if (!cancels_) continue;  // (the old protocol: its result will be dropped as a duplicate)
    const Runner& p = k == 0 ? prog_owner_[i] : prog_copy_[i];
    stats_.wasted_bytes += p.bytes;
    order(Order::Cancel, r, task);
    record(now, r, "cancel", task, p.bytes, task_label(task) + " lost-to " + std::to_string(winner));
  }
}

std::vector<Scheduler::Failure> Scheduler::tick(double now) {
  now_ = now;
  std::vector<Failure> out;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    auto& wi = winfo_[k];
    if (wi.state != WorkerState::Active || !detector_->suspect(workers_[k], now)) continue;
    char buf[96];
    std::snprintf(buf, sizeof buf, "silent %.6fs", now - wi.last_heard);
    out.push_back(fail(k, now, buf));
  }
  maybe_end_recovery(now);
  return out;
}

std::optional<Scheduler::Failure> Scheduler::on_peer_error(int worker, double now) {
  now_ = now;
  for (std::size_t k = 0; k < workers_.size(); ++k)
    if (workers_[k] == worker && winfo_[k].state == WorkerState::Active) return fail(k, now, "mpi-error");
  return std::nullopt;
}

// Takes every task worker k runs away from it: a task with a live second runner stays with that
// one; the others become Pending (returned, in the order it held them).
std::vector<int> Scheduler::release_held(std::size_t k) {
  auto& wi = winfo_[k];
  const int w = workers_[k];
  std::vector<int> back;
  for (int t : wi.held) {
    const auto i = static_cast<std::size_t>(t);
    if (tstate_[i] != TaskState::Assigned) continue;
    auto st = steal_.find(t);
    if (st != steal_.end() && st->second.victim == w) end_steal(t);
    if (copy_[i] == w) {
      copy_[i] = -1;
    } else if (owner_[i] == w && copy_[i] >= 0) {
      owner_[i] = copy_[i];  // the copy carries on alone
      since_[i] = copy_since_[i];
      prog_owner_[i] = prog_copy_[i];
      copy_[i] = -1;
    } else if (owner_[i] == w) {
      to_pending(t);
      back.push_back(t);
    }
  }
  wi.held.clear();
  wi.held_bytes = 0;
  return back;
}

Scheduler::Failure Scheduler::fail(std::size_t k, double now, const std::string& why) {
  auto& wi = winfo_[k];
  const int w = workers_[k];
  wi.state = WorkerState::Failed;
  --live_;
  wi.suspected = true;
  ++stats_.failures;
  const double silence = now - wi.last_heard;
  stats_.detection_silence_sum += silence;
  stats_.detection_silence_max = std::max(stats_.detection_silence_max, silence);
  Failure f;
  f.worker = w;
  f.last_heard = wi.last_heard;
  f.requeued = release_held(k);
  LogEntry e;
  e.kind = LogEntry::Failed;
  e.worker = w;
  log_.push_back(e);
  record(now, w, "timeout", f.requeued.empty() ? -1 : f.requeued.front(), 0, why);
  requeue(w, f.requeued);
  return f;
}

void Scheduler::requeue(int gone, const std::vector<int>& ids) {
  std::vector<Task> back;
  for (int t : ids) back.push_back(tasks_[static_cast<std::size_t>(t)]);
  auto live = live_workers();
  policy_->worker_gone(gone, live);
  policy_->give_back(back, live);
}

int Scheduler::take_for_master(double now) {
  now_ = now;
  maybe_end_recovery(now);
  if (recovering_) return -1;
  int t = policy_->next_any();
  if (t < 0) return -1;
  const auto i = static_cast<std::size_t>(t);
  from_pending(t);
  tstate_[i] = TaskState::Assigned;
  owner_[i] = 0;
  since_[i] = now;
  started_seen_[i] = 1;
  ++attempts_[i];
  if (attempts_[i] > 1) ++stats_.tasks_reassigned;
  record(now, 0, attempts_[i] > 1 ? "reassign" : "assign", t, tasks_[i].bytes(), task_label(t));
  return t;
}

void Scheduler::mark_stopped(int worker, double now) {
  now_ = now;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    if (workers_[k] != worker || winfo_[k].state != WorkerState::Active) continue;
    auto back = release_held(k);
    winfo_[k].state = WorkerState::Stopped;
    --live_;
    record(now, worker, "stop", -1, 0);
    requeue(worker, back);
    return;
  }
}

}  // namespace dla
