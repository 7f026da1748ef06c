// The master's task scheduler for the distributed analyser: a pure state machine (no MPI, no clock
// reads; every call gets `now`, in seconds on the master's clock). src/mpi/master.cc feeds it the
// messages it receives and carries out the decisions it returns; scheduler_interleaving_test.cc
// drives it with a fake clock through thousands of random interleavings (master deaths included).
//
// ---- What the master calls, what comes back ------------------------------------------------------
//   worker -> master message        call                                  decision(s) to send
//   HELLO                           on_hello(w, now)                      -
//   REQUEST                         on_request(w, now)                    Reply to w
//   RESULT (counts)                 on_result(w, task, counts, now, st, fmt, ran)  outcome.next to w
//   RESULT (read error)             on_task_error(w, task, msg, now, ran) outcome.next to w
//   HEARTBEAT                       on_heartbeat(w, task, bytes, now, st) -
//   RELEASED / REFUSED (new)        on_release_reply(w, task, ok, now)    -
//   (every poll)                    tick(now)                             Failure list (report them)
//   (MPI error on w)                on_peer_error(w, now)                 Failure (report it)
//   REJOIN (failover, new master)   on_rejoin(w, held, results, now)      - (Cancel orders)
// AFTER EVERY CALL ABOVE the master drains take_orders() and sends each Order, in order:
//   Order::Assign  -> ASSIGN  to o.worker (an extra task for its deque, or a stolen task)
//   Order::Cancel  -> CANCEL  to o.worker: abandon o.task (a speculative copy lost, or the task was
//                             done elsewhere); the worker never sends its counts (if they cross,
//                             they are dropped as a duplicate)
//   Order::Release -> RELEASE to o.worker: a steal asks it to give back o.task if it has NOT
//                             started it; it answers RELEASED/REFUSED (-> on_release_reply)
// Orders only ever name workers that are Active when the order is made (never one declared failed),
// with one exception: on_rejoin cancels the held tasks of a failed or stopped worker that rejoins
// (it has just spoken). on_rejoin may order Cancel with any policy (not only steal/--speculate).
// With --policy static|dynamic|lpt|guided and no --speculate the outbox stays empty (until a
// failover) and the protocol (and every trace) is exactly today's: one reply per request or result.
//
// Worker side contract (src/mpi/worker.cc) for the new mechanisms:
//   * it keeps a deque of assigned tasks and runs them in the order they arrived; every ASSIGN,
//     solicited (the reply) or not (an Order), is appended;
//   * every REQUEST/RESULT gets exactly one reply: ASSIGN, WAIT or STOP; it counts the replies it
//     still expects, so an Order's ASSIGN must be told apart from a reply (a flag in its payload).
//     WAIT with a non-empty deque means "nothing more for now": go on with the deque; WAIT with an
//     empty one (and no other reply expected): nap, ask again. With prefetching it sends the RESULT
//     of a task and goes on with the next one without waiting for the reply;
//   * before STARTING a task it handles every message already received (so a RELEASE of a task it
//     has not started is answered RELEASED and the task is never run; one it has started, or no
//     longer holds, is answered REFUSED); while scanning it looks for CANCEL/RELEASE when it
//     heartbeats (a RELEASE of the running task: REFUSED; a CANCEL of it: stop, drop the counts);
//   * after a CANCEL or RELEASED leaves its deque empty with no reply outstanding, it sends REQUEST.
//
// ---- State ------------------------------------------------------------------------------------------
//   * tasks (scan/discovery.h make_tasks: byte ranges of files), each Pending, Assigned or Done;
//     guided splitting appends new tasks (ids n, n+1, ...) cut from the tail of a never-handed-out one;
//   * the assignment table: task -> (owner, since, attempt), plus at most one speculative copy;
//   * per worker: state (Active, Stopped, Failed), last time heard from, tasks held (in hand-out
//     order: the deque), its EWMA rate (sched/rate.h), its failure detector state (sched/detector.h);
//   * per file: tasks left, counts so far, error; the ordered list of processed files;
//   * a SchedulingPolicy holding the pending tasks (sched/policy.h).
//
// ---- Exactly-once (the invariant the random test checks): a task's counts are applied once ----------
//   * The FIRST result for a task wins. Every valid result of a task is identical (counts are a
//     deterministic function of the byte range), so which copy wins does not matter.
//   * A result from a worker already declared failed (it was slow, not dead) is ACCEPTED if the
//     task is not done yet (LateApplied): the task is removed from the pending queue if it was
//     waiting for reassignment, and a reassigned copy running elsewhere becomes a duplicate. The
//     worker itself stays failed (answered STOP), and it counts as a false suspicion.
//   * A late ERROR from a failed worker is IGNORED (Rejected) unless its task is done; so is an
//     error from one copy while the other copy of the task still runs: the live one decides.
//   * Any result for a task already done is DROPPED and reported as a duplicate (trace `duplicate`).
//   * Speculation: the copy and the original are two runners of ONE task; whichever result comes
//     first is applied, the other runner gets Order::Cancel and its work counts as wasted bytes.
//     If a runner fails, the other simply continues (no requeue while a copy runs).
//   * Steals are transactional: the task stays the victim's until it confirms the release
//     (RELEASED); only then is it assigned to the thief. A refused steal changes nothing. If the
//     victim fails first, its tasks are requeued as usual; if the thief fails first, a released task
//     goes back to the pending queue. So a stolen task is never run twice except after a failure.
//   * Guided splitting only cuts tasks that were never handed out (no result for the old range
//     can exist); a line belongs to the range holding its first byte, so the pieces count exactly
//     what the whole did; the file's tasks-left count grows by one per cut.
//   * A failed worker's tasks go back to the FRONT of the pending queue; a reassigned task whose new
//     owner dies too is simply requeued again (attempt + 1) - tasks are never lost.
//   * Files whose task reports a read error are done-with-error (never retried) and make the run
//     INCOMPLETE; their counts are not added.
//
// ---- Speculation (--speculate; any policy, useful with the dynamic ones) ---------------------------
// When a worker asks and nothing is pending (and nothing can be stolen), the scheduler picks, LATE
// style, the running task with the LONGEST estimated time left: (bytes - progress) / owner's rate,
// progress from its heartbeats extrapolated for at most one heartbeat interval, plus the owner's
// silence beyond one heartbeat interval (a silent owner's estimate grows with its silence). It
// starts a copy on the asking worker if  left > multiplier * bytes / rate(asker)  (the copy is
// expected to finish first with a margin) and left > min_left. At most one copy per task, ever.
//
// ---- Failure detection ------------------------------------------------------------------------------
// SchedulerOptions::detector: "fixed" (silence > timeout) or "phi" (phi-accrual, capped at the
// timeout); bounds in sched/detector.h. A worker declared failed that is heard again later is a
// false suspicion (counted once per worker); the silence at declaration is its detection latency
// as far as the master can know (the real one, from the crash time, is the testbed's to compute).
//
// ---- Trace events (base/trace.h; existing events unchanged) ----------------------------------------
//   speculate  rank = the copy's worker, task, bytes, detail "<file> copy-of <owner>"  (a bar start)
//   cancel     rank = the losing runner, task, wasted bytes, detail "<file> lost-to <winner>" (bar end)
//   steal      rank = the thief, task, bytes, detail "<file> from <victim>" (bar start for the thief,
//              end of the victim's unstarted assignment)
//   refused    rank = the victim, task, 0, detail "<file> steal-by <thief>"
//   split      rank = 0, the new task, its bytes, detail "<file> from <task> at <offset>"
//
//   adopt      rank = the worker, task, bytes, detail "<file>" (failover: a held task left with it)
//   rejoin     rank = the worker, -1, 0, detail "applied A dropped D adopted B cancelled C"
//   recovered  rank = 0, -1, 0, detail "rejoined N of M" (the recovering mode ended)
//
// Resume (checkpoints): SchedulerOptions::files_done marks files done before the run; their tasks
// are never handed out and base_counts is added to the totals.
//
// ---- Failover (issue 11; scheduler_failover.cc) ---------------------------------------------------
// THE LOG. take_log() returns, in order, every decision that matters since the last call (entries
// of sched/master_log.h; the master streams them to its standbys, asynchronously):
//   Done   a result applied (Applied or LateApplied; workers and the master's own tasks, worker 0):
//          task, file, byte range, worker, counts, format (on_result's optional `format`)
//   Error  a read error applied (its file is done-with-error): task, file, range, worker, message
//   Split  a guided cut: the NEW task's id, the task it was cut from, file, the new task's range
//   Failed a worker declared failed (tick, on_peer_error)
// Assignments, steals and copies are NOT logged: the workers report what they hold at REJOIN.
// Nor is mark_stopped: a worker that left never rejoins, and is declared failed after the timeout.
// A result that is not applied (duplicate, rejected) is not logged, so the log holds at most one
// Done/Error per task id. Without standbys the master may simply drop what take_log returns.
// REPLAY. A new master builds its Scheduler from the same make_tasks list, files_done/base_counts
// and SchedulerOptions::replay = the log prefix it holds. The constructor applies the entries in
// order: Split cuts `from` (which must be pending, of the same file, with the entry as its tail)
// and creates the same id (it must be the next one); Done/Error mark their task done with its
// counts/error exactly as on_result/on_task_error did (file counts, totals, processed order,
// tasks_done); Failed marks the worker failed (the policy moves its plan). An entry for a task
// already done, or whose id/range/file/worker does not fit, is skipped (stats().replay_skipped).
// After the replay tasks_done(), totals(), file_counts(), processed_files() are the old master's at
// its last entry. The applied entries are logged again: the new master's take_log() starts with
// the whole history it took over, so ITS standbys need its snapshot and its log only.
// REJOIN. on_rejoin(w, held, results, now) (counts as hearing from w):
//   * a kept result is applied only if a task with its id, file AND byte range exists, not done
//     (else dropped: its range is covered by a task this master applied or will run); a failed
//     worker's kept counts are accepted (LateApplied), its kept errors dropped (a live run decides);
//   * a held task is adopted (assigned to w, not handed out again, its attempt kept, never cut by
//     guided) when its id, file and range match a pending task; a held task that is done, unknown,
//     of other bytes or already held by another worker is cancelled (Order::Cancel); a failed or
//     stopped worker's held tasks are all cancelled (it stays failed: its next request gets STOP);
//   * a rank that is no worker of this scheduler (e.g. the new master's own kept results): its
//     results count as a live worker's, its held tasks are counted cancelled (no order).
//   * ONE TASK ID MAY NAME DIFFERENT BYTES on two masters (a guided cut the new master made of a
//     task a worker still held; a cut whose Split the log prefix lacks; an id an older master gave
//     to a cut of ANOTHER FILE, whose range may even be equal). So everything a worker reports
//     names the file and the byte range, never the id alone:
//     - every RESULT carries the file and range it was run on and the master passes them to
//       on_result / on_task_error (`ran`): a result of other bytes than the task's is Rejected
//       (stats().foreign_results). A worker may even hold the same id twice (the old bytes,
//       cancelled at its rejoin, and the new ones handed to it later): it must handle CANCEL and
//       RELEASE in arrival order, each acting on the OLDEST entry with that id;
//     - after its REJOIN, a result (or error) of w counts only for a task THIS master handed it
//       (assigned, stolen, copy or adopted); any other is Rejected too: the worker's REJOIN carried
//       it already, checked by file and range (this alone covers a master that passes no `ran`,
//       except when the same id was handed to w again);
//     - a worker sends REJOIN before anything else to a new master, reports in it exactly what it
//       will still run, keeps every result it produced in this run, and ignores every message of
//       an older master's term.
// RECOVERING. rejoin_grace > 0: until every Active worker has rejoined or now >= start +
// rejoin_grace (checked in tick, on_request, on_rejoin, take_for_master), on_request (and the reply
// to a result) is WAIT and take_for_master returns -1, so no task a worker still holds is handed
// out twice merely because that worker was not back yet. (Safety does not depend on it: with 0, a
// late holder's tasks are simply cancelled at its rejoin, and its kept results are dropped if done.)
// EXACTLY ONCE across failovers: counts are summed by one master only; a task's counts enter its
// sum only via (a) a replayed entry - each one is the old master's FIRST application of that task,
// and a replayed Done marks the task done - or (b) apply() from on_result/on_task_error/on_rejoin,
// which applies only to a task not done; so each task id is applied at most once. The ranges of
// one id are the same bytes wherever counts are applied (replay, kept results and plain results
// with `ran` are checked by file and range), so no byte is counted twice, and the task list always
// partitions every file. None is lost: every task is done, pending, or held by a live worker
// (adopted, or handed out after the recovery).
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/levels.h"
#include "base/trace.h"
#include "scan/discovery.h"
#include "sched/detector.h"
#include "sched/master_log.h"
#include "sched/policy.h"
#include "sched/rate.h"

