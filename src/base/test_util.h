// Helpers for the unit tests only (no program includes this): a scratch directory on the real
// disk, made and removed through the Env like every other file in the project.
#pragma once
#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "base/env.h"

namespace dla::test {

// A fresh, empty directory under $TMPDIR (else /tmp), removed with everything in it when the
// TempDir goes out of scope. `tag` names the test in the directory's name.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "dla-test") {
    static std::atomic<unsigned> counter{0};
    const char* tmp = std::getenv("TMPDIR");
    const std::string root = tmp && *tmp ? tmp : "/tmp";
    Env& env = *Env::posix();
    for (int attempt = 0; attempt < 1000; ++attempt) {
      path = join_path(root, tag + "-" + std::to_string(env.process_id()) + "-" + std::to_string(counter.fetch_add(1)));
      Status s = env.make_dir(path);
      if (s) return;
      if (s.code() != Code::kExists) throw std::runtime_error("TempDir: " + s.error());
    }
    throw std::runtime_error("TempDir: no free name under " + root);
  }
  ~TempDir() { remove_tree(*Env::posix(), path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `name` inside the directory (replacing it) and returns its path.
  std::string file(const std::string& name, const std::string& content = "") const {
    const std::string p = join_path(path, name);
    Status s = write_file(*Env::posix(), p, content, WriteMode::kTruncate, /*sync=*/false);
    if (!s) throw std::runtime_error("TempDir: " + s.error());
    return p;
  }

  std::string path;
};

// An Env that forwards every call to `target` (LevelDB's EnvWrapper): a test Env derives from it
// and overrides only the calls it watches or breaks.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env& target) : target_(target) {}
  Env& target() { return target_; }

  Result<std::unique_ptr<ReadFile>> open_read(const std::string& p) override { return target_.open_read(p); }
  Result<std::unique_ptr<WritableFile>> open_write(const std::string& p, WriteMode m) override { return target_.open_write(p, m); }
  Result<FileStat> stat(const std::string& p) override { return target_.stat(p); }
  Result<FileStat> lstat(const std::string& p) override { return target_.lstat(p); }
  Result<std::vector<std::string>> list_dir(const std::string& p) override { return target_.list_dir(p); }
  Status make_dir(const std::string& p) override { return target_.make_dir(p); }
  Status remove_file(const std::string& p) override { return target_.remove_file(p); }
  Status remove_dir(const std::string& p) override { return target_.remove_dir(p); }
  Status rename(const std::string& a, const std::string& b) override { return target_.rename(a, b); }
  Status link(const std::string& a, const std::string& b) override { return target_.link(a, b); }
  Status clone_file(const std::string& a, const std::string& b) override { return target_.clone_file(a, b); }
  Status symlink(const std::string& t, const std::string& p) override { return target_.symlink(t, p); }
  Status sync_dir(const std::string& p) override { return target_.sync_dir(p); }
  Status set_mtime(const std::string& p, std::int64_t t) override { return target_.set_mtime(p, t); }
  Result<std::unique_ptr<FileLock>> lock(const std::string& p) override { return target_.lock(p); }
  Result<std::string> real_path(const std::string& p) override { return target_.real_path(p); }
  std::uint64_t process_id() override { return target_.process_id(); }

 private:
  Env& target_;
};

// An Env that forwards every call to `base` and counts some of them, so that a test can say how
// many file-system calls an operation makes (a cost that grows with the data shows as a count,
// not as a timing): list_dir calls, and read/read_at calls on the files it opened.
class CountingEnv final : public EnvWrapper {
 public:
  explicit CountingEnv(Env& base) : EnvWrapper(base) {}
  long list_dirs = 0;
  long reads = 0;  // ReadFile::read and read_at calls, on files opened through this Env

  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) override {
    auto f = target().open_read(path);
    if (!f) return f.err();
    return std::unique_ptr<ReadFile>(new Counted(std::move(*f), &reads));
  }
  Result<std::vector<std::string>> list_dir(const std::string& p) override {
    ++list_dirs;
    return target().list_dir(p);
  }

 private:
  class Counted final : public ReadFile {
   public:
    Counted(std::unique_ptr<ReadFile> f, long* n) : f_(std::move(f)), n_(n) {}
    Result<std::size_t> read_at(std::uint64_t off, std::size_t n, char* dst) override {
      ++*n_;
      return f_->read_at(off, n, dst);
    }
    Result<std::size_t> read(std::size_t n, char* dst) override {
      ++*n_;
      return f_->read(n, dst);
    }
    Result<FileStat> stat() override { return f_->stat(); }

   private:
    std::unique_ptr<ReadFile> f_;
    long* n_;
  };
};

}  // namespace dla::test
