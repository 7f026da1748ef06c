#include "dash/progress.h"

#include <algorithm>
#include <cstdio>

namespace dla::dash {

std::string human_bytes(double n) {
  static const char* const kUnit[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int i = 0;
  while (n >= 1000 && i < 5) {
    n /= 1000;
    ++i;
  }
  char b[32];
  if (i == 0) std::snprintf(b, sizeof b, "%.0f B", n);
  else std::snprintf(b, sizeof b, "%.1f %s", n, kUnit[i]);
  return b;
}

std::string progress_line(const DashState& s) {
  const double done = static_cast<double>(s.bytes_done + s.bytes_running);
  const double pct = s.bytes_total ? std::min(100.0, 100.0 * done / static_cast<double>(s.bytes_total))
                     : s.tasks_total ? 100.0 * s.tasks_done / s.tasks_total : 100.0;
  char b[64];
  std::snprintf(b, sizeof b, "%5.1f%%", pct);
  std::string line = std::string("dla ") + b + "  " + human_bytes(done) + " / " +
                     human_bytes(static_cast<double>(s.bytes_total)) + "  " + human_bytes(s.rate) + "/s  ETA " +
                     (s.finished ? "done" : format_duration(s.eta)) + "  workers " + std::to_string(workers_alive(s)) + "/" +
                     std::to_string(s.workers.size()) + "  tasks " + std::to_string(s.tasks_done) + "/" + std::to_string(s.tasks_total);
  if (s.failures) line += "  failed " + std::to_string(s.failures);
  return line;
}

std::string ProgressPrinter::update(const DashState& s, double now) {
  if (now - last_ < every_) return "";
  last_ = now;
  shown_ = true;
  return "\r" + progress_line(s) + "\x1b[K";
}

std::string ProgressPrinter::finish() {
  if (!shown_) return "";
  shown_ = false;
  return "\r\x1b[K";
}

}  // namespace dla::dash
