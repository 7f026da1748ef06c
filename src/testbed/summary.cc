#include "testbed/summary.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "obs/gantt.h"

namespace dla::scen {
namespace {

struct Row {
  int done = 0, lost = 0, dup = 0;
  std::uint64_t bytes = 0;
  double busy = 0;
};

std::string fmt3(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

}  // namespace

std::string trace_summary(const std::string& name, const Trace& t, const std::vector<std::string>& comments) {
  auto m = build_gantt(t);
  std::vector<Row> rows(static_cast<std::size_t>(std::max(m.ranks, 1)));
  double last_result = 0;
  for (const auto& b : m.bars) {
    if (b.moved) continue;  // queued on a rank, stolen before it started
    auto& r = rows[static_cast<std::size_t>(b.rank)];
    r.busy += b.end - b.begin;
    if (b.outcome == GanttBar::Done) {
      ++r.done;
      r.bytes += b.bytes;
      last_result = std::max(last_result, b.end);
    }
    if (b.outcome == GanttBar::Lost) ++r.lost;
    if (b.outcome == GanttBar::Duplicate) ++r.dup;
  }
  std::ostringstream out;
  out << "== " << name << "\n";
  for (const auto& c : comments) out << "# " << c << "\n";
  char line[200];
  std::snprintf(line, sizeof line, "%6s %7s %12s %9s %6s %6s\n", "rank", "tasks", "bytes", "busy_s", "lost", "dup");
  out << line;
  int tasks = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::snprintf(line, sizeof line, "%6zu %7d %12llu %9.3f %6d %6d\n", r, rows[r].done,
                  static_cast<unsigned long long>(rows[r].bytes), rows[r].busy, rows[r].lost, rows[r].dup);
    out << line;
    tasks += rows[r].done;
  }
  std::string failures;
  int reassigns = 0;
  for (const auto& k : m.marks) {
    if (k.event == "timeout") failures += " " + std::to_string(k.rank) + "@" + fmt3(k.time);
    if (k.event == "reassign") ++reassigns;
  }
  out << "tasks " << tasks << ", last result at " << fmt3(last_result) << " s, failures:" << (failures.empty() ? " none" : failures)
      << ", reassignments " << reassigns << "\n";
  return out.str();
}

}  // namespace dla::scen
