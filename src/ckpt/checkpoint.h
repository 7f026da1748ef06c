// Checkpoints: the durable record of a run's progress, and how a run resumes from one.
//
// Layout (the assignment's, plus extras). A checkpoint root directory (default `checkpoints/`)
// holds one directory per checkpoint:
//
//   checkpoints/
//     .lock                     flock'ed by the one run that writes here
//     ckpt-00000007/            sequence number, zero-padded; newest = largest number
//       checkpoint.json
//       node1.log  node2.log    every file listed in processed_files (hard links to the input)
//     .tmp-00000008-<pid>/      a checkpoint being written (never loaded; removed by the next run)
//
// checkpoint.json keeps the assignment's five fields exactly (timestamp, counts, processed_files,
// pending_files, failed_workers) and adds: format ("dla-checkpoint"), format_version, sequence,
// lines (all lines of the processed files), input_dir (absolute), and file_info: per processed
// file its size, mtime_ns and counts. Invariant, checked on load: counts (and lines) equal the sum
// of the per-file counts over processed_files, so a checkpoint never holds a partial file.
//
// Cost: files are hard-linked, not copied, so a checkpoint costs O(files) metadata operations, not
// O(bytes). Across filesystems (EXDEV) a file is copied once (mtime preserved) and later
// checkpoints hard-link that copy from the previous checkpoint.
//
// Recycling (keep >= 2): the oldest checkpoint a save makes superfluous, if written by this store,
// is renamed to the save's `.tmp-` directory and updated (json removed, missing files linked), so
// a save costs O(files processed since then) rather than O(all files) links + unlinks.
//
// Atomicity and durability: save() writes everything into `.tmp-<seq>-<pid>/` inside the root,
// fsyncs checkpoint.json and the directory, renames it to `ckpt-<seq>` (atomic) and fsyncs the
// root. A crash at any instant therefore leaves either the previous newest checkpoint or the new
// one; a half-written one only ever exists under a `.tmp-` name, which load ignores. Old
// checkpoints beyond `keep` are first renamed to `.tmp-gc-...` (atomic) and then deleted.
//
// Loading: load_latest() tries checkpoints newest first, validates each completely (JSON syntax,
// fields and types, counts = sum of per-file counts, every processed file present in the directory
// with its recorded size), and returns the first valid one, reporting every skipped one with why.
//
// Time: the timestamp string is passed in by the caller. src/core never reads the wall clock: the
// MPI layer formats wall time on real MPI and a fixed epoch + simulated time under SMPI.
//
// All file-system mutations go through CheckpointFs, so tests can inject a crash at the k-th
// operation (see FaultyFs in checkpoint_test.cc).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scan/discovery.h"
#include "base/levels.h"
#include "base/status.h"

