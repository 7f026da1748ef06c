// --store (issue 14): the pure parts of analysing a replicated store with the distributed analyser
// (no MPI, no clock; analysis_store_test.cc). The MPI side is analysis_reader.h (the worker's
// block reads) and master.cc / master_report.cc (tasks, the final repair, the report).
//
// Tasks are the manifest's blocks: task id = block id, Task.file = the manifest's file index, and
// the range is the block's [offset, offset + length) in the ORIGINAL file, so results, per-file
// counts and the printed report keep their meaning (a block holds exactly the lines make_tasks'
// ownership rule gives that range; store/block.h).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/levels.h"
#include "base/status.h"
#include "scan/discovery.h"
#include "scan/scanner.h"
#include "store/manifest.h"

namespace dla::mpi {

// One task per block, in block order (task id == block id).
std::vector<Task> block_tasks(const Manifest& m);
// Per task: the ranks holding a replica that exist in a job of `size` ranks and are not rank 0,
// in the manifest's order.
std::vector<std::vector<int>> block_holders(const Manifest& m, int size);

// Counts a block's bytes as scan_file counts that byte range of the original file: `bytes` are
// whole lines (count_lines, the scanner's own line counter, over pieces of about so.chunk_bytes,
// each followed by so.on_progress) or, gzip, a whole compressed file (inflated by scan_file from
// memory). so.format: detected from the bytes' head as scan_file does on a file's head unless
// fixed (the caller fixes it to the file's format when it knows it). analysis_store_test.cc
// checks it against scan_file on the same ranges. `name` (the file's) names it in errors: a gzip
// block that does not inflate is the input file's fault (its stored bytes passed their crc).
Result<Counts> count_block(const std::string& bytes, bool gzip, const ScanOptions& so, const std::string& name = "block");

// What a store run adds to the report.
struct StoreTotals {
  std::uint64_t local_bytes = 0, remote_bytes = 0;  // read from a local replica / fetched
  std::uint64_t rereplicated_blocks = 0, rereplicated_bytes = 0;
  std::vector<std::string> corrupt_repaired;  // "block B FILE [off,end) on rank R"
  std::vector<std::string> lost;              // "FILE [off,end): why"
  std::vector<std::string> repair_notes;      // the final repair's failure lines (and why it was skipped)
  // Percentage of the bytes read that were local (100 when nothing was read).
  double locality() const;
};
// The result block's lines: "Store locality" and "Re-replicated" (+ "Corrupt replicas repaired",
// "Blocks lost" when any).
std::vector<std::pair<std::string, std::string>> store_footer(const StoreTotals& t);
// The JSON "store" object (store.md): local_bytes, remote_bytes, locality (percent), rereplicated_blocks,
// rereplicated_bytes, corrupt_repaired, lost.
nlohmann::json store_json(const StoreTotals& t);

}  // namespace dla::mpi