namespace dla {

struct SpeculationOptions {
  double multiplier = 1.5;   // copy only if time left > multiplier * the asker's time from scratch
  double min_left = 0.0;     // ... and time left > this many seconds
  double heartbeat = 0.5;    // the workers' heartbeat interval (progress extrapolation, silence)
};

// Failover (issue 11). One task id may name other bytes on another master, so a worker names what
// it ran by file and byte range too. `file` is the index in the master's file list (the same list
// on every master); the worker knows the file by name: the master maps the name to its index
// (a name it does not know: -1, which matches nothing).
struct TaskRange {  // what a RESULT was run on (on_result / on_task_error)
  int file = -1;
  std::uint64_t offset = 0, length = 0;
};
// What a worker reports when it re-registers with a new master (REJOIN):
struct HeldTask {  // a task in its hands (running or in its deque), as the old master gave it
  int task = -1;
  int file = -1;
  std::uint64_t offset = 0, length = 0;
};
struct KeptResult {  // a result it produced in this run (every one is kept until the run ends)
  int task = -1;
  int file = -1;
  std::uint64_t offset = 0, length = 0;
  bool ok = true;      // false: a read error (`error`)
  Counts counts;       // ok
  std::string format;  // ok: the format its scanner used
  std::string error;   // !ok
};

struct SchedulerOptions {
  double timeout = 3.0;            // seconds of silence after which a worker is failed (phi: the cap)
  DetectorOptions detector;        // kind "fixed" | "phi"; its timeout is replaced by `timeout`
  bool speculate = false;          // backup copies of long-running tasks on idle workers
  SpeculationOptions speculation;
  RateOptions rate;                // per-worker EWMA bytes/s
  std::vector<int> files_done;     // resume: file indices already processed before this run
  Counts base_counts;              // resume: their counts
  std::vector<char> unsplittable;  // per file: 1 = never cut (e.g. compressed); empty = all splittable
  Trace* trace = nullptr;          // if set, events are recorded (time = now - start)
  std::vector<std::string> file_names;  // for trace details (optional)
  // Failover: a new master's scheduler replays the old master's log (a prefix of it) in order,
  // after files_done/base_counts (see "Failover" above).
  std::vector<LogEntry> replay;
  // Failover: > 0 = start in recovering mode (on_request answers WAIT, the master takes no task)
  // until every Active worker has rejoined or now >= start + rejoin_grace. 0 = off.
  double rejoin_grace = 0;
  // TEST ONLY: a planted bug (a duplicate result is applied again) that the random-interleaving
  // test must catch. Never set outside tests.
  bool debug_plant_double_apply = false;
  // TEST ONLY: a planted bug (on_rejoin applies a kept result without checking that its task is
  // not done yet) that the failover interleaving test must catch. Never set outside tests.
  bool debug_plant_rejoin_no_done_check = false;
};

// The numbers the evaluation reports (dla-scenario compare, the JSON summary).
struct SchedulerStats {
  int tasks_reassigned = 0;        // hand-outs with attempt >= 2 (after a failure)
  int duplicates = 0;              // results dropped because the task was done
  int late_accepted = 0;           // results accepted from a worker declared failed
  int speculative_started = 0;     // backup copies handed out
  int speculative_won = 0;         // ... whose result came first
  int speculative_lost = 0;        // ... cancelled because the original finished first
  std::uint64_t wasted_bytes = 0;  // work of cancelled or duplicate runners (as far as reported)
  int steals_attempted = 0;        // RELEASE orders sent
  int steals_succeeded = 0;        // ... answered RELEASED and handed to the thief
  int steals_refused = 0;          // ... answered REFUSED (already started or finished)
  int tasks_split = 0;             // guided cuts (each adds one task)
  int failures = 0;                // workers declared failed
  int false_suspicions = 0;        // ... later heard from again (they were alive)
  double detection_silence_sum = 0;  // silence at declaration, summed over failures
  double detection_silence_max = 0;
  int replayed = 0;                // failover: log entries replayed (applied) at construction
  int replay_skipped = 0;          // ... skipped: task already done, or id/range/worker unknown
  int rejoins = 0;                 // failover: REJOINs handled
  int rejoin_applied = 0;          // ... kept results applied (their task was not done)
  int rejoin_dropped = 0;          // ... kept results dropped (done, unknown, mismatched)
  int rejoin_adopted = 0;          // ... held tasks adopted (left with their worker)
  int rejoin_cancelled = 0;        // ... held tasks cancelled
  int foreign_results = 0;         // results Rejected as of another byte range than the task's here (their
                                   // range given and different, or a rejoined worker's task this master never gave it)
  std::uint64_t messages_in = 0;   // events fed to the scheduler (requests, results, heartbeats...)
  std::uint64_t messages_out = 0;  // decisions: replies + orders
};

class Scheduler final : private PolicyContext {
 public:
  enum class WorkerState { Active, Stopped, Failed };
  enum class TaskState { Pending, Assigned, Done };

