// dla_store's commands on rank 0 once start-up is over (store_cli.cc): shared by store_ingest.cc
// and store_fsck.cc. Internal to src/mpi.
#pragma once
#include <string>
#include <vector>

#include "mpi/store_cli.h"
#include "mpi/store_coord.h"
#include "store/local_store.h"
#include "store/manifest.h"
#include "store/placement.h"

namespace dla::mpi {

struct StoreRun {
  explicit StoreRun(const StoreCli& c) : cli(c) {}
  const StoreCli& cli;
  int size = 1;                 // ranks in the job
  std::vector<RankHost> ranks;  // every rank that started (rank 0 included), ascending
  std::vector<RankHost> data;   // the data ranks whose store opened, ascending
  LocalStore* own = nullptr;    // rank 0's store dir (its MANIFEST copy)
  StoreCoordinator* coord = nullptr;
  double t0 = 0;                // wtime() when the command began (after start-up)
};

// One line on stderr, "error: ..." (escaped), and the exit status for it.
int store_error(const std::string& message);

// The current manifest: rank 0's own copy, else (missing or corrupt: said on stderr) the newest
// valid copy among the data ranks.
Result<Manifest> load_current_manifest(StoreRun& run);

std::vector<int> ranks_of(const std::vector<RankHost>& v);

int run_ingest(StoreRun& run);
int run_status(StoreRun& run);
int run_fsck(StoreRun& run);

}  // namespace dla::mpi
