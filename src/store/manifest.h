// The manifest: what a store holds (file -> blocks -> replicas, sizes, checksums) and its version.
// Rank 0 (the coordinator) owns it; every rank keeps a copy named MANIFEST in its own store dir.
//
// On disk: one JSON object {"crc": "xxxxxxxx", "manifest": {...}} written by nlohmann's dump(1)
// (keys sorted), where crc is block_crc of manifest.dump() (compact) in 8 lowercase hex digits.
// decode_manifest accepts only that exact text: it checks the crc AND that re-encoding what it read
// gives the same bytes, so any torn, truncated or edited copy (even a flipped byte in whitespace)
// is kCorruption. The manifest's JSON:
//   {"format": 2, "block_size": B, "replicas": K, "version": V, "source_dir": "DIR",
//    "ranks": [{"rank": 0, "host": "h"}, ...],            // every rank of the ingest, rank 0 too
//    "sites": {"h": "site", ...},                          // only when a site map was used
//    "files": [{"name": "a.log", "size": S, "mtime_ns": T, "format": "bracket",
//               "blocks": [{"id": 0, "offset": 0, "length": L, "crc": C, "replicas": [1, 2]}, ...]}]}
// "format" (format 2 on): the file's log format as scan_file detects it on the whole file's head
// (scan/scanner.h detect_file_format, at ingest): a block smaller than the head (--block-size <
// 64 KiB) cannot detect it itself, so every block of the file is counted with this one. A format-1
// manifest (before it) has none: it still decodes (files' format ""), is re-encoded as format 1, and
// the analyser refuses it with format detection on (dla_store ingest again adds the formats).
// File names and source_dir are stored as escape_name(raw) (base/names.h: valid UTF-8 for any
// bytes) and unescaped on decode: in memory they are raw.
//
// Writes are atomic through the Env (temporary file, fsync, rename, fsync of the dir): a crash or
// a failing call leaves the previous MANIFEST or the new one, never a mix.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "store/block.h"
#include "store/placement.h"

namespace dla {

inline constexpr int kManifestFormat = 2;  // 2: per-file "format"
inline constexpr const char* kManifestName = "MANIFEST";

// One input file as ingested. Its blocks are Manifest::blocks[first_block, first_block + nblocks).
struct StoredFile {
  std::string name;  // as discovered, relative to the source dir ("web/a.log" with --recursive)
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  int first_block = 0;
  int nblocks = 0;
  std::string format;  // the detected log format's builtin name ("": not recorded: a format-1
                       // manifest, or one made by make_manifest alone; ingest always sets it)
};

struct Manifest {
  int format = kManifestFormat;
  std::uint64_t block_size = 0;
  int k = 0;                  // replication factor asked for at ingest
  std::uint64_t version = 0;  // grows by one with every change (ingest = 1, each repair + 1)
  std::string source_dir;     // the DIR given to ingest
  std::vector<RankHost> ranks;  // every rank of the ingest (rank -> host), ascending by rank
  SiteMap sites;                // host -> site used for placement (empty: hosts are the sites); repairs use it too
  std::vector<StoredFile> files;
  std::vector<BlockRef> blocks;  // blocks[i].id == i; a file's blocks are consecutive

  // The FileInfo list the blocks index (path = join_path(source_dir, name)), for make_tasks-like use.
  std::vector<FileInfo> file_infos() const;
};

// A new manifest (version 1) for `files` cut into `blocks` (from cut_blocks, replicas filled in
// by the caller or later; the files' formats too: "" until then). Files get first_block/nblocks from the blocks' `file` fields.
Manifest make_manifest(const std::string& source_dir, const std::vector<FileInfo>& files,
                       std::vector<BlockRef> blocks, std::uint64_t block_size, int k,
                       std::vector<RankHost> ranks, SiteMap sites = {});

std::string encode_manifest(const Manifest& m);
// Checks the text (see above) and every invariant (format; format 2: every file has a "format", a
// builtin name or "" (not recorded); ids 0..n-1 in order; each file's blocks
// consecutive, tiling [0, size) exactly, empty only for an empty file, one block for a .gz file;
// block_size >= 1, k >= 1; a block's replica ranks distinct and >= 0). kCorruption on a
// bad checksum or shape, with a one-line message; kInvalid on a newer format number.
Result<Manifest> decode_manifest(std::string_view text);

// MANIFEST in `rank_dir`, written atomically (see above). The dir must exist.
Status save_manifest(Env& env, const std::string& rank_dir, const Manifest& m);
// kNotFound if there is none; kCorruption (naming the path) if it does not decode.
Result<Manifest> load_manifest(Env& env, const std::string& rank_dir);

// Whether two manifests describe the same dataset: same source_dir and the same files (name, size,
// mtime). Ingest into a ROOT whose manifest is not the same dataset is an error.
bool same_dataset(const Manifest& a, const Manifest& b);

// Per rank: the blocks and bytes the manifest says it holds (ranks holding nothing are absent).
struct RankLoad {
  int blocks = 0;
  std::uint64_t bytes = 0;
};
std::map<int, RankLoad> load_by_rank(const Manifest& m);

// What a job of `size` ranks (0..size-1) can reach of the store: the data ranks the manifest names
// (the ingest's, and any replica's) that are not in the job, and the blocks (and their files) with
// no replica on a data rank of the job.
struct JobCoverage {
  int ingest_size = 0;               // the ingest's job size (its highest rank + 1)
  std::vector<int> absent;           // data ranks named by the manifest, >= size (ascending)
  std::vector<int> uncovered;        // blocks with no replica among ranks 1..size-1
  std::vector<int> uncovered_files;  // their files (ascending, distinct)
};
JobCoverage job_coverage(const Manifest& m, int size);

}  // namespace dla