  struct Reply {
    enum Kind { Assign, Wait, Stop } kind = Stop;
    int task = -1;            // Assign: the task
    int attempt = 0;          // Assign: 1 on first hand-out, 2+ when handed out again (failure, copy)
  };
  // A message the master must send besides the reply (drained with take_orders()).
  struct Order {
    enum Kind { Assign, Cancel, Release } kind = Assign;
    int worker = -1;
    int task = -1;
    int attempt = 0;          // Assign only
  };
  struct ResultOutcome {
    enum Kind { Applied, LateApplied, Duplicate, Rejected } kind = Rejected;  // Rejected: bad task id, or an error not applied
    int file_completed = -1;  // file index if this result completed its file
    Reply next;               // the answer to send back (a result is also the next request)
  };
  struct RejoinOutcome {
    int applied = 0, dropped = 0, adopted = 0, cancelled = 0;
  };
  struct Failure {
    int worker = -1;
    double last_heard = 0;
    std::vector<int> requeued;  // tasks it held, put back at the front of the queue
  };

  Scheduler(std::vector<Task> tasks, int num_files, std::vector<int> workers,
            std::unique_ptr<SchedulingPolicy> policy, SchedulerOptions opt, double now);
  Scheduler(const Scheduler&) = delete;  // the policy holds a pointer to it
  Scheduler& operator=(const Scheduler&) = delete;

