// The dashboard of a finished run, at any time t, from its event trace (base/trace.h; real or
// simulated): `dla-scenario dashboard TRACE` serves it with a time slider. Workers, their current
// task and its progress, the Gantt bars (obs/gantt.h's reading of the trace), the timeline of
// failures / reassignments / checkpoints / steals / copies, bytes and tasks done, a rate history.
// A trace holds no level counts, so counts_known is false.
//
// Thread-safety: const after construction (state_at may be called from several threads).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/trace.h"
#include "dash/dash_state.h"
#include "obs/gantt.h"

namespace dla::dash {

class TraceReplay {
 public:
  // `text`: the trace file's content (its "# ... workers=N ... tasks=T" header is read too).
  static Result<TraceReplay> from_text(const std::string& text);
  double duration() const { return duration_; }
  // The state at t (clamped to [0, duration]).
  DashState state_at(double t) const;

 private:
  void fill_workers(double t, DashState* s) const;
  void fill_progress(double t, DashState* s) const;
  void fill_rates(double t, DashState* s) const;
  void fill_events(double t, DashState* s) const;

  Trace trace_;
  GanttModel gantt_;
  std::vector<int> ranks_;                  // worker ranks (rows), ascending
  std::map<int, std::uint64_t> task_bytes_;  // every task seen, its bytes
  std::map<int, std::string> task_label_;    // its file, from its first assign event
  int tasks_total_ = 0, files_total_ = 0;
  double duration_ = 0;
};

}  // namespace dla::dash
