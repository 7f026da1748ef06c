// fsck: check, plan_repair, apply_repairs and the report lines, on stores kept in a MemEnv.
#include <catch2/catch.hpp>

#include <random>

#include <nlohmann/json.hpp>

#include "base/mem_env.h"
#include "store/fsck.h"

namespace dla {
namespace {

// A small cluster: rank 0 coordinator, data ranks 1..6 on hosts h1 (1,2), h2 (3,4), h3 (5,6);
// two files cut into 3-byte blocks, K=2, every replica put into its rank's LocalStore.
struct Cluster {
  MemEnv env;
  Manifest m;
  std::map<int, std::string> text;  // file index -> content
  std::vector<RankHost> ranks{{0, "h0"}, {1, "h1"}, {2, "h1"}, {3, "h2"}, {4, "h2"}, {5, "h3"}, {6, "h3"}};
  std::set<int> live{0, 1, 2, 3, 4, 5, 6};

  explicit Cluster(int k = 2) {
    REQUIRE(make_dirs(env, "/in"));
    text[0] = "a1\nb2\nc3\nd4\n";
    text[1] = "xx\nyy\n";
    REQUIRE(write_file(env, "/in/a.log", text[0], WriteMode::kTruncate, false));
    REQUIRE(write_file(env, "/in/b.log", text[1], WriteMode::kTruncate, false));
    auto files = discover_logs("/in", env);
    REQUIRE(files);
    auto blocks = cut_blocks("/in", *files, 3, env);
    REQUIRE(blocks);
    std::vector<std::uint64_t> bytes;
    for (const BlockRef& b : *blocks) bytes.push_back(b.length);
    auto placed = place(bytes, data(), k);
    REQUIRE(placed);
    for (std::size_t i = 0; i < blocks->size(); ++i) (*blocks)[i].replicas = (*placed)[i];
    m = make_manifest("/in", *files, *blocks, 3, k, ranks);
    for (const BlockRef& b : m.blocks) {
      for (int r : b.replicas) REQUIRE(store(r).put(b.id, b.crc, bytes_of(b)));
    }
  }
  std::vector<RankHost> data() const {
    std::vector<RankHost> out;
    for (const RankHost& r : ranks) {
      if (r.rank != 0 && live.count(r.rank)) out.push_back(r);
    }
    return out;
  }
  LocalStore store(int rank) {
    auto s = LocalStore::open(env, "/root", host_of(ranks, rank), rank, true);
    REQUIRE(s);
    return std::move(*s);
  }
  std::string bytes_of(const BlockRef& b) { return text[b.file].substr(b.offset, b.length); }
  FsckReport run_check() {
    std::map<int, std::vector<Held>> inv;
    for (int r : live) {
      auto h = store(r).inventory(true);
      REQUIRE(h);
      inv[r] = *h;
    }
    return check(m, inv, live);
  }
  // Carries out the orders as the MPI side would: get (verified) at `from`, put at `to`.
  void execute(const std::vector<CopyOrder>& orders) {
    for (const CopyOrder& o : orders) {
      const BlockRef& b = m.blocks.at(o.block);
      auto bytes = store(o.from).get(b.id, b.crc);
      REQUIRE(bytes);
      REQUIRE(store(o.to).put(b.id, b.crc, *bytes));
    }
  }
  void corrupt(int block, int rank) {
    const BlockRef& b = m.blocks.at(block);
    std::string s = bytes_of(b);
    s[0] = static_cast<char>(s[0] ^ 1);
    REQUIRE(write_file(env, store(rank).path_of(b.id, b.crc), s, WriteMode::kTruncate, true));
  }
};

}  // namespace

TEST_CASE("fsck: a fresh store is healthy", "[store][fsck]") {
  Cluster c;
  REQUIRE(c.m.blocks.size() == 6);  // a.log: 4 blocks of one 3-byte line each, b.log: 2
  const FsckReport r = c.run_check();
  CHECK(r.healthy());
  CHECK(r.replicas() == 12);
  CHECK(plan_repair(c.m, r, c.data(), 2).empty());
  CHECK(format_fsck(c.m, r, {}, r) == "FSCK OK blocks=6 replicas=12\n");
  Manifest copy = c.m;
  CHECK_FALSE(apply_repairs(&copy, r, {}));
  CHECK(copy.version == c.m.version);
}

TEST_CASE("fsck: a dead rank leaves its blocks under-replicated; the repair restores K on other hosts", "[store][fsck]") {
  Cluster c;
  const int dead = c.m.blocks[0].replicas[0];
  c.live.erase(dead);
  const FsckReport r = c.run_check();
  std::vector<int> expect_under;
  for (const BlockRef& b : c.m.blocks) {
    if (std::count(b.replicas.begin(), b.replicas.end(), dead)) expect_under.push_back(b.id);
  }
  REQUIRE_FALSE(expect_under.empty());
  CHECK(r.under == expect_under);
  CHECK(r.missing.empty());
  CHECK(r.corrupt.empty());
  const auto orders = plan_repair(c.m, r, c.data(), 2);
  REQUIRE(orders.size() == expect_under.size());
  for (const CopyOrder& o : orders) {
    const auto& good = r.good[o.block];
    CHECK(std::count(good.begin(), good.end(), o.from) == 1);
    CHECK(std::count(good.begin(), good.end(), o.to) == 0);  // never a rank that already holds it
    CHECK(o.to != dead);
    CHECK(host_of(c.ranks, o.to) != host_of(c.ranks, o.from));  // another host first
  }
  c.execute(orders);
  Manifest before = c.m;
  CHECK(apply_repairs(&c.m, r, orders));
  CHECK(c.m.version == before.version + 1);
  for (const BlockRef& b : c.m.blocks) {
    CHECK(b.replicas.size() == 2);
    CHECK(std::count(b.replicas.begin(), b.replicas.end(), dead) == 0);
  }
  const FsckReport after = c.run_check();
  CHECK(after.healthy());
  CHECK(after.replicas() == 12);
}

TEST_CASE("fsck: repairs follow the manifest's site map", "[store][fsck]") {
  Cluster c;
  c.m.sites = {{"h1", "x"}, {"h2", "x"}, {"h3", "y"}};
  c.live.erase(3);  // h2 (site x) loses a rank
  const FsckReport r = c.run_check();
  REQUIRE_FALSE(r.under.empty());
  for (const CopyOrder& o : plan_repair(c.m, r, c.data(), 2)) {
    const int other = r.good[o.block].front();
    CHECK(site_of(c.m.sites, host_of(c.ranks, o.to)) != site_of(c.m.sites, host_of(c.ranks, other)));
  }
}

TEST_CASE("fsck: a corrupt replica is reported and overwritten in place from a good one", "[store][fsck]") {
  Cluster c;
  const BlockRef b = c.m.blocks[2];
  const int bad = b.replicas[1], good = b.replicas[0];
  c.corrupt(2, bad);
  const FsckReport r = c.run_check();
  REQUIRE(r.corrupt.size() == 1);
  CHECK(r.corrupt[0].block == 2);
  CHECK(r.corrupt[0].rank == bad);
  CHECK(r.under == std::vector<int>{2});
  const auto lines = problem_lines(c.m, r);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "corrupt 2 a.log [6,9) on rank " + std::to_string(bad));
  CHECK(lines[1] == "under-replicated 2 a.log [6,9) have 1 of 2");
  const auto orders = plan_repair(c.m, r, c.data(), 2);
  REQUIRE(orders.size() == 1);
  CHECK(orders[0] == CopyOrder{2, good, bad});
  c.execute(orders);
  const FsckReport after = c.run_check();
  CHECK(after.healthy());
  CHECK(format_fsck(c.m, r, orders, after) ==
        lines[0] + "\n" + lines[1] + "\nrepaired 2: rank " + std::to_string(good) + " -> rank " + std::to_string(bad) +
            "\nFSCK OK blocks=6 replicas=12\n");
  const std::string j = fsck_json(c.m, r, orders, after);
  CHECK(j.find("\"ok\":true") != std::string::npos);
  CHECK(j.find("\"repaired\":[{\"block\":2,\"from\":" + std::to_string(good)) != std::string::npos);
}

