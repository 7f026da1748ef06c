// Unit tests for core/discovery: discover_logs, stat_file, make_tasks, partition_lpt.
#include "scan/discovery.h"
#include "base/mem_env.h"
#include "base/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

namespace fs = std::filesystem;
using dla::FileInfo;

namespace {

using dla::test::TempDir;

std::vector<std::string> names(const std::vector<FileInfo>& v) {
  std::vector<std::string> out;
  for (const auto& f : v) out.push_back(f.name);
  return out;
}

std::uint64_t load(const std::vector<int>& bin, const std::vector<std::uint64_t>& w) {
  std::uint64_t s = 0;
  for (int i : bin) s += w[static_cast<std::size_t>(i)];
  return s;
}

std::uint64_t makespan(const std::vector<std::vector<int>>& bins, const std::vector<std::uint64_t>& w) {
  std::uint64_t m = 0;
  for (const auto& b : bins) m = std::max(m, load(b, w));
  return m;
}

// Exact optimum by exhaustive search (small inputs only): item i goes to some bin; the first item
// goes to bin 0 and no item opens a bin beyond the first empty one (symmetry breaking).
void opt_rec(const std::vector<std::uint64_t>& w, std::size_t i, std::vector<std::uint64_t>& loads, int used,
             std::uint64_t cur, std::uint64_t& best) {
  if (cur >= best) return;
  if (i == w.size()) {
    best = cur;
    return;
  }
  const int m = static_cast<int>(loads.size());
  for (int b = 0; b < std::min(used + 1, m); ++b) {
    loads[b] += w[i];
    opt_rec(w, i + 1, loads, std::max(used, b + 1), std::max(cur, loads[b]), best);
    loads[b] -= w[i];
  }
}
std::uint64_t optimum(const std::vector<std::uint64_t>& w, int m) {
  std::vector<std::uint64_t> loads(static_cast<std::size_t>(m), 0);
  std::uint64_t best = ~std::uint64_t{0};
  opt_rec(w, 0, loads, 0, 0, best);
  return best;
}

void check_is_partition(const std::vector<std::vector<int>>& bins, std::size_t items) {
  std::vector<int> seen(items, 0);
  for (const auto& b : bins) {
    CHECK(std::is_sorted(b.begin(), b.end()));
    for (int i : b) {
      REQUIRE(i >= 0);
      REQUIRE(static_cast<std::size_t>(i) < items);
      ++seen[static_cast<std::size_t>(i)];
    }
  }
  for (std::size_t i = 0; i < items; ++i) CHECK(seen[i] == 1);
}

}  // namespace

TEST_CASE("discover_logs: only *.log regular files directly in the dir, sorted by byte order", "[discovery]") {
  TempDir d;
  d.file("b.log", "bb\n");
  d.file("a.log", "a\n");
  d.file("B.log", "BBBB\n");  // 'B' < 'a' in byte order
  d.file("a.log.bak", "x\n");
  d.file("notes.txt", "x\n");
  d.file("upper.LOG", "x\n");  // the suffix is case-sensitive
  d.file("log", "x\n");
  fs::create_directory(d.path + "/dir.log");  // a directory named like a log is skipped
  fs::create_directory(d.path + "/sub");
  d.file("sub/deep.log", "x\n");  // not recursive
  fs::create_symlink(d.path + "/b.log", d.path + "/link.log");  // symlink to a file: followed

  auto r = dla::discover_logs(d.path);
  REQUIRE(r.ok());
  CHECK(names(*r) == std::vector<std::string>{"B.log", "a.log", "b.log", "link.log"});
  for (const auto& f : *r) CHECK(f.path == d.path + "/" + f.name);
  CHECK((*r)[0].size == 5);
  CHECK((*r)[1].size == 2);
  CHECK((*r)[2].size == 3);
  CHECK((*r)[3].size == 3);  // the target's size
}

TEST_CASE("discover_logs: a trailing slash does not change paths", "[discovery]") {
  TempDir d;
  d.file("x.log", "1\n");
  auto r = dla::discover_logs(d.path + "/");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].path == d.path + "/x.log");
}

