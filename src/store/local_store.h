// LocalStore: one rank's store directory, ROOT/<host>/<rank>. Only the rank itself touches it (the
// others ask over MPI). It holds:
//   .dla-store                  the marker: written by us when the dir is created; without it we
//                               never write, overwrite or remove anything in the dir
//   MANIFEST                    this rank's copy of the manifest (store/manifest.h)
//   block-<id>-<crc>            one block's bytes, <id> decimal zero-padded to 6 digits, <crc> its
//                               block_crc in 8 lowercase hex digits (e.g. block-000042-1a2b3c4d)
//   .block-<id>-<crc>.tmp       a put in progress (removed by the next open of the store)
// Every file call goes through the Env; a put is atomic (temporary file, fsync, rename, fsync dir):
// a crash or a failing call leaves the previous block file or the new one.
// The names of the block files are kept in memory (listed once by open, kept up to date by put,
// drop and remove; inventory lists the dir again and refreshes it), so a put or a drop costs O(1)
// file-system calls however many blocks the dir holds (listing it on every put made an ingest of n
// blocks O(n^2)). Files put there behind the store's back are seen at the next open or inventory.
// Not thread-safe (one rank, one thread); movable.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/status.h"

namespace dla {

inline constexpr const char* kStoreMarker = ".dla-store";

// One block file found in the dir.
struct Held {
  int block = 0;
  std::uint32_t crc = 0;    // from the file name (what the writer verified)
  std::uint64_t size = 0;   // of the file
  bool ok = true;           // with verify: the content's crc equals `crc`; without: true (unchecked)
};

class LocalStore {
 public:
  // ROOT/<host>/<rank>. Error (kInvalid) for a host that is empty, ".", ".." or holds a '/'.
  static Result<std::string> rank_dir(const std::string& root, const std::string& host, int rank);

  // Opens the rank dir. With `create`: makes the missing directories (durably) and the marker;
  // an existing dir without the marker is refused unless it is empty (kInvalid: "DIR is not a dla
  // store (no .dla-store) and is not empty: refusing to touch it"). Without `create`: the dir and
  // its marker must exist (kNotFound otherwise). Leftover temporaries of an interrupted put are
  // removed (only names of our own pattern).
  static Result<LocalStore> open(Env& env, const std::string& root, const std::string& host, int rank,
                                 bool create);

  // Rank 0's dir, which holds only a MANIFEST copy: opened as open(create=false) does, but when
  // it is missing (or lost its marker) under a ROOT that carries the store's marker (ROOT/.dla-store:
  // this is a store; rank 0's disk was replaced or its dir removed), it is made again and *remade
  // is set: the caller then takes the manifest from the data ranks' copies. Without the ROOT
  // marker nothing is created (kNotFound, as open).
  static Result<LocalStore> open_coordinator(Env& env, const std::string& root, const std::string& host,
                                             bool* remade);

  const std::string& dir() const { return dir_; }
  // The FULL path of the block file: join_path(dir(), block_file_name(block, crc)) (relative when
  // ROOT was given relative). Do not join it to dir() again.
  std::string path_of(int block, std::uint32_t crc) const;

  // Stores a block: checks block_crc(bytes) == crc first (kCorruption if not, nothing written),
  // then writes it atomically; other files of the same block id (an older crc) are removed after.
  Status put(int block, std::uint32_t crc, std::string_view bytes);
  // The block's bytes, verified: kNotFound if this rank has no file for (block, crc) (naming the
  // block); kCorruption if its content does not match crc (naming the block and the file).
  // The caller adds the source file name and byte range to messages it prints.
  Result<std::string> get(int block, std::uint32_t crc);
  // Every block file here (sorted by block id); with `verify`, each file is read and checked (ok).
  Result<std::vector<Held>> inventory(bool verify);
  // Removes every file of this block id (only names of our pattern; missing is ok), then syncs the dir.
  Status drop(int block);
  // Removes the one file of (block, crc) if there is one (missing is ok), then syncs the dir:
  // fsck --repair trims an orphan replica with it, leaving any other version of the block alone.
  Status remove(int block, std::uint32_t crc);

 private:
  Status remove_files_of(int block, const std::uint32_t* keep);
  Status remove_versions(int block, const std::function<bool(std::uint32_t)>& which);
  Status index_dir(bool clean);  // lists the dir into index_ (clean: removes our temporaries)
  LocalStore(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Env* env_;
  std::string dir_;
  std::map<int, std::set<std::uint32_t>> index_;  // block -> crcs of its files here
};

// The bare name of a block file: "block-000042-1a2b3c4d".
std::string block_file_name(int block, std::uint32_t crc);

// Parses a block file name of our pattern ("block-000042-1a2b3c4d") into (block, crc); false for
// anything else (a user's file, the marker, a temporary).
bool parse_block_name(std::string_view name, int* block, std::uint32_t* crc);

}  // namespace dla