TEST_CASE("fsck: all replicas gone is a missing block naming the file and the byte range", "[store][fsck]") {
  Cluster c;
  const BlockRef b = c.m.blocks[4];  // b.log [0,3)
  for (int r : b.replicas) c.live.erase(r);
  const FsckReport r = c.run_check();
  CHECK(r.missing == std::vector<int>{4});
  const auto lines = problem_lines(c.m, r);
  CHECK(std::count(lines.begin(), lines.end(), "missing 4 b.log [0,3) (no replica left)") == 1);
  const auto orders = plan_repair(c.m, r, c.data(), 2);
  for (const CopyOrder& o : orders) CHECK(o.block != 4);  // nothing to copy from
  c.execute(orders);
  Manifest m2 = c.m;
  apply_repairs(&m2, r, orders);
  CHECK(m2.blocks[4].replicas == b.replicas);  // kept: its holders may come back
  const FsckReport after = c.run_check();
  CHECK(after.missing == std::vector<int>{4});
  CHECK(after.under.empty());
  CHECK(summary_line(after) == "FSCK PROBLEMS under=0 corrupt=0 missing=1");
}

TEST_CASE("fsck: fewer live data ranks than K: as many copies as there are ranks, and a shared-host note",
          "[store][fsck]") {
  Cluster c(3);  // K=3 on 3 hosts
  for (int r : {3, 4, 5, 6}) c.live.erase(r);  // only h1 (ranks 1, 2) is left
  const FsckReport r = c.run_check();
  const auto orders = plan_repair(c.m, r, c.data(), 3);
  c.execute(orders);
  Manifest m2 = c.m;
  apply_repairs(&m2, r, orders);
  const FsckReport after = c.run_check();
  CHECK(after.missing.empty());
  CHECK(after.under.size() == after.good.size());  // every block: 2 of 3
  for (const auto& g : after.good) CHECK(g == std::vector<int>{1, 2});
  CHECK(after.shared_host_blocks == 6);
  const std::string text = format_fsck(m2, r, orders, after);
  CHECK(text.find("note: replicas of 6 blocks share a host (K=3, live data ranks on 1 hosts)\n") != std::string::npos);
  CHECK(text.find("FSCK PROBLEMS under=6 corrupt=0 missing=0\n") != std::string::npos);
}

