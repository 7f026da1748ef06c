// Unit tests for stream/follow_file: complete lines only, truncation, identity, formats.
#include "stream/follow_file.h"

#include <catch2/catch.hpp>

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
