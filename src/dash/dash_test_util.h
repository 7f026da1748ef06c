// Test-only helpers shared by the dash unit tests (never included by production code).
#pragma once
#include "dash/dash_state.h"

namespace dla::dash::testing {

// A worker row with the fields the tests vary.
inline WorkerRow W(int rank, const char* state, int task = -1, const char* label = "") {
  WorkerRow w;
  w.rank = rank;
  w.state = state;
  w.task = task;
  w.task_label = label;
  return w;
}

}  // namespace dla::dash::testing