TEST_CASE("discover_logs: errors for a missing dir, a file, and a dir without .log files", "[discovery]") {
  TempDir d;
  auto missing = dla::discover_logs(d.path + "/does-not-exist");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error(), Catch::Contains("does-not-exist"));

  std::string f = d.file("plain.log", "x\n");
  auto not_dir = dla::discover_logs(f);
  REQUIRE_FALSE(not_dir.ok());
  CHECK_THAT(not_dir.error(), Catch::Contains("not a directory"));

  fs::create_directory(d.path + "/empty");
  d.file("empty/readme.txt", "x\n");
  fs::create_directory(d.path + "/empty/inner.log");
  auto none = dla::discover_logs(d.path + "/empty");
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.error(), Catch::Contains("no .log files"));
  // One line for the user.
  CHECK(none.error().find('\n') == std::string::npos);
}

TEST_CASE("discover_logs: a dangling symlink is kept so that it is reported as unreadable", "[discovery]") {
  TempDir d;
  d.file("a.log", "hello\n");
  fs::create_symlink(d.path + "/nowhere", d.path + "/dead.log");
  auto r = dla::discover_logs(d.path);
  REQUIRE(r.ok());
  REQUIRE(names(*r) == std::vector<std::string>{"a.log", "dead.log"});
  CHECK((*r)[1].path == d.path + "/dead.log");
  CHECK((*r)[1].size == 0);
  CHECK_FALSE(dla::stat_file((*r)[1].path).ok());
}

TEST_CASE("discover_logs: a dir holding only a dangling .log symlink is not an error", "[discovery]") {
  TempDir d;
  fs::create_symlink(d.path + "/nowhere", d.path + "/dead.log");
  auto r = dla::discover_logs(d.path);
  REQUIRE(r.ok());
  CHECK(r->size() == 1);
}

TEST_CASE("stat_file: size, name and error", "[discovery]") {
  TempDir d;
  auto p = d.file("s.log", std::string(1234, 'x'));
  auto f = dla::stat_file(p);
  REQUIRE(f.ok());
  CHECK(f->size == 1234);
  CHECK(f->name == "s.log");
  CHECK(f->mtime_ns > 0);
  auto bad = dla::stat_file(d.path + "/nope.log");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error(), Catch::Contains("nope.log"));
}

namespace {
std::vector<FileInfo> files_of_sizes(const std::vector<std::uint64_t>& sizes) {
  std::vector<FileInfo> v;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    FileInfo f;
    f.name = "f" + std::to_string(i) + ".log";
    f.path = "/x/" + f.name;
    f.size = sizes[i];
    v.push_back(f);
  }
  return v;
}

// Each file's tasks are contiguous, in order, and cover [0, size) exactly; ids are 0..n-1.
void check_cover(const std::vector<FileInfo>& files, const std::vector<dla::Task>& tasks) {
  for (std::size_t k = 0; k < tasks.size(); ++k) CHECK(tasks[k].id == static_cast<int>(k));
  std::size_t k = 0;
  for (int i = 0; i < static_cast<int>(files.size()); ++i) {
    std::uint64_t off = 0;
    int n = 0;
    while (k < tasks.size() && tasks[k].file == i) {
      CHECK(tasks[k].range.offset == off);
      CHECK(tasks[k].range.length != dla::ByteRange::kToEnd);
      CHECK(tasks[k].bytes() == tasks[k].range.length);
      off += tasks[k].range.length;
      ++k;
      ++n;
    }
    CHECK(n >= 1);  // every file, even empty, has a task
    CHECK(off == files[static_cast<std::size_t>(i)].size);
  }
  CHECK(k == tasks.size());
}
}  // namespace

TEST_CASE("make_tasks: one task per whole file without split", "[discovery]") {
  auto files = files_of_sizes({100, 0, 7, 1u << 20});
  auto t = dla::make_tasks(files);
  REQUIRE(t.size() == 4);
  check_cover(files, t);
  CHECK(t[1].bytes() == 0);
}

