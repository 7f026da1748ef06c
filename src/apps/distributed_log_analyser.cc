// dla:uses-mpi
// distributed_log_analyser DIR (Stage 2): fault-tolerant master/worker with a dynamic task queue,
// heartbeats, failure detection and reassignment. Rank 0 is the master.
//   tools/dla-mpirun -np 4 build/distributed_log_analyser sample_logs
//   tools/dla-mpirun -np 4 build/distributed_log_analyser --inject-crash 2@5 sample_logs
//   smpirun -platform platforms/cluster8.xml -hostfile platforms/cluster8.hosts -np 8
//       build/distributed_log_analyser_smpi sample_logs      (see tools/dla-mpirun --help)
// Last stdout line: RESULT OK|INCOMPLETE|ERROR ... ; exit 0 ok, 1 bad input, 3 incomplete.
#include <boost/program_options.hpp>
#include <iostream>

#include "base/names.h"
#include "mpi/checkpoint_hooks.h"
#include "mpi/distributed.h"

namespace po = boost::program_options;

// Which files, and where their levels are (scan/formats.h, scan/discovery.h).
void add_input_options(po::options_description& desc, dla::mpi::DistributedOptions* opt) {
  desc.add_options()("format", po::value(&opt->format)->default_value("auto"),
                     "where the level is: auto (detected per file), bracket, log4j, logcat, apache, json, logfmt, "
                     "glog, syslog, none, or regex:PATTERN with a group (?<level>...) (see README, Log formats)")(
      "pattern", po::value(&opt->discover.pattern)->default_value("*.log"),
      "which files: a glob on the file name, e.g. '*.log*' for rotated and .gz files")(
      "recursive", po::bool_switch(&opt->discover.recursive), "also the files in subdirectories, at any depth")(
      "per-file", po::bool_switch(&opt->per_file),
      "also print a table of the files counted in this run: file, format, lines, levels, unleveled");
}

int main(int argc, char** argv) {
  if (dla::mpi::answer_version(argc, argv, "distributed_log_analyser")) return 0;  // before MPI_Init
  dla::mpi::DistributedOptions opt;
  opt.startup_timeout = dla::mpi::startup_timeout_arg(argc, argv);
  dla::mpi::Session session(&argc, &argv, opt.startup_timeout);
  std::vector<std::string> crashes, slow;
  po::options_description desc("Usage: distributed_log_analyser [options] DIR\nOptions");
  desc.add_options()("help,h", "show this help")(
      "policy", po::value(&opt.policy)->default_value(opt.policy),
      "static (Stage-1 LPT plan) | dynamic (on-demand FIFO) | lpt (largest first, rate-aware) | guided (big tasks cut "
      "smaller as the run ends) | steal (prefetch deques, master-brokered steals)")(
      "speculate", po::bool_switch(&opt.speculate), "backup copies of long-running tasks on idle workers; the first result wins")(
      "detector", po::value(&opt.detector)->default_value(opt.detector),
      "failure detector: fixed (silent > --timeout) | phi (phi-accrual on heartbeat gaps, capped at --timeout)")(
      "phi-threshold", po::value(&opt.phi_threshold)->default_value(opt.phi_threshold),
      "phi detector: suspicion level that declares a worker failed (8: one chance in 10^8 for normal gaps)")(
      "timeout", po::value(&opt.timeout)->default_value(opt.timeout), "seconds without any message before a worker is declared failed")(
      "heartbeat", po::value(&opt.heartbeat)->default_value(opt.heartbeat), "worker heartbeat interval while scanning (seconds)")(
      "master-timeout", po::value(&opt.master_timeout)->default_value(opt.master_timeout),
      "a worker leaves when the master is silent this long (seconds)")(
      "poll", po::value(&opt.poll)->default_value(opt.poll), "idle polling interval of the master and of waiting workers (seconds)")(
      "split-bytes", po::value(&opt.split_bytes)->default_value(0),
      "cut files larger than N bytes into ranges (0 = whole files; at most 100,000 ranges in all)")(
      "startup-timeout", po::value(&opt.startup_timeout)->default_value(opt.startup_timeout),
      "a rank whose start-up (MPI_Init, the plan) takes longer than this many seconds exits with status 5")(
      "inject-crash", po::value(&crashes)->composing(), "RANK@SEC[:kill|hang|exit] (repeatable): the worker crashes at SEC since start")(
      "inject-slow", po::value(&slow)->composing(), "RANK@FACTOR (repeatable): the worker scans FACTOR times slower")(
      "throttle", po::value(&opt.throttle)->default_value(0), "every worker scans at most BYTES_PER_SEC (0 = unlimited)")(
      "trace", po::value(&opt.trace_file), "write the event trace (core/trace.h format) to FILE")(
      "flops-per-byte", po::value(&opt.flops_per_byte)->default_value(1.0), "simulation only: modelled scan cost per byte")(
      "quiet,q", po::bool_switch(&opt.quiet), "no per-file lines")(
      "json", po::bool_switch(&opt.json), "final result as JSON (stdout still ends with the RESULT line)")(
      "announce-start", po::bool_switch(&opt.announce_start), "print 'dla: run clock started' on stderr at time 0 of the run")(
      "dir", po::value(&opt.dir), "directory holding *.log files");
  add_input_options(desc, &opt);
  desc.add_options()("version", "print the version (git describe at build time) and exit");
  dla::mpi::CheckpointCli ckpt;
  dla::mpi::add_checkpoint_options(desc, &ckpt);
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  std::string bad;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    for (const auto& c : crashes) {
      auto r = dla::mpi::parse_crash_spec(c);
      if (!r) throw std::runtime_error(r.error());
      opt.crashes.push_back(*r);
    }
    for (const auto& c : slow) {
      auto r = dla::mpi::parse_slow_spec(c);
      if (!r) throw std::runtime_error(r.error());
      opt.slow.push_back(*r);
    }
    if (!vm.count("help")) {
      auto st = dla::mpi::validate(opt, session.size());
      if (!st) bad = st.error();
      auto cst = dla::mpi::finish_checkpoint_options(&ckpt);
      if (bad.empty() && !cst) bad = cst.error();
    }
  } catch (const std::exception& e) {
    bad = e.what();
  }
  if (!bad.empty() || vm.count("help")) {
    if (session.rank() == 0) {
      if (bad.empty()) {
        std::cout << desc << std::endl;
      } else {
        bad = dla::escape_name(bad);
        std::cerr << "error: " << bad << " (see --help)" << std::endl;
        std::cout << "RESULT ERROR " << bad << std::endl;
      }
    }
    session.startup_done();
    return bad.empty() ? 0 : 1;
  }
  ckpt.cfg.log_format = opt.format.empty() ? "auto" : opt.format;
  dla::mpi::CheckpointHooks hooks(ckpt.cfg, session.rank());
  hooks.install(&opt);
  return dla::mpi::run_distributed(session, opt);
}
