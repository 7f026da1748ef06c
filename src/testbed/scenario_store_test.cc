// Unit tests for the store scenarios (scenario_store.cc): parsing and validating the "store" object,
// the command lines of the store steps, the corruption plan, and the checks of a store run.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "testbed/scenario.h"

using nlohmann::json;
namespace sc = dla::scen;

namespace {

json doc() {
  return json::parse(R"({
    "platform": {"hosts": 4, "speed": 1, "cores": 2},
    "ranks_per_host": 2,
    "input": {"files": 6, "lines": 2000, "seed": 3},
    "options": {"timeout": 3, "heartbeat": 0.5, "flops_per_byte": 1000},
    "faults": [{"host": "node-2", "at": 1.5, "kind": "host-off"}, {"rank": 3, "at": 2, "kind": "crash"}],
    "store": {"replicas": 2, "block_size": "32KiB", "corrupt": [{"block": 4, "replica": 1}],
              "locality_wait": "0.2s",
              "expect": {"locality_min": 80, "rereplicated_min": 1, "corrupt_repaired_min": 1}}
  })");
}

sc::Scenario parse_ok(const json& j) {
  auto s = sc::parse_scenario(j, "st", "");
  INFO((s ? "" : s.error()));
  REQUIRE(s.ok());
  return *s;
}

