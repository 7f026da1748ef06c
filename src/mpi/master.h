// Stage 2 master (rank 0): hands out tasks, detects failed workers, reassigns their tasks, works
// itself when every worker is gone, ends the workers and prints the result and the RESULT line.
// Decisions come from sched/scheduler.h; this file only moves messages and prints.
// Protocol and failure model: src/mpi/distributed.h.
#pragma once
#include <vector>

#include "mpi/distributed.h"

namespace dla::mpi {

// Returns the process exit status: 0 OK, 1 bad input (on_start failed), 3 incomplete/interrupted.
int run_master(int size, const DistributedOptions& opt, std::vector<FileInfo> files, double t0);

}  // namespace dla::mpi
