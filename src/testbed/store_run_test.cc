// testbed/store_run.h through MemEnv and a fake SpawnFn that plays the programs: "ingest" writes a
// real store with src/store (cut, place, LocalStore, manifest), the analyser prints a result, fsck
// prints its last line. What is tested is the runner's side: the order of the steps, the
// corruption of the named replica, the independent checks of the disks (a wrong replica is found),
// the combined output, and the refusal of a missing program. (Real runs: scen_store.sh.)
#include "testbed/store_run.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "scan/discovery.h"
#include "store/local_store.h"
#include "store/manifest.h"

namespace dla::scen {
namespace {

using nlohmann::json;

Scenario scenario() {
  auto j = json::parse(R"({
    "platform": {"hosts": 3, "speed": 1},
    "input": {"files": 2, "lines": 300, "seed": 3},
    "store": {"replicas": 2, "block_size": "4KiB", "corrupt": [{"block": 1, "replica": 1}],
              "expect": {"locality_min": 50}}
  })");
  auto s = parse_scenario(j, "st", "");
  REQUIRE(s.ok());
  return *s;
}

bool has_arg(const ProcessSpec& p, const std::string& a) { return std::find(p.argv.begin(), p.argv.end(), a) != p.argv.end(); }

// Plays every program of a store run inside `env`. `bad_ingest`: rank 2's replicas get one wrong byte.
struct FakePrograms {
  MemEnv& env;
  const Scenario& s;
  bool bad_ingest = false;
  std::string lose;  // the analyser reports this file lost (INCOMPLETE) and does not count it ...
  bool count_lost = false;  // ... unless this is set (a wrong analyser)
  std::vector<std::string> calls;

  // Lines of a file (the fake base_log_analyser counts every line as INFO).
  std::uint64_t lines_of(const std::string& path) {
    auto t = read_file(env, path);
    return t ? static_cast<std::uint64_t>(std::count(t->begin(), t->end(), '\n')) : 0;
  }
  std::uint64_t lines_in(const std::string& dir, const std::string& except = "") {
    std::uint64_t n = 0;
    if (auto names = env.list_dir(dir))
      for (const auto& f : *names)
        if (f != except && f.size() > 4 && f.substr(f.size() - 4) == ".log") n += lines_of(dir + "/" + f);
    return n;
  }
  static std::string counts(std::uint64_t n) {
    return "{\"counts\": {\"INFO\": " + std::to_string(n) + "}, \"lines\": " + std::to_string(n) + "}";
  }
  std::size_t blocks = 0;

  void ingest(const std::string& run) {
    auto files = discover_logs(run + "/input", env);
    REQUIRE(files.ok());
    auto blocks_cut = cut_blocks(run + "/input", *files, s.store.block_size, env);
    REQUIRE(blocks_cut.ok());
    std::vector<RankHost> data = {{1, "node-1"}, {2, "node-2"}};
    std::vector<std::uint64_t> sizes;
    for (const auto& b : *blocks_cut) sizes.push_back(b.length);
    auto placed = place(sizes, data, 2);
    REQUIRE(placed.ok());
    for (std::size_t i = 0; i < blocks_cut->size(); ++i) (*blocks_cut)[i].replicas = (*placed)[i];
    Manifest m = make_manifest("input", *files, *blocks_cut, s.store.block_size, 2, {{0, "node-0"}, {1, "node-1"}, {2, "node-2"}});
    blocks = m.blocks.size();
    std::map<int, std::string> input;
    for (int r = 0; r < 3; ++r) {
      auto st = LocalStore::open(env, run + "/store", "node-" + std::to_string(r), r, true);
      REQUIRE(st.ok());
      REQUIRE(save_manifest(env, st->dir(), m).ok());
      for (const auto& b : m.blocks) {
        if (std::find(b.replicas.begin(), b.replicas.end(), r) == b.replicas.end()) continue;
        auto bytes = read_range(env, run + "/input/" + m.files[static_cast<std::size_t>(b.file)].name, b.offset, b.length);
        REQUIRE(bytes.ok());
        REQUIRE(st->put(b.id, b.crc, *bytes).ok());
        if (bad_ingest && r == 2 && b.length > 0)  // a replica whose bytes differ under a valid name
          REQUIRE(write_file(env, st->path_of(b.id, b.crc), std::string(b.length, 'x'), WriteMode::kTruncate, false).ok());
      }
    }
  }

