// Scheduler: failover (issue 11) - the log of decisions it emits, the replay of an old master's log
// by a new master, workers re-registering (REJOIN) and the recovering mode. The rules and the
// exactly-once argument are in sched/scheduler.h ("Failover").
#include <algorithm>
#include <string>

#include "sched/scheduler.h"

namespace dla {

std::vector<LogEntry> Scheduler::take_log() {
  std::vector<LogEntry> out;
  out.swap(log_);
  return out;
}

const std::string& Scheduler::task_format(int task) const {
  static const std::string kNone;
  if (task < 0 || task >= static_cast<int>(format_.size())) return kNone;
  return format_[static_cast<std::size_t>(task)];
}

bool Scheduler::rejoined(int w) const {
  const auto* wi = find(w);
  return wi && wi->rejoined;
}

// The same file AND byte range: the same bytes, whatever master gave that id to them.
bool Scheduler::matches(int task, int file, std::uint64_t offset, std::uint64_t length) const {
  if (task < 0 || task >= static_cast<int>(tasks_.size())) return false;
  const Task& t = tasks_[static_cast<std::size_t>(task)];
  return t.file == file && t.range.offset == offset && t.range.length == length;
}

// In the constructor, before the policy sees the pending tasks: the old master's decisions in its
// order. Every entry applied is logged again, so this scheduler's own log starts with the history
// it took over (a standby of the new master gets everything from its log alone).
void Scheduler::replay_log() {
  for (const auto& e : opt_.replay) {
    if (replay_one(e)) {
      ++stats_.replayed;
    } else {
      ++stats_.replay_skipped;
    }
  }
}

// One entry, as the old master applied it; false = skipped (its task is done already, or the
// entry does not fit this task list: unknown id, other range or file, unknown worker).
bool Scheduler::replay_one(const LogEntry& e) {
  switch (e.kind) {
    case LogEntry::Done:
    case LogEntry::Error: {
      if (!matches(e.task, e.file, e.offset, e.length)) return false;
      const auto i = static_cast<std::size_t>(e.task);
      if (tstate_[i] != TaskState::Pending) return false;
      owner_[i] = e.worker;
      started_seen_[i] = 1;
      const bool ok = e.kind == LogEntry::Done;
      account(e.worker, e.task, ok ? &e.counts : nullptr, ok ? nullptr : &e.error, e.format);
      return true;
    }
    case LogEntry::Split: {
      // The tail of a pending task of the same file, with the next task id (as maybe_split cut it).
      if (e.task != static_cast<int>(tasks_.size()) || e.from < 0 || e.from >= e.task || e.length == 0) return false;
      Task& from = tasks_[static_cast<std::size_t>(e.from)];
      const std::uint64_t end = from.range.offset + from.range.length;
      if (from.file != e.file || tstate_[static_cast<std::size_t>(e.from)] != TaskState::Pending ||
          e.offset <= from.range.offset || e.offset + e.length != end)
        return false;
      from.range.length = e.offset - from.range.offset;
      Task tail;
      tail.id = e.task;
      tail.file = e.file;
      tail.range.offset = e.offset;
      tail.range.length = e.length;
      append_task(tail);
      ++stats_.tasks_split;
      log_.push_back(e);
      return true;
    }
    case LogEntry::Failed: {
      auto* wi = find(e.worker);
      if (!wi || wi->state != WorkerState::Active) return false;
      wi->state = WorkerState::Failed;
      --live_;
      wi->suspected = true;
      ++stats_.failures;
      replay_failed_.push_back(e.worker);
      log_.push_back(e);
      return true;
    }
  }
  return false;
}

// After the policy's init: the plans of the workers the log declared failed move to the living.
void Scheduler::replay_failures() {
  for (int w : replay_failed_) policy_->worker_gone(w, live_workers());
}

Scheduler::RejoinOutcome Scheduler::on_rejoin(int worker, const std::vector<HeldTask>& held,
                                              const std::vector<KeptResult>& results, double now) {
  now_ = now;
  ++stats_.messages_in;
  heard(worker, now);
  auto* wi = find(worker);
  // (a rank that is not a worker here, e.g. the new master itself: its results count as a live one's)
  const bool live = !wi || wi->state == WorkerState::Active;
  if (wi) wi->rejoined = true;
  RejoinOutcome out;
  for (const auto& r : results) rejoin_result(worker, live, r, &out, now);
  for (std::size_t k = 0; k < held.size(); ++k) rejoin_held(worker, live, held[k], k == 0, &out, now);
  ++stats_.rejoins;
  stats_.rejoin_applied += out.applied;
  stats_.rejoin_dropped += out.dropped;
  stats_.rejoin_adopted += out.adopted;
  stats_.rejoin_cancelled += out.cancelled;
  record(now, worker, "rejoin", -1, 0,
         "applied " + std::to_string(out.applied) + " dropped " + std::to_string(out.dropped) + " adopted " +
             std::to_string(out.adopted) + " cancelled " + std::to_string(out.cancelled));
  maybe_end_recovery(now);
  return out;
}

// A kept result counts only for a task of the same id AND byte range that is not done yet (else
// its range is covered by a task this master applied or will run). A failed worker's kept error
// is dropped (as its late errors are: a live run decides); its counts are accepted (LateApplied).
void Scheduler::rejoin_result(int worker, bool live, const KeptResult& r, RejoinOutcome* out, double now) {
  if (!matches(r.task, r.file, r.offset, r.length)) {
    ++out->dropped;
    return;
  }
  const auto i = static_cast<std::size_t>(r.task);
  if (tstate_[i] == TaskState::Done) {
    if (opt_.debug_plant_rejoin_no_done_check && r.ok) {  // TEST ONLY: the bug the failover test must catch
      const auto f = static_cast<std::size_t>(tasks_[i].file);
      file_counts_[f] += r.counts;
      if (file_error_[f].empty()) totals_ += r.counts;
      ++out->applied;
      return;
    }
    ++out->dropped;
    return;
  }
  if (!r.ok && !live) {
    ++out->dropped;
    return;
  }
  drop_held(worker, r.task);  // (a repeated REJOIN: the task it had adopted is finished)
  ResultOutcome ro;
  rejoin_live_ = live;
  apply(worker, r.task, r.ok ? &r.counts : nullptr, r.ok ? nullptr : &r.error, now, -1, &ro, r.format);
  rejoin_live_ = false;
  ++out->applied;
}

// A held task stays with its worker when this master has it pending with the same range (it is
// not handed out again); anything else (done, unknown, another range, held by another worker, or
// the worker is failed or stopped here) is cancelled.
void Scheduler::rejoin_held(int worker, bool live, const HeldTask& h, bool first, RejoinOutcome* out, double now) {
  auto* wi = find(worker);
  if (wi && live && matches(h.task, h.file, h.offset, h.length)) {
    const auto i = static_cast<std::size_t>(h.task);
    if (tstate_[i] == TaskState::Assigned && (owner_[i] == worker || copy_[i] == worker)) {
      ++out->adopted;  // already its own (a repeated REJOIN)
      return;
    }
    if (tstate_[i] == TaskState::Pending) {
      policy_->remove(h.task);
      from_pending(h.task);
      tstate_[i] = TaskState::Assigned;
      owner_[i] = worker;
      since_[i] = now;
      started_seen_[i] = first ? 1 : 0;  // (its first one probably runs: never stolen)
      prog_owner_[i] = Runner{};
      attempts_[i] = std::max(attempts_[i], 1);  // (never cut by guided from now on)
      hold(*wi, h.task);
      record(now, worker, "adopt", h.task, tasks_[i].bytes(), task_label(h.task));
      ++out->adopted;
      return;
    }
  }
  ++out->cancelled;
  // (to a failed or stopped worker too: it has just spoken; a rank that is no worker gets nothing)
  if (wi) outbox_.push_back(Order{Order::Cancel, worker, h.task, 0});
}

void Scheduler::maybe_end_recovery(double now) {
  if (!recovering_) return;
  int active = 0, back = 0;
  for (const auto& wi : winfo_) {
    if (wi.state != WorkerState::Active) continue;
    ++active;
    back += wi.rejoined ? 1 : 0;
  }
  if (back < active && now < t0_ + opt_.rejoin_grace) return;
  recovering_ = false;
  record(now, 0, "recovered", -1, 0, "rejoined " + std::to_string(back) + " of " + std::to_string(active));
}

}  // namespace dla
