// Unit tests for scan/growth: the growth script's text form, its generated lines (counted here by
// substring, not by the generator's own tally) and the steps carried out on a directory.
#include "scan/growth.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "base/test_util.h"

namespace {

using dla::GrowthStep;

std::uint64_t count_of(const std::string& text, const std::string& needle) {
  std::uint64_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

const char* kScript =
    "# comment\n"
    "2.0 rotate a.log a.log.1\n"
    "1 append a.log 500\n"
    "2.5 truncate b.log\n"
    "3 create c.log 200\n"
    "1.5 crash 3\n";

}  // namespace

TEST_CASE("growth: text parses, sorted by time, and round-trips") {
  auto s = dla::parse_growth_text(kScript);
  REQUIRE(s.ok());
  REQUIRE(s->size() == 5);
  CHECK((*s)[0].kind == GrowthStep::kAppend);
  CHECK((*s)[0].file == "a.log");
  CHECK((*s)[0].lines == 500);
  CHECK((*s)[1].kind == GrowthStep::kCrash);
  CHECK((*s)[1].rank == 3);
  CHECK((*s)[2].kind == GrowthStep::kRotate);
  CHECK((*s)[2].to == "a.log.1");
  CHECK((*s)[3].kind == GrowthStep::kTruncate);
  CHECK((*s)[4].kind == GrowthStep::kCreate);
  auto again = dla::parse_growth_text(dla::growth_text(*s));
  REQUIRE(again.ok());
  CHECK(dla::growth_text(*again) == dla::growth_text(*s));
}

TEST_CASE("growth: bad lines are errors naming the line") {
  for (const char* bad : {"x append a.log 5", "1 grow a.log 5", "1 append a.log", "1 append a/b.log 5", "1 append a.log 0",
                          "1 rotate a.log", "1 rotate a.log a.log", "1 truncate a.log b", "1 crash 0", "1 crash x",
                          "-1 append a.log 5", "1 append a.log 5 6", "1 append .. 5"}) {
    auto s = dla::parse_growth_text(std::string("# ok\n") + bad + "\n");
    INFO(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().find("growth line 2") != std::string::npos);
  }
}

TEST_CASE("growth: generated lines are deterministic and their counts exact") {
  GrowthStep a;
  a.file = "a.log";
  a.at = 1.25;
  a.lines = 1000;
  auto g = dla::growth_lines(a, 0, 7);
  CHECK(g.text == dla::growth_lines(a, 0, 7).text);
  CHECK(g.text != dla::growth_lines(a, 1, 7).text);
  CHECK(g.text != dla::growth_lines(a, 0, 8).text);
  CHECK(count_of(g.text, "\n") == 1000);
  std::uint64_t sum = 0;
  for (const char* l : {"DEBUG", "INFO", "WARN", "ERROR"}) {
    const auto n = count_of(g.text, std::string("] [") + l + "] ");
    CHECK(g.counts.get(l) == n);
    CHECK(n > 150);  // each of the four levels drawn about 250 times
    sum += n;
  }
  CHECK(sum == 1000);
  CHECK(g.counts.lines == 1000);
}

TEST_CASE("growth: expected totals are every appended line, whatever rotations and truncations follow") {
  auto s = dla::parse_growth_text(kScript);
  REQUIRE(s.ok());
  const auto c = dla::expected_growth_counts(*s, 3);
  CHECK(c.lines == 700);
  std::string all;
  for (std::size_t i = 0; i < s->size(); ++i) all += dla::growth_lines((*s)[i], i, 3).text;
  for (const char* l : {"DEBUG", "INFO", "WARN", "ERROR"}) CHECK(c.get(l) == count_of(all, std::string("] [") + l + "] "));
}

TEST_CASE("growth: steps carried out on a directory") {
  dla::test::TempDir d("growth");
  auto& env = *dla::Env::posix();
  auto s = dla::parse_growth_text("1 append a.log 3\n2 rotate a.log a.log.1\n3 append b.log 2\n4 truncate b.log\n5 create c.log 1\n");
  REQUIRE(s.ok());
  for (std::size_t i = 0; i < s->size(); ++i) REQUIRE(dla::apply_growth_step(env, d.path, (*s)[i], i, 1).ok());
  auto a1 = dla::read_file(env, d.path + "/a.log.1");
  REQUIRE(a1.ok());
  CHECK(count_of(*a1, "\n") == 3);
  CHECK_FALSE(env.lstat(d.path + "/a.log").ok());
  auto b = dla::read_file(env, d.path + "/b.log");
  REQUIRE(b.ok());
  CHECK(b->empty());
  // never overwrites: create of an existing file, rotation onto an existing name
  CHECK_FALSE(dla::apply_growth_step(env, d.path, (*s)[4], 4, 1).ok());
  GrowthStep r{GrowthStep::kRotate, 6, "c.log", "a.log.1"};
  CHECK_FALSE(dla::apply_growth_step(env, d.path, r, 5, 1).ok());
  auto a1b = dla::read_file(env, d.path + "/a.log.1");
  CHECK(*a1b == *a1);
}

TEST_CASE("growth: times written shortest, read back exactly") {
  auto s = dla::parse_growth_text("2.2 append a.log 1\n0.1 crash 2\n");
  REQUIRE(s.ok());
  const auto t = dla::growth_text(*s);
  CHECK(t.find("\n0.1 crash 2\n") != std::string::npos);
  CHECK(t.find("\n2.2 append a.log 1\n") != std::string::npos);
  CHECK(dla::growth_step_words((*s)[1]) == "append a.log 1");
}

TEST_CASE("growth: copy (copytruncate's first half) duplicates the bytes into a new file, never over one") {
  dla::test::TempDir d("growth-copy");
  auto& env = *dla::Env::posix();
  auto s = dla::parse_growth_text("1 append b.log 4\n2 copy b.log b-1.log\n2 truncate b.log\n");
  REQUIRE(s.ok());
  CHECK((*s)[1].kind == GrowthStep::kCopy);
  CHECK((*s)[1].to == "b-1.log");
  for (std::size_t i = 0; i < s->size(); ++i) REQUIRE(dla::apply_growth_step(env, d.path, (*s)[i], i, 1).ok());
  CHECK(dla::read_file(env, d.path + "/b-1.log").value() == dla::growth_lines((*s)[0], 0, 1).text);
  CHECK(dla::read_file(env, d.path + "/b.log").value().empty());
  CHECK_FALSE(dla::apply_growth_step(env, d.path, (*s)[1], 1, 1).ok());  // b-1.log exists
  CHECK(dla::expected_growth_counts(*s, 1).lines == 4);                   // a copy writes no new line
  CHECK_FALSE(dla::parse_growth_text("1 copy b.log\n").ok());
}