TEST_CASE("make_tasks: split counts and near-equal ranges", "[discovery]") {
  auto files = files_of_sizes({10, 3, 4, 0, 1});
  auto t = dla::make_tasks(files, 3);
  // 10 -> ceil(10/3) = 4 parts, 3 -> 1 (not larger than the split), 4 -> 2, 0 -> 1 (empty), 1 -> 1
  std::vector<int> per_file(files.size(), 0);
  for (const auto& x : t) ++per_file[static_cast<std::size_t>(x.file)];
  CHECK(per_file == std::vector<int>{4, 1, 2, 1, 1});
  check_cover(files, t);
  for (const auto& x : t)
    if (x.file == 0) CHECK((x.bytes() == 2 || x.bytes() == 3));
}

TEST_CASE("make_tasks: an empty file yields exactly one empty task", "[discovery]") {
  auto files = files_of_sizes({0});
  for (std::uint64_t split : {0ull, 1ull, 100ull}) {
    auto t = dla::make_tasks(files, split);
    REQUIRE(t.size() == 1);
    CHECK(t[0].range.offset == 0);
    CHECK(t[0].range.length == 0);
  }
}

TEST_CASE("make_tasks: random sizes and splits always cover each file exactly", "[discovery]") {
  std::mt19937_64 rng(12345 + Catch::rngSeed());  // DLA_TEST_SEED shifts it (tests/unit_main.cc)
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::uint64_t> sizes(1 + rng() % 12);
    for (auto& s : sizes) s = rng() % 5 == 0 ? 0 : rng() % 100000;
    std::uint64_t split = rng() % 3 == 0 ? 0 : 1 + rng() % 20000;
    auto files = files_of_sizes(sizes);
    auto t = dla::make_tasks(files, split);
    check_cover(files, t);
    for (const auto& x : t) {
      const std::uint64_t size = sizes[static_cast<std::size_t>(x.file)];
      if (split > 0) {
        CHECK(x.bytes() <= split);
        const std::uint64_t parts = size > split ? (size + split - 1) / split : 1;
        CHECK(x.bytes() >= size / parts);  // near-equal: floor or ceil of size/parts
      } else {
        CHECK(x.bytes() == size);
      }
    }
  }
}

TEST_CASE("partition_lpt: the classic worst case is exactly (4/3 - 1/3m) of the optimum", "[discovery]") {
  // 2m+1 jobs 2m-1, 2m-1, 2m-2, 2m-2, ..., m+1, m+1, m, m, m: LPT 4m-1, optimum 3m.
  for (int m = 2; m <= 5; ++m) {
    std::vector<std::uint64_t> w;
    for (int v = 2 * m - 1; v > m; --v) w.insert(w.end(), {static_cast<std::uint64_t>(v), static_cast<std::uint64_t>(v)});
    w.insert(w.end(), 3, static_cast<std::uint64_t>(m));
    auto bins = dla::partition_lpt(w, m);
    check_is_partition(bins, w.size());
    CHECK(makespan(bins, w) == static_cast<std::uint64_t>(4 * m - 1));
    CHECK(optimum(w, m) == static_cast<std::uint64_t>(3 * m));
  }
}

TEST_CASE("partition_lpt: equal weights deal out in index order, ties to the lower bin", "[discovery]") {
  auto bins = dla::partition_lpt({5, 5, 5, 5, 5, 5}, 3);
  REQUIRE(bins.size() == 3);
  CHECK(bins[0] == std::vector<int>{0, 3});
  CHECK(bins[1] == std::vector<int>{1, 4});
  CHECK(bins[2] == std::vector<int>{2, 5});
}