  RunOutput operator()(const ProcessSpec& p, double* secs) {
    *secs = 0.5;
    std::string out;
    if (p.argv[0].find("base_log_analyser") != std::string::npos) {
      calls.push_back("base");
      out = counts(lines_in(p.cwd + "/" + p.argv.back()));
    } else if (has_arg(p, "ingest")) {
      calls.push_back("ingest");
      ingest(p.cwd);
      out = "{\n  \"blocks\": " + std::to_string(blocks) + ",\n  \"seconds\": 0.25\n}\n";
    } else if (has_arg(p, "fsck")) {
      calls.push_back(has_arg(p, "--repair") ? "fsck --repair" : "fsck");
      out = "FSCK OK blocks=" + std::to_string(blocks) + " replicas=" + std::to_string(2 * blocks) + "\n";
    } else {
      calls.push_back(has_arg(p, "--store") ? "analyse --store" : "analyse");
      write_file(env, p.cwd + "/run.trace", "# dla trace\n0.1 1 start 0 100\n", WriteMode::kTruncate, false);
      const std::uint64_t n = lines_in(p.cwd + "/input", count_lost ? "" : lose);
      const std::string c = counts(n), lost = lose.empty() ? "" : "\"" + lose + " [0,10): no reachable replica\"";
      out = "{\n" + c.substr(1, c.size() - 2) + ",\n\"result\": \"" + (lose.empty() ? "OK" : "INCOMPLETE") + "\",\n"
            "\"failed_workers\": [],\n\"makespan_s\": 1.5,\n\"store\": {\"locality\": 75, \"lost\": [" + lost + "]}\n}\n"
            "RESULT " + (lose.empty() ? "OK" : "INCOMPLETE") + " INFO=" + std::to_string(n) + " lines=" + std::to_string(n) + "\n";
    }
    write_file(env, join_path(p.cwd, p.stdout_file), out, WriteMode::kTruncate, false);
    write_file(env, join_path(p.cwd, p.stderr_file), "", WriteMode::kTruncate, false);
    return RunOutput{0, false, "", ""};
  }
};

RunPaths paths(MemEnv& env) {
  REQUIRE(make_dirs(env, "/build").ok());
  for (const char* p : {"/build/distributed_log_analyser_smpi", "/build/dla_store_smpi", "/build/base_log_analyser"})
    REQUIRE(write_file(env, p, "binary", WriteMode::kTruncate, false).ok());
  return {"/repo", "/build", "/runs"};
}

Result<RunResult> run(MemEnv& env, const Scenario& s, FakePrograms& fake) {
  RunRequest rq;
  rq.run_dir = "/runs/st";
  SpawnFn spawn = [&](const ProcessSpec& p, double* secs) { return fake(p, secs); };
  return run_store_scenario(s, paths(env), rq, spawn, env);
}

}  // namespace

TEST_CASE("store run: ingest, corrupt, analyse, fsck --repair, fsck, in that order", "[testbed][store]") {
  MemEnv env;
  auto s = scenario();
  FakePrograms fake{env, s};
  auto rr = run(env, s, fake);
  REQUIRE(rr.ok());
  CHECK(fake.calls == std::vector<std::string>{"base", "ingest", "analyse --store", "fsck --repair", "fsck"});
  CHECK(rr->trace_text == "# dla trace\n0.1 1 start 0 100\n");
  // The combined output: every step under its header; the corrupted file named relative to the run.
  CHECK(rr->out_text.find("== ingest: dla_store ingest --store store --replicas 2 --block-size 4096 --json input (exit 0)") == 0);
  CHECK(rr->out_text.find("== corrupt: block 1 replica 1: bytes flipped in store/node-") != std::string::npos);
  CHECK(rr->out_text.find("== analyse: distributed_log_analyser --store store") != std::string::npos);
  CHECK(rr->out_text.find("== fsck: dla_store fsck --store store (exit 0)\nFSCK OK") != std::string::npos);
  CHECK(*read_file(env, "/runs/st/stdout.txt") == rr->out_text);
  // The corrupted replica really differs from the input now (the fake analyser did not repair it,
  // so the runner's own check after fsck finds it: the run fails, naming block 1).
  bool named = false;
  for (const auto& f : rr->failures) named |= f.find("after fsck: block 1 ") != std::string::npos;
  CHECK(named);
  CHECK(rr->failures.size() == 1);
}