TEST_CASE("fsck: random deaths and corruptions; the plan never targets a holder and restores K when it can",
          "[store][fsck]") {
  std::mt19937_64 rng(31 + Catch::rngSeed());
  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    Cluster c;
    for (int r = 1; r <= 6; ++r) {
      if (rng() % 4 == 0) c.live.erase(r);
    }
    for (const BlockRef& b : c.m.blocks) {
      for (int r : b.replicas) {
        if (c.live.count(r) && rng() % 5 == 0) c.corrupt(b.id, r);
      }
    }
    const FsckReport r = c.run_check();
    const auto orders = plan_repair(c.m, r, c.data(), 2);
    for (const CopyOrder& o : orders) {
      const auto& good = r.good[o.block];
      CHECK(std::count(good.begin(), good.end(), o.to) == 0);
      CHECK(std::count(good.begin(), good.end(), o.from) == 1);
      CHECK(c.live.count(o.to) == 1);
    }
    c.execute(orders);
    apply_repairs(&c.m, r, orders);
    const FsckReport after = c.run_check();
    for (const auto& bad : after.corrupt) {  // only where no good copy was left to repair from
      CHECK(std::count(r.missing.begin(), r.missing.end(), bad.block) == 1);
    }
    if (c.data().size() >= 2) CHECK(after.under.empty());
    CHECK(after.missing == r.missing);
    for (const BlockRef& b : c.m.blocks) {
      if (std::count(r.missing.begin(), r.missing.end(), b.id)) continue;
      std::vector<int> listed = b.replicas;
      std::sort(listed.begin(), listed.end());
      CHECK(listed == after.good[b.id]);  // the manifest says where the good copies are
    }
  }
}

