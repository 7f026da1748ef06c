// Checkpoints: the durable record of a run's progress, and how a run resumes from one. The format
// (checkpoint.json <-> CheckpointState) is ckpt/checkpoint_format.h; this is the store.
//
// Layout (the assignment's, plus extras). A checkpoint root directory (default `checkpoints/`)
// holds one directory per checkpoint:
//
//   checkpoints/
//     .lock                     locked (Env::lock) by the one run that writes here
//     ckpt-00000007/            sequence number, zero-padded; newest = largest number
//       checkpoint.json         the marker that this directory is ours ("format": "dla-checkpoint")
//       node1.log  node2.log    every file listed in processed_files, as it was when counted
//     .tmp-00000008-<pid>/      a checkpoint being written (never loaded); holds our marker file
//       .dla-tmp                `.dla-tmp` from its first instant until checkpoint.json is in it
//
// What is ours: only a directory carrying our marker (`.dla-tmp`, or a checkpoint.json with our
// format field) is ever deleted, and inside a checkpoint only checkpoint.json, the names it lists
// and the marker; a directory we created for a save (`.dla-tmp`) is removed whole. Anything else in
// the root (a user's `ckpt-2024/notes.txt`, another program's `.tmp-x`) is left alone, reported by
// foreign(), and skipped by load_latest() with a warning. Keep-K counts our checkpoints only.
// Sequence numbers have at most 18 digits: a longer `ckpt-<digits>` name is not ours, and the next
// sequence follows the newest checkpoint that is ours, so a foreign name never pushes it out of range.
//
// What a checkpoint holds of each processed file is a choice (CheckpointFiles, --checkpoint-files):
//   * link (default): a reflink where the file system has them (btrfs, XFS, bcachefs: a real
//     copy-on-write snapshot at no cost), else a hard link to the input: O(1) per file. A hard link
//     shows later changes of the input (an append, an in-place edit): load_latest() compares each
//     file with the size and mtime recorded when it was counted, and a file that differs is moved
//     back to pending (counts subtracted, LoadResult::recount says which) and counted again. The
//     checkpoint never claims content it lacks; what it cannot do is give back the old bytes.
//   * snapshot: a reflink, else a full copy (data fsynced, mtime kept): the checkpoint keeps the
//     bytes that were counted whatever happens to the input later.
// In both modes a file already in the previous checkpoint with the recorded size and mtime is
// hard-linked from there (O(1)). Measured on ext4, 1.12 GB in 1,000 files, real Open MPI -np 3
// (bench/bench_checkpoint.sh): snapshot copies made the whole run 2.6x slower than no checkpoint
// (copies 7.8-9.3 s for one save of all files; 1.7-2.0 s for 1,000 10 KB files, one fsync per file
// dominating), hard links 0.015 s; hence link is the default. A file that changed between being
// counted and the save is not kept in either mode: it goes back to pending (its counts subtracted)
// and is reported in SaveStats::changed.
//
// Recycling (keep >= 2): the oldest checkpoint a save makes superfluous, if written by this store,
// is renamed to the save's `.tmp-` directory and updated (json removed, missing files linked, stale
// snapshots replaced), so a save costs O(files processed since then) rather than O(all files).
//
// Fencing (options.term > 0): root/.term holds the term of the newest master that opened the
// root; every save checks it at its start and again just before its rename, and refuses when a newer
// term took over. (The window between that check and the rename is a few system calls: a master
// paused exactly there could still publish one checkpoint - of counts that are right, as every
// checkpoint's are, but written by a master that lost its reign.)
//
// Atomicity and durability: the root is created with every new directory fsynced into its parent.
// save() writes everything into `.tmp-<seq>-<pid>/` inside the root, fsyncs checkpoint.json and the
// directory, renames it to `ckpt-<seq>` (atomic) and fsyncs the root. A crash at any instant
// therefore leaves either the previous newest checkpoint or the new one, and once save() returned
// the new one survives any crash; a half-written one only ever exists under a `.tmp-` name, which
// load ignores. Old checkpoints beyond `keep` are first renamed to `.tmp-gc-...` (atomic) and then
// deleted. Tests check all of this on MemEnv, crashing at every mutating step.
//
// Loading: load_latest() tries checkpoints newest first, validates each completely (JSON syntax,
// fields and types, counts = sum of per-file counts, every processed file present in the directory
// with its recorded size and mtime), and returns the first valid one, reporting every skipped one
// with why. Nothing in a checkpoint.json can make it throw.
//
// Time: the timestamp string is passed in by the caller. src/ckpt never reads the wall clock: the
// MPI layer formats wall time on real MPI and a fixed epoch + simulated time under SMPI.
//
// Every file-system call goes through an Env (default Env::posix()). Thread-safety: a store is used
// by one thread at a time (the checkpoint writer thread, or the master).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/levels.h"
#include "base/status.h"
#include "ckpt/checkpoint_format.h"
#include "scan/discovery.h"

