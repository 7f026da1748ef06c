// fsck: compare the manifest with what the live ranks really hold, plan the copies that restore K
// replicas, and record the copies made. Pure: the inventories come in as values (the MPI side,
// src/mpi/store_fsck.cc, gathers them with deadlines and carries out the copy orders).
//
// Definitions (per block b of the manifest; a copy is sound when a live rank's inventory has b
// with the manifest's crc, the block's length and ok == true):
//   good(b)    the live ranks listed in b.replicas with a sound copy, then, while fewer than K,
//              live ranks NOT listed with a sound copy (adopted, ascending rank: apply_repairs
//              lists them; a copy that is there is cheaper than a new one)
//   corrupt    a live rank listed in b.replicas with a file for b and no sound one (wrong crc in
//              its name, wrong size, or verification failed): one problem per (block, rank)
//   under      0 < |good(b)| < K
//   missing    |good(b)| == 0 (no replica left)
//   orphan     any other block file on a live rank: of a block the manifest does not list for
//              that rank (left by a repair that re-placed the block while the rank was away, by a
//              re-ingest, ...) and not adopted, of a block id the manifest does not have, or an
//              older version (another crc) beside a sound copy. Orphans waste space and would
//              inflate per-rank counts; they are no danger to the data, so they do not make the
//              store unhealthy. fsck --repair removes them (LocalStore::remove: only block files
//              in a store dir, never a user's file).
// Healthy: no under, no corrupt, no missing (the exit-code contract: 0 = every block has K
// verified replicas). A block with a corrupt replica is usually also under. Bad MANIFEST copies
// (check_manifests) are listed and counted in a note line, but do not make the store unhealthy:
// every rank keeps a copy and a reader takes the newest valid one, so a stale copy (the usual
// state of a rank that was down while a repair changed the manifest) or a damaged one loses no
// data; fsck --repair rewrites them.
//
// Text (format_fsck), one line per problem, then one per copy made, then the summary last:
//   corrupt BLOCK FILE [off,end) on rank R           (all corrupt lines first, by block and rank)
//   under-replicated BLOCK FILE [off,end) have H of K (then these, by block)
//   missing BLOCK FILE [off,end) (no replica left)    (then these, by block)
//   manifest BAD on rank R: WHY                       (then these, by rank: check_manifests)
//   orphan BLOCK on rank R: NAME (N bytes, WHY)        (then these, by rank and block; not a problem)
//   repaired BLOCK: rank A -> rank B                  (with --repair: the copies made, in order)
//   repaired manifest on rank R (version V)           (with --repair: the copies rewritten)
//   removed orphan BLOCK on rank R: NAME              (with --repair: the orphans removed)
//   note: replicas of N blocks share a host (K=3, live data ranks on 2 hosts)   (only when N > 0)
//   note: N MANIFEST copies bad (fsck --repair rewrites them from version V)   (only when N > 0)
//   FSCK OK blocks=B replicas=R            (R = good replicas in all)
//   FSCK PROBLEMS under=U corrupt=C missing=M
// Orphans and bad MANIFEST copies do not change the summary line (they are listed; the note line
// counts the bad copies that remain; JSON lists both).
// FILE is escape_name(file name); BLOCK the block id; [off,end) the byte range in the original file.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/local_store.h"
#include "store/manifest.h"
#include "store/placement.h"

