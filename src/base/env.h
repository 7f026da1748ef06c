// Env: the only door to the file system (LevelDB's idea). Every open, read, stat, mkdir, link,
// rename, fsync, lock and remove of the pure layers goes through one of these, so that tests can
// swap in MemEnv (base/mem_env.h): an in-memory file system whose crash() loses everything that
// was not yet made durable, exactly as a power cut would.
//
// Durability model (what the POSIX Env does and MemEnv checks):
//   * file data is durable after WritableFile::sync();
//   * a name (a new file, directory, link, or the result of a rename or remove) is durable after
//     sync_dir() of the directory that holds it.
//
// Errors are values with a code: kNotFound (ENOENT), kExists (EEXIST), kCrossDevice (EXDEV),
// kBusy (a lock held elsewhere), else kIOError; the message names the path and says why.
//
// Thread-safety: an Env may be used from several threads at once (the checkpoint writer runs in a
// thread of its own); a file object belongs to one thread at a time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dla {

struct FileStat {
  enum class Type { kRegular, kDirectory, kSymlink, kOther };
  Type type = Type::kOther;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t dev = 0;  // (dev, ino) identify a file: two names with the same pair are one file
  std::uint64_t ino = 0;
  std::uint64_t links = 1;
  bool regular() const { return type == Type::kRegular; }
  bool directory() const { return type == Type::kDirectory; }
};

// An open file for reading: by offset (regular files) or in sequence (pipes, FIFOs).
class ReadFile {
 public:
  virtual ~ReadFile() = default;
  // Up to n bytes at `offset`; fewer only at the end of the file (0 = at or past the end).
  virtual Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) = 0;
  // Up to n bytes from the current position (0 = end of stream).
  virtual Result<std::size_t> read(std::size_t n, char* dst) = 0;
  // What the open file is now (its size may differ from the stat of its name a moment ago).
  virtual Result<FileStat> stat() = 0;
};

// An open file for writing. Data written is durable only after sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view data) = 0;
  virtual Status sync() = 0;
  virtual Status close() = 0;  // also done by the destructor (errors then lost)
};

// Held while alive; the lock is released when it is destroyed (or the process dies).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class WriteMode {
  kCreateExclusive,  // fails with kExists if the name exists
  kTruncate,         // creates or empties
  kAppend,           // creates or appends
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env (never destroyed).
  static Env* posix();

  virtual Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) = 0;
  virtual Result<std::unique_ptr<WritableFile>> open_write(const std::string& path, WriteMode mode) = 0;

  virtual Result<FileStat> stat(const std::string& path) = 0;   // follows symbolic links
  virtual Result<FileStat> lstat(const std::string& path) = 0;  // does not
  // The names in a directory, without "." and "..", sorted by byte order.
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;

  virtual Status make_dir(const std::string& path) = 0;     // kExists if it exists
  virtual Status remove_file(const std::string& path) = 0;  // not a directory
  virtual Status remove_dir(const std::string& path) = 0;   // an empty directory
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status link(const std::string& from, const std::string& to) = 0;  // hard link
  // A new file `to` with the content of regular file `from` that shares no later change with it:
  // a copy-on-write clone (reflink: no data copied) where the file system can make one. The clone's
  // data is durable when this returns and its mtime is `from`'s. Error (kInvalid when the file
  // system cannot clone at all; `to` is then not created) lets the caller fall back to copy_file.
  // The default says "not supported".
  virtual Status clone_file(const std::string& from, const std::string& to);
  virtual Status symlink(const std::string& target, const std::string& path) = 0;
  virtual Status sync_dir(const std::string& path) = 0;
  virtual Status set_mtime(const std::string& path, std::int64_t mtime_ns) = 0;

  // Creates `path` if needed and takes an exclusive lock on it without waiting (kBusy if held).
  virtual Result<std::unique_ptr<FileLock>> lock(const std::string& path) = 0;
  // Absolute path with every symbolic link, "." and ".." resolved; the file must exist.
  virtual Result<std::string> real_path(const std::string& path) = 0;
  // A number that differs between processes running at the same time (temp-file names).
  virtual std::uint64_t process_id() = 0;
};

// ---- helpers built on the primitives above (the same code runs on every Env) ----------------

// The whole file.
Result<std::string> read_file(Env& env, const std::string& path);

// Writes `data` to `path` in `mode`; with `sync`, the data is durable when this returns (the name
// is durable only after sync_dir of its directory).
Status write_file(Env& env, const std::string& path, std::string_view data, WriteMode mode, bool sync);

// Replaces `path` with `data` atomically: written to a temporary name beside it, synced, renamed
// over `path`, and the directory synced. A reader sees the old content or the new, never a mix;
// after a crash the same holds. The temporary is removed if anything fails.
Status write_file_atomic(Env& env, const std::string& path, std::string_view data);

// Copies a regular file to a new name (kExists if `to` exists): data synced, mtime kept.
Status copy_file(Env& env, const std::string& from, const std::string& to);

// mkdir -p. Error if a component exists and is not a directory. With `sync`, every directory
// created is made durable in its parent (so a crash cannot lose a directory we then wrote into).
Status make_dirs(Env& env, const std::string& dir, bool sync = false);

// rm -r that never follows a symbolic link (a link is removed, not what it points to). Missing is ok.
Status remove_tree(Env& env, const std::string& path);

// Whether `path` exists as a directory / as a regular file (following links); errors read as false.
bool is_dir(Env& env, const std::string& path);
bool is_regular_file(Env& env, const std::string& path);

// "dir/name" (no doubled slash); the parent directory of a path ("." when it has none).
std::string join_path(const std::string& dir, const std::string& name);
std::string parent_dir(const std::string& path);

}  // namespace dla
