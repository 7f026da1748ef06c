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

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

}  // namespace dla
