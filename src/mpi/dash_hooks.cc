#include "mpi/dash_hooks.h"

#include <mpi.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "base/names.h"
#include "dash/observer.h"
#include "dash/progress.h"
#include "dash/server.h"
#include "mpi/sim_hooks.h"

namespace dla::mpi {
namespace po = boost::program_options;

namespace {
// Seconds between two snapshots: the page updates at least twice a second, and the master spends
// one observe() (O(tasks) for the byte totals) per period, never per message.
constexpr double kPublishEvery = 0.25;
}  // namespace

void add_dash_options(po::options_description& desc, DashCli* cli) {
  desc.add_options()("dashboard", po::value(&cli->listen),
                     "[ADDR:]PORT: serve a live dashboard of the run (page, /api/state, /api/stream, /metrics) on "
                     "ADDR (default 127.0.0.1); real MPI only")(
      "progress", po::bool_switch(&cli->progress), "print a progress line on stderr even when it is not a terminal")(
      "no-progress", po::bool_switch(&cli->no_progress), "never print the progress line");
}

Status finish_dash_options(const DashCli& cli) {
  if (cli.progress && cli.no_progress) return Error{"--progress and --no-progress: choose one"};
  if (cli.listen.empty()) return OkStatus();
  if (sim::simulated())
    return Error{"--dashboard needs real MPI (time is simulated here): watch a simulated run with `dla-scenario dashboard TRACE`"};
  auto r = dash::parse_listen(cli.listen);
  if (!r) return r.err();
  return OkStatus();
}

struct DashHooks::Impl {
  DashCli cli;
  int rank = 0;
  bool progress = false;
  double heartbeat = 0.5;
  std::unique_ptr<dash::SchedulerObserver> observer;
  dash::SnapshotBox box;
  std::unique_ptr<dash::Server> server;
  dash::ProgressPrinter printer;
  double last_publish = -1e300;
  bool interrupted = false;
  std::function<int()> checkpoints;

  Status start(const std::vector<FileInfo>& files);
  void publish(const Scheduler& s, double now, bool finished, bool interrupted);
};

Status DashHooks::Impl::start(const std::vector<FileInfo>& files) {
  dash::ObserverOptions o;
  o.heartbeat = heartbeat;
  for (const auto& f : files) {
    o.file_names.push_back(escape_name(f.name));
    o.file_sizes.push_back(f.size);
  }
  observer = std::make_unique<dash::SchedulerObserver>(std::move(o));
  if (cli.listen.empty()) return OkStatus();
  auto so = dash::parse_listen(cli.listen);
  if (!so) return so.err();
  server = std::make_unique<dash::Server>(&box, *so);
  if (auto st = server->start(); !st) return Error{"--dashboard: " + st.error()};
  std::cerr << "dashboard: " << server->url() << " (also /api/state, /api/stream, /metrics)" << std::endl;
  return OkStatus();
}

void DashHooks::Impl::publish(const Scheduler& s, double now, bool finished, bool interrupted) {
  if (!observer) return;
  const int saved = checkpoints ? checkpoints() : 0;
  auto snap = std::make_shared<const dash::DashState>(observer->observe(s, now, saved, finished, interrupted));
  if (progress) {
    const std::string text = finished || interrupted ? printer.finish() : printer.update(*snap, now);
    if (!text.empty()) {
      std::fputs(text.c_str(), stderr);
      std::fflush(stderr);
    }
  }
  box.publish(std::move(snap));
  last_publish = now;
}

DashHooks::DashHooks(DashCli cli, int rank) : impl_(std::make_unique<Impl>()) {
  impl_->cli = std::move(cli);
  impl_->rank = rank;
  // Automatic on a terminal, on real MPI only (a simulation's time is not the user's).
  impl_->progress = !impl_->cli.no_progress && (impl_->cli.progress || (::isatty(2) == 1 && !sim::simulated()));
}

DashHooks::~DashHooks() {
  if (impl_->server) impl_->server->stop();
}

void DashHooks::install(DistributedOptions* opt) {
  Impl* m = impl_.get();
  if (m->rank != 0 || (m->cli.listen.empty() && !m->progress)) return;
  m->heartbeat = opt->heartbeat;
  m->checkpoints = opt->checkpoints_saved;
  auto prev_start = opt->on_start;
  opt->on_start = [m, prev_start](const std::vector<FileInfo>& files, SchedulerOptions& so) -> Status {
    if (prev_start)
      if (auto st = prev_start(files, so); !st) return st;
    return m->start(files);
  };
  auto prev_poll = opt->on_poll;
  opt->on_poll = [m, prev_poll](const Scheduler& s, double now) {
    const bool stop = prev_poll && prev_poll(s, now);
    m->interrupted = m->interrupted || stop;
    if (stop || now - m->last_publish >= kPublishEvery) m->publish(s, now, false, stop);
    return stop;
  };
  auto prev_end = opt->at_end;
  opt->at_end = [m, prev_end](const Scheduler& s, const std::vector<FileInfo>& files) {
    std::vector<std::pair<std::string, std::string>> extra;
    if (prev_end) extra = prev_end(s, files);
    m->publish(s, MPI_Wtime(), /*finished=*/!m->interrupted, m->interrupted);
    m->box.close();
    return extra;
  };
}

}  // namespace dla::mpi