  // ---- events ----
  void on_hello(int worker, double now);
  Reply on_request(int worker, double now);
  // `started_at`: when the worker began the task (run time, its clock), for the trace; < 0 unknown.
  // `format`: the format its scanner used (logged with the result, task_format()).
  // `ran`: the file and byte range the worker ran (from its RESULT). Given and not the task's file
  // and range here: Rejected (failover: one task id may name other bytes on different masters).
  // Pass it whenever failover is possible; without it a result is matched by id alone.
  ResultOutcome on_result(int worker, int task, const Counts& c, double now, double started_at = -1,
                          const std::string& format = {}, const std::optional<TaskRange>& ran = std::nullopt);
  ResultOutcome on_task_error(int worker, int task, const std::string& msg, double now,
                              const std::optional<TaskRange>& ran = std::nullopt);
  void on_heartbeat(int worker, int task, std::uint64_t bytes_done, double now, double started_at = -1);
  // A message from `worker` that the scheduler has no event for (e.g. a REQUEST the master answers
  // WAIT by itself while it is busy with something else): only counts as hearing from it, so that
  // tick() does not judge its silence across that time.
  void on_heard(int worker, double now);
  // The answer to an Order::Release: `released` = the worker dropped the task without starting it.
  void on_release_reply(int worker, int task, bool released, double now);
  // Failure detection; returns the workers declared failed by this tick.
  std::vector<Failure> tick(double now);
  // The transport reported an MPI error on `worker`: failed at once, like a timeout (trace detail
  // "mpi-error"). Nothing if it is not Active.
  std::optional<Failure> on_peer_error(int worker, double now);
  // The master takes a pending task itself (all workers gone). -1 if none pending.
  int take_for_master(double now);
  // A worker is known to have left (e.g. it was sent STOP and the master gives up waiting).
  void mark_stopped(int worker, double now);
  // Messages to send besides the replies, oldest first; empties the outbox. Call after every event.
  std::vector<Order> take_orders();
  // Failover: every decision since the last call, in order (see "Failover"); empties it.
  std::vector<LogEntry> take_log();
  // Failover: `worker` re-registers with this (new) master: the tasks it holds, in its order
  // (running first), and every result it produced in this run. Counts as hearing from it; Cancel
  // orders via take_orders. See "Failover" for what is applied, adopted, dropped, cancelled.
  RejoinOutcome on_rejoin(int worker, const std::vector<HeldTask>& held, const std::vector<KeptResult>& results,
                          double now);