TEST_CASE("partition_lpt: largest first to the lightest bin", "[discovery]") {
  // weights 1,9,4,6 over 2 bins, in order 9,6,4,1: 9->b0 (9), 6->b1 (6), 4->b1 (10), 1->b0 (10).
  auto bins = dla::partition_lpt({1, 9, 4, 6}, 2);
  CHECK(bins[0] == std::vector<int>{0, 1});
  CHECK(bins[1] == std::vector<int>{2, 3});
}

TEST_CASE("partition_lpt: more bins than items, zero bins, no items", "[discovery]") {
  auto bins = dla::partition_lpt({3, 1}, 5);
  REQUIRE(bins.size() == 5);
  check_is_partition(bins, 2);
  CHECK(bins[0] == std::vector<int>{0});
  CHECK(bins[1] == std::vector<int>{1});
  for (int b = 2; b < 5; ++b) CHECK(bins[static_cast<std::size_t>(b)].empty());
  auto one = dla::partition_lpt({3, 1, 2}, 0);  // treated as one bin
  REQUIRE(one.size() == 1);
  CHECK(one[0] == std::vector<int>{0, 1, 2});
  auto none = dla::partition_lpt({}, 3);
  REQUIRE(none.size() == 3);
  for (const auto& b : none) CHECK(b.empty());
}

TEST_CASE("partition_lpt: random inputs: deterministic, a partition, within the LPT bounds", "[discovery]") {
  std::mt19937_64 rng(2026 + Catch::rngSeed());
  for (int trial = 0; trial < 300; ++trial) {
    const bool small = trial % 2 == 0;
    const int m = 1 + static_cast<int>(rng() % (small ? 4 : 16));
    std::vector<std::uint64_t> w(small ? 1 + rng() % 9 : 1 + rng() % 200);
    for (auto& x : w) x = rng() % 4 == 0 ? 1 + rng() % 10 : 1 + rng() % 1000000;  // skewed mix
    auto bins = dla::partition_lpt(w, m);
    REQUIRE(bins.size() == static_cast<std::size_t>(m));
    check_is_partition(bins, w.size());
    CHECK(bins == dla::partition_lpt(w, m));  // deterministic

    const std::uint64_t sum = std::accumulate(w.begin(), w.end(), std::uint64_t{0});
    const std::uint64_t wmax = *std::max_element(w.begin(), w.end());
    const std::uint64_t lower = std::max(wmax, (sum + static_cast<std::uint64_t>(m) - 1) / static_cast<std::uint64_t>(m));
    const std::uint64_t ms = makespan(bins, w);
    CHECK(ms >= lower);
    // Greedy list-scheduling bound (Graham): makespan <= sum/m + (1 - 1/m) * wmax.
    CHECK(static_cast<double>(ms) <= static_cast<double>(sum) / m + (1.0 - 1.0 / m) * static_cast<double>(wmax) + 1e-6);
    if (small) {
      // LPT's bound against the true optimum (Graham 1969): makespan <= (4/3 - 1/(3m)) * OPT.
      const std::uint64_t opt = optimum(w, m);
      CHECK(opt >= lower);
      CHECK(static_cast<double>(ms) <= (4.0 / 3.0 - 1.0 / (3.0 * m)) * static_cast<double>(opt) + 1e-9);
    }
  }
}

TEST_CASE("discovery errors name files escaped: a newline in a name cannot forge an output line", "[discovery][names]") {
  dla::MemEnv mem;
  const std::string dir = "/in\nRESULT OK";
  auto d = dla::discover_logs(dir, mem);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().find('\n') == std::string::npos);
  CHECK(d.error().find("/in\\x0aRESULT OK") != std::string::npos);
  REQUIRE(dla::make_dirs(mem, dir).ok());
  d = dla::discover_logs(dir, mem);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error() == "no .log files in /in\\x0aRESULT OK");
  auto st = dla::stat_file(dir + "/gone\n.log", true, mem);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find('\n') == std::string::npos);
  CHECK(st.error().find("gone\\x0a.log") != std::string::npos);
}

