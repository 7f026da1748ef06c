// Input discovery and task splitting.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "scan/scanner.h"

namespace dla {

struct FileInfo {
  std::string path;   // as opened: dir + "/" + name
  std::string name;   // file name only: the identity used in reports and checkpoints
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// The `*.log` regular files directly inside `dir` (not recursive, symlinks to files followed),
// sorted by name (byte order). Errors: dir missing or not a directory, or no .log file in it.
// Everything goes through `env`.
Result<std::vector<FileInfo>> discover_logs(const std::string& dir, Env& env = *Env::posix());

// Re-reads size/mtime of one file (to check that input did not change). With require_regular,
// anything but a regular file (after following links) is an error too.
Result<FileInfo> stat_file(const std::string& path, bool require_regular = false, Env& env = *Env::posix());

// Env's make_dirs (base/env.h) on the POSIX Env, without sync: kept for callers that predate Env.
Status make_dirs(const std::string& dir);

// A unit of work: a byte range of one file. Tasks are numbered 0..n-1 in file order.
struct Task {
  int id = 0;
  int file = 0;               // index into the file list
  ByteRange range;            // range.length is always explicit here (never kToEnd)
  std::uint64_t bytes() const { return range.length; }
};

// One task per file, or, when split_bytes > 0, files larger than split_bytes cut into
// ceil(size / split_bytes) near-equal ranges. Empty files still get one (empty) task so that they
// are reported as processed.
std::vector<Task> make_tasks(const std::vector<FileInfo>& files, std::uint64_t split_bytes = 0);

// Static partition for Stage 1: assigns each item (by weight, e.g. bytes) to one of `bins`
// so that the largest bin is small: longest-processing-time-first greedy (sort by weight
// descending, give each to the currently lightest bin; ties by lower index). Deterministic.
// LPT is within 4/3 of the optimal makespan. Returns, per bin, the item indices in ascending order.
std::vector<std::vector<int>> partition_lpt(const std::vector<std::uint64_t>& weights, int bins);

}  // namespace dla
