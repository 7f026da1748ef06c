// Rank 0's side of the replicated store (issue 14): the coordinator ("name node") talks to the data
// ranks' BlockServers (store_service.h) and never waits on one without a deadline. Used by
// dla_store (ingest, status, fsck; store_cli.h) and, at the end of an analysis, by the analyser's
// master (run_repair).
//
// Every wait here is a loop of pump(): receive everything already arrived (try_recv, any source),
// give STORE_ACK/NACK/INV/MANIFEST_ACK/MANIFEST_COPY to the operation under way, let this rank's own
// BlockServer serve what is addressed to it, hand every other message to `other` (the analyser's
// master keeps its own protocol going: RESULTs, heartbeats), then nap `poll` seconds if nothing came.
// Main thread only (MPI).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "mpi/store_service.h"
#include "mpi/store_wire.h"
#include "mpi/transport.h"
#include "store/fsck.h"
#include "store/manifest.h"
#include "store/placement.h"

namespace dla::mpi {

struct StoreLink {
  int rank = 0;                    // this rank (the coordinator: 0)
  Outbox* out = nullptr;
  BlockServer* server = nullptr;   // this rank's own server (may be null)
  std::string own_dir;             // this rank's store dir (its MANIFEST copy); "" = keeps none
  double timeout = 5;              // seconds a peer may stay silent before it counts as gone
  double poll = 0.001;             // nap between empty polls (simulated under SMPI)
  // Messages that are not for the coordinator nor for `server` (nullptr: dropped).
  std::function<void(const Incoming&)> other;
  // Optional: false when the caller knows `rank` is gone (the analyser's scheduler declared it
  // failed; under SMPI sim::peer_alive is asked as well). A copy order involving such a rank is
  // given up at once instead of being waited for (real MPI says nothing about a dead peer).
  std::function<bool(int)> alive;
  // Optional: called after every step of every wait (the analyser's master runs its failure
  // detection there, so that `alive` learns of a rank that dies during a repair).
  std::function<void()> on_step;
};

class StoreCoordinator {
 public:
  explicit StoreCoordinator(StoreLink link);

  // Receives what has arrived and routes it (see above). Returns whether anything came.
  bool pump();
  // pump() and a nap when nothing came.
  void step();
  const StoreLink& link() const { return link_; }
  bool alive(int rank) const;  // sim::peer_alive and link.alive
  // The live data ranks (with their hosts) a copy may be re-targeted to when its target is found
  // gone or silent (pick_target over those not holding the block). Empty (the default): no
  // re-targeting, the block stays under-replicated.
  void set_targets(std::vector<RankHost> live) { targets_ = std::move(live); }
  void set_own_dir(std::string dir) { link_.own_dir = std::move(dir); }

  // Inventories of `ranks` (STORE_INV_REQ, verify = read and check every block), until each
  // answered or `timeout` + `patience` seconds passed since the last answer (patience: what reading
  // the most loaded rank's blocks may take, see verify_patience). Ranks that did not answer are absent.
  std::map<int, std::vector<Held>> gather_inventories(const std::vector<int>& ranks, bool verify,
                                                      double patience = 0);
  // fsck --repair's orphans: each rank of `drops` removes those block files of its own store dir
  // (LocalStore::remove: block-file names in a dir with the marker only), then answers its
  // inventory (unverified), returned as gather_inventories does (ranks that did not answer absent).
  std::map<int, std::vector<Held>> remove_files(const std::map<int, std::vector<store_wire::FileId>>& drops);

  // Sends the manifest to `ranks` (STORE_MANIFEST) and waits for their acks; saves it in own_dir
  // too. Returns the ranks whose copy is saved (this rank included when own_dir is set and the save
  // worked).
  std::set<int> push_manifest(const Manifest& m, const std::vector<int>& ranks);

  // The newest valid manifest among the copies of `ranks` (STORE_MANIFEST_REQ), for a coordinator
  // whose own copy is missing or corrupt. kNotFound when nobody has one.
  Result<Manifest> fetch_manifest(const std::vector<int>& ranks);
  // Every copy of `ranks` as its rank has it (fsck checks them all): the decoded manifest, or why
  // there is none (kNotFound: the rank has no MANIFEST or no store; else kCorruption with the
  // rank's or the decoder's message). Ranks that did not answer within `timeout` are absent.
  std::map<int, Result<Manifest>> manifest_copies(const std::vector<int>& ranks);

