// Stage 2 worker (ranks 1..n-1): says HELLO, then asks the master for tasks and scans them,
// heartbeating between chunks, until told STOP or the master falls silent (--master-timeout).
// Protocol and failure model: src/mpi/distributed.h.
#pragma once
#include <vector>

#include "mpi/distributed.h"

namespace dla::mpi {

// Returns the worker's exit status (0).
int run_worker(int rank, const DistributedOptions& opt, std::vector<FileInfo> files, double t0);

}  // namespace dla::mpi
