// Unit tests for stream/follow_file: complete lines only, truncation, identity, formats.
#include "stream/follow_file.h"

#include <catch2/catch.hpp>
#include <functional>
#include <utility>

#include "base/mem_env.h"

using dla::Counts;
using dla::MemEnv;
using dla::WriteMode;
using namespace dla::stream;

namespace {

void append(MemEnv& env, const std::string& p, const std::string& s) {
  REQUIRE(dla::write_file(env, p, s, WriteMode::kAppend, false));
}

dla::FormatSpec automatic() { return dla::FormatSpec{}; }

// An Env over a MemEnv whose files run `before_read` once, just before the first read_at past
// offset 0 (after the follower checked the head, before it reads the new bytes).
class RaceEnv final : public dla::Env {
 public:
  RaceEnv(MemEnv* base, std::function<void()> before_read) : b_(base), before_(std::move(before_read)) {}
  dla::Result<std::unique_ptr<dla::ReadFile>> open_read(const std::string& p) override {
    auto f = b_->open_read(p);
    if (!f) return f;
    return std::unique_ptr<dla::ReadFile>(new File(std::move(*f), this));
  }
  dla::Result<std::unique_ptr<dla::WritableFile>> open_write(const std::string& p, WriteMode m) override { return b_->open_write(p, m); }
  dla::Result<dla::FileStat> stat(const std::string& p) override { return b_->stat(p); }
  dla::Result<dla::FileStat> lstat(const std::string& p) override { return b_->lstat(p); }
  dla::Result<std::vector<std::string>> list_dir(const std::string& p) override { return b_->list_dir(p); }
  dla::Status make_dir(const std::string& p) override { return b_->make_dir(p); }
  dla::Status remove_file(const std::string& p) override { return b_->remove_file(p); }
  dla::Status remove_dir(const std::string& p) override { return b_->remove_dir(p); }
  dla::Status rename(const std::string& a, const std::string& c) override { return b_->rename(a, c); }
  dla::Status link(const std::string& a, const std::string& c) override { return b_->link(a, c); }
  dla::Status symlink(const std::string& a, const std::string& c) override { return b_->symlink(a, c); }
  dla::Status sync_dir(const std::string& p) override { return b_->sync_dir(p); }
  dla::Status set_mtime(const std::string& p, std::int64_t t) override { return b_->set_mtime(p, t); }
  dla::Result<std::unique_ptr<dla::FileLock>> lock(const std::string& p) override { return b_->lock(p); }
  dla::Result<std::string> real_path(const std::string& p) override { return b_->real_path(p); }
  std::uint64_t process_id() override { return b_->process_id(); }

 private:
  struct File final : dla::ReadFile {
    File(std::unique_ptr<dla::ReadFile> f, RaceEnv* e) : f_(std::move(f)), e_(e) {}
    dla::Result<std::size_t> read_at(std::uint64_t off, std::size_t n, char* dst) override {
      if (off > 0 && e_->before_) std::exchange(e_->before_, nullptr)();
      return f_->read_at(off, n, dst);
    }
    dla::Result<std::size_t> read(std::size_t n, char* dst) override { return f_->read(n, dst); }
    dla::Result<dla::FileStat> stat() override { return f_->stat(); }
    std::unique_ptr<dla::ReadFile> f_;
    RaceEnv* e_;
  };
  MemEnv* b_;
  std::function<void()> before_;
};

}  // namespace

TEST_CASE("follow: only complete lines are counted; a partial line waits for its newline") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] one\n[t] [ERR");
  FileFollower f(&env, "/a.log", {}, automatic());
  auto s = f.poll();
  CHECK(s.error.empty());
  CHECK(s.from == 0);
  CHECK(s.to == 15);
  CHECK(s.counts.lines == 1);
  CHECK(s.counts.get("INFO") == 1);
  CHECK(s.fp == "[t] [INFO] one\n[t] [ERR");  // the head, partial line included
  CHECK(f.position().format == "bracket");
  s = f.poll();
  CHECK(s.counts.lines == 0);
  CHECK(s.to == 15);
  append(env, "/a.log", "OR] two\n[t] [WARN] three\n");
  s = f.poll();
  CHECK(s.from == 15);
  CHECK(s.counts.lines == 2);
  CHECK(s.counts.get("ERROR") == 1);
  CHECK(s.counts.get("WARN") == 1);
  CHECK(s.fp == "[t] [INFO] one\n[t] [ERROR] two\n[t] [WARN] three\n");  // lengthened with the file
  s = f.poll();
  CHECK(s.fp.empty());  // unchanged
}

TEST_CASE("follow: a final poll counts the last unterminated line") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] one\n[t] [DEBUG] tail");
  FileFollower f(&env, "/a.log", {}, automatic());
  CHECK(f.poll().counts.lines == 1);
  auto s = f.poll(true);
  CHECK(s.counts.lines == 1);
  CHECK(s.counts.get("DEBUG") == 1);
}

TEST_CASE("follow: truncation ends the generation at the offset and reading restarts at 0") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] first generation\n[t] [INFO] x\n");
  FileFollower f(&env, "/a.log", {}, automatic());
  REQUIRE(f.poll().counts.lines == 2);
  SECTION("shorter") {
    REQUIRE(dla::write_file(env, "/a.log", "[t] [WARN] n\n", WriteMode::kTruncate, false));
  }
  SECTION("longer, other first line (truncated and rewritten between two polls)") {
    REQUIRE(dla::write_file(env, "/a.log", "[t] [WARN] second generation, longer than the first\n", WriteMode::kTruncate, false));
  }
  auto s = f.poll();
  CHECK(s.truncated);
  CHECK(s.end == 41);
  CHECK(f.position().offset == 0);
  s = f.poll();
  CHECK_FALSE(s.truncated);
  CHECK(s.from == 0);
  CHECK(s.counts.lines == 1);
  CHECK(s.counts.get("WARN") == 1);
  CHECK_FALSE(s.fp.empty());
}

