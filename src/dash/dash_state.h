// DashState: one snapshot of a run as the dashboard shows it (live from the master's scheduler,
// or replayed from a trace). Plain data, copied by value; the JSON (/api/state, the SSE stream)
// and the Prometheus text (/metrics) are functions of it alone. Bounded by construction: the
// producers (observer.h, replay.h) keep at most kMax* entries in each list.
//
// Thread-safety: none needed; a snapshot is built by one thread, then published as
// std::shared_ptr<const DashState> (server.h's SnapshotBox) and only read afterwards.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/levels.h"

namespace dla::dash {

inline constexpr std::size_t kMaxEvents = 200;      // the timeline keeps the newest ones
inline constexpr std::size_t kMaxBars = 400;        // finished Gantt bars kept (newest)
inline constexpr std::size_t kMaxRatePoints = 240;  // rate history points (resolution halves when full)
inline constexpr std::size_t kMaxQueueShown = 20;   // queue: its length and the first tasks only

struct WorkerRow {
  int rank = 0;
  // idle | busy | speculating | suspected | failed | stopped
  std::string state = "idle";
  int task = -1;              // the task it runs now, -1 none
  std::string task_label;     // file (and byte range) of that task
  double progress = -1;       // 0..1 of the current task, < 0 unknown
  double rate = 0;            // bytes/s (scheduler's estimate)
  double heartbeat_age = 0;   // seconds since the master last heard from it
  int held = 0;               // tasks it holds (current + queued on it)
  int tasks_done = 0;         // results applied from it
};

struct TimelineEvent {
  double time = 0;
  // failure | reassign | checkpoint | steal | copy | cancel | duplicate | false-suspicion |
  // failover | crash | stop (readers accept unknown kinds)
  std::string kind;
  int rank = -1;
  int task = -1;
  std::string detail;
};

struct GanttBar {
  int rank = 0;
  int task = -1;
  double begin = 0, end = 0;
  std::string outcome = "running";  // running | done | lost | moved | cancelled | duplicate
};

struct RatePoint {
  double time = 0;
  double bytes_per_s = 0;
  double lines_per_s = 0;
  std::uint64_t bytes_done = 0;
};

// A rate history of bounded size: a point per `step` seconds; when full, every other point goes
// and the step doubles, so it always covers the whole run.
class RateHistory {
 public:
  explicit RateHistory(double step = 1.0, std::size_t cap = kMaxRatePoints) : step_(step), cap_(cap < 4 ? 4 : cap) {}
  // Records the totals at `now` (monotone); adds a point when a step has passed since the last one.
  void observe(double now, std::uint64_t bytes_done, std::uint64_t lines_done);
  const std::deque<RatePoint>& points() const { return points_; }
  double step() const { return step_; }
  // Bytes/s over the last point's step (0 before the first step).
  double current_rate() const { return points_.empty() ? 0 : points_.back().bytes_per_s; }

 private:
  double step_;
  std::size_t cap_;
  bool started_ = false;
  double last_t_ = 0;
  std::uint64_t last_bytes_ = 0, last_lines_ = 0;
  std::deque<RatePoint> points_;
};

struct DashState {
  std::string mode = "live";  // live | replay
  std::uint64_t seq = 0;      // snapshot number (the SSE stream sends a snapshot when it changes)
  double time = 0;            // seconds since the run's start
  double duration = 0;        // replay: the trace's last time; live: = time
  // running | finished | interrupted | nothing to do
  std::string status = "running";
  bool finished = false;
  bool idle = false;          // nothing to do (no tasks at all, or all done at the start)
  std::vector<WorkerRow> workers;
  int queue_length = 0;
  std::vector<std::string> queue_head;  // the first kMaxQueueShown pending tasks
  int tasks_total = 0, tasks_done = 0, tasks_running = 0, tasks_reassigned = 0;
  int files_total = 0, files_done = 0, files_failed = 0;
  std::uint64_t bytes_total = 0, bytes_done = 0;  // done: of tasks whose result was applied
  std::uint64_t bytes_running = 0;  // estimated part of the running tasks already scanned
  double rate = 0;            // bytes/s, recent (done + running)
  double eta = -1;            // seconds left, < 0 unknown
  Counts counts;              // per level so far
  bool counts_known = true;   // replay: a trace carries no level counts
  int checkpoints = 0, steals = 0, copies = 0, duplicates = 0, failures = 0, false_suspicions = 0;
  std::vector<RatePoint> rates;
  std::vector<TimelineEvent> events;   // oldest first, at most kMaxEvents
  std::uint64_t events_dropped = 0;    // older events no longer kept
  std::vector<GanttBar> bars;          // at most kMaxBars finished + one running per worker
};

int workers_alive(const DashState& s);  // not failed, not stopped
nlohmann::json to_json(const DashState& s);
// Prometheus text exposition format 0.0.4 (counts per level, bytes, tasks, workers by state).
std::string metrics_text(const DashState& s);
// Seconds as "1h02m", "3m05s", "12s" ("?" when < 0).
std::string format_duration(double seconds);

}  // namespace dla::dash
