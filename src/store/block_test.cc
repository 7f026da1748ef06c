// cut_blocks against an independent line split (written here, not the code under test): every
// line belongs to the block of its first byte's offset / B; a block is the run of lines of one k.
#include <catch2/catch.hpp>

#include <random>

#include "base/mem_env.h"
#include "scan/discovery.h"
#include "store/block.h"
#include "store/crc32c.h"

namespace dla {
namespace {

struct Want {
  std::uint64_t offset, length;
};

// The reference: line starts are 0 and every byte after a '\n' (except the end of the text).
std::vector<Want> reference_split(const std::string& text, std::uint64_t b, bool gz) {
  if (gz || text.empty()) return {{0, text.size()}};
  std::vector<std::uint64_t> starts{0};
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '\n') starts.push_back(i + 1);
  }
  std::vector<Want> out;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (i == 0 || starts[i] / b != starts[i - 1] / b) out.push_back({starts[i], 0});
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].length = (i + 1 < out.size() ? out[i + 1].offset : text.size()) - out[i].offset;
  return out;
}

// The crc by the portable table code (checked against published values in crc32c_test.cc).
std::uint32_t zcrc(const std::string& s) { return detail::crc32c_portable(0, s.data(), s.size()); }

// Writes the files into /in on `env` and cuts them; checks everything against the reference.
void check_cut(const std::vector<std::pair<std::string, std::string>>& files, std::uint64_t b) {
  MemEnv env;
  REQUIRE(make_dirs(env, "/in"));
  for (const auto& [name, text] : files) REQUIRE(write_file(env, "/in/" + name, text, WriteMode::kTruncate, false));
  DiscoverOptions opt;
  opt.pattern = "*";
  auto found = discover_logs("/in", opt, env);
  REQUIRE(found);
  auto blocks = cut_blocks("/in", *found, b, env);
  REQUIRE(blocks);
  std::size_t next = 0;
  for (std::size_t f = 0; f < found->size(); ++f) {
    const std::string& text = files.at(f).second;  // (files are given in name order)
    REQUIRE((*found)[f].name == files.at(f).first);
    const auto want = reference_split(text, b, (*found)[f].name.size() > 3 && (*found)[f].name.substr((*found)[f].name.size() - 3) == ".gz");
    std::string joined;
    for (const Want& w : want) {
      INFO("file " << files[f].first << " B=" << b << " block at " << w.offset);
      REQUIRE(next < blocks->size());
      const BlockRef& got = (*blocks)[next];
      CHECK(got.id == static_cast<int>(next));
      CHECK(got.file == static_cast<int>(f));
      CHECK(got.offset == w.offset);
      CHECK(got.length == w.length);
      CHECK(got.crc == zcrc(text.substr(w.offset, w.length)));
      CHECK(got.replicas.empty());
      auto bytes = read_block(env, (*found)[f].path, got);
      REQUIRE(bytes);
      joined += *bytes;
      ++next;
    }
    CHECK(joined == text);
  }
  CHECK(next == blocks->size());
}

}  // namespace

TEST_CASE("cut_blocks: the fixed cases", "[store][block]") {
  SECTION("lines shorter than B") { check_cut({{"a.log", "aa\nbb\ncc\ndd\nee\n"}}, 4); }
  SECTION("a line longer than B: the blocks it spans get no line start and are dropped") {
    check_cut({{"a.log", "x\n" + std::string(50, 'L') + "\ny\nz\n"}}, 8);
  }
  SECTION("no trailing newline") { check_cut({{"a.log", "one\ntwo\nthree"}}, 5); }
  SECTION("an empty file is one empty block") { check_cut({{"a.log", "1\n"}, {"b.log", ""}, {"c.log", "2\n"}}, 2); }
  SECTION("CRLF lines") { check_cut({{"a.log", "ab\r\ncd\r\nef\r\n\r\ngh"}}, 3); }
  SECTION("a .gz file is one block, however large") { check_cut({{"a.gz", std::string(1000, '\n') + "junk"}}, 10); }
  SECTION("B of one byte: every line its own block") { check_cut({{"a.log", "a\nb\n\n\nccc\n"}}, 1); }
  SECTION("B larger than the file") { check_cut({{"a.log", "a\nb\n"}}, 1 << 20); }
  SECTION("only newlines") { check_cut({{"a.log", std::string(37, '\n')}}, 4); }
}

