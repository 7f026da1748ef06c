// base_log_analyser DIR: the sequential reference. Counts INFO/WARN/ERROR/DEBUG lines over the
// *.log files directly in DIR. Exit 0 ok, 1 bad input (nothing counted), 2 some file unreadable
// (the others are counted and printed).
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/names.h"
#include "scan/discovery.h"
#include "obs/report.h"
#include "scan/scanner.h"
#include "base/version.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::string dir;
  bool json = false;
  po::options_description desc("Usage: base_log_analyser [options] DIR\nOptions");
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&json), "print the result as JSON")(
      "dir", po::value(&dir), "directory holding *.log files");
  desc.add_options()("version", "print the version (git describe at build time) and exit");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << " (see --help)" << std::endl;
    return 1;
  }
  if (vm.count("version")) {
    std::cout << dla::version_line("base_log_analyser") << std::endl;
    return 0;
  }
  if (vm.count("help")) {
    std::cout << desc << std::endl;
    return 0;
  }
  if (dir.empty()) {
    std::cerr << "error: missing DIR (see --help)" << std::endl;
    return 1;
  }
  // Wall time is fine here: this is an app, not src/core, and not a simulated program.
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();  // CPU time: what the run needed, whatever share it got
  auto files = dla::discover_logs(dir);
  if (!files) {
    std::cerr << "error: " << dla::printable(files.error()) << std::endl;
    return 1;
  }
  if (!json) std::cout << "Found " << files->size() << " log file(s) to analyse\n" << std::endl;
  dla::Counts total;
  std::vector<std::string> errors;
  std::uint64_t bytes = 0;
  for (const auto& f : *files) {
    dla::ScanOptions so;
    so.expected_size = f.size;  // a file cut since discovery (copytruncate) is an error, not a short count
    auto c = dla::scan_file(f.path, {}, so);
    if (!c) {
      std::cerr << "error: " << dla::printable(c.error()) << std::endl;
      errors.push_back(dla::escape_name(f.name));  // names as printed: one line, valid UTF-8 (JSON)
      continue;
    }
    total += *c;
    bytes += f.size;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (json) {
    nlohmann::json j;
    j["files"] = files->size();
    j["counts"] = dla::counts_json(total);
    j["lines"] = total.lines;
    j["bytes"] = bytes;
    j["total_time_s"] = secs;
    j["cpu_s"] = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    j["unreadable_files"] = errors;
    std::cout << j.dump(2) << std::endl;
  } else {
    std::vector<std::pair<std::string, std::string>> footer{{"Total time", dla::format_seconds(secs)}};
    if (!errors.empty()) footer.emplace_back("Unreadable files", std::to_string(errors.size()));
    std::cout << dla::format_results(total, footer) << std::flush;
  }
  return errors.empty() ? 0 : 2;
}
