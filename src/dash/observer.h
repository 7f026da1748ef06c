// SchedulerObserver: the live DashState of a run, read from the master's Scheduler (read only).
// The master calls observe() from its loop (src/mpi/dash_hooks.cc, chained on
// DistributedOptions::on_poll), at most every few tenths of a second: a call costs O(tasks) for
// the byte totals plus O(workers + their held tasks), nothing per message.
//
// Events the scheduler keeps no list of are found by comparing with the previous call: a worker
// that turned Failed (its held tasks went back to the queue), a task held with a higher attempt
// than seen before (reassigned), the steal / copy / duplicate / false-suspicion counters of
// SchedulerStats that moved, a higher checkpoint count. An event between two calls is therefore
// seen at the next call, with that call's time.
//
// Memory is bounded however long the run: the timeline keeps the newest kMaxEvents events (and
// counts the dropped ones), the Gantt the newest kMaxBars finished bars, the rate history halves
// its resolution when full; per task one byte (the attempt last reported), per worker one record.
//
// Thread-safety: not thread-safe; one thread (the master's) owns it. Its output is a value.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dash/dash_state.h"
#include "sched/scheduler.h"

namespace dla::dash {

struct ObserverOptions {
  double heartbeat = 0.5;  // the workers' heartbeat interval (progress extrapolation, as the scheduler's)
  double rate_step = 1.0;  // seconds between rate history points (doubles when the history is full)
  std::vector<std::string> file_names;      // by file index, for task labels (escaped; may be empty)
  std::vector<std::uint64_t> file_sizes;    // by file index: a task covering a whole file shows its name only
};

class SchedulerObserver {
 public:
  explicit SchedulerObserver(ObserverOptions o = {});
  // The snapshot at `now` (the master's clock, as given to the scheduler). `checkpoints`: saved so
  // far; `finished`: the run is over (the page says so); `interrupted`: it was stopped by a signal.
  DashState observe(const Scheduler& s, double now, int checkpoints = 0, bool finished = false, bool interrupted = false);
  // An event the scheduler cannot show (e.g. a master failover): on the next snapshot's timeline.
  void note(TimelineEvent e);

 private:
  struct Seen {
    std::string state;
    int task = -1;        // current task (front of what it holds), -1 none
    double since = 0;     // run time it became current
    std::vector<int> held;
    int done = 0;         // bars that ended with the task done
  };
  void add_event(TimelineEvent e);
  void close_bar(int rank, Seen& seen, const Scheduler& s, double t, bool failed);
  void observe_worker(const Scheduler& s, int w, double now, double t, DashState* out);
  void observe_counters(const Scheduler& s, double t, int checkpoints);
  void observe_reassigned(const Scheduler& s, int w, double t);
  void fill_totals(const Scheduler& s, DashState* out) const;
  WorkerRow row_of(const Scheduler& s, int w, double now) const;

  ObserverOptions opt_;
  std::map<int, Seen> seen_;
  std::vector<std::uint8_t> attempt_seen_;  // per task: the highest attempt already reported
  SchedulerStats last_stats_;
  int last_checkpoints_ = 0;
  bool first_ = true, idle_at_start_ = false;
  std::deque<TimelineEvent> events_;
  std::uint64_t dropped_ = 0;
  std::deque<GanttBar> bars_;
  RateHistory rates_;
  std::uint64_t seq_ = 0;
};

// What a task is, for people: "<file>" or "<file> [begin+length]" for a byte range of a split file.
std::string task_text(const Task& t, const std::vector<std::string>& file_names, const std::vector<std::uint64_t>& file_sizes);

}  // namespace dla::dash
