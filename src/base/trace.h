// The event trace: one line per event, sorted, the same writer on SMPI (simulated times, byte-for-
// byte reproducible) and on real Open MPI (real times: only the structure is comparable).
//
// Line format (space separated, one event per line, sorted by time, then by the order recorded):
//   <time %.6f> <rank> <event> <task> <bytes> [<detail>]
//   time   seconds since the run's start (master's clock: MPI_Wtime)
//   rank   the rank the event is about (the worker for assign/start/result/timeout...; 0 for master)
//   event  one of: assign start heartbeat result duplicate timeout reassign checkpoint stop crash
//          (more may be added; readers must accept unknown ones)
//   task   task id, or -1 when the event concerns no task
//   bytes  bytes of the task (assign/start/result), bytes done so far (heartbeat), else 0
//   detail optional free text without newlines (e.g. the file name); may contain spaces
// Lines starting with '#' are comments (a header says format version and the run's parameters).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"

namespace dla {

struct TraceEvent {
  double time = 0;
  int rank = 0;
  std::string event;
  int task = -1;
  std::uint64_t bytes = 0;
  std::string detail;
};

class Trace {
 public:
  void add(TraceEvent e);
  void add(double time, int rank, std::string event, int task = -1, std::uint64_t bytes = 0, std::string detail = {});
  void comment(std::string line);  // written as "# line" at the top
  // Sorted (stable by time), one line per event.
  std::string render() const;
  // Replaces `path` atomically (temporary beside it, synced, renamed): a reader, or a hard link
  // to the old file (a checkpoint's copy of an input), never sees it half written or overwritten.
  Status write(const std::string& path, Env& env = *Env::posix()) const;
  const std::vector<TraceEvent>& events() const { return events_; }

  static Result<Trace> parse(const std::string& text);
  static Result<Trace> read(const std::string& path, Env& env = *Env::posix());

 private:
  std::vector<std::string> comments_;
  std::vector<TraceEvent> events_;
};

std::string format_trace_line(const TraceEvent& e);

}  // namespace dla