TEST_CASE("follow: a truncation to empty, then a partial line, then its newline") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] a\n");
  FileFollower f(&env, "/a.log", {}, automatic());
  REQUIRE(f.poll().counts.lines == 1);
  REQUIRE(dla::write_file(env, "/a.log", "", WriteMode::kTruncate, false));
  CHECK(f.poll().truncated);
  append(env, "/a.log", "[t] [ERROR] b");
  auto s = f.poll();
  CHECK_FALSE(s.truncated);
  CHECK(s.counts.lines == 0);
  append(env, "/a.log", "\n");
  s = f.poll();
  CHECK(s.counts.get("ERROR") == 1);
}

TEST_CASE("follow: resuming at a committed offset reads only what follows; another inode is lost") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] a\n[t] [WARN] b\n");
  FileFollower first(&env, "/a.log", {}, automatic());
  REQUIRE(first.poll().counts.lines == 2);
  FollowPosition pos = first.position();
  pos.offset = 13;  // as if only the first line had been committed
  FileFollower again(&env, "/a.log", pos, automatic());
  auto s = again.poll();
  CHECK(s.counts.lines == 1);
  CHECK(s.counts.get("WARN") == 1);
  REQUIRE(env.rename("/a.log", "/a.log.1"));
  append(env, "/a.log", "[t] [INFO] new file\n");
  FileFollower third(&env, "/a.log", pos, automatic());
  CHECK(third.poll().lost);
  FileFollower gone(&env, "/nothing.log", pos, automatic());
  CHECK(gone.poll().lost);
}

TEST_CASE("follow: the open file is read after a rename (rotation) and a delete") {
  MemEnv env;
  append(env, "/a.log", "[t] [INFO] a\n");
  FileFollower f(&env, "/a.log", {}, automatic());
  REQUIRE(f.poll().counts.lines == 1);
  append(env, "/a.log", "[t] [INFO] b\n");
  REQUIRE(env.rename("/a.log", "/a.log.1"));
  CHECK(f.poll().counts.lines == 1);
}

TEST_CASE("follow: the format is detected once per file and kept; a fixed --format is used as given") {
  MemEnv env;
  append(env, "/j.log", "{\"level\":\"warn\",\"msg\":\"x\"}\n{\"level\":\"error\"}\n");
  FileFollower f(&env, "/j.log", {}, automatic());
  auto s = f.poll();
  CHECK(f.position().format == "json");
  CHECK(s.counts.get("WARN") == 1);
  CHECK(s.counts.get("ERROR") == 1);
  auto spec = dla::parse_format_spec("none");
  REQUIRE(spec);
  FileFollower n(&env, "/j.log", {}, *spec);
  s = n.poll();
  CHECK(s.counts.lines == 2);
  CHECK(s.counts.leveled() == 0);
  CHECK(n.position().format == "none");
}

TEST_CASE("follow: max_bytes bounds one poll; the rest comes next time") {
  MemEnv env;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "[t] [INFO] line\n";
  append(env, "/a.log", text);
  FileFollower f(&env, "/a.log", {}, automatic());
  auto s = f.poll(false, 100);
  CHECK(s.counts.lines == 6);
  CHECK(f.behind());
  std::uint64_t total = s.counts.lines;
  while (f.behind()) total += f.poll(false, 100).counts.lines;
  CHECK(total == 100);
}

TEST_CASE("follow: the format is not chosen from a head that is only a partial line") {
  MemEnv env;
  append(env, "/a.log", "[t] [IN");
  FileFollower f(&env, "/a.log", {}, automatic());
  CHECK(f.poll().counts.lines == 0);
  CHECK(f.position().format.empty());
  append(env, "/a.log", "FO] x\n[t] [WARN] y\n");
  auto s = f.poll();
  CHECK(f.position().format == "bracket");
  CHECK(s.counts.get("INFO") == 1);
  CHECK(s.counts.get("WARN") == 1);
  // the same after a truncation: the new generation starts with a partial line
  REQUIRE(dla::write_file(env, "/a.log", "[t] [ERR", WriteMode::kTruncate, false));
  CHECK(f.poll().truncated);
  CHECK(f.poll().counts.lines == 0);
  append(env, "/a.log", "OR] z\n");
  CHECK(f.poll().counts.get("ERROR") == 1);
}

TEST_CASE("follow: a truncation and rewrite between the head check and the read is not counted as the old generation") {
  MemEnv mem;
  append(mem, "/a.log", "[t] [INFO] old 1\n");
  FileFollower first(&mem, "/a.log", {}, automatic());
  REQUIRE(first.poll().counts.lines == 1);
  append(mem, "/a.log", "[t] [INFO] old 2\n");  // 17 bytes more: the next poll reads from 17
  const std::string gen1 = "[t] [WARN] new 1\n[t] [WARN] new 2\n[t] [WARN] new 3\n";
  RaceEnv env(&mem, [&] { REQUIRE(dla::write_file(mem, "/a.log", gen1, WriteMode::kTruncate, false)); });
  FileFollower f(&env, "/a.log", first.position(), automatic());
  auto s = f.poll();  // head "old 1" checked, then the file is rewritten, then [17, 51) is read
  CHECK(s.truncated);
  CHECK(s.end == 17);
  CHECK(s.counts.lines == 0);
  s = f.poll();
  CHECK(s.from == 0);
  CHECK(s.counts.lines == 3);
  CHECK(s.counts.get("WARN") == 3);
}
