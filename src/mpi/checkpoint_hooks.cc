#include "mpi/checkpoint_hooks.h"

#include "base/names.h"

#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"

namespace dla::mpi {
namespace po = boost::program_options;

namespace {

volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }  // async-signal-safe: only sets the flag

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a sleeping master wakes up at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

constexpr double kSimEpoch = 1767225600.0;  // 2026-01-01T00:00:00Z: simulated runs' time origin

const char* signal_name(int s) { return s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "signal"; }

}  // namespace

void add_checkpoint_options(po::options_description& desc, CheckpointCli* cli) {
  desc.add_options()("checkpoint-dir", po::value(&cli->cfg.dir)->default_value(cli->cfg.dir),
                     "directory holding one directory per checkpoint")(
      "checkpoint-every", po::value(&cli->cfg.every)->default_value(cli->cfg.every),
      "checkpoint after every N processed files (strong: the commit batch size)")(
      "checkpoint-interval", po::value(&cli->cfg.interval)->default_value(cli->cfg.interval),
      "also checkpoint every SEC seconds when files completed since the last one (0 = off)")(
      "keep", po::value(&cli->cfg.keep)->default_value(cli->cfg.keep), "checkpoints kept (older ones are deleted)")(
      "no-checkpoint", po::bool_switch(&cli->no_checkpoint), "neither resume from nor write checkpoints")(
      "fresh", po::bool_switch(&cli->fresh), "delete previous checkpoints and start over (alias --no-resume)")(
      "no-resume", po::bool_switch(&cli->no_resume), "same as --fresh")(
      "checkpoint-budget", po::value(&cli->cfg.budget)->default_value(cli->cfg.budget),
      "eventual: the background writer spends at most this fraction of the time writing (pauses between saves)")(
      "checkpoint-sync", po::bool_switch(&cli->sync),
      "eventual: write checkpoints in the master loop instead of a background thread (to measure)")(
      "checkpoint-files", po::value(&cli->files)->default_value(cli->files),
      "link: reflink or hard-link each processed file into the checkpoint (O(1); a later change of the input is "
      "detected and the file recounted) | snapshot: reflink or copy, so the checkpoint keeps what was counted")(
      "consistency", po::value(&cli->consistency)->default_value(cli->consistency),
      "eventual: counts applied as results arrive | strong: results applied (and checkpointed) per complete batch");
}

Status finish_checkpoint_options(CheckpointCli* cli) {
  if (!parse_consistency(cli->consistency, &cli->cfg.consistency))
    return Error{"--consistency must be eventual or strong, not '" + cli->consistency + "'"};
  if (cli->files == "link") cli->cfg.files = CheckpointFiles::kLink;
  else if (cli->files == "snapshot") cli->cfg.files = CheckpointFiles::kSnapshot;
  else return Error{"--checkpoint-files must be link or snapshot, not '" + escape_name(cli->files) + "'"};
  if (cli->cfg.every < 1) return Error{"--checkpoint-every must be >= 1"};
  if (!(cli->cfg.interval >= 0) || !std::isfinite(cli->cfg.interval)) return Error{"--checkpoint-interval must be a finite number >= 0"};
  if (cli->cfg.keep < 1) return Error{"--keep must be >= 1"};
  if (!(cli->cfg.budget > 0 && cli->cfg.budget <= 1)) return Error{"--checkpoint-budget must be in (0, 1]"};
  if (cli->cfg.dir.empty()) return Error{"--checkpoint-dir must not be empty"};
  cli->cfg.enabled = !cli->no_checkpoint;
  cli->cfg.fresh = cli->fresh || cli->no_resume;
  cli->cfg.async = !cli->sync;  // (CheckpointHooks turns it off under SMPI)
  return OkStatus();
}

CheckpointHooks::CheckpointHooks(CheckpointConfig cfg, int rank) : cfg_(std::move(cfg)), rank_(rank) {}
CheckpointHooks::~CheckpointHooks() = default;

