// The replicated store's MPI services that every rank runs inside its own loop (issue 14):
//   BlockServer  answers the store requests addressed to this rank (FETCH, PUT, COPY, inventory,
//                manifest push/request) from its LocalStore;
//   BlockFetcher the client side of a remote read: FETCH a block from its holders one after the
//                other until one answers with verified bytes.
// Neither owns a loop or receives anything itself: the caller's loop receives every message with
// try_recv(MPI_ANY_SOURCE, ...) (transport.h) and offers it to server.handle(m) and, if that says
// no, to fetcher.handle(m, now) (and otherwise to its own protocol). So a rank that is fetching (or
// scanning between polls) keeps serving the others: two ranks fetching from each other never
// deadlock, since neither ever waits inside these classes. Nothing here blocks on a peer: every
// send is an Outbox (non-blocking) send and every wait is a deadline checked by poll().
// Main thread only (MPI). Message formats: src/mpi/tags.h and store_wire.h.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "mpi/transport.h"

namespace dla {
class LocalStore;
}

namespace dla::mpi {

// A corrupt local replica found while serving a FETCH or a COPY (also reported to rank 0 with
// STORE_CORRUPT when this rank is not rank 0 itself).
struct CorruptReport {
  int block = -1;
  int rank = -1;         // the holder whose copy is bad
  std::string message;   // LocalStore's error line (names block, and the bytes' checksum)
};

class BlockServer {
 public:
  // `store` may be null (a rank without a store dir: it answers FETCH "missing", refuses PUT with a
  // NACK, answers inventories empty). `coordinator`: where corruption reports go (rank 0).
  // `env`: where the manifest pushed to this rank is saved (the store's own Env).
  BlockServer(int rank, LocalStore* store, Outbox* out, int coordinator = 0, Env* env = Env::posix());

  // True if `m` was a store message this server handles (and it was handled): STORE_PUT,
  // STORE_FETCH, STORE_COPY, STORE_INV_REQ, STORE_MANIFEST, STORE_MANIFEST_REQ, and on the
  // coordinator STORE_CORRUPT (recorded in corrupt_reports()). Other tags: false, untouched.
  bool handle(const Incoming& m);

  // The manifest the last STORE_MANIFEST push carried, saved in this rank's store dir (empty if
  // none came); version of it (-1 if none).
  const std::string& pushed_manifest() const { return pushed_manifest_; }
  long long pushed_version() const { return pushed_version_; }

  // Corrupt replicas met by this rank (as holder) and, on the coordinator, those reported by others.
  const std::vector<CorruptReport>& corrupt_reports() const { return corrupt_; }
  // How the time of serving `bytes` (read, checked, written) is charged under SMPI: by default
  // sim::charge_scan at once; the analyser's worker charges it in chunks and heartbeats between.
  void set_charge(std::function<void(std::uint64_t)> f) { charge_ = std::move(f); }
  // Counters (for the analyser's report and the tests).
  long long blocks_served() const { return served_; }
  std::uint64_t bytes_served() const { return served_bytes_; }
  long long blocks_stored() const { return stored_; }
  std::uint64_t bytes_stored() const { return stored_bytes_; }

 private:
  void on_put(const Incoming& m);
  void on_fetch(const Incoming& m);
  void on_copy(const Incoming& m);
  void on_inventory_request(const Incoming& m);
  void on_manifest(const Incoming& m);
  void on_manifest_request(const Incoming& m);
  void on_corrupt(const Incoming& m);
  void report_corrupt(int block, const std::string& message);
  void charge(std::uint64_t bytes);

  int rank_;
  LocalStore* store_;
  Outbox* out_;
  int coordinator_;
  Env* env_;
  std::string pushed_manifest_;
  long long pushed_version_ = -1;
  std::vector<CorruptReport> corrupt_;
  std::function<void(std::uint64_t)> charge_;
  long long served_ = 0, stored_ = 0;
  std::uint64_t served_bytes_ = 0, stored_bytes_ = 0;
};

// One remote read at a time per id: start(), then feed STORE_DATA messages to handle() and call
// poll() from the loop; done(id) once the bytes came (verified against the crc) or every holder
// failed. Holders are asked one after the other: a holder fails for good on a "corrupt"/"missing"/
// "error" answer, on a checksum mismatch of the bytes received, when it is not alive
// (sim::peer_alive) or when a send to it fails. A holder silent for `timeout` seconds is not given
// up: the next one is asked too, and its answer, however late, is still taken (a slow holder
// serves its queue of requests one after the other; a FETCH is never sent twice to one holder).
// Once every holder was asked and some are only silent, the fetch waits for them up to
// kWaitRounds more rounds of 2x, 4x ... `timeout`; only then does it fail, naming them "timeout".
// (A fetch that had a reachable replica never fails on a timeout of a slow holder alone, unless
// the holder stays silent ~7x --timeout.) Answers of a finished fetch are dropped.
class BlockFetcher {
 public:
  struct Attempt {
    int rank = -1;
    std::string outcome;  // "ok", "corrupt", "missing", "error", "bad checksum", "timeout", "gone"
  };
  struct Result {
    int block = -1;
    bool ok = false;
    std::string bytes;             // when ok: verified
    int from = -1;                 // when ok: the holder that gave them
    std::vector<Attempt> attempts; // in order; corrupt holders are to be repaired
    std::string error;             // when !ok: one line naming the block and every holder's outcome
  };

  BlockFetcher(int rank, Outbox* out, double timeout);

  // Starts fetching `block` (checksum `crc`) from `holders` in that order (this rank skipped).
  // Returns an id for done()/take(). With no holder left the result is ready at once (not ok).
  long long start(int block, std::uint32_t crc, std::vector<int> holders, double now);
  // True if `m` was a STORE_DATA message (of a live fetch or a stale one: dropped).
  bool handle(const Incoming& m, double now);
  // Deadlines: a holder silent for `timeout` is abandoned for the next one.
  void poll(double now);
  bool done(long long id) const;
  // The finished fetch (call once done(id)); forgets it.
  Result take(long long id);
  bool busy() const { return !live_.empty(); }
  std::uint64_t bytes_fetched() const { return fetched_bytes_; }

 private:
  static constexpr int kWaitRounds = 2;
  struct Live {
    long long id = 0;
    int block = -1;
    std::uint32_t crc = 0;
    std::vector<int> holders;
    std::size_t next = 0;       // index of the next holder to try
    int asking = -1;            // holder asked last, still in its first `timeout` (-1: none)
    std::map<long long, int> outstanding;  // request number -> holder, for every unanswered FETCH
    int round = 0;              // 0: asking; 1..kWaitRounds: every holder asked, waiting longer
    double deadline = 0;
    Result result;
    bool finished = false;
  };
  void try_next(Live& f, double now);
  void finish(Live& f, bool ok);
  void forget(Live& f, long long req);

  int rank_;
  Outbox* out_;
  double timeout_;
  long long next_id_ = 1;
  long long next_req_ = 1;
  std::map<long long, Live> live_;      // by id
  std::map<long long, long long> req_;  // request number -> id
  std::uint64_t fetched_bytes_ = 0;
};

}  // namespace dla::mpi