namespace dla {

inline constexpr int kCheckpointFormatVersion = 1;
inline constexpr const char* kCheckpointJson = "checkpoint.json";

// One processed file as recorded in a checkpoint.
struct CheckpointFile {
  std::string name;          // file name inside the input directory (no '/')
  std::uint64_t size = 0;    // at the time it was processed
  std::int64_t mtime_ns = 0;
  Counts counts;             // its own counts (levels and lines)
  friend bool operator==(const CheckpointFile& a, const CheckpointFile& b) {
    return a.name == b.name && a.size == b.size && a.mtime_ns == b.mtime_ns && a.counts == b.counts;
  }
};

struct CheckpointState {
  // --- the assignment's fields ---
  std::string timestamp;                    // ISO-8601, given by the caller
  Counts counts;                            // sum over `processed` (levels; .lines too)
  std::vector<CheckpointFile> processed;    // -> "processed_files" (names) + "file_info"
  std::vector<std::string> pending_files;   // names not yet processed
  std::vector<int> failed_workers;          // ranks this run declared failed so far
  // --- extras ---
  std::uint64_t sequence = 0;               // set by save(); directory ckpt-<sequence>
  std::string input_dir;                    // absolute path of the analysed directory
  std::string consistency;                  // "eventual" or "strong": the model of the run
  std::vector<std::string> processed_names() const;
};

// Sum of the per-file counts.
Counts sum_counts(const std::vector<CheckpointFile>& files);

// JSON <-> state. from_json validates everything that can be checked without the file system
// (types, duplicates, names, counts = sum of per-file counts, processed and pending disjoint).
nlohmann::json checkpoint_to_json(const CheckpointState& s);
Result<CheckpointState> checkpoint_from_json(const nlohmann::json& j);
// The text save() writes: the same document as checkpoint_to_json(), one file per line, built
// directly (10x cheaper than building and dumping a json tree for 1000 files, and it never throws).
std::string checkpoint_json_text(const CheckpointState& s);

// ---- the file-system seam -------------------------------------------------------------------
class CheckpointFs {
 public:
  virtual ~CheckpointFs() = default;
  virtual Status make_dir(const std::string& path) = 0;               // mkdir (exists = error)
  virtual Status make_dirs(const std::string& path) = 0;              // mkdir -p
  virtual int hard_link(const std::string& from, const std::string& to) = 0;  // 0 or errno
  virtual Status copy_file(const std::string& from, const std::string& to) = 0;  // data fsync'ed, mtime kept
  virtual Status write_file(const std::string& path, const std::string& data) = 0;  // O_EXCL, fsync'ed
  virtual Status sync_dir(const std::string& path) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove_tree(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;  // names, no . ..
  virtual Result<std::string> read_file(const std::string& path) = 0;
  // size/mtime of a regular file; error if missing or not a regular file.
  virtual Result<FileInfo> stat_regular(const std::string& path) = 0;
};
// The real one (POSIX calls).
std::shared_ptr<CheckpointFs> posix_fs();

struct CheckpointOptions {
  std::string root = "checkpoints";
  int keep = 3;              // checkpoints kept after a save (>= 1)
  bool force_copy = false;   // tests: behave as if hard links were impossible (EXDEV)
};

struct SkippedCheckpoint {
  std::string name;    // directory name
  std::string reason;  // one line
};

struct LoadResult {
  bool found = false;                    // a valid checkpoint was loaded
  CheckpointState state;
  std::string dir;                       // its directory
  std::vector<SkippedCheckpoint> skipped;  // newer ones that were invalid, newest first
  int leftovers = 0;                     // `.tmp-*` entries ignored
};

struct SaveStats {
  std::string dir;
  int linked = 0;   // files hard-linked
  int copied = 0;   // files copied (other filesystem)
  int removed = 0;  // old checkpoints deleted (keep)
  int reused = 0;   // files already present in a recycled old checkpoint directory
};

class CheckpointStore {
 public:
  explicit CheckpointStore(CheckpointOptions opt, std::shared_ptr<CheckpointFs> fs = posix_fs());
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Creates the root if needed and takes an exclusive lock on root/.lock (so two runs never write
  // into one root), then removes `.tmp-*` leftovers of crashed runs. Call once before save().
  Status open();

  // Newest valid checkpoint (see the header comment). Never modifies anything.
  LoadResult load_latest() const;

  // Writes `s` as the next checkpoint (s.sequence is assigned). `input_dir` is where the processed
  // files are linked from. Atomic (see above); then deletes checkpoints beyond `keep`.
  Result<SaveStats> save(CheckpointState s, const std::string& input_dir);

  // Deletes every checkpoint (--fresh). Requires open().
  Status clear();

  const CheckpointOptions& options() const { return opt_; }
  int saved() const { return saved_; }

 private:
  struct Entry {
    std::uint64_t seq;
    std::string name;
  };
  Result<std::vector<Entry>> checkpoints() const;  // ckpt-* entries, newest first
  Result<CheckpointState> validate(const std::string& dir) const;

  CheckpointOptions opt_;
  std::shared_ptr<CheckpointFs> fs_;
  int lock_fd_ = -1;
  std::uint64_t next_seq_ = 1;
  int saved_ = 0;
  std::map<std::string, std::set<std::string>> written_;  // checkpoints this store wrote: their files
};

// ---- resuming against the current input -----------------------------------------------------
// Compares a checkpoint with the files discover_logs() finds now. A processed file that is gone,
// or whose size or mtime differ, is dropped from the resumed state (its counts subtracted) and
// processed again; a note says so. Files not in the checkpoint are simply pending.
struct ResumePlan {
  std::vector<bool> done;            // per current file: already counted in `base`
  std::vector<CheckpointFile> kept;  // processed files still valid, in current-file order
  Counts base;                       // sum over kept
  int already = 0;                   // kept.size()
  std::vector<std::string> notes;    // one line per changed / gone file
};
// Error (refuse) when the checkpoint was made for another input directory (`input_dir` is the
// absolute path of the current one; a checkpoint without input_dir is accepted).
Result<ResumePlan> plan_resume(const CheckpointState& s, const std::string& input_dir,
                               const std::vector<FileInfo>& current);

// realpath() of a directory, as an error value.
Result<std::string> absolute_path(const std::string& path);

// "2026-11-24T09:30:00.250" from seconds since the Unix epoch (UTC, milliseconds).
std::string iso8601_utc(double seconds_since_epoch);

}  // namespace dla
