#include "mpi/analysis_store.h"

#include <catch2/catch.hpp>
#include <random>

#include "base/mem_env.h"
#include "scan/gzip_file.h"

using namespace dla;
using namespace dla::mpi;

namespace {
// A file of random bracket lines (some long, some without a level), and its blocks cut by an
// independent rule: block k = the lines whose first byte lies in [k*B, (k+1)*B).
// style 0: bracket tokens; 1: log4j header levels (and a stray [ERROR] in messages); 2: JSON
// lines; lines of up to ~2 KB, some CRLF, some empty.
std::string random_log(std::mt19937& rng, int lines, int style) {
  static const char* lv[] = {"INFO", "WARN", "ERROR", "DEBUG", "TRACE", ""};
  std::string s;
  for (int i = 0; i < lines; ++i) {
    const std::string l = lv[rng() % 6];
    if (rng() % 50 == 0) {
      s += '\n';
      continue;
    }
    if (style == 0) s += "2024-01-01 " + (l.empty() ? "" : "[" + l + "]") + " msg";
    else if (style == 1) s += "2024-01-01 12:00:0" + std::to_string(i % 10) + " " + l + " Main - msg [ERROR]";
    else s += "{\"level\":\"" + l + "\",\"msg\":\"m\"}";
    s += std::string(rng() % 10 == 0 ? rng() % 2000 : rng() % 90, 'x');
    s += rng() % 7 == 0 ? "\r\n" : "\n";
  }
  return s;
}
std::vector<std::pair<std::uint64_t, std::uint64_t>> cut(const std::string& s, std::uint64_t b) {
  std::vector<std::uint64_t> starts;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i == 0 || s[i - 1] == '\n') starts.push_back(i);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;  // [from, to)
  std::uint64_t k = 0;
  std::size_t i = 0;
  while (i < starts.size()) {
    std::size_t j = i;
    while (j < starts.size() && starts[j] < (k + 1) * b) ++j;
    if (j > i) out.push_back({starts[i], j < starts.size() ? starts[j] : s.size()});
    i = j;
    ++k;
  }
  return out;
}
}  // namespace

TEST_CASE("store analysis: a block counted from memory equals its range of the file counted by scan_file") {
  const unsigned seed = 20260;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 30; ++trial) {
    const std::string text = random_log(rng, 1 + static_cast<int>(rng() % 400), trial % 3);
    MemEnv env;
    REQUIRE(write_file(env, "/f.log", text, WriteMode::kTruncate, false));
    const std::uint64_t b = trial % 5 == 0 ? kDetectBytes + rng() % 4000 : 64 + rng() % 4000;
    Counts whole, sum;
    ScanOptions so;
    so.chunk_bytes = 512;  // many progress reports
    std::string file_format;  // what scan_file detects on the file's head: the master's hint
    ScanOptions wo = so;
    wo.format_used = &file_format;
    auto all = scan_file("/f.log", {}, wo, env);
    REQUIRE(all);
    for (auto [from, to] : cut(text, b)) {
      auto ref = scan_file("/f.log", ByteRange{from, to - from}, so, env);
      REQUIRE(ref);
      std::uint64_t last = 0;
      ScanOptions mo = so;
      mo.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        CHECK(total == to - from);
        last = done;
      };
      std::string used;
      mo.format_used = &used;
      // The worker detects on the first block itself (its head is the file's head when the block
      // holds kDetectBytes or the whole file: dla_store's blocks are >= 64 KiB); later blocks get
      // the master's hint.
      const bool own_head = from == 0 && (to == text.size() || to - from >= kDetectBytes);
      if (!own_head) mo.format = *parse_format_spec(file_format);
      auto got = count_block(text.substr(from, to - from), false, mo);
      REQUIRE(got);
      CHECK(used == file_format);
      CHECK(*got == *ref);
      CHECK(last == to - from);
      sum += *got;
    }
    CHECK(sum == *all);
  }
}

TEST_CASE("store analysis: a gzip block is inflated; a fixed format is used as given") {
  const std::string text = "a [ERROR] x\nb [INFO] y\nc WARN z\n";
  auto gz = gzip_text(text);
  REQUIRE(gz);
  auto c = count_block(*gz, true, {});
  REQUIRE(c);
  CHECK(c->lines == 3);
  auto plain = count_block(text, false, {});
  REQUIRE(plain);
  CHECK(*c == *plain);
  ScanOptions none;
  none.format = *parse_format_spec("none");
  auto n = count_block(text, false, none);
  REQUIRE(n);
  CHECK(n->lines == 3);
  CHECK(n->leveled() == 0);
  auto bad = count_block("not gzip at all", true, {}, "old.log.gz");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().rfind("old.log.gz: ", 0) == 0);  // the file, not the in-memory copy's name
  CHECK(bad.error().find("block.gz") == std::string::npos);
}

TEST_CASE("store analysis: tasks are the blocks, holders only data ranks of this job") {
  Manifest m;
  m.files = {{"a.log", 10, 0, 0, 2}, {"b.log", 0, 0, 2, 1}};
  m.blocks = {{0, 0, 0, 6, 1, {2, 1}}, {1, 0, 6, 4, 2, {3, 9}}, {2, 1, 0, 0, 3, {0, 1}}};
  auto ts = block_tasks(m);
  REQUIRE(ts.size() == 3);
  CHECK((ts[1].id == 1 && ts[1].file == 0 && ts[1].range.offset == 6 && ts[1].range.length == 4));
  CHECK((ts[2].file == 1 && ts[2].range.length == 0));
  auto h = block_holders(m, 4);
  CHECK(h[0] == std::vector<int>{2, 1});
  CHECK(h[1] == std::vector<int>{3});  // rank 9 is not in a job of 4
  CHECK(h[2] == std::vector<int>{1});  // rank 0 holds no data
}

TEST_CASE("store analysis: the report's lines and JSON") {
  StoreTotals t;
  CHECK(t.locality() == 100.0);
  t.local_bytes = 900;
  t.remote_bytes = 100;
  t.rereplicated_blocks = 2;
  t.rereplicated_bytes = 50;
  auto f = store_footer(t);
  REQUIRE(f.size() == 2);
  CHECK(f[0].first == "Store locality");
  CHECK(f[0].second == "90.0% of bytes read locally (900 local, 100 remote bytes moved)");
  CHECK(f[1].second == "2 blocks (50 bytes)");
  t.lost.push_back("a\nb.log [0,5): gone");
  CHECK(store_footer(t).size() == 3);
  auto j = store_json(t);
  CHECK(j["locality"] == 90.0);
  CHECK(j["lost"][0] == "a\\x0ab.log [0,5): gone");
  CHECK(j["corrupt_repaired"].empty());
}
