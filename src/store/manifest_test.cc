// The manifest: round trip, every flipped byte detected, version, atomic saves under faults.
#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "store/manifest.h"

namespace dla {
namespace {

Manifest sample() {
  std::vector<FileInfo> files{{"/in/a.log", "a.log", 10, 111}, {"/in/sub/b\nc.log", "sub/b\nc.log", 0, 222},
                              {"/in/z.gz", "z.gz", 7, 333}};
  std::vector<BlockRef> blocks{{0, 0, 0, 6, 0xdeadbeef, {1, 2}}, {1, 0, 6, 4, 7, {2, 3}},
                               {2, 1, 0, 0, 0, {3, 1}}, {3, 2, 0, 7, 0xffffffff, {1, 3}}};
  Manifest m = make_manifest("/in", files, blocks, 6, 2, {{2, "h1"}, {0, "h0"}, {1, "h0"}, {3, "h\xff"}});
  m.files[0].format = "bracket";
  m.files[1].format = "log4j";
  m.files[2].format = "none";
  return m;
}

void same(const Manifest& a, const Manifest& b) {
  CHECK(a.format == b.format);
  CHECK(a.block_size == b.block_size);
  CHECK(a.k == b.k);
  CHECK(a.version == b.version);
  CHECK(a.source_dir == b.source_dir);
  CHECK(a.ranks == b.ranks);
  CHECK(a.sites == b.sites);
  REQUIRE(a.files.size() == b.files.size());
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    CHECK(a.files[i].name == b.files[i].name);
    CHECK(a.files[i].size == b.files[i].size);
    CHECK(a.files[i].mtime_ns == b.files[i].mtime_ns);
    CHECK(a.files[i].format == b.files[i].format);
    CHECK(a.files[i].first_block == b.files[i].first_block);
    CHECK(a.files[i].nblocks == b.files[i].nblocks);
  }
  REQUIRE(a.blocks.size() == b.blocks.size());
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    CHECK(a.blocks[i].id == b.blocks[i].id);
    CHECK(a.blocks[i].file == b.blocks[i].file);
    CHECK(a.blocks[i].offset == b.blocks[i].offset);
    CHECK(a.blocks[i].length == b.blocks[i].length);
    CHECK(a.blocks[i].crc == b.blocks[i].crc);
    CHECK(a.blocks[i].replicas == b.blocks[i].replicas);
  }
}

}  // namespace

TEST_CASE("manifest: make_manifest fills the file index", "[store][manifest]") {
  const Manifest m = sample();
  CHECK(m.version == 1);
  CHECK(m.ranks.front().rank == 0);  // sorted by rank
  CHECK(m.files[0].first_block == 0);
  CHECK(m.files[0].nblocks == 2);
  CHECK(m.files[1].first_block == 2);
  CHECK(m.files[2].first_block == 3);
  const auto infos = m.file_infos();
  CHECK(infos[1].path == "/in/sub/b\nc.log");
  CHECK(infos[2].size == 7);
  const auto load = load_by_rank(m);
  CHECK(load.at(1).blocks == 3);
  CHECK(load.at(1).bytes == 13);
  CHECK(load.at(2).bytes == 10);
  CHECK(load.count(0) == 0);
}

TEST_CASE("manifest: encode/decode round trip (odd names too)", "[store][manifest]") {
  Manifest m = sample();
  m.version = 41;
  SECTION("without sites") { CHECK(encode_manifest(m).find("sites") == std::string::npos); }
  SECTION("with sites") {
    m.sites = {{"h0", "east"}, {"h1", "we\nst"}};
    CHECK(encode_manifest(m).find("sites") != std::string::npos);
  }
  const std::string text = encode_manifest(m);
  auto back = decode_manifest(text);
  REQUIRE(back);
  same(*back, m);
  CHECK(encode_manifest(*back) == text);
  CHECK(text.find("\"crc\"") != std::string::npos);
}

TEST_CASE("manifest: any flipped byte is detected", "[store][manifest]") {
  const std::string text = encode_manifest(sample());
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (unsigned char mask : {0x01, 0x20, 0x80}) {
      std::string bad = text;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto r = decode_manifest(bad);
      INFO("byte " << i << " ('" << text[i] << "') ^ " << int(mask));
      REQUIRE_FALSE(r);
      CHECK(r.code() == Code::kCorruption);
    }
  }
  CHECK(decode_manifest(text.substr(0, text.size() / 2)).code() == Code::kCorruption);  // torn
  CHECK(decode_manifest("").code() == Code::kCorruption);
  CHECK(decode_manifest(text + " ").code() == Code::kCorruption);
}

TEST_CASE("manifest: a newer format is refused as such; broken invariants are corruption", "[store][manifest]") {
  Manifest m = sample();
  m.format = kManifestFormat + 1;
  auto r = decode_manifest(encode_manifest(m));
  CHECK(r.code() == Code::kInvalid);
  CHECK(r.error().find("newer") != std::string::npos);
  m = sample();
  m.blocks[1].offset = 5;  // a gap/overlap, written with a valid crc
  CHECK(decode_manifest(encode_manifest(m)).code() == Code::kCorruption);
  m = sample();
  m.blocks[1].id = 7;
  CHECK(decode_manifest(encode_manifest(m)).code() == Code::kCorruption);
  m = sample();
  m.blocks[2].replicas = {3, 3};  // a replica listed twice
  CHECK(decode_manifest(encode_manifest(m)).code() == Code::kCorruption);
  m = sample();
  m.files[0].size = 11;  // blocks do not cover the file
  CHECK(decode_manifest(encode_manifest(m)).code() == Code::kCorruption);
}

