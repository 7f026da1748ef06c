// Timeline (Gantt) pictures of an event trace (core/trace.h): one row per rank, a bar per task
// execution, failures marked. Works on simulated and real traces alike (only times differ).
//
// Bars come from the events of one (rank, task) pair: they begin at `start` (or at `assign` /
// `reassign` when the worker's start is not recorded) and end at `result` (done), `duplicate` (a copy whose result
// was dropped), or — when the master declares the rank failed (`timeout`) before its result — at
// the timeout (lost), unless the rank's result still arrives later (a false failure: the bar then
// runs to that result and is marked late). A bar still open at the end of the trace is drawn to the
// end (open).
// Marks: timeout (red cross and a dashed line down the rank's row), crash (black cross),
// reassign (orange triangle), checkpoint (green diamond), stop (grey tick).
// Scheduling-lab events (drawn only when a trace has them, so older pictures do not change):
// `steal` (the thief's row: a blue chevron; its bar opens there; the victim's unstarted assignment of
// that task is dropped: it was only queued there, never run), `speculate` (a backup copy: its
// bar opens there, outlined in purple, with a purple plus), `cancel` (a copy stopped because another
// copy won: its bar ends there, outcome Cancelled). The losing copy of a speculated task (cancelled,
// or finished as a duplicate) is hatched.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/trace.h"

namespace dla {

struct GanttBar {
  enum Outcome { Done, Duplicate, Lost, Open, Cancelled };
  int rank = 0;
  int task = -1;
  double begin = 0, end = 0;
  Outcome outcome = Open;
  std::uint64_t bytes = 0;
  bool late = false;  // finished after its rank had been declared failed (a false failure)
  bool speculative = false;  // a backup copy started by speculation
  bool stolen = false;       // the task came to this rank by a steal
  bool lost_race = false;    // a copy of a speculated task whose result was not the one applied
  bool moved = false;        // an unstarted (prefetched) assignment taken away by a steal: not drawn
};

struct GanttMark {
  int rank = 0;
  double time = 0;
  std::string event;  // timeout crash reassign checkpoint stop steal speculate
  int task = -1;
};

struct GanttModel {
  std::vector<GanttBar> bars;
  std::vector<GanttMark> marks;
  int ranks = 0;     // rows: 0 .. ranks-1
  double end = 0;    // last event time
};

GanttModel build_gantt(const Trace& t);

struct GanttOptions {
  std::string title = "dla run";
  int width = 1200;  // pixels
};

// A standalone SVG document.
std::string render_gantt_svg(const GanttModel& m, const GanttOptions& o);

}  // namespace dla
