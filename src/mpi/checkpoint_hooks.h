// Checkpointing for the distributed analyser: command-line options, and the glue that plugs
// core/checkpoint_driver.h into the master through DistributedOptions' hooks. Also the master's
// SIGINT/SIGTERM handling (real MPI only): the handler only sets a flag; the master loop sees it,
// writes a last checkpoint, ends the workers and exits 3 with "RESULT INCOMPLETE interrupted ...".
//
// Timestamps in checkpoint.json: wall-clock UTC on real MPI; under SMPI a fixed epoch
// (2026-01-01T00:00:00) plus the simulated time, so simulated runs stay byte-for-byte reproducible.
#pragma once
#include <boost/program_options/options_description.hpp>
#include <memory>
#include <string>

#include "ckpt/checkpoint_driver.h"
#include "mpi/distributed.h"

namespace dla::mpi {

struct CheckpointCli {
  CheckpointConfig cfg;
  std::string consistency = "eventual";
  std::string files = "link";
  bool no_checkpoint = false;
  bool fresh = false;
  bool no_resume = false;
  bool sync = false;       // --checkpoint-sync: eventual checkpoints written by the master itself  // alias of fresh (own variable: two bool_switches on one bool overwrite each other)
};

// --checkpoint-dir --checkpoint-every --checkpoint-interval --keep --no-checkpoint --fresh
// (alias --no-resume) --consistency
void add_checkpoint_options(boost::program_options::options_description& desc, CheckpointCli* cli);
// Validates the values and completes cli->cfg. Error: one line naming the bad option.
Status finish_checkpoint_options(CheckpointCli* cli);

class CheckpointHooks {
 public:
  CheckpointHooks(CheckpointConfig cfg, int rank);
  ~CheckpointHooks();
  // Fills opt->on_start, wrap_policy, on_poll, visible_counts and at_end.
  void install(DistributedOptions* opt);

 private:
  void print(const DriverOutput& o) const;
  std::string timestamp() const;

  CheckpointConfig cfg_;
  int rank_;
  bool to_stderr_ = false;  // --json: stdout is reserved for the JSON document
  bool quiet_ = false;
  bool interrupted_ = false;
  std::unique_ptr<CheckpointDriver> driver_;
};

}  // namespace dla::mpi