std::string parse_error(const json& j) {
  auto s = sc::parse_scenario(j, "st", "");
  REQUIRE_FALSE(s.ok());
  return s.error();
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST_CASE("store scenario: the store object is parsed with its defaults") {
  auto s = parse_ok(doc());
  REQUIRE(s.store.on);
  CHECK(s.store.replicas == 2);
  CHECK(s.store.block_size == 32 * 1024);
  REQUIRE(s.store.corrupt.size() == 1);
  CHECK(s.store.corrupt[0].block == 4);
  CHECK(s.store.corrupt[0].replica == 1);
  CHECK(s.store.fsck);
  CHECK(s.store.lose_disks);
  CHECK(s.store.locality_wait == 0.2);
  CHECK(s.store.expect.locality_min == 80);
  CHECK(s.store.expect.missing_blocks == 0);
  auto plain = doc();
  plain.erase("store");
  CHECK_FALSE(parse_ok(plain).store.on);
}

TEST_CASE("store scenario: bad store objects are errors naming the key") {
  auto with = [](const char* path, json v) {
    auto j = doc();
    j[json::json_pointer(path)] = v;
    return parse_error(j);
  };
  CHECK_THAT(with("/store/replicas", 8), Catch::Contains("store.replicas: 8 replicas but only 7 data ranks"));
  CHECK_THAT(with("/store/replicas", 0), Catch::Contains("store.replicas"));
  CHECK_THAT(with("/store/block_size", 0), Catch::Contains("store.block_size"));
  CHECK_THAT(with("/store/block_size", "lots"), Catch::Contains("store.block_size"));
  CHECK_THAT(with("/store/corrupt/0/replica", 2), Catch::Contains("store.corrupt[0].replica: 2 but a block has 2 replicas"));
  CHECK_THAT(with("/store/corrupt/0/block", -1), Catch::Contains("store.corrupt[0].block"));
  CHECK_THAT(with("/store/corrupt/1", json{{"block", 4}, {"replica", 1}}), Catch::Contains("store.corrupt[1]: block 4 replica 1 is named twice"));
  CHECK_THAT(with("/store/corrupt/1", json{{"replica", 1}}), Catch::Contains("store.corrupt[1].block: missing"));
  CHECK_THAT(with("/store/copies", 3), Catch::Contains("store.copies: unknown key"));
  CHECK_THAT(with("/store/expect/locality_min", 101), Catch::Contains("store.expect.locality_min"));
  CHECK_THAT(with("/store/expect/locality_max", 50), Catch::Contains("store.expect.locality_min: larger than locality_max"));
  CHECK_THAT(with("/store/expect/lost_files", json::array({"a.log"})), Catch::Contains("store.expect.lost_files"));
  CHECK_THAT(with("/store/expect/lost_files", json::array({"a.log", "a.log"})), Catch::Contains("named twice"));
  CHECK_THAT(with("/store/expect/speed", 1), Catch::Contains("store.expect.speed: unknown key"));
  CHECK_THAT(with("/store/sites", "racks.txt"), Catch::Contains("store.sites: 'racks.txt': only \"prefix\""));
  auto j = doc();
  j["store"].erase("replicas");
  CHECK_THAT(parse_error(j), Catch::Contains("store.replicas: missing"));
  j = doc();
  j["store"]["fsck"] = false;
  j["store"]["expect"]["missing_blocks"] = 3;
  CHECK_THAT(parse_error(j), Catch::Contains("store.expect.missing_blocks: needs \"fsck\": true"));
}

TEST_CASE("store scenario: combinations it cannot run are refused") {
  auto j = doc();
  j["options"]["split_bytes"] = 1000;
  CHECK_THAT(parse_error(j), Catch::Contains("options.split_bytes"));
  j = doc();
  j["options"]["checkpoint"] = true;
  CHECK_THAT(parse_error(j), Catch::Contains("options.checkpoint"));
  j = doc();
  j["faults"].push_back({{"master", true}, {"at", 1}});
  CHECK_THAT(parse_error(j), Catch::Contains("faults[2]: hits rank 0"));
  j = doc();
  j["faults"].push_back({{"host", "node-0"}, {"at", 1}, {"kind", "host-off"}});  // rank 0 lives there
  CHECK_THAT(parse_error(j), Catch::Contains("faults[2]: hits rank 0"));
  j = doc();
  j["expect"] = {{"result", "INCOMPLETE"}};
  CHECK_THAT(parse_error(j), Catch::Contains("lost_files"));
  j["store"]["expect"]["lost_files"] = json::array({"t1.log"});
  CHECK(parse_ok(j).store.expect.lost_files == std::vector<std::string>{"t1.log"});
  j = doc();
  j["follow"] = {{"for", 3}, {"growth", json::array()}};
  j["faults"] = json::array();
  CHECK_THAT(parse_error(j), Catch::Contains("store: a store scenario cannot also be a follow scenario"));
}

TEST_CASE("store scenario: command lines of ingest, analysis and fsck") {
  auto s = parse_ok(doc());
  auto in = sc::store_ingest_args(s, "input");
  CHECK(in == std::vector<std::string>{"ingest", "--store", "store", "--replicas", "2", "--block-size", "32768", "--json", "input"});
  auto j0 = doc();
  j0["store"]["sites"] = "prefix";
  auto with_sites = parse_ok(j0);
  CHECK(sc::store_ingest_args(with_sites, "input") == std::vector<std::string>{"ingest", "--store", "store", "--replicas", "2", "--block-size", "32768", "--sites", "prefix", "--json", "input"});
  CHECK(sc::site_of(with_sites.store, "a-0") == "a");
  CHECK(sc::site_of(with_sites.store, "node-12") == "node");
  CHECK(sc::site_of(s.store, "a-0") == "a-0");  // without sites: the host
  CHECK(sc::store_fsck_args(true) == std::vector<std::string>{"fsck", "--store", "store", "--repair"});
  CHECK(sc::store_fsck_args(false) == std::vector<std::string>{"fsck", "--store", "store"});
  auto a = sc::store_analyse_args(s, "run.trace");
  CHECK_FALSE(has(a, "--policy"));  // the analyser's store default (locality)
  CHECK_FALSE(has(a, ""));          // no input dir
  CHECK(has(a, "--store"));
  CHECK(has(a, "--trace"));
  CHECK(has(a, "--inject-crash"));  // the crash fault; the host-off one is a platform profile
  auto at = std::find(a.begin(), a.end(), "--locality-wait");
  REQUIRE(at != a.end());
  CHECK(*(at + 1) == "0.2");
  auto j = doc();
  j["options"]["policy"] = "dynamic";
  auto named = sc::store_analyse_args(parse_ok(j), "run.trace");
  REQUIRE(has(named, "--policy"));
  CHECK(*(std::find(named.begin(), named.end(), "--policy") + 1) == "dynamic");
}

TEST_CASE("store scenario: the calm platform and the disks lost with their hosts") {
  auto s = parse_ok(doc());
  auto calm = sc::calm_scenario(s);
  CHECK(calm.faults.empty());
  CHECK(calm.store.on);
  CHECK(s.faults.size() == 2);
  // 8 ranks round-robin over node-0..3: node-2 holds ranks 2 and 6; rank 3 only crashed (its disk stays).
  CHECK(sc::lost_disk_ranks(s) == std::vector<int>{2, 6});
  auto j = doc();
  j["store"]["lose_disks"] = false;
  CHECK(sc::lost_disk_ranks(parse_ok(j)).empty());
}

TEST_CASE("store scenario: the corruption plan follows the manifest's replica lists") {
  auto s = parse_ok(doc());
  std::vector<std::vector<int>> reps = {{1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}};
  auto p = sc::plan_corruption(s.store, reps);
  REQUIRE(p.ok());
  REQUIRE(p->size() == 1);
  CHECK((*p)[0].block == 4);
  CHECK((*p)[0].rank == 6);  // replica 1 of block 4
  auto few = sc::plan_corruption(s.store, {{1, 2}, {2, 3}});
  REQUIRE_FALSE(few.ok());
  CHECK_THAT(few.error(), Catch::Contains("store.corrupt[0].block: block 4 does not exist (the ingest made 2 blocks"));
  reps[4] = {5};
  auto short_list = sc::plan_corruption(s.store, reps);
  REQUIRE_FALSE(short_list.ok());
  CHECK_THAT(short_list.error(), Catch::Contains("store.corrupt[0].replica"));
}

TEST_CASE("store scenario: flipped bytes change the checksum, whatever the length") {
  for (std::size_t n : {1u, 2u, 3u, 4u, 7u, 100u, 65536u}) {
    std::string b(n, 'x');
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>('a' + i % 26);
    auto f = sc::flip_bytes(b);
    INFO("length " << n);
    CHECK(f.size() == n);
    CHECK(crc32(0, reinterpret_cast<const Bytef*>(f.data()), static_cast<uInt>(n)) !=
          crc32(0, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(n)));
  }
  CHECK(sc::flip_bytes("").empty());
}

TEST_CASE("store scenario: the analyser's store result is checked against store.expect") {
  auto s = parse_ok(doc());
  auto r = json::parse(R"({"store": {"local_bytes": 900, "remote_bytes": 100, "locality": 90,
     "rereplicated_blocks": 3, "rereplicated_bytes": 3000, "corrupt_repaired": [4], "lost": []}})");
  CHECK(sc::store_result_failures(s, r).empty());
  r["store"]["locality"] = 50;
  r["store"]["corrupt_repaired"] = json::array();
  r["store"]["rereplicated_blocks"] = 0;
  auto f = sc::store_result_failures(s, r);
  CHECK(f.size() == 3);
  r["store"]["locality"] = 90;
  r["store"]["corrupt_repaired"] = json::array({4});
  r["store"]["rereplicated_blocks"] = 1;
  r["store"]["lost"] = json::array({"t2.log [0,100)", json{{"file", "t1.log"}, {"offset", 0}}, "t2.log [100,200)"});
  CHECK(sc::store_lost_files(r) == std::vector<std::string>{"t1.log", "t2.log"});
  f = sc::store_result_failures(s, r);
  REQUIRE(f.size() == 1);
  CHECK_THAT(f[0], Catch::Contains("lost files [t1.log, t2.log], expected []"));
  CHECK_FALSE(sc::store_result_failures(s, json::object()).empty());
}