namespace dla {

struct FsckReport {
  struct Corrupt {
    int block = 0;
    int rank = 0;
  };
  struct Orphan {
    int rank = 0;
    int block = 0;
    std::uint32_t crc = 0;
    std::uint64_t size = 0;
    std::string why;  // "not a replica of this block in the manifest", "block id not in the manifest",
                      // "an older version beside the good copy"
  };
  struct BadManifest {
    int rank = 0;
    std::string why;  // one line: "missing", "corrupt (...)", "version 3, the newest is 5", ...
  };
  int blocks = 0;                      // in the manifest
  int k = 0;                           // the manifest's K
  std::vector<std::vector<int>> good;  // per block id: the ranks with a good copy, ascending
  std::vector<int> under;              // block ids, ascending
  std::vector<Corrupt> corrupt;        // by block, then rank
  std::vector<int> missing;            // block ids, ascending
  std::vector<Orphan> orphans;         // by rank, then block, then crc
  std::vector<BadManifest> bad_manifests;  // by rank (filled by the caller from check_manifests)
  int shared_host_blocks = 0;          // blocks whose good replicas share a host (K > hosts)
  int hosts = 0;                       // distinct hosts among the live data ranks
  int replicas() const;                // good replicas in all
  bool healthy() const { return under.empty() && corrupt.empty() && missing.empty(); }
};

// `inventories`: rank -> what LocalStore::inventory(verify=true) returned there, for the ranks
// that answered; `live_ranks`: the ranks considered alive (a rank without an inventory holds
// nothing; a rank not live is ignored even if it has an inventory). Rank 0 is no data rank but
// is counted like any other if it holds blocks.
FsckReport check(const Manifest& m, const std::map<int, std::vector<Held>>& inventories,
                 const std::set<int>& live_ranks);

// The MANIFEST copies of the ranks against the newest valid one (`newest`): `copies` holds, per
// rank that answered, its copy as load_manifest/decode_manifest gave it (an error: missing, torn,
// edited). A copy is bad when it is unusable (why = "missing" for kNotFound, else "corrupt (the
// error)"), older ("version V, the newest is W") or different at the same version ("differs from
// the newest copy at version V"). By rank.
std::vector<FsckReport::BadManifest> check_manifests(const Manifest& newest,
                                                     const std::map<int, Result<Manifest>>& copies);
// The newest valid copy among `copies` (the highest version; ties: the lowest rank). kNotFound
// when none is valid.
Result<Manifest> newest_manifest(const std::map<int, Result<Manifest>>& copies);

// One copy: rank `from` sends block `block` to rank `to`, which stores it (LocalStore::put).
struct CopyOrder {
  int block = 0;
  int from = 0;
  int to = 0;
  bool operator==(const CopyOrder& o) const { return block == o.block && from == o.from && to == o.to; }
};

// The copies that bring every block that still has a good replica back to K good ones:
//   * a corrupt replica on a live rank is overwritten in place (to = that rank: the placement
//     stays as planned and no corrupt file remains);
//   * the rest of the shortfall goes to pick_target over `live_data` with the manifest's site map
//     (sites, then hosts that hold no good copy first, then the least loaded by the manifest plus
//     the copies planned so far, lower rank): never a rank that already holds a good copy.
// The source is a good holder, the one used least so far as a source (spreads the reads), ties by
// lower rank. Missing blocks get no order (nothing to copy from). When fewer than K live data
// ranks remain, a block gets as many copies as there are ranks. Deterministic.
std::vector<CopyOrder> plan_repair(const Manifest& m, const FsckReport& report,
                                   const std::vector<RankHost>& live_data, int k);

// Records the state after repairs: each block's replicas become its good holders (those already
// listed first, in their order, then the others ascending) followed by the targets of the orders in `done` (carried out and acknowledged); a missing block
// keeps its old list (its holders may come back). The version grows by one if any list changed.
// Returns whether anything changed.
bool apply_repairs(Manifest* m, const FsckReport& report, const std::vector<CopyOrder>& done);

// What --repair did besides the block copies: MANIFEST copies rewritten, orphans removed.
struct FsckExtra {
  std::vector<int> manifests_repaired;                 // ranks, ascending
  std::vector<FsckReport::Orphan> orphans_removed;
};

// The lines above. `found`: the check before repairing; `done`: copies made (empty without
// --repair); `final_state`: the check after repairing (== found without --repair). Each line ends
// with '\n'.
std::string format_fsck(const Manifest& m, const FsckReport& found, const std::vector<CopyOrder>& done,
                        const FsckReport& final_state, const FsckExtra& extra = {});
// The pieces, for callers that print as they go.
std::vector<std::string> problem_lines(const Manifest& m, const FsckReport& r);  // without '\n'
std::string repaired_line(const CopyOrder& c);
std::string orphan_line(const FsckReport::Orphan& o);             // "orphan ..."
std::string removed_orphan_line(const FsckReport::Orphan& o);     // "removed orphan ..."
std::string manifest_line(const FsckReport::BadManifest& b);      // "manifest BAD on rank R: WHY"
std::string repaired_manifest_line(int rank, std::uint64_t version);
std::string summary_line(const FsckReport& r);
// The same as JSON: {"found": {"under": [...], "corrupt": [{"block","rank"}], "missing": [...],
// "manifests": [{"rank","why"}], "orphans": [{"rank","block","crc","size","why"}]},
// "repaired": [{"block","from","to"}], "manifests_repaired": [ranks], "orphans_removed": [...],
// "final": {...}, "ok": bool, "blocks": B, "replicas": R} where each block entry is {"block",
// "file", "offset", "end", "have"}.
std::string fsck_json(const Manifest& m, const FsckReport& found, const std::vector<CopyOrder>& done,
                      const FsckReport& final_state, const FsckExtra& extra = {});

}  // namespace dla
