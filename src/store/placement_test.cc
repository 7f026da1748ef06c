// Placement properties: K distinct ranks, distinct hosts first, balance, determinism, errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <random>
#include <set>

#include "store/placement.h"

namespace dla {
namespace {

// `hosts` hosts with `per_host` ranks each, ranks from 1 (rank 0 is the coordinator).
std::vector<RankHost> cluster(int hosts, int per_host) {
  std::vector<RankHost> out;
  int r = 1;
  for (int h = 0; h < hosts; ++h) {
    for (int i = 0; i < per_host; ++i) out.push_back({r++, "host" + std::to_string(h)});
  }
  return out;
}

}  // namespace

TEST_CASE("place: K distinct ranks per block, distinct hosts whenever there are enough", "[store][placement]") {
  std::mt19937_64 rng(5 + Catch::rngSeed());
  for (int round = 0; round < 40; ++round) {
    const int hosts = 1 + static_cast<int>(rng() % 4), per = 1 + static_cast<int>(rng() % 3);
    auto ranks = cluster(hosts, per);
    const int k = 1 + static_cast<int>(rng() % ranks.size());
    std::vector<std::uint64_t> bytes(1 + rng() % 50);
    for (auto& b : bytes) b = rng() % 1000;
    auto p = place(bytes, ranks, k);
    REQUIRE(p);
    REQUIRE(p->size() == bytes.size());
    for (const auto& reps : *p) {
      std::set<int> distinct(reps.begin(), reps.end());
      CHECK(distinct.size() == static_cast<std::size_t>(k));
      std::set<std::string> h;
      for (int r : reps) {
        CHECK(r >= 1);
        CHECK(r <= static_cast<int>(ranks.size()));
        h.insert(host_of(ranks, r));
      }
      CHECK(h.size() == static_cast<std::size_t>(std::min(k, hosts)));  // as many hosts as possible
      // the first min(k, hosts) replicas are on distinct hosts (the chain leaves the host early)
      std::set<std::string> first;
      for (int i = 0; i < std::min(k, hosts); ++i) first.insert(host_of(ranks, reps[i]));
      CHECK(first.size() == static_cast<std::size_t>(std::min(k, hosts)));
    }
  }
}

TEST_CASE("place: balanced within one block on a homogeneous cluster", "[store][placement]") {
  const int k = GENERATE(1, 2, 3);
  auto ranks = cluster(4, 2);  // 8 data ranks on 4 hosts
  std::mt19937_64 rng(9 + Catch::rngSeed());
  std::vector<std::uint64_t> bytes(200);
  std::uint64_t biggest = 0;
  for (auto& b : bytes) {
    b = 1000 + rng() % 9000;
    biggest = std::max(biggest, b);
  }
  auto p = place(bytes, ranks, k);
  REQUIRE(p);
  std::map<int, std::uint64_t> load;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int r : (*p)[i]) load[r] += bytes[i];
  }
  REQUIRE(load.size() == ranks.size());
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& [r, l] : load) {
    lo = std::min(lo, l);
    hi = std::max(hi, l);
  }
  INFO("k=" << k << " lightest " << lo << " heaviest " << hi << " biggest block " << biggest);
  CHECK(hi - lo <= biggest);
}

TEST_CASE("place: equal blocks go round the ranks, ties by lower rank", "[store][placement]") {
  auto ranks = cluster(3, 1);  // ranks 1, 2, 3 on three hosts
  auto p = place({10, 10, 10}, ranks, 2);
  REQUIRE(p);
  CHECK((*p)[0] == std::vector<int>{1, 2});
  CHECK((*p)[1] == std::vector<int>{3, 1});
  CHECK((*p)[2] == std::vector<int>{2, 3});
}

TEST_CASE("place: deterministic, whatever the order of the rank list", "[store][placement]") {
  auto ranks = cluster(3, 3);
  std::vector<std::uint64_t> bytes{5, 80, 13, 13, 0, 999, 4, 4, 4, 60};
  auto a = place(bytes, ranks, 3);
  std::reverse(ranks.begin(), ranks.end());
  auto b = place(bytes, ranks, 3);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
}

TEST_CASE("place: K larger than the data ranks is a one-line error; K larger than the hosts is allowed",
          "[store][placement]") {
  auto ranks = cluster(2, 2);
  auto bad = place({1, 2}, ranks, 5);
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == Code::kInvalid);
  CHECK(bad.error() == "K=5 replicas need 5 data ranks, only 4 available");
  CHECK(bad.error().find('\n') == std::string::npos);
  CHECK_FALSE(place({1}, ranks, 0));
  auto ok = place({1, 2}, ranks, 3);  // 2 hosts, K=3: two replicas share a host
  REQUIRE(ok);
  for (const auto& reps : *ok) CHECK(std::set<int>(reps.begin(), reps.end()).size() == 3);
}