  // ---- queries ----
  bool all_done() const { return tasks_done_ == static_cast<int>(tasks_.size()); }
  // Every worker Stopped or Failed.
  bool workers_settled() const;
  bool any_worker_usable() const;  // some worker still Active
  const std::vector<Task>& tasks() const { return tasks_; }
  TaskState task_state(int t) const { return tstate_[static_cast<std::size_t>(t)]; }
  int task_owner(int t) const { return owner_[static_cast<std::size_t>(t)]; }
  int task_copy(int t) const { return copy_[static_cast<std::size_t>(t)]; }  // speculative runner or -1
  int task_attempts(int t) const { return attempts_[static_cast<std::size_t>(t)]; }
  WorkerState worker_state(int w) const;
  double last_heard(int w) const;
  const std::vector<int>& workers() const { return workers_; }
  std::vector<int> failed_workers() const;  // ascending
  std::vector<int> held_by(int w) const;    // in hand-out order (its deque), copies included
  std::uint64_t held_bytes(int w) const;    // their bytes (kept as a running sum)
  double worker_rate(int w) const { return rates_.rate(w); }
  double suspicion(int w, double now) const { return detector_->level(w, now); }
  // Estimated seconds until `task`'s running owner finishes it (LATE's estimate); -1 if not running.
  double time_left(int task, double now) const;
  // Failover: still waiting for workers to rejoin (on_request answers WAIT).
  bool recovering() const { return recovering_; }
  bool rejoined(int w) const;  // `w` has called on_rejoin on this scheduler
  // The format of the result applied for `task` ("" if not done, done with an error, or unknown).
  const std::string& task_format(int task) const;