TEST_CASE("glob_match: * ? [set] [!set] ranges and escapes", "[discovery]") {
  using dla::glob_match;
  CHECK(glob_match("*.log", "a.log"));
  CHECK(glob_match("*.log", ".log"));  // documented: * matches the empty string
  CHECK_FALSE(glob_match("*.log", "a.log.1"));
  CHECK_FALSE(glob_match("*.log", "a.LOG"));
  CHECK(glob_match("*.log*", "app.log.2.gz"));
  CHECK(glob_match("app.log.[0-9]", "app.log.7"));
  CHECK_FALSE(glob_match("app.log.[0-9]", "app.log.x"));
  CHECK(glob_match("app.log.[!0-9]", "app.log.x"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("a*b*c", "aXXbYYbZc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYYbZ"));
  CHECK(glob_match("\\*.log", "*.log"));
  CHECK_FALSE(glob_match("\\*.log", "a.log"));
  CHECK(glob_match("[]x].log", "].log"));
  CHECK(glob_match("[ab.log", "[ab.log"));  // an unclosed '[' is a literal
  CHECK(glob_match("**.gz", "x.gz"));
}

TEST_CASE("discover_logs: --pattern and --recursive; names carry the relative path; link loops end", "[discovery]") {
  TempDir d;
  d.file("app.log", "a\n");
  d.file("app.log.1", "b\n");
  d.file("app.log.2.gz", "c\n");
  fs::create_directory(d.path + "/web");
  fs::create_directory(d.path + "/web/old");
  d.file("web/w.log", "w\n");
  d.file("web/old/o.log.gz", "o\n");
  fs::create_symlink(d.path, d.path + "/web/loop");  // a loop back to the top
  fs::create_symlink(d.path + "/web", d.path + "/again");  // the same directory twice

  auto flat = dla::discover_logs(d.path, dla::DiscoverOptions{});
  REQUIRE(flat.ok());
  CHECK(names(*flat) == std::vector<std::string>{"app.log"});
  dla::DiscoverOptions o;
  o.pattern = "*.log*";
  auto rot = dla::discover_logs(d.path, o);
  REQUIRE(rot.ok());
  CHECK(names(*rot) == std::vector<std::string>{"app.log", "app.log.1", "app.log.2.gz"});
  o.recursive = true;
  auto all = dla::discover_logs(d.path, o);
  REQUIRE(all.ok());
  // "again" and "web" are one directory: read once, under the name met first (byte order)
  CHECK(names(*all) == std::vector<std::string>{"again/old/o.log.gz", "again/w.log", "app.log", "app.log.1",
                                                "app.log.2.gz"});
  for (const auto& f : *all) CHECK(f.path == d.path + "/" + f.name);
  o.pattern = "*.txt";
  auto none = dla::discover_logs(d.path, o);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().find("no files matching '*.txt'") != std::string::npos);
}

TEST_CASE("discover_logs: recursive on the MemEnv", "[discovery]") {
  dla::MemEnv env;
  REQUIRE(env.make_dir("/in"));
  REQUIRE(env.make_dir("/in/a"));
  REQUIRE(env.make_dir("/in/a/b"));
  REQUIRE(dla::write_file(env, "/in/a/b/deep.log", "x\n", dla::WriteMode::kTruncate, false));
  REQUIRE(dla::write_file(env, "/in/top.log", "x\n", dla::WriteMode::kTruncate, false));
  dla::DiscoverOptions o;
  o.recursive = true;
  auto r = dla::discover_logs("/in", o, env);
  REQUIRE(r.ok());
  CHECK(names(*r) == std::vector<std::string>{"a/b/deep.log", "top.log"});
}

TEST_CASE("make_tasks: a .gz file is never split", "[discovery]") {
  auto files = files_of_sizes({1000, 1000});
  files[1].path = "/x/b.log.gz";
  files[1].name = "b.log.gz";
  auto t = dla::make_tasks(files, 100);
  std::vector<int> per_file(2, 0);
  for (const auto& x : t) ++per_file[static_cast<std::size_t>(x.file)];
  CHECK(per_file == std::vector<int>{10, 1});
  check_cover(files, t);
}
