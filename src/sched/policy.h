// Scheduling policies: which pending task a worker gets next, and which mechanisms of the
// scheduler (prefetch deques, brokered steals, guided splitting) the policy switches on.
//
// The Scheduler (sched/scheduler.h) owns every piece of bookkeeping (task and worker states,
// exactly-once accounting, failure handling); a policy only ORDERS the pending tasks and declares
// its traits. A policy sees the scheduler through PolicyContext (rates, estimated busy time, live
// workers, `now`), bound once before init. Policies never read a clock.
//
//   name      idea                                                         mechanisms (traits)
//   static    Stage-1 LPT plan by bytes, one queue per worker (baseline)   none
//   dynamic   one FIFO queue, any worker takes the front (baseline)        none
//   lpt       largest remaining task first, rate-aware: a worker gets the  none
//             largest task no faster worker would finish sooner (a worker
//             not yet measured first gets a probe: <= 0.25 s of work)
//   guided    lpt order; a big task is cut at hand-out so that pieces      split_k, split_floor
//             shrink as the remaining work shrinks (guided self-scheduling)
//   steal     lpt order; workers prefetch a deque of tasks; an idle        prefetch, steal
//             worker steals a not-yet-started task, brokered by the master
//   locality  FIFO, a worker first gets a task it holds (a replica); a     none
//             remote one only after waiting `wait` s (delay scheduling)
// See src/sched/README.md for one paragraph per policy (idea and cost).
//
// Steals are brokered by the master, not peer to peer: the master already holds the only
// authoritative assignment table (who runs what), every worker's rate and deque, so it picks the
// most loaded victim and the task to move without any worker knowing the others, and the new owner
// is known to it before any result can arrive. Peer to peer would need that table replicated and a
// notification to the master racing the stolen task's result (exactly-once would hang on that
// race), and a thief would have to probe victims blindly. Cost of a brokered steal: 4 messages
// (the thief's REQUEST answered WAIT, RELEASE to the victim, its RELEASED/REFUSED, ASSIGN to the
// thief) against 3 peer to peer (ask, answer, notify the master); a refused one costs 3 (no
// ASSIGN); the master's work is O(workers) per steal to choose the victim. Steals happen only at
// the end of a run (nothing pending), so their number is about the number of workers, not tasks.
//
// Thread-safety: none (the master's single thread drives it).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scan/discovery.h"

namespace dla {

// What a policy may ask the scheduler while choosing (implemented by Scheduler).
class PolicyContext {
 public:
  virtual ~PolicyContext() = default;
  virtual double now() const = 0;                       // time of the event being handled
  virtual double rate(int worker) const = 0;            // EWMA bytes/s (a prior if unknown)
  virtual double observed(int worker) const = 0;        // seconds of work its rate is based on
  virtual double busy_until(int worker) const = 0;      // estimated time its held tasks are done
  virtual std::vector<int> live_workers() const = 0;    // Active workers (O(workers))
  virtual int live_count() const = 0;                   // how many (O(1))
  virtual const Task& task(int id) const = 0;
};

// Mechanisms a policy switches on in the scheduler. All off = today's one-task-at-a-time protocol.
struct PolicyTraits {
  // Prefetch: a worker may hold up to `prefetch` tasks (the one it runs + a deque), topped up
  // while its estimated queued work is below `prefetch_seconds` (at its own rate). 1 = no deque.
  int prefetch = 1;
  double prefetch_seconds = 0;
  // ... and beyond `prefetch` tasks while the tasks held come to fewer than `prefetch_bytes`: tiny
  // files go out many per round trip (100,000 files of ~100 bytes: 4 per round trip cost 95 s at
  // np 2, against 4.5 s for dynamic's batches). 0 = the task count alone.
  std::uint64_t prefetch_bytes = 0;
  // Brokered stealing: a worker that finds nothing pending asks the master, which asks the most
  // loaded worker to release a not-yet-started task from the back of its deque.
  bool steal = false;
  // Guided splitting: at hand-out a task bigger than max(split_floor, remaining_bytes /
  // (split_k * live workers) * (rate of the worker / mean rate)) is cut; the tail becomes a new task.
  double split_k = 0;  // 0 = never split
  std::uint64_t split_floor = 0;
};

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  virtual std::string name() const = 0;
  // Before init: the scheduler's view (valid for the policy's lifetime). Default: ignored.
  virtual void bind(const PolicyContext* ctx) { (void)ctx; }
  virtual PolicyTraits traits() const { return {}; }
  // Once, before anything else: the tasks to run (task order) and the worker ranks.
  virtual void init(const std::vector<Task>& pending, const std::vector<int>& workers) = 0;
  // Removes and returns the next task for `worker`, or -1 if it has none to give it now.
  virtual int next(int worker) = 0;
  // Removes and returns any pending task (the master working itself), or -1 if none.
  virtual int next_any() = 0;
  // Tasks to run again before everything else (their worker failed, a steal fell through), and
  // new tasks (the tail of a guided split); `live` = workers still usable.
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
// "lpt", "guided", "steal": see the table above.
std::unique_ptr<SchedulingPolicy> make_lpt_policy();
std::unique_ptr<SchedulingPolicy> make_guided_policy(double split_k = 2, std::uint64_t split_floor = 1 << 17);
std::unique_ptr<SchedulingPolicy> make_steal_policy(int prefetch = 4, double prefetch_seconds = 1.0,
                                                    std::uint64_t prefetch_bytes = 256u << 10);
// "locality" (delay scheduling, src/sched/locality.cc): FIFO order; next(w) gives the first pending
// task w holds (holders_by_task[task id] = the workers that can read it locally); else the first
// task no live worker holds; else, once w has found nothing local for `wait_seconds` (counted per
// worker from the first such request, reset only when it gets a local task), the oldest pending task; else -1
// (WAIT). worker_gone removes the worker from every holder list. Generic: knows no store. Task ids
// beyond holders_by_task have no holder. Without a PolicyContext it never waits.
std::unique_ptr<SchedulingPolicy> make_locality_policy(std::vector<std::vector<int>> holders_by_task,
                                                       double wait_seconds = 0.5);
// By name ("static" | "dynamic" | "lpt" | "guided" | "steal" | "locality"); nullptr if unknown.
// "locality" by name has no holders: it behaves as dynamic (the store mode builds its own).
std::unique_ptr<SchedulingPolicy> make_policy(const std::string& name);
// The names make_policy accepts, in that order (for --help and "unknown policy" errors).
std::vector<std::string> policy_names();
// Whether the policy hands out tasks on demand (speculation needs it: not "static").
bool policy_is_dynamic(const std::string& name);

}  // namespace dla
