// Input discovery and task splitting.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
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
// Everything goes through `env`. Same as discover_logs(dir, DiscoverOptions{}, env).
Result<std::vector<FileInfo>> discover_logs(const std::string& dir, Env& env = *Env::posix());

struct DiscoverOptions {
  // Glob on the file NAME (not its directory): `*` any run of characters (also empty, also a
  // leading '.'), `?` one character, `[abc]` `[a-z]` `[!a-c]` one of a set, `\x` a literal x.
  // The default keeps the assignment's *.log (one difference from before: a file named just
  // ".log" now matches). Compressed files need their own pattern, e.g. "*.log*" or "*.gz".
  std::string pattern = "*.log";
  // Also every subdirectory, at any depth (symbolic links to directories followed; a directory
  // met twice, e.g. through a link loop, is read once). FileInfo::name is then the path relative
  // to `dir` ("web/a.log"). A subdirectory that cannot be read is an error.
  bool recursive = false;
};
// The regular files under `dir` whose name matches opt.pattern, sorted by FileInfo::name (byte
// order). Files whose stat fails (a dangling link) are kept so that they are reported unreadable.
Result<std::vector<FileInfo>> discover_logs(const std::string& dir, const DiscoverOptions& opt,
                                            Env& env = *Env::posix());

// Whether `name` matches the glob `pattern` (syntax: DiscoverOptions::pattern). A '[' without its
// ']' matches itself.
bool glob_match(std::string_view pattern, std::string_view name);

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
// ceil(size / split_bytes) near-equal ranges; a compressed file (.gz, is_gzip_name) is never cut. Empty files still get one (empty) task so that they
// are reported as processed.
std::vector<Task> make_tasks(const std::vector<FileInfo>& files, std::uint64_t split_bytes = 0);

// Static partition for Stage 1: assigns each item (by weight, e.g. bytes) to one of `bins`
// so that the largest bin is small: longest-processing-time-first greedy (sort by weight
// descending, give each to the currently lightest bin; ties by lower index). Deterministic.
// LPT is within 4/3 of the optimal makespan. Returns, per bin, the item indices in ascending order.
std::vector<std::vector<int>> partition_lpt(const std::vector<std::uint64_t>& weights, int bins);

}  // namespace dla
