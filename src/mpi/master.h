// Stage 2 master (rank 0): hands out tasks, detects failed workers, reassigns their tasks, works
// itself when every worker is gone, ends the workers and prints the result and the RESULT line.
// Decisions come from sched/scheduler.h; this file only moves messages and prints.
// Protocol and failure model: src/mpi/distributed.h.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mpi/distributed.h"
#include "mpi/election.h"

namespace dla::mpi {

// Builds the scheduler and runs on_start (checkpoint load) first, then sends every worker the
// PLAN (the run's options, never the file list) and calls s.startup_done(). Returns the process
// exit status: 0 OK, 1 bad input (on_start failed; the workers get an error plan), 3
// incomplete/interrupted.
int run_master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files);
// --store: the same run over the store's blocks (analysis_reader.h's MasterStore: the manifest
// opened by rank 0); files = the manifest's files.
struct MasterStore;
int run_master_store(const Session& s, const DistributedOptions& opt, std::unique_ptr<MasterStore> store);
// A standby that won an election (election.h) takes the run over: claims the checkpoint directory
// for its term, rebuilds the scheduler from the tasks and the newest checkpoint, announces itself
// (COORDINATOR), takes every worker's REJOIN and finishes the run. Returns as run_master, or 0
// when it steps down (a newer master exists).
int run_master_takeover(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files, TakeoverInfo info);

}  // namespace dla::mpi