TEST_CASE("fsck: orphan replicas are reported, do not count as replicas, and are no problem", "[store][fsck]") {
  Cluster c;
  const BlockRef b0 = c.m.blocks[0];
  int stranger = 1;
  while (std::count(b0.replicas.begin(), b0.replicas.end(), stranger)) ++stranger;
  // a good copy of block 0 on a rank the manifest does not list for it (a rank that came back
  // after a repair re-placed the block), a stale version beside a good copy, a block id the
  // manifest does not know (a re-ingest with fewer blocks)
  REQUIRE(c.store(stranger).put(b0.id, b0.crc, c.bytes_of(b0)));
  const int holder = b0.replicas[0];
  REQUIRE(write_file(c.env, c.store(holder).path_of(b0.id, b0.crc ^ 1), "old", WriteMode::kTruncate, true));
  REQUIRE(c.store(holder).put(99, block_crc("x\n"), "x\n"));
  const FsckReport r = c.run_check();
  CHECK(r.healthy());
  CHECK(r.replicas() == 12);  // the orphan is not counted (it was: 13)
  std::vector<int> listed = b0.replicas;
  std::sort(listed.begin(), listed.end());
  CHECK(r.good[0] == listed);
  REQUIRE(r.orphans.size() == 3);
  int on_stranger = 0, on_holder = 0;
  for (const auto& o : r.orphans) {
    on_stranger += o.rank == stranger;
    on_holder += o.rank == holder;
  }
  CHECK(on_stranger == 1);
  CHECK(on_holder == 2);
  const std::string text = format_fsck(c.m, r, {}, r);
  CHECK(text.find("orphan 0 on rank " + std::to_string(stranger) + ": " + block_file_name(0, b0.crc) + " (" +
                  std::to_string(b0.length) + " bytes, not a replica of this block in the manifest)\n") != std::string::npos);
  CHECK(text.find("orphan 99 on rank " + std::to_string(holder) + ": " + block_file_name(99, block_crc("x\n")) +
                  " (2 bytes, block id not in the manifest)\n") != std::string::npos);
  CHECK(text.find("an older version beside the good copy") != std::string::npos);
  CHECK(text.substr(text.size() - 29) == "FSCK OK blocks=6 replicas=12\n");
  CHECK(plan_repair(c.m, r, c.data(), 2).empty());
  Manifest copy = c.m;
  CHECK_FALSE(apply_repairs(&copy, r, {}));  // an orphan is not adopted when the block has K
  // removed as --repair does: then nothing is left over
  for (const auto& o : r.orphans) REQUIRE(c.store(o.rank).remove(o.block, o.crc));
  const FsckReport after = c.run_check();
  CHECK(after.orphans.empty());
  CHECK(after.replicas() == 12);
}

TEST_CASE("fsck: an unlisted good copy of an under-replicated block is adopted, not copied again", "[store][fsck]") {
  Cluster c;
  const BlockRef b0 = c.m.blocks[0];
  int stranger = 1;
  while (std::count(b0.replicas.begin(), b0.replicas.end(), stranger)) ++stranger;
  REQUIRE(c.store(stranger).put(b0.id, b0.crc, c.bytes_of(b0)));
  c.live.erase(b0.replicas[1]);
  const FsckReport r = c.run_check();
  CHECK(r.good[0].size() == 2);
  CHECK(std::count(r.good[0].begin(), r.good[0].end(), stranger) == 1);
  CHECK(r.orphans.empty());
  for (const auto& o : plan_repair(c.m, r, c.data(), 2)) CHECK(o.block != 0);
  Manifest m = c.m;
  CHECK(apply_repairs(&m, r, {}));
  CHECK(m.blocks[0].replicas == std::vector<int>{b0.replicas[0], stranger});
}

