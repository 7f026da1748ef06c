// MemEnv: an in-memory Env for tests, with a crash model and fault injection.
//
// Crash model (the POSIX contract, taken at its word): file data survives a crash only up to the
// last WritableFile::sync(); a directory's entries (names created, renamed, linked or removed)
// only as of the last sync_dir() of that directory. crash() drops everything else, at once, like
// a power cut. A protocol that forgets an fsync (of a file or of a directory) loses data here,
// and a test can see it. Paths are absolute or relative to "/"; symbolic links are followed.
//
// Faults: fail_at(k) makes the k-th mutating call from now fail with kIOError (1 = the next
// one); crash_at(k) makes the k-th one crash the machine instead: the call fails, crash() is
// applied, and every later call fails until restart(). no_space(true) makes append fail as on a
// full disk. mutations() counts mutating calls, so a test can first count them and then crash at
// each in turn.
//
// Thread-safe (one mutex).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"

namespace dla {

class MemEnv final : public Env {
 public:
  MemEnv();
  ~MemEnv() override;

  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> open_write(const std::string& path, WriteMode mode) override;
  Result<FileStat> stat(const std::string& path) override;
  Result<FileStat> lstat(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  Status make_dir(const std::string& path) override;
  Status remove_file(const std::string& path) override;
  Status remove_dir(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status link(const std::string& from, const std::string& to) override;
  Status symlink(const std::string& target, const std::string& path) override;
  Status sync_dir(const std::string& path) override;
  Status set_mtime(const std::string& path, std::int64_t mtime_ns) override;
  Result<std::unique_ptr<FileLock>> lock(const std::string& path) override;
  Result<std::string> real_path(const std::string& path) override;
  std::uint64_t process_id() override { return 4242; }

  // ---- the crash model and faults ----
  void crash();
  void crash_at(long k);
  void fail_at(long k);
  void restart();  // after a crash_at() crash: the machine is usable again
  void no_space(bool on);
  long mutations() const;
  bool crashed() const;

  struct Node;  // public for the file objects in mem_env.cc

 private:
  friend class MemWritable;
  friend class MemReadable;
  friend class MemLock;
  struct Where {
    Node* dir = nullptr;
    std::string name;
  };
  Status mutate(const char* op, const std::string& path);  // counts, injects faults
  Status check_alive(const std::string& path) const;
  Result<Node*> resolve(const std::string& path, bool follow_last, std::string* canonical = nullptr) const;
  Result<Where> parent_of(const std::string& path) const;
  Node* new_node(int kind);
  Status append_to(Node* n, std::string_view data, const std::string& path);

  mutable std::recursive_mutex mu_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Node* root_ = nullptr;
  std::set<std::string> locks_;
  long mutations_ = 0;
  long fail_at_ = -1, crash_at_ = -1;
  bool dead_ = false, no_space_ = false;
  std::int64_t clock_ns_ = 1000000000;
};

}  // namespace dla
