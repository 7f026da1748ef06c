#include "obs/report.h"

#include <cstdio>
#include <sstream>

namespace dla {

std::string format_results(const Counts& c, const std::vector<std::pair<std::string, std::string>>& footer) {
  std::ostringstream o;
  o << kRule << "\nANALYSIS RESULTS\n" << kRule << "\n";
  for (const auto& name : report_levels(c)) o << name << ": " << c.get(name) << "\n";
  if (c.unleveled() != 0) o << "UNLEVELED: " << c.unleveled() << "\n";
  o << kRule << "\n";
  for (const auto& [k, v] : footer) o << k << ": " << v << "\n";
  if (!footer.empty()) o << kRule << "\n";
  return o.str();
}

std::string format_result_line(const ResultLine& r) {
  std::ostringstream o;
  o << "RESULT " << r.verdict;
  for (const auto& name : report_levels(r.counts)) o << ' ' << name << '=' << r.counts.get(name);
  if (r.counts.unleveled() != 0) o << " unleveled=" << r.counts.unleveled();
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