TEST_CASE("Placer: excluded ranks and existing loads", "[store][placement]") {
  Placer placer(cluster(3, 1));
  placer.add_load(1, 100);
  auto a = placer.place_one(10, 2);
  REQUIRE(a);
  CHECK(*a == std::vector<int>{2, 3});  // rank 1 already holds more
  auto b = placer.place_one(10, 2, {2});
  REQUIRE(b);
  CHECK(*b == std::vector<int>{3, 1});
  CHECK(placer.load(3) == 20);
  CHECK(placer.place_one(10, 2, {1, 2}).code() == Code::kInvalid);
}

TEST_CASE("pick_target: other hosts first, then least loaded, never a holder", "[store][placement]") {
  auto live = cluster(3, 2);  // host0: 1,2  host1: 3,4  host2: 5,6
  std::map<int, std::uint64_t> load{{1, 0}, {2, 0}, {3, 50}, {4, 40}, {5, 90}, {6, 95}};
  // holder on host0: other hosts first, least loaded there = rank 4
  CHECK(pick_target({{1, "host0"}}, live, load) == 4);
  // holders on host0 and host1: only host2 is new
  CHECK(pick_target({{1, "host0"}, {4, "host1"}}, live, load) == 5);
  // every host used: least loaded non-holder (rank 2, load 0)
  CHECK(pick_target({{1, "host0"}, {3, "host1"}, {5, "host2"}}, live, load) == 2);
  // a dead holder (not among the live) still counts: its host is avoided and it is never chosen
  CHECK(pick_target({{9, "host1"}}, live, load) == 1);
  // nobody left
  CHECK(pick_target(live, live, load) == -1);
}

}  // namespace dla

namespace dla {

TEST_CASE("sites: distinct sites first, then distinct hosts (hetero8's two sites)", "[store][placement]") {
  // hetero8: rank 0 on a-0, data ranks 1..7 on a-1..a-3, b-0..b-3
  std::vector<RankHost> ranks{{1, "a-1"}, {2, "a-2"}, {3, "a-3"}, {4, "b-0"}, {5, "b-1"}, {6, "b-2"}, {7, "b-3"}};
  const SiteMap sites = sites_by_prefix(ranks);
  CHECK(sites.at("a-2") == "a");
  CHECK(sites.at("b-3") == "b");
  std::vector<std::uint64_t> bytes(50, 100);
  auto p = place(bytes, ranks, 2, sites);
  REQUIRE(p);
  for (const auto& reps : *p) {
    CHECK(site_of(sites, host_of(ranks, reps[0])) != site_of(sites, host_of(ranks, reps[1])));  // a whole site may go
  }
  auto p3 = place(bytes, ranks, 3, sites);  // K=3 on 2 sites: both sites, three hosts
  REQUIRE(p3);
  for (const auto& reps : *p3) {
    std::set<std::string> s, h;
    for (int r : reps) {
      s.insert(site_of(sites, host_of(ranks, r)));
      h.insert(host_of(ranks, r));
    }
    CHECK(s.size() == 2);
    CHECK(h.size() == 3);
  }
  // without the map the same cluster is 7 sites: some blocks stay inside one site
  auto plain = place(bytes, ranks, 2);
  REQUIRE(plain);
  int same_site = 0;
  for (const auto& reps : *plain) same_site += site_of(sites, host_of(ranks, reps[0])) == site_of(sites, host_of(ranks, reps[1]));
  CHECK(same_site > 0);
  // repairs too: a holder on site a -> the new copy goes to site b
  std::map<int, std::uint64_t> load;
  CHECK(pick_target({{1, "a-1"}}, ranks, load, sites) == 4);
  CHECK(pick_target({{1, "a-1"}}, ranks, load) == 2);  // (hosts only: the lowest other host)
}

TEST_CASE("parse_site_map", "[store][placement]") {
  auto m = parse_site_map("# host site\na-0 east\n  a-1\teast  # comment\n\nb-0 west\n");
  REQUIRE(m);
  CHECK(*m == SiteMap{{"a-0", "east"}, {"a-1", "east"}, {"b-0", "west"}});
  CHECK(site_of(*m, "c-9") == "c-9");
  CHECK(parse_site_map("a-0\n").code() == Code::kInvalid);
  CHECK(parse_site_map("a-0 x y\n").code() == Code::kInvalid);
  auto dup = parse_site_map("a x\na y\n");
  REQUIRE_FALSE(dup);
  CHECK(dup.error() == "site map line 2: host a given twice");
  CHECK(parse_site_map("")->empty());
  CHECK(sites_by_prefix({{1, "nodash"}, {2, "-x"}}).empty());
}

}  // namespace dla