TEST_CASE("store scenario: the final fsck must say OK with at least K replicas of every block") {
  auto s = parse_ok(doc());
  sc::RunOutput ok{0, false, "repaired 3: rank 2 -> rank 5\nFSCK OK blocks=10 replicas=20\n", ""};
  CHECK(sc::fsck_final_failures(s, ok, 10, 20).empty());
  CHECK(sc::fsck_final_failures(s, ok, 11, 22).size() == 1);
  sc::RunOutput extra{0, false, "FSCK OK blocks=10 replicas=21\n", ""};
  CHECK(sc::fsck_final_failures(s, extra, 10, 21).empty());  // one block kept a third replica
  sc::RunOutput few{0, false, "FSCK OK blocks=10 replicas=19\n", ""};
  CHECK(sc::fsck_final_failures(s, few, 10, 19).size() == 1);  // fewer than K somewhere
  sc::RunOutput bad{2, false, "missing 3 t1.log [0,100) (no replica left)\nFSCK PROBLEMS under=0 corrupt=0 missing=1\n", ""};
  CHECK(sc::fsck_final_failures(s, bad, 10, 19).size() == 3);  // the line, fewer than K, the exit code
  auto j = doc();
  j["store"]["expect"]["missing_blocks"] = 1;
  CHECK(sc::fsck_final_failures(parse_ok(j), bad, 10, 19).empty());
}

TEST_CASE("store scenario: lost byte ranges are read from either form of store.lost") {
  auto r = json::parse(R"J({"store": {"lost": ["t2.log [0,100)", {"file": "t1.log", "offset": 5, "length": 10},
     {"file": "t3.log", "offset": 7, "end": 9}, "t4.log [3,3)", "t5.log"]}})J");
  auto l = sc::store_lost_ranges(r);
  REQUIRE(l.size() == 3);
  CHECK(l[0].file == "t2.log");
  CHECK(l[0].end == 100);
  CHECK(l[1].file == "t1.log");
  CHECK(l[1].offset == 5);
  CHECK(l[1].end == 15);
  CHECK(l[2].end == 9);
}
