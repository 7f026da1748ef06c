// Stage 2 worker (ranks 1..n-1): says HELLO, then asks the master for tasks, keeps the ones it is
// given in a local queue and scans them in order, heartbeating between chunks and reporting results
// in batches, until told STOP or the master falls silent (--master-timeout). It knows only the
// tasks it was given (path, range, expected size), never the whole file list.
// Protocol and failure model: src/mpi/distributed.h and src/mpi/tags.h.
#pragma once
#include "mpi/distributed.h"
#include "mpi/election.h"
#include "mpi/protocol.h"

namespace dla::mpi {

// Returns the worker's exit status (0). A standby that wins an election (election.h) returns with
// won->term > 0: the caller makes it the master.
int run_worker(int rank, int size, const DistributedOptions& opt, proto::Plan plan, double t0, TakeoverInfo* won);

}  // namespace dla::mpi
