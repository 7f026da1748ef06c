// The printed result block (the assignment's format) and its JSON twin. Used by every analyser so
// that their outputs compare line for line.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/levels.h"

namespace dla {

inline constexpr const char* kRule = "=================================================";

// "ANALYSIS RESULTS" block: the four levels in alphabetical order, then the footer lines
// ("Key: value") between rules, as in the assignment.
std::string format_results(const Counts& c, const std::vector<std::pair<std::string, std::string>>& footer);

// The last stdout line of a distributed run, the verdict scripts read (RESULT OK | INCOMPLETE ...).
struct ResultLine {
  std::string verdict = "OK";       // "OK", "INCOMPLETE" or "INCOMPLETE interrupted"
  Counts counts;
  int files_processed = 0, files_total = 0;
  int unreadable = 0;               // files done with a read error
  std::vector<int> failed_workers;  // ascending
};
// "RESULT <verdict> DEBUG=n ERROR=n INFO=n WARN=n lines=n files=p/t[ unreadable=u] failed_workers=k[ failed=r,...]"
// The counts come first and the line has no length limit: a long failed-rank list can neither cut
// them off nor leave a verdict without its counts. No trailing newline.
std::string format_result_line(const ResultLine& r);

// One readable file of a run, for --per-file.
struct FileRow {
  std::string name;    // as printed (escaped)
  std::string format;  // the format its levels were read with ("log4j", "bracket", ...)
  Counts counts;
};
// The --per-file table: a header line, then one line per file: file, format, lines, one column per
// level (the seed four, then every other level found in any file, alphabetical), unleveled.
// Columns are padded to their widest cell.
std::string format_per_file(const std::vector<FileRow>& rows);
// [{"file": name, "format": f, "lines": n, "counts": {LEVEL: n}, "unleveled": n}, ...]
nlohmann::json per_file_json(const std::vector<FileRow>& rows);

// "%.2f" seconds, e.g. "0.35s".
std::string format_seconds(double s);

}  // namespace dla
