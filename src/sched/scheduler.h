// The master's task scheduler for the distributed analyser: a pure state machine (no MPI, no clock
// reads; every call gets `now`, in seconds on the master's clock). src/mpi/distributed.cc feeds it
// the messages it receives and carries out the decisions it returns; scheduler_test.cc drives it
// with a fake clock through thousands of random interleavings.
//
// State
//   * tasks (core/discovery.h make_tasks: byte ranges of files), each Pending, Assigned or Done;
//   * the assignment table: task -> (worker, since, attempt);
//   * per worker: state (Active, Stopped, Failed), last time heard from, tasks held;
//   * per file: tasks left, counts so far, error; the ordered list of processed files.
//   * a SchedulingPolicy holding the pending tasks (which task goes to which worker next).
//
// Events in: on_hello / on_request / on_result / on_task_error / on_heartbeat (each also counts as
// "heard from the worker"), tick (failure detection), take_for_master (the master works itself).
// Decisions out: Reply (ASSIGN task / WAIT / STOP) for the requester, Failure list from tick.
//
// Exactly-once (the invariant the random test checks): a task's counts are applied once.
//   * The FIRST result for a task wins. Every valid result of a task is identical (counts are a
//     deterministic function of the byte range), so which copy wins does not matter.
//   * A result from a worker already declared failed (it was slow, not dead) is ACCEPTED if the
//     task is not done yet: the counts are applied, the task is removed from the pending queue if
//     it was waiting for reassignment, and a reassigned copy running elsewhere becomes a duplicate.
//     The worker itself stays failed (it is answered STOP: a worker that was silent for longer than
//     the timeout is not trusted with new work).
//   * A late ERROR from a failed worker is IGNORED (Rejected) unless its task is done: the task is
//     queued again or running elsewhere, and that live retry decides whether the file is readable.
//   * Any result for a task already done is DROPPED and reported as a duplicate (trace event
//     `duplicate`); counts are never added twice.
//   * A failed worker's tasks go back to the FRONT of the pending queue; a reassigned task whose new
//     owner dies too is simply requeued again (attempt + 1) — tasks are never lost.
//   * Files whose task reports a read error are done-with-error (never retried) and make the run
//     INCOMPLETE; their counts are not added.
//
// Failure detection: a worker that is not Stopped/Failed and was not heard from for more than
// `timeout` seconds is declared failed at the next tick. With ticks at least every `poll` seconds, a
// worker that dies at time t (its last message at t_last <= t) is detected by t + timeout + poll.
// Busy workers heartbeat every `heartbeat` seconds, so they are never silent that long while alive.
//
// Resume (checkpoints): SchedulerOptions::files_done marks files done before the run; their tasks
// are never handed out and base_counts is added to the totals.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scan/discovery.h"
#include "base/levels.h"
#include "base/trace.h"

namespace dla {

// Which pending task a worker gets next. The scheduler owns the bookkeeping (states, exactly-once);
// a policy only orders pending tasks. New policies (size-aware, stealing) implement this.
class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  virtual std::string name() const = 0;
  // Once, before anything else: the tasks to run (task order) and the worker ranks.
  virtual void init(const std::vector<Task>& pending, const std::vector<int>& workers) = 0;
  // Removes and returns the next task for `worker`, or -1 if it has none to give it now.
  virtual int next(int worker) = 0;
  // Removes and returns any pending task (the master working itself), or -1 if none.
  virtual int next_any() = 0;
  // Tasks to run again before everything else (their worker failed); `live` = workers still usable.
  virtual void give_back(const std::vector<Task>& tasks, const std::vector<int>& live) = 0;
  // `worker` will never ask again; tasks planned for it must move to `live` workers.
  virtual void worker_gone(int worker, const std::vector<int>& live) = 0;
  // Removes a pending task (its result arrived late from a failed worker). Returns whether it was there.
  virtual bool remove(int task) = 0;
  virtual std::vector<int> pending() const = 0;  // in hand-out order (for checkpoints and tests)
};

// "dynamic": one FIFO queue, any worker takes the front (on-demand, self-balancing).
std::unique_ptr<SchedulingPolicy> make_dynamic_policy();
// "static": the Stage-1 LPT plan by bytes, one queue per worker, no rebalancing; a dead worker's
// queue and its tasks in flight are spread over the live workers (LPT on their remaining bytes).
std::unique_ptr<SchedulingPolicy> make_static_policy();
// By name ("dynamic" | "static"); nullptr if unknown.
std::unique_ptr<SchedulingPolicy> make_policy(const std::string& name);

struct SchedulerOptions {
  double timeout = 3.0;            // seconds of silence after which a worker is failed
  std::vector<int> files_done;     // resume: file indices already processed before this run
  Counts base_counts;              // resume: their counts
  Trace* trace = nullptr;          // if set, events are recorded (time = now - start)
  std::vector<std::string> file_names;  // for trace details (optional)
};

class Scheduler {
 public:
  enum class WorkerState { Active, Stopped, Failed };
  enum class TaskState { Pending, Assigned, Done };