  int num_files() const { return static_cast<int>(file_left_.size()); }
  bool file_done(int f) const { return file_left_[static_cast<std::size_t>(f)] == 0; }
  bool file_failed(int f) const { return !file_error_[static_cast<std::size_t>(f)].empty(); }
  const std::string& file_error(int f) const { return file_error_[static_cast<std::size_t>(f)]; }
  const Counts& file_counts(int f) const { return file_counts_[static_cast<std::size_t>(f)]; }
  const std::vector<int>& processed_files() const { return processed_; }  // completion order
  std::vector<int> pending_files() const;  // not yet processed, ascending
  std::vector<int> failed_files() const;   // done with a read error, ascending
  const Counts& totals() const { return totals_; }  // base_counts + every applied result
  std::vector<int> pending_tasks() const { return policy_->pending(); }

  int tasks_done() const { return tasks_done_; }
  int tasks_reassigned() const { return stats_.tasks_reassigned; }
  int duplicates() const { return stats_.duplicates; }
  int late_accepted() const { return stats_.late_accepted; }
  int tasks_by_master() const { return by_master_; }
  const SchedulerStats& stats() const { return stats_; }
  const SchedulingPolicy& policy() const { return *policy_; }
  double timeout() const { return opt_.timeout; }
  double start_time() const { return t0_; }

 private:
  struct WorkerInfo {
    WorkerState state = WorkerState::Active;
    double last_heard = 0;
    std::vector<int> held;      // owner or copy runner, in hand-out order (change it only through
    std::uint64_t held_bytes = 0;  // hold / drop_held / release_held, which keep this sum of its bytes)
    bool suspected = false;     // declared failed at least once (false-suspicion accounting)
    bool heard_after = false;   // ... and heard from since
    int stealing = -1;          // the task a steal is under way for (this worker is the thief)
    bool rejoined = false;      // failover: it re-registered with this master
    std::set<int> got;          // tasks this master handed it (assigned, stolen, copies, adopted)
    // rate sampling: the last progress point seen (task, bytes, time) and when its last task ended
    int sample_task = -1;
    std::uint64_t sample_bytes = 0;
    double sample_time = 0, last_finish = 0;
  };
  struct Runner {               // progress of one runner of a task
    std::uint64_t bytes = 0;    // reported done
    double at = -1;             // when (master's clock); < 0: never reported
  };

