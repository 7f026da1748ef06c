// LocalStore on MemEnv: the marker, refusing a user's directory, atomic puts under faults and
// crashes, verified reads, inventory, drop of our own files only.
#include <catch2/catch.hpp>

#include <algorithm>

#include "base/mem_env.h"
#include "base/test_util.h"
#include "store/block.h"
#include "store/local_store.h"

namespace dla {
namespace {

LocalStore open_new(MemEnv& env) {
  auto s = LocalStore::open(env, "/root", "hostA", 3, true);
  REQUIRE(s);
  return std::move(*s);
}

std::string flip(std::string s, std::size_t at) {
  s[at] = static_cast<char>(s[at] ^ 0x04);
  return s;
}

}  // namespace

TEST_CASE("LocalStore: open creates ROOT/<host>/<rank> with the marker, durably", "[store][local]") {
  MemEnv env;
  {
    LocalStore s = open_new(env);
    CHECK(s.dir() == "/root/hostA/3");
  }
  env.crash();
  CHECK(is_regular_file(env, "/root/hostA/3/.dla-store"));
  CHECK(LocalStore::open(env, "/root", "hostA", 3, false).ok());
  CHECK(LocalStore::open(env, "/root", "hostA", 4, false).code() == Code::kNotFound);
  CHECK(LocalStore::open(env, "/root", "a/b", 1, true).code() == Code::kInvalid);
  CHECK(LocalStore::open(env, "/root", "..", 1, true).code() == Code::kInvalid);
  CHECK(LocalStore::open(env, "/root", "", 1, true).code() == Code::kInvalid);
  CHECK(*LocalStore::rank_dir("/r", "h", 0) == "/r/h/0");
  auto rel = LocalStore::open(env, "rel", "h", 1, true);  // a relative ROOT stays relative
  REQUIRE(rel);
  CHECK(rel->dir() == "rel/h/1");
  CHECK(rel->path_of(2, 0xab) == "rel/h/1/block-000002-000000ab");
}

TEST_CASE("LocalStore: a crash at any step of creating a store leaves one that opens again", "[store][local][crash]") {
  long steps = 0;
  {
    MemEnv env;
    const long before = env.mutations();
    open_new(env);
    steps = env.mutations() - before;
  }
  REQUIRE(steps >= 4);
  for (long k = 1; k <= steps + 1; ++k) {
    INFO("crash at mutating step " << k << " of " << steps);
    MemEnv env;
    env.crash_at(k);
    auto first = LocalStore::open(env, "/root", "hostA", 3, true);
    env.restart();
    env.crash();
    if (first) CHECK(is_regular_file(env, "/root/hostA/3/.dla-store"));  // reported created: durable
    auto again = LocalStore::open(env, "/root", "hostA", 3, true);
    REQUIRE(again);
    CHECK(*env.list_dir("/root/hostA/3") == std::vector<std::string>{".dla-store"});
  }
}

TEST_CASE("LocalStore: rank 0's missing dir is made again only under a store's ROOT", "[store][local]") {
  MemEnv env;
  bool remade = true;
  SECTION("no ROOT marker: kNotFound, nothing created") {
    REQUIRE(env.make_dir("/root").ok());
    CHECK(LocalStore::open_coordinator(env, "/root", "h", &remade).code() == Code::kNotFound);
    CHECK_FALSE(remade);
    CHECK(env.stat("/root/h").code() == Code::kNotFound);
  }
  SECTION("ROOT marker, rank 0's dir gone: made again and said") {
    REQUIRE(env.make_dir("/root").ok());
    REQUIRE(write_file(env, std::string("/root/") + kStoreMarker, "dla store root\n", WriteMode::kTruncate, false).ok());
    auto s = LocalStore::open_coordinator(env, "/root", "h", &remade);
    REQUIRE(s);
    CHECK(remade);
    CHECK(s->dir() == "/root/h/0");
    CHECK(is_regular_file(env, std::string("/root/h/0/") + kStoreMarker));
    remade = true;
    CHECK(LocalStore::open_coordinator(env, "/root", "h", &remade).ok());  // (now it is there)
    CHECK_FALSE(remade);
  }
}

TEST_CASE("LocalStore: a non-empty directory without our marker is never touched", "[store][local]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/root/hostA/3"));
  REQUIRE(write_file(env, "/root/hostA/3/precious.txt", "mine", WriteMode::kTruncate, false));
  REQUIRE(write_file(env, "/root/hostA/3/.block-000001-00000000.tmp-1", "looks like ours", WriteMode::kTruncate, false));
  auto s = LocalStore::open(env, "/root", "hostA", 3, true);
  REQUIRE_FALSE(s);
  CHECK(s.code() == Code::kInvalid);
  CHECK(s.error().find("refusing to touch it") != std::string::npos);
  CHECK(*read_file(env, "/root/hostA/3/precious.txt") == "mine");
  CHECK(is_regular_file(env, "/root/hostA/3/.block-000001-00000000.tmp-1"));  // not removed either
  CHECK_FALSE(is_regular_file(env, "/root/hostA/3/.dla-store"));
  // an empty existing directory is fine
  REQUIRE(make_dirs(env, "/root/hostA/4"));
  CHECK(LocalStore::open(env, "/root", "hostA", 4, true).ok());
  // so is one holding only the temporary of our own marker (a claim cut short on a real disk;
  // write_file_atomic names it "." + ".dla-store" + ".tmp-...")
  REQUIRE(make_dirs(env, "/root/hostA/5"));
  REQUIRE(write_file(env, "/root/hostA/5/..dla-store.tmp-99-0", "dla", WriteMode::kTruncate, false));
  CHECK(LocalStore::open(env, "/root", "hostA", 5, true).ok());
  CHECK(*env.list_dir("/root/hostA/5") == std::vector<std::string>{".dla-store"});
}