TEST_CASE("cut_blocks: random files and block sizes against the reference split", "[store][block]") {
  std::mt19937_64 rng(1414 + Catch::rngSeed());  // DLA_TEST_SEED shifts it (tests/unit_main.cc)
  for (int round = 0; round < 60; ++round) {
    std::vector<std::pair<std::string, std::string>> files;
    const int nfiles = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < nfiles; ++f) {
      std::string text;
      const int nlines = static_cast<int>(rng() % 60);
      for (int l = 0; l < nlines; ++l) {
        const std::size_t len = rng() % 8 == 0 ? rng() % 200 : rng() % 12;
        text += std::string(len, static_cast<char>('a' + rng() % 26));
        text += rng() % 10 == 0 ? "\r\n" : "\n";
      }
      if (rng() % 3 == 0) text += "tail-without-newline";
      files.push_back({"f" + std::to_string(f) + ".log", text});
    }
    const std::uint64_t b = 1 + rng() % 64;
    INFO("round " << round);
    check_cut(files, b);
  }
}

TEST_CASE("cut_blocks: boundaries across the read buffer of a large file", "[store][block]") {
  std::mt19937_64 rng(77 + Catch::rngSeed());
  std::string text;
  while (text.size() < (std::size_t{9} << 20)) {
    text += std::string(1 + rng() % 300, 'x');
    text += '\n';
  }
  check_cut({{"big.log", text}}, (std::uint64_t{1} << 20) + 12345);  // buffer 4 MiB: several refills
  check_cut({{"big.log", text.substr(0, 300000)}}, 999);               // B small: buffer 64 KiB
}

TEST_CASE("cut_blocks: errors", "[store][block]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/in"));
  REQUIRE(write_file(env, "/in/a.log", "a\nb\n", WriteMode::kTruncate, false));
  auto found = discover_logs("/in", env);
  REQUIRE(found);
  CHECK(cut_blocks("/in", *found, 0, env).code() == Code::kInvalid);
  REQUIRE(write_file(env, "/in/a.log", "a\nb\nc\n", WriteMode::kTruncate, false));  // grew after discovery
  auto r = cut_blocks("/in", *found, 4, env);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("changed while being ingested") != std::string::npos);
  std::vector<FileInfo> gone{{"", "nope.log", 3, 0}};
  CHECK(cut_blocks("/in", gone, 4, env).code() == Code::kNotFound);
}

TEST_CASE("cut_blocks: at most kMaxBlocks blocks, refused before reading", "[store][block]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/in"));
  // 200,001 bytes of one-byte lines: block size 1 would make 200,001 blocks, 2 makes 100,001, 3 fits.
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "x\n";
  text += "y";
  REQUIRE(write_file(env, "/in/a.log", text, WriteMode::kTruncate, false));
  REQUIRE(write_file(env, "/in/c.log", "", WriteMode::kTruncate, false));
  auto found = discover_logs("/in", env);
  REQUIRE(found);
  REQUIRE(found->size() == 2);
  found->push_back(FileInfo{"/in/b.log.gz", "b.log.gz", 5000000, 0});  // a .gz file: one block, whatever its size
  CHECK(max_blocks(*found, 1) == 200001 + 2);
  CHECK(max_blocks(*found, 2) == 100001 + 2);
  CHECK(max_blocks(*found, 1 << 20) == 3);
  auto r = cut_blocks("/in", *found, 2, env);
  REQUIRE_FALSE(r);
  CHECK(r.code() == Code::kInvalid);
  CHECK(r.error() == "--block-size 2 makes up to 100003 blocks (at most 100000): use a larger --block-size");
  std::vector<FileInfo> small{(*found)[0]};  // a.log alone at B = 3: 66,667 blocks, under the cap
  auto ok = cut_blocks("/in", small, 3, env);
  REQUIRE(ok);
  CHECK(ok->size() == 66667);
  CHECK(ok->size() <= kMaxBlocks);
}

TEST_CASE("read_range and read_block", "[store][block]") {
  MemEnv env;
  REQUIRE(write_file(env, "/a.log", "0123456789", WriteMode::kTruncate, false));
  auto r = read_range(env, "/a.log", 2, 5);
  REQUIRE(r);
  CHECK(*r == "23456");
  CHECK(read_range(env, "/a.log", 8, 5).code() == Code::kInvalid);
  BlockRef b;
  b.id = 7;
  b.offset = 1;
  b.length = 3;
  b.crc = zcrc("123");
  CHECK(*read_block(env, "/a.log", b) == "123");
  b.crc ^= 1;
  auto bad = read_block(env, "/a.log", b);
  CHECK(bad.code() == Code::kCorruption);
  CHECK(bad.error().find("block 7") != std::string::npos);
  CHECK(bad.error().find("[1,4)") != std::string::npos);
  CHECK(range_text(b) == "[1,4)");
}

TEST_CASE("block_crc is CRC-32C and extends", "[store][block]") {
  const std::string a = "hello ", b = "world\n";
  CHECK(block_crc(a + b) == zcrc(a + b));
  CHECK(block_crc_extend(block_crc(a), b.data(), b.size()) == block_crc(a + b));
  CHECK(block_crc("", 0) == 0u);
}

}  // namespace dla
