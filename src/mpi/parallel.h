// Stage 1: static parallel analysis. Rank 0 discovers the files and partitions them by bytes
// (LPT greedy over all ranks, itself included: in a static scheme the master would otherwise
// idle), broadcasts the plan; every rank counts its share; rank 0 gathers and merges, and prints
// every error (an unreadable file is reported once, by the master, whichever rank owned it).
#pragma once
#include <string>

#include "mpi/runtime.h"
#include "scan/discovery.h"
#include "scan/formats.h"

namespace dla::mpi {

struct ParallelOptions {
  std::string dir;
  bool json = false;
  bool verbose = false;            // per-rank distribution lines
  double baseline_seconds = 0;     // sequential time to compute speedup against (0: not given)
  // --baseline: after the parallel pass, rank 0 times a sequential pass over the same files (the
  // other ranks wait without spinning a core) and the speedup is computed against that.
  bool measure_baseline = false;
  double flops_per_byte = 1.0;     // simulation only: modelled scan cost
  // Static plan: "lpt" (default) = longest-processing-time-first by bytes over all ranks;
  // "roundrobin" = file i (name order) to rank i % size, the naive plan, kept for comparison.
  std::string partition = "lpt";
  DiscoverOptions discover;  // --pattern, --recursive
  FormatSpec format;         // --format (parsed on every rank from the same argument)
};

// Returns the process exit status (same on every rank): 0 ok, 1 bad input, 2 some file unreadable.
int run_parallel(const Session& s, const ParallelOptions& opt);

}  // namespace dla::mpi
