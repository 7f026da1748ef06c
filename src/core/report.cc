#include "core/report.h"

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

nlohmann::json counts_json(const Counts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < kNumLevels; ++i) j[std::string(kLevelNames[i])] = c.level[i];
  return j;
}

Counts counts_from_json(const nlohmann::json& j) {
  Counts c;
  for (int i = 0; i < kNumLevels; ++i) c.level[i] = j.value(std::string(kLevelNames[i]), std::uint64_t{0});
  c.lines = j.value("lines", std::uint64_t{0});
  return c;
}

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

}  // namespace dla