TEST_CASE("LocalStore: put and get, verified", "[store][local]") {
  MemEnv env;
  LocalStore s = open_new(env);
  const std::string data = "line one\nline two\n";
  const std::uint32_t crc = block_crc(data);
  CHECK(s.get(5, crc).code() == Code::kNotFound);
  REQUIRE(s.put(5, crc, data));
  char name[32];
  std::snprintf(name, sizeof name, "block-000005-%08x", crc);
  CHECK(block_file_name(5, crc) == name);
  CHECK(s.path_of(5, crc) == std::string("/root/hostA/3/") + name);  // the full path
  auto got = s.get(5, crc);
  REQUIRE(got);
  CHECK(*got == data);
  CHECK(s.get(5, crc ^ 1).code() == Code::kNotFound);  // asked for another version
  // bytes that do not match their crc are refused and nothing is written
  auto refused = s.put(6, crc, data + "x");
  CHECK(refused.code() == Code::kCorruption);
  CHECK(s.get(6, crc).code() == Code::kNotFound);
  // a flipped byte on disk is detected on read
  REQUIRE(write_file(env, s.path_of(5, crc), flip(data, 3), WriteMode::kTruncate, true));
  auto bad = s.get(5, crc);
  CHECK(bad.code() == Code::kCorruption);
  CHECK(bad.error().find("block 5") != std::string::npos);
  // put repairs it in place
  REQUIRE(s.put(5, crc, data));
  CHECK(*s.get(5, crc) == data);
  // a put survives a power cut right after it
  env.crash();
  auto again = LocalStore::open(env, "/root", "hostA", 3, false);
  REQUIRE(again);
  CHECK(*again->get(5, crc) == data);
}

TEST_CASE("LocalStore: a new version of a block replaces the old file", "[store][local]") {
  MemEnv env;
  LocalStore s = open_new(env);
  REQUIRE(s.put(1, block_crc("old\n"), "old\n"));
  REQUIRE(s.put(1, block_crc("new\n"), "new\n"));
  auto inv = s.inventory(false);
  REQUIRE(inv);
  REQUIRE(inv->size() == 1);
  CHECK((*inv)[0].crc == block_crc("new\n"));
}

TEST_CASE("LocalStore: a failing or crashing step of a put leaves the previous block intact", "[store][local][crash]") {
  const std::string old_data = "v1\n", new_data = "v2 is longer\n";
  long steps = 0;
  {
    MemEnv env;
    LocalStore s = open_new(env);
    REQUIRE(s.put(2, block_crc(old_data), old_data));
    const long before = env.mutations();
    REQUIRE(s.put(2, block_crc(new_data), new_data));
    steps = env.mutations() - before;
  }
  REQUIRE(steps >= 4);
  int olds = 0, news = 0;
  for (long k = 1; k <= steps + 1; ++k) {
    for (bool crash : {false, true}) {
      INFO((crash ? "crash" : "fail") << " at mutating step " << k << " of " << steps);
      MemEnv env;
      LocalStore s = open_new(env);
      REQUIRE(s.put(2, block_crc(old_data), old_data));
      if (crash) env.crash_at(k);
      else env.fail_at(k);
      Status r = s.put(2, block_crc(new_data), new_data);
      if (crash) {
        env.restart();
        env.crash();
      }
      auto reopened = LocalStore::open(env, "/root", "hostA", 3, false);  // also cleans temporaries
      REQUIRE(reopened);
      auto inv = reopened->inventory(true);
      REQUIRE(inv);
      bool has_old = false, has_new = false;
      for (const Held& h : *inv) {
        CHECK(h.ok);  // never a torn block under a block name
        CHECK(h.block == 2);
        has_old |= h.crc == block_crc(old_data);
        has_new |= h.crc == block_crc(new_data);
      }
      CHECK((has_old || has_new));
      if (r) CHECK(has_new);  // a put reported done is durable
      olds += has_old && !has_new;
      news += has_new;
      auto names = env.list_dir("/root/hostA/3");
      REQUIRE(names);
      for (const std::string& n : *names) CHECK(n.find(".tmp-") == std::string::npos);
    }
  }
  CHECK(olds > 0);
  CHECK(news > 0);
}

