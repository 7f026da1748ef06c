// The terminal progress line of a running analysis (stderr, when it is a terminal or --progress):
//   dla  42.1%  1.2 GB / 2.9 GB  310.0 MB/s  ETA 5s  workers 3/4  tasks 12/40  failed 1
// Pure: the caller gives the snapshot and the time and writes what comes back.
// Thread-safety: none (one caller).
#pragma once
#include <string>

#include "dash/dash_state.h"

namespace dla::dash {

// The line itself (no control characters).
std::string progress_line(const DashState& s);
// "12.3 MB" (decimal units).
std::string human_bytes(double n);

class ProgressPrinter {
 public:
  explicit ProgressPrinter(double every = 0.5) : every_(every) {}
  // What to write at `now`: "\r<line>\x1b[K" at most every `every` seconds, else "".
  std::string update(const DashState& s, double now);
  // Clears the line if one was written (before the result is printed); "" otherwise.
  std::string finish();

 private:
  double every_;
  double last_ = -1e300;
  bool shown_ = false;
};

}  // namespace dla::dash
