// scan_file through a test Env: a file that shrinks while it is read (copytruncate rotation, a
// truncation between discovery and the scan) is an error naming it, never a smaller count.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "base/mem_env.h"
#include "scan/scanner.h"

namespace dla {
namespace {

// Forwards to a MemEnv; the files it opens truncate their file to `cut` bytes once `after_reads`
// reads have been served, as a log rotation running beside the scanner would.
class ShrinkingEnv final : public Env {
 public:
  ShrinkingEnv(MemEnv& mem, std::uint64_t cut, int after_reads) : mem_(mem), cut_(cut), after_(after_reads) {}
  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) override {
    auto f = mem_.open_read(path);
    if (!f) return f.err();
    return std::unique_ptr<ReadFile>(new Shrinking(*this, std::move(*f), path));
  }
  Result<std::unique_ptr<WritableFile>> open_write(const std::string& p, WriteMode m) override { return mem_.open_write(p, m); }
  Result<FileStat> stat(const std::string& p) override { return mem_.stat(p); }
  Result<FileStat> lstat(const std::string& p) override { return mem_.lstat(p); }
  Result<std::vector<std::string>> list_dir(const std::string& p) override { return mem_.list_dir(p); }
  Status make_dir(const std::string& p) override { return mem_.make_dir(p); }
  Status remove_file(const std::string& p) override { return mem_.remove_file(p); }
  Status remove_dir(const std::string& p) override { return mem_.remove_dir(p); }
  Status rename(const std::string& a, const std::string& b) override { return mem_.rename(a, b); }
  Status link(const std::string& a, const std::string& b) override { return mem_.link(a, b); }
  Status symlink(const std::string& t, const std::string& p) override { return mem_.symlink(t, p); }
  Status sync_dir(const std::string& p) override { return mem_.sync_dir(p); }
  Status set_mtime(const std::string& p, std::int64_t t) override { return mem_.set_mtime(p, t); }
  Result<std::unique_ptr<FileLock>> lock(const std::string& p) override { return mem_.lock(p); }
  Result<std::string> real_path(const std::string& p) override { return mem_.real_path(p); }
  std::uint64_t process_id() override { return mem_.process_id(); }

 private:
  class Shrinking final : public ReadFile {
   public:
    Shrinking(ShrinkingEnv& env, std::unique_ptr<ReadFile> f, std::string path)
        : env_(env), f_(std::move(f)), path_(std::move(path)) {}
    Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) override {
      maybe_cut();
      return f_->read_at(offset, n, dst);
    }
    Result<std::size_t> read(std::size_t n, char* dst) override {
      maybe_cut();
      return f_->read(n, dst);
    }
    Result<FileStat> stat() override { return f_->stat(); }

   private:
    void maybe_cut() {
      if (reads_++ != env_.after_) return;
      auto all = read_file(env_.mem_, path_);
      REQUIRE(all.ok());
      REQUIRE(write_file(env_.mem_, path_, all->substr(0, env_.cut_), WriteMode::kTruncate, false).ok());
    }
    ShrinkingEnv& env_;
    std::unique_ptr<ReadFile> f_;
    std::string path_;
    int reads_ = 0;
  };
  MemEnv& mem_;
  std::uint64_t cut_;
  int after_;
};

}  // namespace

TEST_CASE("scan_file: a file that shrinks while it is read is an error, not a smaller count", "[scanner]") {
  MemEnv mem;
  std::string content;
  for (int i = 0; i < 4000; ++i) content += i % 2 ? "[2025] [ERROR] disk\n" : "[2025] [INFO] ok\n";
  const std::uint64_t size = content.size();
  REQUIRE(make_dirs(mem, "/logs").ok());
  REQUIRE(write_file(mem, "/logs/app.log", content, WriteMode::kTruncate, false).ok());
  ScanOptions o;
  o.chunk_bytes = 4096;  // many reads
  SECTION("read through the Env, untouched: the same counts as the buffer") {
    auto r = scan_file("/logs/app.log", {}, o, mem);
    REQUIRE(r.ok());
    CHECK(*r == detail::scan_buffer_scalar(content.data(), content.size()));
  }
  SECTION("cut to 1000 bytes after the first read") {
    ShrinkingEnv env(mem, 1000, 1);
    auto r = scan_file("/logs/app.log", {}, o, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank from " + std::to_string(size) + " to 1000 bytes while it was read");
  }
  SECTION("a range of the second half, the file cut below the range's start before any read") {
    ShrinkingEnv env(mem, 100, 0);
    auto r = scan_file("/logs/app.log", {size / 2, size - size / 2}, o, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error().find("shrank from " + std::to_string(size) + " to 100 bytes") != std::string::npos);
  }
  SECTION("a range of the first half survives a cut past its last line") {
    ShrinkingEnv env(mem, size - 10, 0);
    auto r = scan_file("/logs/app.log", {0, size / 2}, o, env);
    REQUIRE(r.ok());
  }
  SECTION("already shorter than the range planned for it when opened") {
    REQUIRE(write_file(mem, "/logs/app.log", content.substr(0, 1000), WriteMode::kTruncate, false).ok());
    auto r = scan_file("/logs/app.log", {0, size}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank to 1000 bytes before it was read (the range planned for it ends at " +
                           std::to_string(size) + ")");
  }
  SECTION("smaller than discovery saw: an error before reading") {
    o.expected_size = size + 1;
    auto r = scan_file("/logs/app.log", {}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank from " + std::to_string(size + 1) + " to " + std::to_string(size) +
                           " bytes before it was read");
  }
}

TEST_CASE("scan_file: an error names the file escaped, so a newline in its name cannot forge a line", "[scanner][names]") {
  MemEnv mem;
  REQUIRE(make_dirs(mem, "/logs").ok());
  const std::string forged = "/logs/x\nRESULT OK total=0\n.log";
  SECTION("a missing file") {
    auto r = scan_file(forged, {}, {}, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find('\n') == std::string::npos);
    CHECK(r.error().find("/logs/x\\x0aRESULT OK total=0\\x0a.log") != std::string::npos);
  }
  SECTION("a file that shrank before it was read") {
    REQUIRE(write_file(mem, forged, "INFO a\n", WriteMode::kTruncate, false).ok());
    ScanOptions o;
    o.expected_size = 100;
    auto r = scan_file(forged, {}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "/logs/x\\x0aRESULT OK total=0\\x0a.log shrank from 100 to 7 bytes before it was read");
  }
}


TEST_CASE("scan_file: progress keeps coming inside one huge line (a worker must keep heartbeating)", "[scanner]") {
  MemEnv env;
  REQUIRE(env.make_dir("/d"));
  const std::string line = "[INFO] " + std::string(5u << 20, 'x');  // 5 MiB, no newline at all
  REQUIRE(write_file(env, "/d/one.log", line, WriteMode::kCreateExclusive, false));
  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{100}}) {
    ScanOptions so;
    so.chunk_bytes = 64u << 10;
    std::vector<std::uint64_t> seen;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) { seen.push_back(done); };
    auto r = scan_file("/d/one.log", {offset, line.size() - offset}, so, env);
    REQUIRE(r);
    INFO("offset " << offset << ", progress calls " << seen.size());
    CHECK(seen.size() >= 4);  // every 16 pieces of 64 KiB: about 5 calls, plus the final one
    CHECK(seen.back() == line.size() - offset);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK((*r)[Level::Info] == (offset == 0 ? 1u : 0u));
  }
}
}  // namespace dla