TEST_CASE("LocalStore: inventory with and without verification", "[store][local]") {
  MemEnv env;
  LocalStore s = open_new(env);
  REQUIRE(s.put(10, block_crc("ten\n"), "ten\n"));
  REQUIRE(s.put(2, block_crc("two\n"), "two\n"));
  REQUIRE(s.put(3, block_crc(""), ""));
  REQUIRE(write_file(env, s.path_of(2, block_crc("two\n")), "tw0\n", WriteMode::kTruncate, true));
  REQUIRE(write_file(env, "/root/hostA/3/notes.txt", "user file", WriteMode::kTruncate, true));
  REQUIRE(write_file(env, "/root/hostA/3/block-7-1", "not our name pattern", WriteMode::kTruncate, true));
  auto quick = s.inventory(false);
  REQUIRE(quick);
  REQUIRE(quick->size() == 3);
  CHECK((*quick)[0].block == 2);
  CHECK((*quick)[1].block == 3);
  CHECK((*quick)[2].block == 10);
  for (const Held& h : *quick) CHECK(h.ok);  // unchecked
  CHECK((*quick)[2].size == 4);
  auto full = s.inventory(true);
  REQUIRE(full);
  REQUIRE(full->size() == 3);
  CHECK_FALSE((*full)[0].ok);  // the flipped one
  CHECK((*full)[1].ok);
  CHECK((*full)[2].ok);
}

TEST_CASE("LocalStore: drop removes our files of that block only", "[store][local]") {
  MemEnv env;
  LocalStore s = open_new(env);
  REQUIRE(s.put(1, block_crc("a\n"), "a\n"));
  REQUIRE(s.put(2, block_crc("b\n"), "b\n"));
  REQUIRE(write_file(env, "/root/hostA/3/block-000001-zzzzzzzz", "user's", WriteMode::kTruncate, true));
  REQUIRE(s.drop(1));
  REQUIRE(s.drop(99));  // nothing there: fine
  env.crash();          // the drop is durable
  auto names = env.list_dir("/root/hostA/3");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{".dla-store", "block-000001-zzzzzzzz", block_file_name(2, block_crc("b\n"))});
}

TEST_CASE("LocalStore: put and drop do not list the dir (an ingest of n blocks stays O(n))", "[store][local]") {
  MemEnv mem;
  test::CountingEnv env(mem);
  auto opened = LocalStore::open(env, "/root", "hostA", 3, true);
  REQUIRE(opened);
  LocalStore s = std::move(*opened);
  const long after_open = env.list_dirs;
  constexpr int kBlocks = 500;
  for (int b = 0; b < kBlocks; ++b) {
    const std::string data = "line " + std::to_string(b) + "\n";
    REQUIRE(s.put(b, block_crc(data), data));
  }
  REQUIRE(s.put(7, block_crc("v2\n"), "v2\n"));  // a new version of a block
  REQUIRE(s.drop(9));
  REQUIRE(s.remove(11, block_crc("line 11\n")));
  CHECK(env.list_dirs == after_open);  // no listing per write (it was one per put: O(n^2) in all)
  // and the in-memory index kept the dir right: the old version of 7, 9 and 11 are gone
  auto names = mem.list_dir("/root/hostA/3");
  REQUIRE(names);
  CHECK(names->size() == 1 + kBlocks - 2);  // the marker, the blocks but 9 and 11
  CHECK(std::count(names->begin(), names->end(), block_file_name(7, block_crc("v2\n"))) == 1);
  CHECK(std::count(names->begin(), names->end(), block_file_name(7, block_crc("line 7\n"))) == 0);
  CHECK(s.get(9, block_crc("line 9\n")).code() == Code::kNotFound);
  CHECK(s.get(11, block_crc("line 11\n")).code() == Code::kNotFound);
  CHECK(*s.get(12, block_crc("line 12\n")) == "line 12\n");
}