TEST_CASE("fsck: a corrupt file on a rank the manifest does not list is an orphan, not a corrupt replica", "[store][fsck]") {
  Cluster c;
  const BlockRef b0 = c.m.blocks[0];
  int stranger = 1;
  while (std::count(b0.replicas.begin(), b0.replicas.end(), stranger)) ++stranger;
  REQUIRE(write_file(c.env, c.store(stranger).path_of(b0.id, b0.crc), "junk", WriteMode::kTruncate, true));
  const FsckReport r = c.run_check();
  CHECK(r.healthy());
  CHECK(r.corrupt.empty());
  REQUIRE(r.orphans.size() == 1);
  CHECK(r.orphans[0].rank == stranger);
}

TEST_CASE("fsck: MANIFEST copies that are missing, torn, edited or older are bad", "[store][fsck]") {
  Cluster c;
  Manifest newest = c.m;
  newest.version = 5;
  Manifest older = c.m;
  older.version = 4;
  Manifest same_version = newest;
  same_version.k = 3;
  std::map<int, Result<Manifest>> copies;
  copies.emplace(0, newest);
  copies.emplace(1, newest);
  copies.emplace(2, Error{"/root/h1/2/MANIFEST: no such file", Code::kNotFound});
  copies.emplace(3, Error{"manifest checksum mismatch", Code::kCorruption});
  copies.emplace(4, older);
  copies.emplace(5, same_version);
  auto best = newest_manifest(copies);
  REQUIRE(best);
  CHECK(best->version == 5);
  const auto bad = check_manifests(*best, copies);
  REQUIRE(bad.size() == 4);
  CHECK(bad[0].rank == 2);
  CHECK(bad[0].why == "missing");
  CHECK(bad[1].rank == 3);
  CHECK(bad[1].why == "corrupt (manifest checksum mismatch)");
  CHECK(bad[2].rank == 4);
  CHECK(bad[2].why == "version 4, the newest is 5");
  CHECK(bad[3].rank == 5);
  CHECK(bad[3].why == "differs from the newest copy at version 5");
  FsckReport r = c.run_check();
  REQUIRE(r.healthy());
  r.bad_manifests = bad;
  CHECK(r.healthy());  // listed and counted, but no block lacks a replica: exit 0 stays "K of each"
  const std::string text = format_fsck(newest, r, {}, r);
  CHECK(text.find("manifest BAD on rank 3: corrupt (manifest checksum mismatch)\n") != std::string::npos);
  CHECK(text.find("note: 4 MANIFEST copies bad (fsck --repair rewrites them from version 5)\nFSCK OK blocks=6 replicas=12\n") !=
        std::string::npos);
  FsckReport fixed = r;
  fixed.bad_manifests.clear();
  FsckExtra extra;
  extra.manifests_repaired = {2, 3, 4, 5};
  const std::string after = format_fsck(newest, r, {}, fixed, extra);
  CHECK(after.find("repaired manifest on rank 4 (version 5)\n") != std::string::npos);
  CHECK(after.find("note: ") == std::string::npos);
  CHECK(after.substr(after.size() - 29) == "FSCK OK blocks=6 replicas=12\n");
  const auto j = nlohmann::json::parse(fsck_json(newest, r, {}, fixed, extra));
  CHECK(j["found"]["manifests"].size() == 4);
  CHECK(j["manifests_repaired"].size() == 4);
  CHECK(j["ok"] == true);
  std::map<int, Result<Manifest>> none;
  none.emplace(1, Error{"torn", Code::kCorruption});
  CHECK(newest_manifest(none).code() == Code::kNotFound);
}

}  // namespace dla
