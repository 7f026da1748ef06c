// Unit tests for core/loggen: the deterministic log generator.
#include "scan/loggen.h"
#include "base/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace fs = std::filesystem;

namespace {

using dla::test::TempDir;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> generate(const std::string& dir, const dla::GenOptions& o) {
  auto r = dla::generate_logs(dir, o);
  REQUIRE(r.ok());
  std::vector<std::string> contents;
  for (const auto& p : *r) contents.push_back(slurp(p));
  return contents;
}

}  // namespace

TEST_CASE("gen_line_counts: sums to files * lines; skew 0 is equal; skew > 0 is non-increasing", "[loggen]") {
  dla::GenOptions o;
  o.files = 7;
  o.lines = 1000;
  auto eq = dla::gen_line_counts(o);
  REQUIRE(eq.size() == 7);
  CHECK(std::accumulate(eq.begin(), eq.end(), std::uint64_t{0}) == 7000);
  for (auto c : eq) CHECK(c == 1000);

  for (double skew : {0.5, 1.0, 2.0}) {
    o.skew = skew;
    auto c = dla::gen_line_counts(o);
    CHECK(std::accumulate(c.begin(), c.end(), std::uint64_t{0}) == 7000);
    for (std::size_t i = 1; i < c.size(); ++i) CHECK(c[i - 1] >= c[i]);
    CHECK(c.front() > c.back());
  }
  // skew 1: file 1 holds 1/H(7) of the lines (H(7) = 2.592857...), to within rounding
  o.skew = 1.0;
  auto c1 = dla::gen_line_counts(o);
  CHECK(c1[0] >= 2699);
  CHECK(c1[0] <= 2701);

  o.files = 3;
  o.lines = 1;  // 3 lines over 3 files, heavily skewed: rounding still sums exactly
  o.skew = 3;
  auto tiny = dla::gen_line_counts(o);
  CHECK(std::accumulate(tiny.begin(), tiny.end(), std::uint64_t{0}) == 3);
}

TEST_CASE("generate_logs: the same seed gives the same bytes; another seed differs", "[loggen]") {
  TempDir a, b, c;
  dla::GenOptions o;
  o.files = 3;
  o.lines = 500;
  o.seed = 7;
  auto x = generate(a.path + "/out", o);  // nested dir is created
  auto y = generate(b.path, o);
  REQUIRE(x.size() == 3);
  CHECK(x == y);
  o.seed = 8;
  auto z = generate(c.path, o);
  REQUIRE(z.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(x[i] != z[i]);
  // files of one run differ from each other too (per-file streams)
  CHECK(x[0] != x[1]);
}

TEST_CASE("generate_logs: names, line counts and the line format", "[loggen]") {
  TempDir d;
  dla::GenOptions o;
  o.files = 4;
  o.lines = 300;
  o.skew = 1.5;
  o.prefix = "web";
  auto r = dla::generate_logs(d.path, o);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  auto counts = dla::gen_line_counts(o);
  for (int i = 0; i < 4; ++i) {
    const std::string& p = (*r)[static_cast<std::size_t>(i)];
    CHECK(p == d.path + "/web" + std::to_string(i + 1) + ".log");
    std::string s = slurp(p);
    CHECK(static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n')) == counts[static_cast<std::size_t>(i)]);
    REQUIRE_FALSE(s.empty());
    CHECK(s.back() == '\n');
    // Every line: "[2025-..T..] [LEVEL] message", exactly one of the four levels.
    std::istringstream in(s);
    int bad = 0;
    for (std::string line; std::getline(in, line);) {
      int levels = 0;
      for (const char* t : {"] [INFO] ", "] [WARN] ", "] [ERROR] ", "] [DEBUG] "})
        if (line.find(t) != std::string::npos) ++levels;
      if (line.rfind("[2025-", 0) != 0 || levels != 1 || line.find('\r') != std::string::npos) ++bad;
    }
    CHECK(bad == 0);
  }
  // skewed sizes: file 1 is the biggest
  CHECK(fs::file_size((*r)[0]) > fs::file_size((*r)[3]));
}

TEST_CASE("generate_logs --mixed: contains each tricky kind of line", "[loggen]") {
  TempDir d;
  dla::GenOptions o;
  o.files = 1;
  o.lines = 2000;
  o.mixed = true;
  auto x = generate(d.path, o);
  REQUIRE(x.size() == 1);
  const std::string& s = x[0];
  CHECK(static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n')) == 2000);
  CHECK(s.find("[WARNING]") != std::string::npos);
  CHECK(s.find("\r\n") != std::string::npos);
  CHECK(s.find("[info]") != std::string::npos);
  CHECK(s.find("\n\n") != std::string::npos);        // blank line
  CHECK(s.find(" [ERROR]\n") != std::string::npos);  // a second level token at the end
}

TEST_CASE("generate_logs: bad options and unwritable output are errors", "[loggen]") {
  dla::GenOptions o;
  o.files = 0;
  TempDir d;
  auto r = dla::generate_logs(d.path, o);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Catch::Contains("files"));
  o.files = 1;
  std::ofstream(d.path + "/plain") << "x";
  auto w = dla::generate_logs(d.path + "/plain/sub", o);  // a file in the way
  REQUIRE_FALSE(w.ok());
  CHECK_THAT(w.error(), Catch::Contains("plain"));
}

TEST_CASE("SplitMix64: reproducible stream and bounded draws", "[loggen]") {
  dla::SplitMix64 a(1), b(1), c(2);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto x = a.next();
    CHECK(x == b.next());
    if (x != c.next()) differs = true;
  }
  CHECK(differs);
  // Reference value of splitmix64 seeded with 0 (first output), as published with the algorithm.
  CHECK(dla::SplitMix64(0).next() == 0xE220A8397B1DCDAFull);
  dla::SplitMix64 r(99);
  for (int i = 0; i < 1000; ++i) {
    CHECK(r.below(7) < 7);
    double u = r.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
  CHECK(r.below(0) == 0);
}