  // PolicyContext
  double now() const override { return now_; }
  double rate(int w) const override { return rates_.rate(w); }
  double observed(int w) const override { return rates_.observed(w); }
  double busy_until(int w) const override;
  std::vector<int> live_workers() const override;
  int live_count() const override { return live_; }
  const Task& task(int id) const override { return tasks_[static_cast<std::size_t>(id)]; }

  WorkerInfo* find(int w);
  const WorkerInfo* find(int w) const;
  void heard(int w, double now);
  Reply hand_out(int worker, double now);
  Reply assign(int worker, int t, double now);
  void top_up(int worker, double now);
  int maybe_split(int t, int worker);
  bool try_steal(int thief, double now);
  Reply try_speculate(int worker, double now);
  Failure fail(std::size_t k, double now, const std::string& why);
  ResultOutcome finish(int worker, int task, const Counts* c, const std::string* err, double now, double started_at,
                       const std::string& format, const std::optional<TaskRange>& ran);
  void apply(int worker, int task, const Counts* c, const std::string* err, double now, double started_at,
             ResultOutcome* out, const std::string& format = {});
  int account(int worker, int task, const Counts* c, const std::string* err, const std::string& format);
  void append_task(const Task& t);
  // failover (scheduler_failover.cc)
  void replay_log();
  bool replay_one(const LogEntry& e);
  void replay_failures();
  void rejoin_result(int worker, bool live, const KeptResult& r, RejoinOutcome* out, double now);
  void rejoin_held(int worker, bool live, const HeldTask& h, bool first, RejoinOutcome* out, double now);
  void maybe_end_recovery(double now);
  bool matches(int task, int file, std::uint64_t offset, std::uint64_t length) const;
  void recount_totals();
  std::vector<int> release_held(std::size_t k);
  void requeue(int gone, const std::vector<int>& ids);
  void to_pending(int t);
  void from_pending(int t);
  bool wants_more(int worker) const;
  bool deque_open(int held, std::uint64_t bytes, double busy) const;
  void hold(WorkerInfo& wi, int task);
  void end_steal(int task);
  void settle_runners(int winner, int task, double now);
  void rate_progress(int worker, int task, std::uint64_t bytes_done, double now);
  double progress_estimate(int task, int worker, double now) const;
  void drop_held(int worker, int task);
  void order(Order::Kind k, int worker, int task, int attempt = 0);
  void record(double now, int rank, const char* ev, int task, std::uint64_t bytes, std::string detail = {});
  std::string task_label(int t) const;

  std::vector<Task> tasks_;
  std::vector<TaskState> tstate_;
  std::vector<int> owner_, copy_;
  std::vector<int> attempts_;
  std::vector<double> since_;
  std::vector<char> started_seen_;
  std::vector<Runner> prog_owner_, prog_copy_;
  struct Steal {
    int victim = -1, thief = -1;
  };
  std::map<int, Steal> steal_;       // task -> steal awaiting the victim's answer
  std::vector<double> copy_since_;   // when the copy was handed out
  std::vector<char> copied_;         // a copy was ever started (at most one per task)
  int pending_ = 0;                  // tasks in state Pending
  std::uint64_t pending_bytes_ = 0;  // ... and their bytes
  bool cancels_ = false;             // the protocol has CANCEL (speculation or stealing on)
  std::vector<int> workers_;
  std::vector<WorkerInfo> winfo_;  // parallel to workers_
  std::vector<int> index_;         // rank -> index in workers_, -1 if not a worker
  int live_ = 0;                   // workers Active
  std::vector<int> file_left_;
  std::vector<Counts> file_counts_;
  std::vector<std::string> file_error_;
  std::vector<int> processed_;
  Counts totals_;
  std::unique_ptr<SchedulingPolicy> policy_;
  PolicyTraits traits_;
  SchedulerOptions opt_;
  RateEstimator rates_;
  std::unique_ptr<FailureDetector> detector_;
  std::vector<Order> outbox_;
  std::vector<LogEntry> log_;        // failover: decisions not yet taken (take_log)
  std::vector<std::string> format_;  // per task: the format of its applied result
  std::vector<int> replay_failed_;   // workers a replayed Failed entry declared failed
  bool recovering_ = false;
  bool rejoin_live_ = false;         // on_rejoin is applying a live worker's kept result
  SchedulerStats stats_;
  double t0_ = 0, now_ = 0;
  int tasks_done_ = 0, by_master_ = 0;
};

const char* to_string(Scheduler::WorkerState s);

}  // namespace dla
