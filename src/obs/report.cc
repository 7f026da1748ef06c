#include "obs/report.h"

#include <cstdio>
#include <sstream>

namespace dla {

std::string format_results(const Counts& c, const std::vector<std::pair<std::string, std::string>>& footer) {
  std::ostringstream o;
  o << kRule << "\nANALYSIS RESULTS\n" << kRule << "\n";
  for (int i = 0; i < kNumLevels; ++i) o << kLevelNames[i] << ": " << c.level[i] << "\n";
  o << kRule << "\n";
  for (const auto& [k, v] : footer) o << k << ": " << v << "\n";
  if (!footer.empty()) o << kRule << "\n";
  return o.str();
}

std::string format_result_line(const ResultLine& r) {
  std::ostringstream o;
  o << "RESULT " << r.verdict;
  for (int i = 0; i < kNumLevels; ++i) o << ' ' << kLevelNames[i] << '=' << r.counts.level[i];
  o << " lines=" << r.counts.lines << " files=" << r.files_processed << '/' << r.files_total;
  if (r.unreadable) o << " unreadable=" << r.unreadable;
  o << " failed_workers=" << r.failed_workers.size();
  for (std::size_t i = 0; i < r.failed_workers.size(); ++i) o << (i ? "," : " failed=") << r.failed_workers[i];
  return o.str();
}

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

}  // namespace dla