  // Executes COPY orders (holder -> target, the target verifies, stores and acks to us), at most
  // `window` in flight and at most kPerRank involving any one rank (as holder or target: a rank
  // serves its store messages one after the other, so a deeper queue only makes the later ones
  // late). Returns the orders done; a failed order (holder's copy bad or missing, target refused,
  // a rank gone or silent) is reported in `failures` (one line each), the ranks of a timed-out one
  // in `silent`. When the holder itself says its copy is bad or missing, or is gone or silent, the
  // order is tried again from another holder the manifest lists (each holder once per block).
  // Silence is not failure at once: an order unanswered for --timeout is waited for kWaitRounds more
  // times as long again (2x, 4x ...; a busy rank is slow, not dead), its ack still taken; only then,
  // or when sim::peer_alive says a rank is gone, is it given up. Orders involving a rank found silent
  // are not sent any more (failed at once).
  struct CopyOutcome {
    std::vector<CopyOrder> done;
    std::vector<std::string> failures;
    std::uint64_t bytes = 0;
    std::set<int> silent;  // ranks that timed out
  };
  static constexpr int kPerRank = 4;
  static constexpr int kWaitRounds = 2;
  // `deadline`: absolute time (now()) after which the orders still open are given up.
  CopyOutcome execute_copies(const std::vector<CopyOrder>& orders, const Manifest& m, int window = 8,
                             double deadline = 1e300);

  // The ingest's chain traffic (store_ingest.cc reads these queues directly).
  std::vector<store_wire::Ack>& acks() { return acks_; }
  std::vector<store_wire::Nack>& nacks() { return nacks_; }
  double now() const;

 private:
  struct OpenOrder {
    CopyOrder order;
    double sent = 0;
    int round = 0;  // expiries waited through so far
  };
  struct CopyRun;  // execute_copies' state (store_coord.cc)
  void route(Incoming& m);
  void launch(CopyRun& run, CopyOrder c);
  void take_answers(CopyRun& run);
  void expire(CopyRun& run);
  bool retry_elsewhere(CopyRun& run, const CopyOrder& c, const std::string& why);
  bool retarget(CopyRun& run, const CopyOrder& c, const std::string& why);
  std::map<int, std::vector<Held>> await_inventories(long long req, std::size_t asked, double patience);
  long long next_req() { return ++req_; }

  StoreLink link_;
  std::vector<RankHost> targets_;
  long long req_ = 0;
  std::vector<store_wire::Ack> acks_;
  std::vector<store_wire::Nack> nacks_;
  std::map<long long, std::map<int, store_wire::Inventory>> inventories_;  // req -> rank -> answer
  std::map<long long, std::map<int, bool>> manifest_acks_;                 // req -> rank -> saved
  struct CopyAnswer {
    bool ok = false;
    std::string text;  // the encoded manifest, or the rank's error message
    int code = 0;      // when !ok: the rank's error Code (an older rank sends none: kCorruption)
  };
  std::map<long long, std::map<int, CopyAnswer>> manifest_copies_;         // req -> rank -> answer
};

// Seconds a verified inventory may take beyond --timeout: the most bytes the manifest puts on one
// rank, read at a pessimistic 50 MB/s (a rank answers only once it read all of its blocks).
double verify_patience(const Manifest& m);

// Restores K replicas of every block of `m` whose holders died or are corrupt (the analyser's
// master calls it before STOP; dla_store fsck --repair does the same after its report):
// inventories of `live` (verified if opt.verify, else trusted from the manifest), fsck's
// check/plan_repair, COPY orders executed, apply_repairs, the new manifest pushed to every live
// rank (and saved in link.own_dir). `live`: the live data ranks with their hosts.
struct RepairOptions {
  bool verify = false;      // read every replica (fsck) instead of trusting the manifest
  double deadline = 30;     // seconds for the whole repair (orders still open then are dropped)
};
struct RepairOutcome {
  FsckReport found;                  // the check before the copies
  FsckReport final_state;            // the check after them (the copies made counted as good)
  std::set<int> live;                // the data ranks that took part (answered, with verify)
  std::vector<CopyOrder> done;       // copies made (apply_repairs applied them to the manifest)
  std::uint64_t bytes = 0;           // bytes copied
  std::vector<std::string> lines;    // "repaired BLOCK: rank A -> rank B" and failure lines
  std::vector<int> lost;             // blocks with no replica left
  bool manifest_changed = false;
};
Result<RepairOutcome> run_repair(Manifest* m, const std::vector<RankHost>& live, StoreCoordinator* coord,
                                 const RepairOptions& opt);

}  // namespace dla::mpi