TEST_CASE("LocalStore: files that were there at open are known to put and drop", "[store][local]") {
  MemEnv env;
  {
    LocalStore s = open_new(env);
    REQUIRE(s.put(1, block_crc("old\n"), "old\n"));
    REQUIRE(s.put(2, block_crc("two\n"), "two\n"));
  }
  // a stale version of block 2 left by someone who bypassed the index (another process, a crash)
  REQUIRE(write_file(env, "/root/hostA/3/" + block_file_name(2, 0x1234), "stale", WriteMode::kTruncate, true));
  auto again = LocalStore::open(env, "/root", "hostA", 3, false);
  REQUIRE(again);
  REQUIRE(again->put(1, block_crc("new\n"), "new\n"));  // replaces the file listed at open
  REQUIRE(again->drop(2));                               // both versions of 2
  auto names = env.list_dir("/root/hostA/3");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{".dla-store", block_file_name(1, block_crc("new\n"))});
  // remove() takes one version only and leaves a user's file alone
  REQUIRE(again->put(4, block_crc("four\n"), "four\n"));
  REQUIRE(write_file(env, "/root/hostA/3/" + block_file_name(4, 0x99), "other version", WriteMode::kTruncate, true));
  REQUIRE(write_file(env, "/root/hostA/3/notes.txt", "user file", WriteMode::kTruncate, true));
  REQUIRE(again->inventory(false));  // sees the file put behind its back
  REQUIRE(again->remove(4, 0x99));
  REQUIRE(again->remove(4, 0x77));  // none: fine
  CHECK(*again->get(4, block_crc("four\n")) == "four\n");
  CHECK(is_regular_file(env, "/root/hostA/3/notes.txt"));
  CHECK_FALSE(is_regular_file(env, "/root/hostA/3/" + block_file_name(4, 0x99)));
}

TEST_CASE("LocalStore: remove under a failing or crashing step leaves the other files and a store that opens", "[store][local][crash]") {
  const std::string keep = "keep\n", other = "other version\n";
  for (long k = 1; k <= 3; ++k) {
    for (bool crash : {false, true}) {
      INFO((crash ? "crash" : "fail") << " at mutating step " << k);
      MemEnv env;
      LocalStore s = open_new(env);
      REQUIRE(s.put(1, block_crc(keep), keep));
      REQUIRE(write_file(env, s.path_of(1, 0x99), other, WriteMode::kTruncate, true));
      REQUIRE(env.sync_dir("/root/hostA/3"));
      REQUIRE(s.inventory(false));  // learns the other version
      if (crash) env.crash_at(k);
      else env.fail_at(k);
      Status r = s.remove(1, 0x99);
      if (crash) {
        env.restart();
        env.crash();
      }
      auto again = LocalStore::open(env, "/root", "hostA", 3, false);
      REQUIRE(again);
      CHECK(*again->get(1, block_crc(keep)) == keep);  // never the wrong file
      auto inv = again->inventory(false);
      REQUIRE(inv);
      if (r) CHECK(inv->size() == 1);  // a remove reported done is durable
      if (!crash && !r) {              // a failed remove can simply be tried again, and is durable then
        REQUIRE(s.remove(1, 0x99));
        env.crash();
        CHECK_FALSE(is_regular_file(env, s.path_of(1, 0x99)));
        CHECK(is_regular_file(env, s.path_of(1, block_crc(keep))));
      }
    }
  }
}

TEST_CASE("parse_block_name accepts exactly the names we write", "[store][local]") {
  int b = -1;
  std::uint32_t c = 0;
  CHECK(parse_block_name("block-000042-1a2b3c4d", &b, &c));
  CHECK(b == 42);
  CHECK(c == 0x1a2b3c4du);
  CHECK(parse_block_name("block-1234567-00000000", &b, &c));
  CHECK(b == 1234567);
  for (const char* n : {"block-42-1a2b3c4d", "block-000042-1A2B3C4D", "block-000042-1a2b3c4", "block-000042-1a2b3c4d.tmp",
                        ".block-000042-1a2b3c4d", "block--1a2b3c4d", "blk-000042-1a2b3c4d", "MANIFEST", ".dla-store"}) {
    INFO(n);
    CHECK_FALSE(parse_block_name(n, &b, &c));
  }
}

}  // namespace dla