std::string CheckpointHooks::timestamp() const {
  if (sim::simulated()) return iso8601_utc(kSimEpoch + wtime());
  return iso8601_utc(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void CheckpointHooks::print(const DriverOutput& o) const {
  for (const auto& l : o.err) std::cerr << l << std::endl;
  for (const auto& l : o.out) {
    // Per-checkpoint and per-commit progress lines are chatter (--quiet hides them); the resume
    // lines ("Loading checkpoint...", "Resuming from checkpoint...") always show.
    const bool chatter = l.rfind("[Master]", 0) == 0;
    if (chatter && quiet_) continue;
    if (to_stderr_) {
      std::cerr << l << std::endl;
    } else {
      std::fputs((l + "\n").c_str(), stdout);
      std::fflush(stdout);
    }
  }
}

void CheckpointHooks::install(DistributedOptions* opt) {
  to_stderr_ = opt->json;
  quiet_ = opt->quiet;
  if (rank_ == 0 && !sim::simulated()) install_signal_handlers();
  if (sim::simulated()) cfg_.async = false;  // a thread's timing would make simulated runs differ
  const std::string dir = opt->dir;
  auto ts = [this] { return timestamp(); };

  opt->checkpoint_dir = cfg_.dir;
  opt->on_start = [this, dir](const std::vector<FileInfo>& files, SchedulerOptions& so) -> Status {
    // Test hook: DLA_TEST_LOAD_DELAY=SEC makes the checkpoint load SEC seconds slower (a slow
    // disk or many checkpoints), to show that the workers wait for it.
    if (const char* d = std::getenv("DLA_TEST_LOAD_DELAY")) sleep_seconds(std::atof(d));
    driver_ = std::make_unique<CheckpointDriver>(cfg_, dir, files);
    DriverOutput o;
    auto st = driver_->start(&o);
    print(o);
    if (!st) return st;
    so.files_done = driver_->files_done();
    so.base_counts = driver_->base_counts();
    return OkStatus();
  };
  opt->wrap_policy = [this](std::unique_ptr<SchedulingPolicy> inner) {
    return driver_ ? driver_->wrap_policy(std::move(inner)) : std::move(inner);
  };
  opt->on_poll = [this, ts](const Scheduler& s, double now) -> bool {
    if (!driver_) return false;
    driver_->attach(&s);
    DriverOutput o;
    driver_->poll(now, ts, &o);
    if (g_signal && !interrupted_) {
      interrupted_ = true;
      driver_->finish(now, ts, /*interrupted=*/true, &o);
      const int done = driver_->files_in_last_checkpoint();
      std::string msg = std::string("interrupted by ") + signal_name(static_cast<int>(g_signal)) + ": ";
      if (!cfg_.enabled) msg += "checkpointing is off (--no-checkpoint), progress is lost";
      else if (done >= 0) msg += "progress saved in " + cfg_.dir + " (" + std::to_string(done) + " files); run the same command again to resume";
      else msg += "no checkpoint written yet (nothing complete)";
      o.err.push_back("error: " + msg);
      print(o);
      return true;
    }
    print(o);
    return false;
  };
  opt->checkpoints_saved = [this] { return driver_ ? driver_->saved() : 0; };
  // Failover: the master's term fences the checkpoint directory (checkpoint.h); a standby that takes
  // over also takes over SIGINT/SIGTERM (tools/dla-mpirun signals the current master).
  opt->on_term = [this](long long term, bool takeover) {
    cfg_.term = term;
    cfg_.takeover = takeover;
    if (takeover && !sim::simulated()) install_signal_handlers();
  };
  opt->fenced = [this] { return driver_ && driver_->fenced(); };
  opt->visible_counts = [this](const Scheduler& s) { return driver_ ? driver_->visible() : s.totals(); };
  opt->at_end = [this, ts](const Scheduler& s, const std::vector<FileInfo>&) {
    std::vector<std::pair<std::string, std::string>> extra;
    // Test hook: DLA_TEST_END_DELAY=SEC holds the master SEC seconds after its last STOP, before its
    // result (failover_mpi.sh kills it there: the standbys linger until DONE, tags.h).
    if (const char* d = std::getenv("DLA_TEST_END_DELAY")) sleep_seconds(std::atof(d));
    if (!driver_) return extra;
    driver_->attach(&s);
    if (!interrupted_) {
      DriverOutput o;
      driver_->finish(wtime(), ts, false, &o);
      print(o);
    }
    std::string saved = cfg_.enabled ? std::to_string(driver_->saved()) : "0 (--no-checkpoint)";
    if (driver_->coalesced())
      saved += " (+" + std::to_string(driver_->coalesced()) + " requested while the writer was busy: folded into later saves)";
    extra.emplace_back("Checkpoints saved", saved);
    if (driver_->resumed()) extra.emplace_back("Resumed with", std::to_string(driver_->already_processed()) + " files from a checkpoint");
    std::string model = to_string(cfg_.consistency);
    if (cfg_.consistency == Consistency::Strong) model += " (" + std::to_string(driver_->commits()) + " commits)";
    extra.emplace_back("Consistency", model);
    return extra;
  };
}

}  // namespace dla::mpi