namespace dla {

// What a checkpoint holds of each processed file (--checkpoint-files):
//   kLink (default)  a reflink where the file system has them, else a hard link to the input: O(1).
//                    A link shows later changes of the input (an append, an in-place edit); they
//                    are detected by size and mtime, and such a file is recounted, never trusted.
//   kSnapshot        a reflink, else a full copy: the checkpoint keeps what was counted whatever
//                    happens to the input later. On ext4 this costs a read, a write and an fsync
//                    of every processed file (measured 2.6x the run's wall time on 1.12 GB).
enum class CheckpointFiles { kLink, kSnapshot };

struct CheckpointOptions {
  std::string root = "checkpoints";
  int keep = 3;              // checkpoints kept after a save (>= 1)
  bool no_clone = false;     // never try Env::clone_file (measurements, tests of the copy path)
  CheckpointFiles files = CheckpointFiles::kLink;
  // Fencing (--standbys, a master that may be replaced): the term of the master that writes here
  // (0 = off, today's behaviour: no mark). open() records it in root/.term; save() refuses
  // (Code::kBusy, "fenced") while the mark holds a newer term. A takeover (a new master of a newer
  // term) opens the root even while the old master, paused not dead, still holds the .lock.
  long long term = 0;
  bool takeover = false;
};

// The term mark of a checkpoint root (0 when there is none or it does not parse).
long long read_term_mark(Env& env, const std::string& root);

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
  // Processed files whose copy in the checkpoint is no longer what was counted (a hard-linked
  // input changed since): moved back to pending, their counts subtracted. One line each.
  std::vector<std::string> recount;
};

struct SaveStats {
  std::string dir;
  int linked = 0;   // snapshots hard-linked from the previous checkpoint
  int cloned = 0;   // files cloned from the input (reflink)
  int copied = 0;   // files copied from the input
  int input_links = 0;  // files hard-linked to the input (CheckpointFiles::kLink, no reflinks)
  int removed = 0;  // old checkpoints deleted (keep)
  int reused = 0;   // snapshots already present in a recycled old checkpoint directory
  std::vector<std::string> changed;  // changed since counted: left pending in this checkpoint
  int files = 0;    // processed files in the checkpoint written
};

class CheckpointStore {
 public:
  explicit CheckpointStore(CheckpointOptions opt, Env* env = Env::posix());
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Creates the root if needed (durably), takes an exclusive lock on root/.lock (so two runs never
  // write into one root), then removes leftovers of our crashed saves (`.tmp-*` carrying our
  // marker). Call once before save().
  Status open();
  // Entries of the root that look like ours but carry no marker, found by open(): left alone.
  const std::vector<std::string>& foreign() const { return foreign_; }

  // Newest valid checkpoint (see the header comment). Never modifies anything, never throws.
  LoadResult load_latest() const;

  // Writes `s` as the next checkpoint (s.sequence is assigned). `input_dir` is where the processed
  // files are taken from. Atomic and durable when it returns (see above); then deletes our
  // checkpoints beyond `keep`.
  Result<SaveStats> save(CheckpointState s, const std::string& input_dir);

  // Deletes every checkpoint of ours (--fresh); returns how many. Reads each checkpoint.json only
  // for our marker and its names (never validates). Requires open().
  Result<int> clear();

  const CheckpointOptions& options() const { return opt_; }
  int saved() const { return saved_; }
  // Whether a master of a newer term has claimed the root since open() (save() refuses then).
  bool fenced() const;

 private:
  struct Entry {
    std::uint64_t seq;
    std::string name;
  };
  struct Tmp;  // a save in progress
  Result<std::vector<Entry>> checkpoints() const;  // ckpt-<seq> entries, newest first
  // The checkpoint in `dir`, checked; files changed since counted are moved to pending (`recount`).
  Result<CheckpointState> validate(const std::string& dir, std::vector<std::string>* recount) const;
  std::string path(const std::string& name) const;
  // Marker of a directory in the root: the names we may delete in it (ours = false: not ours).
  CheckpointMarker marker_of(const std::string& name) const;
  // Deletes a directory of ours in the root (renamed out of the ckpt- namespace first if needed).
  Status remove_ours(const std::string& name, const CheckpointMarker& m);
  Status remove_leftover(const std::string& name);
  Status claim_term();
  void remove_subdirs(const std::string& dir, const std::vector<std::string>& names);
  // save() in steps.
  Status prepare_tmp(Tmp* t);
  Status snapshot_files(CheckpointState* s, const std::string& in, Tmp* t, SaveStats* st);
  Status snapshot_file(const CheckpointFile& f, const std::string& in, Tmp* t, SaveStats* st, bool* same);
  Status commit(const CheckpointState& s, Tmp* t);
  void drop_old(SaveStats* st);

  CheckpointOptions opt_;
  Env* env_;
  std::unique_ptr<FileLock> lock_;
  std::uint64_t next_seq_ = 1;
  int saved_ = 0;
  std::vector<std::string> foreign_;
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

// The absolute path of a directory with every link resolved (Env::real_path), as an error value.
Result<std::string> absolute_path(const std::string& path, Env& env = *Env::posix());

// "2026-11-24T09:30:00.250" from seconds since the Unix epoch (UTC, milliseconds).
std::string iso8601_utc(double seconds_since_epoch);

}  // namespace dla
