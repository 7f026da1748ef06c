// --store (issue 14), a worker's side: where the bytes of a block come from. The local replica
// (LocalStore::get verifies its crc) if this rank holds one, else a remote read from the other
// holders (BlockFetcher), during which the worker's loop keeps serving the other ranks' store
// requests (BlockServer: every store message that reaches the worker's inbox goes to handle()). A
// corrupt (or missing) local replica is read remotely and repaired in place (LocalStore::put).
// Main thread only (MPI through the Outbox).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "mpi/analysis_store.h"
#include "mpi/protocol.h"
#include "mpi/store_service.h"
#include "mpi/transport.h"
#include "store/local_store.h"
#include "store/manifest.h"
#include "store/placement.h"

namespace dla::mpi {

class BlockReader {
 public:
  // Opens ROOT/<host>/<rank> (never creates it). A rank without a usable store dir reads every
  // block remotely and serves nothing (said once on stderr).
  BlockReader(int rank, Outbox* out, const std::string& root, double timeout, bool quiet = false);

  // A store message (tags 120..139) from the inbox: served or taken by the fetcher. False: not one.
  bool handle(const Incoming& m, double now);
  // This rank's server (the worker sets how serving time is charged: BlockServer::set_charge).
  BlockServer& server() { return server_; }
  // Fetch deadlines (call from the loop).
  void poll(double now) { fetcher_.poll(now); }

  struct Read {
    std::string bytes;
    bool local = false;
    int repaired = -1;  // the block, when a bad local replica was replaced by the fetched bytes
  };
  // The bytes of task t's block (t.block >= 0). `pump(now)` is called between polls while a fetch
  // runs (the worker reads its inbox, heartbeats, naps one poll interval); it returns the new time,
  // or a negative value to give up (the task was cancelled: the error is then kCancelled-like,
  // Code::kInvalid with "cancelled"). Errors name the file and the byte range.
  Result<Read> read(const proto::TaskMsg& t, double now, const std::function<double()>& pump);

 private:
  int rank_;
  std::optional<LocalStore> store_;
  BlockServer server_;
  BlockFetcher fetcher_;
};

// Rank 0's side of a store run: the manifest (its own copy, ROOT/<host>/0/MANIFEST), its server
// (corruption reports from the holders arrive there), the holders per task and the totals.
struct MasterStore {
  Manifest manifest;
  std::optional<LocalStore> own;
  std::unique_ptr<BlockServer> server;  // made by the master (it owns the Outbox)
  std::vector<std::vector<int>> holders;
  StoreTotals totals;
  bool repaired = false;  // the final repair ran
};
// Opens rank 0's store dir and its manifest; holders for a job of `size` ranks. A missing or
// corrupt MANIFEST there: the newest valid copy of the data ranks (asked over MPI, each answer
// awaited at most `timeout` s; said on stderr) is used and saved. Errors (one line): no store at
// ROOT, no valid manifest anywhere.
Result<std::unique_ptr<MasterStore>> open_master_store(const std::string& root, int size, double timeout, double poll);

// The end of a store run, every task done and before any STOP: restores K replicas of the blocks
// whose holders died (the `live` data ranks, with their hosts, are the only ones used) or whose
// replica a holder reported corrupt while serving, with store_coord.h's run_repair (manifest
// trusted, not re-read; at most `deadline` seconds), and pushes the new manifest. Messages that are
// not the repair's go to `other` (the master answers requests WAIT meanwhile); `alive` and
// `on_step` are StoreLink's (may be empty). Fills st.totals.
void final_repair(MasterStore& st, Outbox* out, const std::vector<RankHost>& live, double timeout, double poll,
                  double deadline, const std::function<void(const Incoming&)>& other, bool chatty,
                  const std::function<bool(int)>& alive = {}, const std::function<void()>& on_step = {});

}  // namespace dla::mpi