  struct Reply {
    enum Kind { Assign, Wait, Stop } kind = Stop;
    int task = -1;            // Assign: the task
    int attempt = 0;          // Assign: 1 on first hand-out, 2+ when reassigned after a failure
  };
  struct ResultOutcome {
    enum Kind { Applied, LateApplied, Duplicate, Rejected } kind = Rejected;  // Rejected: bad task id, or a failed worker's late error
    int file_completed = -1;  // file index if this result completed its file
    Reply next;               // the answer to send back (a result is also the next request)
  };
  struct Failure {
    int worker = -1;
    double last_heard = 0;
    std::vector<int> requeued;  // tasks it held, put back at the front of the queue
  };

  Scheduler(std::vector<Task> tasks, int num_files, std::vector<int> workers,
            std::unique_ptr<SchedulingPolicy> policy, SchedulerOptions opt, double now);

  // ---- events ----
  void on_hello(int worker, double now);
  Reply on_request(int worker, double now);
  // `started_at`: when the worker began the task (run time, its clock), for the trace; < 0 unknown.
  ResultOutcome on_result(int worker, int task, const Counts& c, double now, double started_at = -1);
  ResultOutcome on_task_error(int worker, int task, const std::string& msg, double now);
  void on_heartbeat(int worker, int task, std::uint64_t bytes_done, double now, double started_at = -1);
  // Failure detection; returns the workers declared failed by this tick.
  std::vector<Failure> tick(double now);
  // The transport reported an MPI error on `worker`: failed at once, like a timeout (trace detail
  // "mpi-error"). Nothing if it is not Active.
  std::optional<Failure> on_peer_error(int worker, double now);
  // The master takes a pending task itself (all workers gone). -1 if none pending.
  int take_for_master(double now);
  // A worker is known to have left (e.g. it was sent STOP and the master gives up waiting).
  void mark_stopped(int worker, double now);

  // ---- queries ----
  bool all_done() const { return tasks_done_ == static_cast<int>(tasks_.size()); }
  // Every worker Stopped or Failed.
  bool workers_settled() const;
  bool any_worker_usable() const;  // some worker still Active
  const std::vector<Task>& tasks() const { return tasks_; }
  TaskState task_state(int t) const { return tstate_[t]; }
  int task_owner(int t) const { return owner_[t]; }
  int task_attempts(int t) const { return attempts_[t]; }
  WorkerState worker_state(int w) const;
  double last_heard(int w) const;
  const std::vector<int>& workers() const { return workers_; }
  std::vector<int> failed_workers() const;  // ascending
  std::vector<int> held_by(int w) const;

  int num_files() const { return static_cast<int>(file_left_.size()); }
  bool file_done(int f) const { return file_left_[f] == 0; }
  bool file_failed(int f) const { return !file_error_[f].empty(); }
  const std::string& file_error(int f) const { return file_error_[f]; }
  const Counts& file_counts(int f) const { return file_counts_[f]; }
  const std::vector<int>& processed_files() const { return processed_; }  // completion order
  std::vector<int> pending_files() const;  // not yet processed, ascending
  std::vector<int> failed_files() const;   // done with a read error, ascending
  const Counts& totals() const { return totals_; }  // base_counts + every applied result
  std::vector<int> pending_tasks() const { return policy_->pending(); }

  int tasks_done() const { return tasks_done_; }
  int tasks_reassigned() const { return reassigned_; }  // hand-outs with attempt >= 2
  int duplicates() const { return duplicates_; }
  int late_accepted() const { return late_accepted_; }
  int tasks_by_master() const { return by_master_; }
  const SchedulingPolicy& policy() const { return *policy_; }
  double timeout() const { return opt_.timeout; }
  double start_time() const { return t0_; }

 private:
  struct WorkerInfo {
    WorkerState state = WorkerState::Active;
    double last_heard = 0;
    std::vector<int> held;
  };
  WorkerInfo* find(int w);
  const WorkerInfo* find(int w) const;
  std::vector<int> live_workers() const;
  Reply hand_out(int worker, double now);
  Failure fail(std::size_t k, double now, const std::string& why);
  ResultOutcome finish(int worker, int task, const Counts* c, const std::string* err, double now, double started_at);
  void heard(WorkerInfo* w, double now) { if (w && now > w->last_heard) w->last_heard = now; }
  void drop_held(int worker, int task);
  void record(double now, int rank, const char* ev, int task, std::uint64_t bytes, std::string detail = {});
  std::string task_label(int t) const;

  std::vector<Task> tasks_;
  std::vector<TaskState> tstate_;
  std::vector<int> owner_;
  std::vector<int> attempts_;
  std::vector<double> since_;
  std::vector<char> started_seen_;
  std::vector<int> workers_;
  std::vector<WorkerInfo> winfo_;  // parallel to workers_
  std::vector<int> file_left_;
  std::vector<Counts> file_counts_;
  std::vector<std::string> file_error_;
  std::vector<int> processed_;
  Counts totals_;
  std::unique_ptr<SchedulingPolicy> policy_;
  SchedulerOptions opt_;
  double t0_ = 0;
  int tasks_done_ = 0, reassigned_ = 0, duplicates_ = 0, late_accepted_ = 0, by_master_ = 0;
};

const char* to_string(Scheduler::WorkerState s);

}  // namespace dla