TEST_CASE("store run: a replica that differs from the input after ingest is a failure", "[testbed][store]") {
  MemEnv env;
  auto s = scenario();
  s.store.corrupt.clear();
  FakePrograms fake{env, s, /*bad_ingest=*/true};
  auto rr = run(env, s, fake);
  REQUIRE(rr.ok());
  REQUIRE_FALSE(rr->ok);
  CHECK(rr->failures[0].find("after ingest: block ") == 0);
  CHECK(fake.calls == std::vector<std::string>{"base", "ingest"});  // nothing runs on a bad store
}

TEST_CASE("store run: without a corruption the fake run passes; a missing program is an error", "[testbed][store]") {
  MemEnv env;
  auto s = scenario();
  s.store.corrupt.clear();
  FakePrograms fake{env, s};
  auto rr = run(env, s, fake);
  REQUIRE(rr.ok());
  INFO((rr->failures.empty() ? std::string() : rr->failures[0]));
  CHECK(rr->ok);
  s.store.expect.locality_min = 90;  // the fake reports 75 %
  auto low = run(env, s, fake);
  REQUIRE(low.ok());
  REQUIRE(low->failures.size() == 1);
  CHECK(low->failures[0] == "analysis: store locality 75 % < locality_min 90 %");
  REQUIRE(env.remove_file("/build/dla_store_smpi").ok());
  RunRequest rq;
  rq.run_dir = "/runs/st";
  SpawnFn spawn = [&](const ProcessSpec& p, double* secs) { return fake(p, secs); };
  auto missing = run_store_scenario(s, {"/repo", "/build", "/runs"}, rq, spawn, env);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("dla_store_smpi not found") != std::string::npos);
}

}  // namespace dla::scen

namespace dla::scen {

TEST_CASE("store run: with a lost file the counts must be base's minus that whole file", "[testbed][store]") {
  MemEnv env;
  auto s = scenario();
  s.store.corrupt.clear();
  s.store.fsck = false;
  s.expect.result = "INCOMPLETE";
  s.store.expect.lost_files = {"node2.log"};
  FakePrograms fake{env, s};
  fake.lose = "node2.log";
  auto rr = run(env, s, fake);
  REQUIRE(rr.ok());
  INFO((rr->failures.empty() ? std::string() : rr->failures[0]));
  CHECK(rr->ok);
  CHECK(fake.calls == std::vector<std::string>{"base", "ingest", "analyse --store", "base"});  // base on run/lost
  // An analyser that reports the file lost but still counts it is caught by the sums.
  fake.count_lost = true;
  auto wrong = run(env, s, fake);
  REQUIRE(wrong.ok());
  REQUIRE_FALSE(wrong->ok);
  bool counted = false;
  for (const auto& f : wrong->failures) counted |= f.find("lines: counted ") == 0 && f.find("+ lost files ") != std::string::npos;
  CHECK(counted);
  // One that loses another file than expected is named.
  fake.count_lost = false;
  fake.lose = "node1.log";
  auto other = run(env, s, fake);
  REQUIRE(other.ok());
  REQUIRE_FALSE(other->ok);
  CHECK(other->failures[0] == "analysis: lost files [node1.log], expected [node2.log]");
}

}  // namespace dla::scen
