// The live dashboard and the terminal progress line of distributed_log_analyser (issue 15), plugged
// into the master through DistributedOptions' hooks (chained after whatever is installed before,
// e.g. the checkpoint hooks): on_start starts the HTTP server (src/dash/server.h: its own threads,
// never MPI), on_poll publishes a snapshot built from the Scheduler (src/dash/observer.h) at most
// every kPublishEvery seconds and prints the progress line, at_end publishes the final snapshot.
// Real MPI only: under SMPI time is simulated (watch a simulated run with `dla-scenario dashboard
// TRACE`), so --dashboard is refused there.
#pragma once
#include <boost/program_options/options_description.hpp>
#include <memory>
#include <string>

#include "base/status.h"
#include "mpi/distributed.h"

namespace dla::mpi {

struct DashCli {
  std::string listen;   // --dashboard [ADDR:]PORT; empty: off
  bool progress = false, no_progress = false;
};

// --dashboard, --progress, --no-progress
void add_dash_options(boost::program_options::options_description& desc, DashCli* cli);
// Checks the values (every rank, same answer). Error: one line naming the bad option.
Status finish_dash_options(const DashCli& cli);

class DashHooks {
 public:
  DashHooks(DashCli cli, int rank);
  ~DashHooks();  // stops the server (after the final snapshot was published)
  // Chains onto opt->on_start, on_poll and at_end (master only; nothing when neither the
  // dashboard nor the progress line is on).
  void install(DistributedOptions* opt);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dla::mpi
