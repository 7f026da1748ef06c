// dla_store (src/apps/dla_store.cc): the replicated store's commands, run by every rank of an MPI
// job (mpirun -np N: rank 0 coordinates, ranks 1..N-1 hold the blocks; /work/brief/store.md):
//   ingest --store ROOT --replicas K [--block-size B] [--pattern GLOB] [--recursive] [--sites FILE|prefix] [--timeout S] [--json] DIR
//   status --store ROOT [--json]
//   fsck   --store ROOT [--repair] [--json] [--timeout S]
// Start-up (no collective): every data rank says STORE_HELLO (its host) and waits for STORE_START or
// STORE_QUIT; rank 0 validates the command (bad input: QUIT to everyone, one `error:` line, exit 1),
// prepares its own store dir, then starts the first rank of every other host (which claims that
// host's ROOT: a foreign non-empty ROOT is refused, never written into) and then the rest; each
// answers STORE_OPENED. Then the data ranks serve (BlockServer) until QUIT; rank 0 runs the command
// (store_ingest.cc, store_fsck.cc) and sends QUIT. A data rank also leaves when rank 0 is gone
// (SMPI) or silent for max(600, 12 x --timeout) seconds (real MPI cannot tell a dead peer from
// one busy cutting a large DIR).
//
// Output (stdout; --json: one JSON object instead):
//   ingest  Ingested DIR: files=F blocks=B skipped=S bytes=N K=K seconds=T MB/s=R
//           Manifest: version V, saved on C of N ranks
//           Rank R (HOST): blocks=n bytes=b            (one per data rank, from the manifest)
//           Failed ranks (blocks re-placed): R ...     (only if a rank failed during the ingest)
//           seconds: from the end of start-up to the manifest saved (discovery, cutting, the
//           inventories of the idempotence check, the chains, the manifest push); MB/s = N / seconds
//   status  Store:, Files:, Blocks:, Bytes:, Replicas (K):, Block size:, Manifest version:, then
//           Rank R (HOST): blocks=n bytes=b | not answering   (what each rank really holds, unverified)
//   fsck    store/fsck.h's format_fsck lines (problems, repaired copies, the FSCK summary last);
//           notes and failed copies go to stderr
#pragma once
#include <cstdint>
#include <string>

#include "base/status.h"
#include "mpi/runtime.h"
#include "store/manifest.h"

namespace dla::mpi {

struct StoreCli {
  std::string command;                       // ingest | status | fsck
  std::string root;                          // --store
  std::string dir;                           // ingest: the input directory
  int replicas = 0;                          // ingest: K
  std::uint64_t block_size = 8ull << 20;     // ingest: B
  std::string pattern = "*.log";             // ingest: which files (scan/discovery.h glob)
  bool recursive = false;                    // ingest: also the files in DIR's subdirectories
  double timeout = 5;                        // a peer silent this long counts as gone
  bool json = false;
  bool repair = false;                       // fsck
  int window = 8;                            // ingest: blocks in flight
  std::string sites;                         // ingest: "HOST SITE" lines (store/placement.h), or
                                             // "prefix": a host's site is its name up to the last '-'
};

// Exit codes.
inline constexpr int kStoreExitOk = 0;
inline constexpr int kStoreExitError = 1;     // bad usage, bad input, failure
inline constexpr int kStoreExitProblems = 2;  // fsck: under-replicated / corrupt / missing remain

// The last line rank 0 prints on stdout (after the command's own output, --json too), like the
// analyser's: tools/dla-mpirun turns it into the exit status (OK 0, ERROR 1, PROBLEMS 2):
//   RESULT OK COMMAND
//   RESULT PROBLEMS fsck (under-replicated, corrupt or missing blocks remain)     (exit 2)
//   RESULT ERROR MESSAGE                                     (exit 1: the `error:` line's message)
std::string store_result_line(const std::string& command, int code, const std::string& error);

// Whether a job of `size` ranks reaches the store whose manifest is `m` (job_coverage; `root` is
// "--store ROOT" as printed): OK when the job has every data rank the manifest names; when some are
// absent but every block keeps a replica on the job's ranks, one note on stderr (they count as lost
// nodes; `then` says what restores K); else an error naming the absent ranks and the -np to use.
Status check_job_coverage(const Manifest& m, const std::string& root, int size, const std::string& then);

// A --block-size as typed: decimal digits only (no sign, no suffix, at most 19 digits).
bool parse_block_size(const std::string& text, std::uint64_t* out);

// Checks what can be checked without MPI (every rank does, identically). "" = fine.
std::string validate_store_cli(const StoreCli& c);

// Runs the command on this rank; returns its exit status (rank 0's is the command's).
int run_store(Session& session, const StoreCli& c);

}  // namespace dla::mpi
