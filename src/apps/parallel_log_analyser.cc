// dla:uses-mpi
// parallel_log_analyser DIR (Stage 1): static byte-balanced partition over all ranks.
//   mpirun -np 4 ./parallel_log_analyser sample_logs
//   smpirun -platform platforms/cluster8.xml -hostfile platforms/cluster8.hosts -np 8 ./parallel_log_analyser_smpi sample_logs
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

#include "base/names.h"
#include "mpi/parallel.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  if (dla::mpi::answer_version(argc, argv, "parallel_log_analyser")) return 0;  // before MPI_Init
  dla::mpi::Session session(&argc, &argv, dla::mpi::startup_timeout_arg(argc, argv));
  double startup_timeout = dla::mpi::kDefaultStartupTimeout;
  dla::mpi::ParallelOptions opt;
  std::string format = "auto";
  po::options_description desc("Usage: parallel_log_analyser [options] DIR\nOptions");
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&opt.json), "print the result as JSON")(
      "verbose,v", po::bool_switch(&opt.verbose), "print each rank's share")(
      "baseline-seconds", po::value(&opt.baseline_seconds), "sequential time to report speedup against")(
      "baseline", po::bool_switch(&opt.measure_baseline),
      "also time a sequential pass over the same files on rank 0 (after the parallel one) and report the speedup against it")(
      "flops-per-byte", po::value(&opt.flops_per_byte)->default_value(1.0),
      "simulation only: modelled scan cost per byte")(
      "partition", po::value(&opt.partition)->default_value(opt.partition),
      "static plan: lpt (largest files first to the least loaded rank, by bytes) or roundrobin (file i to rank i % np)")(
      "startup-timeout", po::value(&startup_timeout)->default_value(startup_timeout),
      "a rank whose start-up (MPI_Init, the plan) takes longer than this many seconds exits with status 5")(
      "format", po::value(&format)->default_value(format),
      "where the level is: auto (detected per file), bracket, log4j, logcat, apache, json, syslog, none, or "
      "regex:PATTERN with a group (?<level>...) (see README, Log formats)")(
      "pattern", po::value(&opt.discover.pattern)->default_value("*.log"), "which file names to analyse (a glob)")(
      "recursive", po::bool_switch(&opt.discover.recursive), "also the files in subdirectories, at any depth")(
      "dir", po::value(&opt.dir), "directory holding *.log files");
  desc.add_options()("version", "print the version (git describe at build time) and exit");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  std::string bad;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    if (!vm.count("help") && opt.dir.empty()) bad = "missing DIR";
    else if (opt.partition != "lpt" && opt.partition != "roundrobin")
      bad = "--partition must be lpt or roundrobin, not " + opt.partition;
    else if (!std::isfinite(opt.baseline_seconds) || opt.baseline_seconds < 0)
      bad = "--baseline-seconds must be a finite number of seconds >= 0";
    else if (!std::isfinite(opt.flops_per_byte) || !(opt.flops_per_byte > 0))
      bad = "--flops-per-byte must be a finite number > 0";
    else if (!std::isfinite(startup_timeout) || !(startup_timeout > 0))
      bad = "--startup-timeout must be a finite number of seconds > 0";
    else if (auto spec = dla::parse_format_spec(format); !spec)
      bad = "--format: " + spec.error();
    else
      opt.format = *spec;
  } catch (const std::exception& e) {
    bad = e.what();
  }
  if (!bad.empty() || vm.count("help")) {
    if (session.rank() == 0) {
      if (bad.empty()) std::cout << desc << std::endl;
      else std::cerr << "error: " << dla::printable(bad) << " (see --help)" << std::endl;
    }
    session.startup_done();
    return bad.empty() ? 0 : 1;
  }
  return dla::mpi::run_parallel(session, opt);
}
