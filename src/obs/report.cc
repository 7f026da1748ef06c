#include "obs/report.h"

#include <algorithm>
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

std::string format_per_file(const std::vector<FileRow>& rows) {
  Counts all;  // the columns: the seed four, then every level found in any file
  for (const auto& r : rows) all += r.counts;
  const std::vector<std::string> cols = report_levels(all);
  std::vector<std::vector<std::string>> table{{"FILE", "FORMAT", "LINES"}};
  for (const auto& c : cols) table[0].push_back(c);
  table[0].push_back("UNLEVELED");
  for (const auto& r : rows) {
    std::vector<std::string> line{r.name, r.format, std::to_string(r.counts.lines)};
    for (const auto& c : cols) line.push_back(std::to_string(r.counts.get(c)));
    line.push_back(std::to_string(r.counts.unleveled()));
    table.push_back(std::move(line));
  }
  std::vector<std::size_t> width(table[0].size(), 0);
  for (const auto& line : table)
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  std::ostringstream o;
  for (const auto& line : table) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      const std::size_t pad = width[i] - line[i].size();
      if (i < 2) o << line[i] << std::string(pad, ' ');  // names and formats left, numbers right
      else o << std::string(pad, ' ') << line[i];
      o << (i + 1 < line.size() ? "  " : "\n");
    }
  }
  return o.str();
}

nlohmann::json per_file_json(const std::vector<FileRow>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : rows)
    a.push_back({{"file", r.name}, {"format", r.format}, {"lines", r.counts.lines}, {"counts", counts_json(r.counts)},
                 {"unleveled", r.counts.unleveled()}});
  return a;
}

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

}  // namespace dla
