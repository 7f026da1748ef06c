// dla:uses-mpi
// distributed_log_analyser DIR (Stage 2): fault-tolerant master/worker with a dynamic task queue,
// heartbeats, failure detection and reassignment. Rank 0 is the master.
//   tools/dla-mpirun -np 4 build/distributed_log_analyser sample_logs
//   tools/dla-mpirun -np 4 build/distributed_log_analyser --inject-crash 2@5 sample_logs
//   smpirun -platform platforms/cluster8.xml -hostfile platforms/cluster8.hosts -np 8
//       build/distributed_log_analyser_smpi sample_logs      (see tools/dla-mpirun --help)
// Last stdout line: RESULT OK|INCOMPLETE|ERROR ... ; exit 0 ok, 1 bad input, 3 incomplete.
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

#include "base/names.h"
#include "mpi/checkpoint_hooks.h"
#include "mpi/dash_hooks.h"
#include "mpi/distributed.h"
#include "mpi/follow.h"
#include "mpi/sim_hooks.h"

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

// The master's failure: who replaces it (src/mpi/election.h), when the workers give up.
void add_failover_options(po::options_description& desc, dla::mpi::DistributedOptions* opt) {
  desc.add_options()("master-timeout", po::value(&opt->master_timeout)->default_value(opt->master_timeout),
                     "a worker leaves when the master is silent this long and no new master announced itself (seconds)")(
      "standbys", po::value(&opt->standbys)->default_value(-1),
      "backup masters: ranks 1..K also watch the master and elect a new one (Bully, lowest rank) when it is silent "
      "longer than --timeout (-1 = 1 with >= 3 ranks, else 0; 0 = none: a dead master ends the run)");
}

// --inject-crash and --inject-slow values; throws on a bad one (reported as bad input).
void parse_fault_specs(const std::vector<std::string>& crashes, const std::vector<std::string>& slow,
                       dla::mpi::DistributedOptions* opt) {
  for (const auto& c : crashes) {
    auto r = dla::mpi::parse_crash_spec(c);
    if (!r) throw std::runtime_error(r.error());
    opt->crashes.push_back(*r);
  }
  for (const auto& c : slow) {
    auto r = dla::mpi::parse_slow_spec(c);
    if (!r) throw std::runtime_error(r.error());
    opt->slow.push_back(*r);
  }
}

// --follow DIR (issue 13, mpi/follow.h): live counts of growing logs until a signal or --follow-for.
void add_follow_options(po::options_description& desc, dla::mpi::FollowOptions* f) {
  desc.add_options()("follow", po::value(&f->dir), "follow the growing logs of DIR live (like tail -f) until SIGINT/SIGTERM")(
      "follow-for", po::value(&f->follow_for)->default_value(0), "--follow: stop after SEC seconds (0 = at a signal)")(
      "report-interval", po::value(&f->report_interval)->default_value(f->report_interval), "--follow: a live line every SEC")(
      "scan-interval", po::value(&f->scan_interval)->default_value(f->scan_interval), "--follow: list the directory every SEC")(
      "follow-poll", po::value(&f->poll)->default_value(f->poll), "--follow: workers poll their files every SEC")(
      "rotate-wait", po::value(&f->rotate_wait)->default_value(f->rotate_wait),
      "--follow: a file renamed away or deleted is still read for SEC")(
      "sim-growth", po::value(&f->sim_growth), "--follow under SimGrid SMPI only (dla-scenario): the growth script FILE (scan/growth.h) "
      "the master carries out at its simulated times")(
      "sim-growth-seed", po::value(&f->sim_growth_seed)->default_value(1), "--sim-growth: seed of the generated lines");
}

// Completes the follow options from the shared ones; an error names the bad value.
dla::Status finish_follow(dla::mpi::FollowOptions* f, const dla::mpi::DistributedOptions& o, const dla::mpi::CheckpointCli& c,
                          int size) {
  f->pattern = o.discover.pattern;
  f->format = o.format.empty() ? "auto" : o.format;
  f->timeout = o.timeout;
  f->heartbeat = o.heartbeat;
  f->master_timeout = o.master_timeout;
  f->json = o.json;
  f->quiet = o.quiet;
  f->checkpoint = c.cfg.enabled;
  f->checkpoint_dir = c.cfg.dir;
  f->checkpoint_interval = c.cfg.interval > 0 ? c.cfg.interval : 1.0;
  f->keep = c.cfg.keep;
  f->fresh = c.cfg.fresh;
  if (size < 2) return dla::Error{"--follow needs at least 2 ranks (a master and a worker)"};
  for (double v : {f->report_interval, f->scan_interval, f->poll, f->timeout, f->heartbeat})
    if (!(v > 0) || !std::isfinite(v)) return dla::Error{"--follow: intervals and timeouts must be positive numbers"};
  if (!(f->follow_for >= 0) || !(f->rotate_wait >= 0)) return dla::Error{"--follow-for and --rotate-wait must be >= 0"};
  if (!o.dir.empty()) return dla::Error{"--follow DIR takes no other DIR"};
  if (!f->sim_growth.empty() && !dla::sim::simulated())
    return dla::Error{"--sim-growth is for simulated runs only (distributed_log_analyser_smpi under smpirun): it writes into DIR"};
  return dla::OkStatus();
}