TEST_CASE("manifest: save and load, same_dataset", "[store][manifest]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/s/h/1", true));
  CHECK(load_manifest(env, "/s/h/1").code() == Code::kNotFound);
  Manifest m = sample();
  REQUIRE(save_manifest(env, "/s/h/1", m));
  env.crash();  // a saved manifest is durable
  auto l = load_manifest(env, "/s/h/1");
  REQUIRE(l);
  same(*l, m);
  REQUIRE(write_file(env, "/s/h/1/MANIFEST", "{}", WriteMode::kTruncate, true));
  auto bad = load_manifest(env, "/s/h/1");
  CHECK(bad.code() == Code::kCorruption);
  CHECK(bad.error().find("/s/h/1/MANIFEST") != std::string::npos);

  Manifest other = sample();
  other.version = 9;
  other.blocks[0].replicas = {3};
  CHECK(same_dataset(m, other));  // replicas and versions change, the dataset does not
  other.files[0].mtime_ns += 1;
  CHECK_FALSE(same_dataset(m, other));
  other = sample();
  other.source_dir = "/elsewhere";
  CHECK_FALSE(same_dataset(m, other));
}

TEST_CASE("manifest: a failing or crashing step of a save leaves the old manifest or the new", "[store][manifest][crash]") {
  Manifest old_m = sample(), new_m = sample();
  new_m.version = 2;
  new_m.blocks[0].replicas = {3, 1};
  long steps = 0;
  {
    MemEnv env;
    REQUIRE(make_dirs(env, "/d", true));
    REQUIRE(save_manifest(env, "/d", old_m));
    const long before = env.mutations();
    REQUIRE(save_manifest(env, "/d", new_m));
    steps = env.mutations() - before;
  }
  REQUIRE(steps >= 3);
  for (long k = 1; k <= steps + 1; ++k) {
    for (bool crash : {false, true}) {
      INFO((crash ? "crash" : "fail") << " at mutating step " << k << " of " << steps);
      MemEnv env;
      REQUIRE(make_dirs(env, "/d", true));
      REQUIRE(save_manifest(env, "/d", old_m));
      if (crash) env.crash_at(k);
      else env.fail_at(k);
      Status s = save_manifest(env, "/d", new_m);
      if (crash) {
        env.restart();
        env.crash();
      }
      auto l = load_manifest(env, "/d");
      REQUIRE(l);
      CHECK((l->version == 1 || l->version == 2));
      if (s) CHECK(l->version == 2);  // reported saved: never lost
      if (!crash && !s && k == 1) CHECK(l->version == 1);
    }
  }
}

TEST_CASE("manifest: format 2 records each file's log format; a format-1 manifest decodes without", "[store][manifest]") {
  Manifest m = sample();
  CHECK(m.format == 2);
  const std::string text = encode_manifest(m);
  CHECK(text.find("\"format\": \"log4j\"") != std::string::npos);
  auto back = decode_manifest(text);
  REQUIRE(back);
  same(*back, m);
  // A manifest written before the formats (format 1): decodes with "" formats, re-encodes the same.
  Manifest old = sample();
  old.format = 1;
  for (auto& f : old.files) f.format.clear();
  const std::string old_text = encode_manifest(old);
  CHECK(old_text.find("\"format\": \"") == std::string::npos);
  auto old_back = decode_manifest(old_text);
  REQUIRE(old_back);
  CHECK(old_back->format == 1);
  CHECK(old_back->files[1].format.empty());
  CHECK(encode_manifest(*old_back) == old_text);
  // Format 2 with a file's format not recorded (""): decodes as such; one that is no builtin
  // name (regex is a user's, never detected): corruption.
  Manifest no_fmt = sample();
  no_fmt.files[1].format.clear();
  auto nf = decode_manifest(encode_manifest(no_fmt));
  REQUIRE(nf);
  CHECK(nf->files[1].format.empty());
  CHECK(nf->files[0].format == "bracket");
  Manifest regex = sample();
  regex.files[0].format = "regex";
  auto r = decode_manifest(encode_manifest(regex));
  CHECK(r.code() == Code::kCorruption);
  CHECK(r.error().find("log format") != std::string::npos);
}

TEST_CASE("manifest: job_coverage names the ingest's data ranks a smaller job lacks, and the blocks it cannot reach", "[store][manifest]") {
  const Manifest m = sample();  // ranks 0..3; blocks 0 {1,2} 1 {2,3} 2 {3,1} 3 {1,3}
  const JobCoverage full = job_coverage(m, 4);
  CHECK(full.ingest_size == 4);
  CHECK(full.absent.empty());
  CHECK(full.uncovered.empty());
  const JobCoverage three = job_coverage(m, 3);  // rank 3 absent: every block still has 1 or 2
  CHECK(three.absent == std::vector<int>{3});
  CHECK(three.uncovered.empty());
  const JobCoverage two = job_coverage(m, 2);  // only rank 1: block 1 {2,3} is out of reach
  CHECK(two.absent == std::vector<int>{2, 3});
  CHECK(two.uncovered == std::vector<int>{1});
  CHECK(two.uncovered_files == std::vector<int>{0});
  const JobCoverage one = job_coverage(m, 1);  // rank 0 alone holds no block
  CHECK(one.uncovered.size() == m.blocks.size());
  CHECK(one.uncovered_files == std::vector<int>{0, 1, 2});
  Manifest bigger = sample();  // a replica on a rank the ingest did not list (a later repair): absent too
  bigger.blocks[1].replicas = {2, 5};
  CHECK(job_coverage(bigger, 4).absent == std::vector<int>{5});
  CHECK(job_coverage(bigger, 4).uncovered.empty());
}

}  // namespace dla
