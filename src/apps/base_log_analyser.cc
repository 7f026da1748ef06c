// base_log_analyser DIR: the sequential reference. Counts the lines of every level over the log
// files of DIR (*.log directly in DIR by default; --pattern, --recursive), each in its own format
// (detected per file, or --format). Exit 0 ok, 1 bad input (nothing counted), 2 some file
// unreadable (the others are counted and printed).
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/names.h"
#include "base/version.h"
#include "obs/report.h"
#include "scan/discovery.h"
#include "scan/scanner.h"

namespace po = boost::program_options;

namespace {

struct Options {
  std::string dir, format = "auto";
  dla::DiscoverOptions discover;
  bool json = false, per_file = false;
};

// Parses argv; returns an exit status to stop with (help, version, bad usage) or -1 to run.
int parse(int argc, char** argv, Options& o) {
  po::options_description desc("Usage: base_log_analyser [options] DIR\nOptions");
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&o.json), "print the result as JSON")(
      "dir", po::value(&o.dir), "directory holding the log files");
  desc.add_options()("format", po::value(&o.format)->default_value("auto"),
                     "where the level is: auto (detected per file), logcat, json, logfmt, glog, log4j, syslog, "
                     "bracket, apache, none, or regex:PATTERN with a group (?<level>...) (see README, Log formats)")(
      "pattern", po::value(&o.discover.pattern)->default_value("*.log"),
      "which files: a glob on the file name (* ? [set]), e.g. '*.log*' for rotated and .gz files")(
      "recursive", po::bool_switch(&o.discover.recursive), "also the files in subdirectories, at any depth")(
      "per-file", po::bool_switch(&o.per_file), "also print a table: file, format, lines, levels, unleveled");
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
  if (o.dir.empty()) {
    std::cerr << "error: missing DIR (see --help)" << std::endl;
    return 1;
  }
  return -1;
}

struct Run {
  dla::Counts total;
  std::vector<dla::FileRow> rows;  // readable files, in discovery order
  std::vector<std::string> errors;
  std::uint64_t bytes = 0;
};

Run scan_all(const std::vector<dla::FileInfo>& files, const dla::FormatSpec& spec) {
  Run run;
  for (const auto& f : files) {
    dla::ScanOptions so;
    so.expected_size = f.size;  // a file cut since discovery (copytruncate) is an error, not a short count
    so.format = spec;
    std::string used;
    so.format_used = &used;
    auto c = dla::scan_file(f.path, {}, so);
    if (!c) {
      std::cerr << "error: " << dla::printable(c.error()) << std::endl;
      run.errors.push_back(dla::escape_name(f.name));  // names as printed: one line, valid UTF-8 (JSON)
      continue;
    }
    run.total += *c;
    run.bytes += f.size;
    run.rows.push_back({dla::escape_name(f.name), used, *c});
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int rc = parse(argc, argv, o); rc >= 0) return rc;
  auto spec = dla::parse_format_spec(o.format);
  if (!spec) {
    std::cerr << "error: --format: " << dla::printable(spec.error()) << std::endl;
    return 1;
  }
  // Wall time is fine here: this is an app, not src/core, and not a simulated program.
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();  // CPU time: what the run needed, whatever share it got
  auto files = dla::discover_logs(o.dir, o.discover);
  if (!files) {
    std::cerr << "error: " << dla::printable(files.error()) << std::endl;
    return 1;
  }
  if (!o.json) std::cout << "Found " << files->size() << " log file(s) to analyse\n" << std::endl;
  const Run run = scan_all(*files, *spec);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    nlohmann::json j;
    j["files"] = files->size();
    j["counts"] = dla::counts_json(run.total);
    j["unleveled"] = run.total.unleveled();
    j["lines"] = run.total.lines;
    j["bytes"] = run.bytes;
    j["total_time_s"] = secs;
    j["cpu_s"] = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    j["unreadable_files"] = run.errors;
    if (o.per_file) j["per_file"] = dla::per_file_json(run.rows);
    std::cout << j.dump(2) << std::endl;
  } else {
    if (o.per_file) std::cout << dla::format_per_file(run.rows) << std::endl;
    std::vector<std::pair<std::string, std::string>> footer{{"Total time", dla::format_seconds(secs)}};
    if (!run.errors.empty()) footer.emplace_back("Unreadable files", std::to_string(run.errors.size()));
    std::cout << dla::format_results(run.total, footer) << std::flush;
  }
  return run.errors.empty() ? 0 : 2;
}