// --store ROOT: no DIR, no follow; no standbys (a standby master would need the manifest and the
// coordinator's state: not yet) and no checkpoints (not yet: a store run is re-run from the store);
// policy locality unless another is asked for. An option that would be silently ignored is an
// error: the files are the manifest's (--pattern, --recursive: chosen at ingest), the tasks its
// blocks (--split-bytes: the block size, chosen at ingest), and the checkpoint and follow options
// have nothing to act on (--no-checkpoint is accepted: a store run writes none anyway).
// "" when all is well, else the error line.
std::string check_store_options(const po::variables_map& vm, dla::mpi::DistributedOptions* opt) {
  if (vm.count("follow")) return "--store and --follow cannot be used together";
  if (!opt->dir.empty()) return "--store ROOT takes no DIR (the store knows its files)";
  if (!vm["standbys"].defaulted()) return "--standbys is not available with --store yet (use the default: 0 with --store)";
  if (!vm["checkpoint-dir"].defaulted()) return "--checkpoint-dir is not available with --store yet";
  const std::pair<const char*, const char*> ignored[] = {
      {"pattern", "the files are the store's (choose them at ingest: dla_store ingest --pattern)"},
      {"recursive", "the files are the store's (chosen at ingest)"},
      {"split-bytes", "the tasks are the store's blocks (their size is chosen at ingest: dla_store ingest --block-size)"},
      {"checkpoint-every", "a store run writes no checkpoints"},
      {"checkpoint-interval", "a store run writes no checkpoints"},
      {"checkpoint-budget", "a store run writes no checkpoints"},
      {"checkpoint-sync", "a store run writes no checkpoints"},
      {"checkpoint-files", "a store run writes no checkpoints"},
      {"consistency", "a store run writes no checkpoints"},
      {"keep", "a store run writes no checkpoints"},
      {"fresh", "a store run resumes no checkpoint"},
      {"no-resume", "a store run resumes no checkpoint"},
      {"follow-for", "it is for --follow"},
      {"report-interval", "it is for --follow"},
      {"scan-interval", "it is for --follow"},
      {"follow-poll", "it is for --follow"},
      {"rotate-wait", "it is for --follow"},
      {"sim-growth", "it is for --follow"},
      {"sim-growth-seed", "it is for --follow"},
  };
  for (const auto& [name, why] : ignored)
    if (vm.count(name) && !vm[name].defaulted()) return std::string("--") + name + " does not apply to --store: " + why;
  opt->standbys = 0;
  if (vm["policy"].defaulted()) opt->policy = "locality";
  return "";
}

void add_store_options(po::options_description& desc, dla::mpi::DistributedOptions* opt) {
  desc.add_options()("store", po::value(&opt->store_root),
                     "analyse the replicated store at ROOT (made by dla_store ingest) instead of a DIR; policy locality by default")(
      "locality-wait", po::value(&opt->locality_wait)->default_value(opt->locality_wait),
      "--store, policy locality: seconds a worker waits for a block it holds before reading one remotely");
}

// The dashboard, and what --follow and --store do not combine with. "" or the error line.
std::string check_modes(const po::variables_map& vm, dla::mpi::DistributedOptions* opt, const dla::mpi::DashCli& dash) {
  auto dst = dla::mpi::finish_dash_options(dash);
  if (!dst) return dst.error();
  if (vm.count("follow") && !dash.listen.empty()) return "--dashboard is not available with --follow yet";
  if (vm.count("follow") && !vm["standbys"].defaulted())
    return "--standbys is not available with --follow yet (a follow run's master is not replicated)";
  return vm.count("store") ? check_store_options(vm, opt) : "";
}

// Validates the options of the mode asked for; "" when all is well, else the error line.
std::string check_options(bool following, dla::mpi::DistributedOptions* opt, dla::mpi::CheckpointCli* ckpt,
                          dla::mpi::FollowOptions* follow, int size) {
  if (following) {
    auto cst = dla::mpi::finish_checkpoint_options(ckpt);
    auto st = cst ? finish_follow(follow, *opt, *ckpt, size) : cst;
    return st ? "" : st.error();
  }
  auto st = dla::mpi::validate(*opt, size);
  if (!st) return st.error();
  auto cst = dla::mpi::finish_checkpoint_options(ckpt);
  return cst ? "" : cst.error();
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
  add_store_options(desc, &opt);
  add_failover_options(desc, &opt);
  dla::mpi::FollowOptions follow;
  add_follow_options(desc, &follow);
  desc.add_options()("version", "print the version (git describe at build time) and exit");
  dla::mpi::CheckpointCli ckpt;
  dla::mpi::add_checkpoint_options(desc, &ckpt);
  dla::mpi::DashCli dash;
  dla::mpi::add_dash_options(desc, &dash);
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  std::string bad;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    parse_fault_specs(crashes, slow, &opt);
    if (!vm.count("help")) {
      bad = check_options(vm.count("follow") > 0, &opt, &ckpt, &follow, session.size());
      if (bad.empty()) bad = check_modes(vm, &opt, dash);
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
  if (vm.count("follow")) return dla::mpi::run_follow(session, follow);
  ckpt.cfg.log_format = opt.format.empty() ? "auto" : opt.format;
  dla::mpi::CheckpointHooks hooks(ckpt.cfg, session.rank());
  if (opt.store_root.empty()) hooks.install(&opt);  // (--store: no checkpoints, see check_store_options)
  dla::mpi::DashHooks dash_hooks(dash, session.rank());  // after the checkpoint hooks: chains onto them
  dash_hooks.install(&opt);
  return dla::mpi::run_distributed(session, opt);
}
