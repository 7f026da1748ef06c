// The trust boundary of the checkpoint store: whatever a checkpoint.json holds, a user's files in
// the checkpoint root, foreign names, odd file names, and inputs that change after being counted.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <random>

#include "base/mem_env.h"
#include "ckpt/checkpoint.h"
#include "ckpt/checkpoint_driver.h"
#include "ckpt/checkpoint_test_util.h"

namespace dla {
namespace {

using nlohmann::json;
using testing::EnvInput;
using testing::same_progress;

const char* kRoot = "/ckpts";

// MemEnv with an input and two checkpoints; the newest one's checkpoint.json is the test's to spoil.
struct TwoCheckpoints {
  MemEnv env;
  EnvInput in{env, "/in", 3};
  CheckpointStore store{{kRoot, 5, false}, &env};
  std::string newest_json;
  std::string good;
  TwoCheckpoints() {
    REQUIRE(store.open().ok());
    REQUIRE(store.save(in.state(1), in.dir).ok());
    auto b = store.save(in.state(2), in.dir);
    REQUIRE(b.ok());
    newest_json = b->dir + "/checkpoint.json";
    good = *read_file(env, newest_json);
  }
  void spoil(const std::string& text) {
    REQUIRE(env.remove_file(newest_json).ok());
    REQUIRE(write_file(env, newest_json, text, WriteMode::kCreateExclusive, true).ok());
  }
  // The newest is skipped with a reason, the previous one loaded (or, if the spoilt text is still a
  // valid checkpoint of the same files, the newest loaded).
  void expect_skipped_or_valid() {
    LoadResult l;
    REQUIRE_NOTHROW(l = store.load_latest());
    REQUIRE(l.found);
    if (l.skipped.empty()) {
      CHECK(l.state.sequence == 2);
      CHECK(l.state.counts == sum_counts(l.state.processed));
    } else {
      REQUIRE(l.skipped.size() == 1);
      CHECK(l.skipped[0].name == "ckpt-00000002");
      CHECK_FALSE(l.skipped[0].reason.empty());
      CHECK(same_progress(l.state, in.state(1)));
    }
  }
};

unsigned test_seed() {
  const char* e = std::getenv("DLA_TEST_SEED");
  const unsigned seed = e && *e ? static_cast<unsigned>(std::strtoul(e, nullptr, 10)) : 20261124u;
  std::cerr << "checkpoint fuzz: seed " << seed << " (set DLA_TEST_SEED to override)\n";
  return seed;
}

json random_value(std::mt19937& rng, int depth = 0) {
  switch (rng() % 9) {
    case 0: return nullptr;
    case 1: return static_cast<bool>(rng() % 2);
    case 2: return static_cast<int>(rng() % 2001) - 1000;
    case 3: return 1.5e300 * ((rng() % 2) ? 1 : -1);
    case 4: return std::string("x\\") + std::to_string(rng());
    case 5: return std::numeric_limits<std::uint64_t>::max() - rng() % 3;
    case 6: return depth < 3 ? json::array({random_value(rng, depth + 1), random_value(rng, depth + 1)}) : json::array();
    case 7: return depth < 3 ? json::object({{"INFO", random_value(rng, depth + 1)}}) : json::object();
    default: return "node1.log";
  }
}

// Replaces, removes or adds one node somewhere in `j`.
void mutate(json& j, std::mt19937& rng) {
  json* at = &j;
  for (int d = 0; d < 4 && (at->is_object() || at->is_array()) && !at->empty() && rng() % 3; ++d) {
    auto it = at->begin();
    std::advance(it, static_cast<long>(rng() % at->size()));
    at = &*it;
  }
  switch (rng() % 3) {
    case 0: *at = random_value(rng); break;
    case 1:
      if (at->is_object() && !at->empty()) at->erase(at->begin());
      else if (at->is_array() && !at->empty()) at->erase(at->begin());
      else *at = random_value(rng);
      break;
    default:
      if (at->is_object()) (*at)["k" + std::to_string(rng() % 4)] = random_value(rng);
      else if (at->is_array()) at->push_back(random_value(rng));
      else *at = random_value(rng);
  }
}

}  // namespace

TEST_CASE("a checkpoint.json with wrong types is skipped with a reason, never an exception", "[checkpoint][trust]") {
  TwoCheckpoints t;
  const json good = json::parse(t.good);
  auto with = [&](auto change) {
    json j = good;
    change(j);
    return j.dump();
  };
  const std::vector<std::string> spoilt = {
      with([](json& j) { j["format"] = 1; }),
      with([](json& j) { j["format"] = nullptr; }),
      with([](json& j) { j["format_version"] = "2"; }),
      with([](json& j) { j["input_dir"] = nullptr; }),
      with([](json& j) { j["consistency"] = json::array(); }),
      with([](json& j) { j["timestamp"] = 5; }),
      with([](json& j) { j["processed_files"][0] = 5; }),
      with([](json& j) { j["file_info"][0]["name"] = 5; }),
      with([](json& j) { j["file_info"][0] = "node1.log"; }),
      with([](json& j) { j["file_info"][0]["size"] = "20"; }),
      with([](json& j) { j["file_info"][0]["mtime_ns"] = 1e300; }),
      with([](json& j) { j["file_info"][0]["counts"] = json::array({1, 2}); }),
      with([](json& j) { j["file_info"][0]["counts"]["INFO"] = nullptr; }),
      with([](json& j) { j["counts"] = json::array(); }),
      with([](json& j) { j["counts"]["WARN"] = "many"; }),
      with([](json& j) { j["lines"] = "3"; }),
      with([](json& j) { j["sequence"] = -2; }),
      with([](json& j) { j["sequence"] = 2.5; }),
      with([](json& j) { j["failed_workers"] = json::object(); }),
      with([](json& j) { j["failed_workers"] = json::array({1e30}); }),
      with([](json& j) { j["failed_workers"] = json::array({std::numeric_limits<std::uint64_t>::max()}); }),
      with([](json& j) { j["pending_files"] = json::object({{"a", {{"b", {1, 2, {{"c", nullptr}}}}}}}); }),
      with([](json& j) { j["processed_files"][0] = "bad\\escape"; }),
      "[" + std::string(100000, '[') + std::string(100000, ']') + "]",
      "\"just a string\"",
      "null",
  };
  for (const auto& text : spoilt) {
    INFO(text.substr(0, 200));
    CHECK_NOTHROW(checkpoint_from_text(text));
    CHECK_FALSE(checkpoint_from_text(text).ok());
    t.spoil(text);
    t.expect_skipped_or_valid();
    auto l = t.store.load_latest();
    CHECK(l.skipped.size() == 1);
  }
}

TEST_CASE("fuzz: a randomly mutated checkpoint.json is either valid or skipped, never an exception", "[checkpoint][trust]") {
  TwoCheckpoints t;
  const json good = json::parse(t.good);
  std::mt19937 rng(test_seed());
  int valid = 0, skipped = 0;
  for (int i = 0; i < 3000; ++i) {
    json j = good;
    const int changes = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < changes; ++c) mutate(j, rng);
    std::string text = j.dump();
    if (rng() % 4 == 0) text[rng() % text.size()] = static_cast<char>(rng() % 256);  // and a byte
    if (rng() % 8 == 0) text.resize(rng() % text.size());
    INFO("iteration " << i << ": " << text.substr(0, 300));
    Result<CheckpointState> r = Error{""};
    REQUIRE_NOTHROW(r = checkpoint_from_text(text));
    if (r.ok()) CHECK(r->counts == sum_counts(r->processed));
    t.spoil(text);
    REQUIRE_NOTHROW(t.expect_skipped_or_valid());
    (r.ok() ? valid : skipped) += 1;
  }
  CHECK(skipped > 0);
}

TEST_CASE("--fresh deletes old checkpoints without loading them, whatever they hold", "[checkpoint][trust]") {
  TwoCheckpoints t;
  json j = json::parse(t.good);
  j["input_dir"] = nullptr;
  j["lines"] = "many";
  j["file_info"][0]["name"] = 5;
  t.spoil(j.dump());
  t.store.~CheckpointStore();  // the first run is over
  new (&t.store) CheckpointStore({kRoot, 5, false}, &t.env);
  CheckpointConfig cfg;
  cfg.dir = kRoot;
  cfg.fresh = true;
  cfg.env = &t.env;
  CheckpointDriver d(cfg, t.in.dir, t.in.files);
  DriverOutput o;
  Status s = Error{""};
  REQUIRE_NOTHROW(s = d.start(&o));
  REQUIRE(s.ok());
  CHECK_FALSE(d.resumed());
  REQUIRE(o.out.size() == 1);
  CHECK(o.out[0].find("Starting fresh") != std::string::npos);
  for (const auto& e : o.err) CHECK(e.find("unusable") == std::string::npos);  // nothing was validated
  CHECK(*t.env.list_dir(kRoot) == std::vector<std::string>({".lock"}));
}

TEST_CASE("open, save with keep=1 and clear never delete what is not ours", "[checkpoint][trust]") {
  MemEnv env;
  EnvInput in(env, "/in", 3);
  REQUIRE(make_dirs(env, "/ckpts/ckpt-2024").ok());
  REQUIRE(write_file(env, "/ckpts/ckpt-2024/notes.txt", "mine", WriteMode::kCreateExclusive, true).ok());
  REQUIRE(make_dirs(env, "/ckpts/.tmp-mine").ok());
  REQUIRE(write_file(env, "/ckpts/.tmp-mine/work.txt", "mine too", WriteMode::kCreateExclusive, true).ok());
  REQUIRE(make_dirs(env, "/ckpts/.tmp-empty").ok());
  CheckpointStore store({kRoot, 1, false}, &env);
  REQUIRE(store.open().ok());
  CHECK(store.foreign() == std::vector<std::string>({".tmp-empty", ".tmp-mine", "ckpt-2024"}));
  for (int k = 1; k <= 3; ++k) {
    auto r = store.save(in.state(k), in.dir);
    REQUIRE(r.ok());
    CHECK(r->dir == "/ckpts/ckpt-0000000" + std::to_string(k));  // the next sequence follows ours only
    auto l = store.load_latest();  // ckpt-2024 sorts newest: skipped with a reason, ours loaded
    REQUIRE(l.found);
    CHECK(same_progress(l.state, in.state(k)));
    REQUIRE(l.skipped.size() == 1);
    CHECK(l.skipped[0].name == "ckpt-2024");
  }
  auto removed = store.clear();
  REQUIRE(removed.ok());
  CHECK(*removed == 1);  // keep=1: only ours, the newest
  CHECK(*read_file(env, "/ckpts/ckpt-2024/notes.txt") == "mine");
  CHECK(*read_file(env, "/ckpts/.tmp-mine/work.txt") == "mine too");
  CHECK(is_dir(env, "/ckpts/.tmp-empty"));
  CHECK(*env.list_dir(kRoot) == std::vector<std::string>({".lock", ".tmp-empty", ".tmp-mine", "ckpt-2024"}));
}

TEST_CASE("a user's file inside a checkpoint directory of ours survives its deletion", "[checkpoint][trust]") {
  MemEnv env;
  EnvInput in(env, "/in", 3);
  CheckpointStore store({kRoot, 1, false}, &env);
  REQUIRE(store.open().ok());
  auto a = store.save(in.state(1), in.dir);
  REQUIRE(a.ok());
  REQUIRE(write_file(env, a->dir + "/README", "notes", WriteMode::kCreateExclusive, true).ok());
  REQUIRE(store.save(in.state(2), in.dir).ok());  // keep=1 deletes ckpt-1: only our names in it
  auto names = env.list_dir(kRoot);
  REQUIRE(names->size() == 3);  // .lock, .tmp-gc-ckpt-00000001 (README only), ckpt-00000002
  CHECK(*read_file(env, "/ckpts/.tmp-gc-ckpt-00000001/README") == "notes");
  CHECK(*env.list_dir("/ckpts/.tmp-gc-ckpt-00000001") == std::vector<std::string>({"README"}));
}

TEST_CASE("foreign ckpt names with huge or overflowing numbers never stop our checkpoints", "[checkpoint][trust]") {
  MemEnv env;
  EnvInput in(env, "/in", 3);
  for (const char* n : {"ckpt-99999999999999999999", "ckpt-9999999999999999999", "ckpt-999999999999999999"})
    REQUIRE(make_dirs(env, std::string(kRoot) + "/" + n).ok());
  {
    CheckpointStore store({kRoot, 3, false}, &env);
    REQUIRE(store.open().ok());
    auto a = store.save(in.state(1), in.dir);
    REQUIRE(a.ok());
    CHECK(a->dir == "/ckpts/ckpt-00000001");
  }
  CheckpointStore store({kRoot, 3, false}, &env);
  REQUIRE(store.open().ok());
  auto b = store.save(in.state(2), in.dir);
  REQUIRE(b.ok());
  CHECK(b->dir == "/ckpts/ckpt-00000002");
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.sequence == 2);
  CHECK(l.skipped.size() == 3);  // each reported, none deleted
  for (const auto& s : l.skipped) INFO(s.name << ": " << s.reason);
  CHECK(store.foreign().size() == 3);
}

namespace {
void names_round_trip(Env& env, const std::string& base) {
  EnvInput in(env, base + "/in", 3, {"\xff.log", "a\nb.log", "back\\slash.log"});
  CheckpointStore store({base + "/ckpts", 3, false}, &env);
  REQUIRE(store.open().ok());
  REQUIRE(store.save(in.state(1), in.dir).ok());  // (two names pending)
  CHECK(same_progress(store.load_latest().state, in.state(1)));
  auto a = store.save(in.state(3), in.dir);
  REQUIRE(a.ok());
  auto text = read_file(env, a->dir + "/checkpoint.json");
  REQUIRE(text.ok());
  CHECK_FALSE(json::parse(*text, nullptr, false).is_discarded());  // valid JSON (so valid UTF-8)
  CHECK(text->find("\\\\xff.log") != std::string::npos);
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.skipped.empty());
  CHECK(same_progress(l.state, in.state(3)));
  CHECK(is_regular_file(env, a->dir + "/\xff.log"));
  CHECK(is_regular_file(env, a->dir + "/a\nb.log"));
}
}  // namespace

TEST_CASE("file names that are not UTF-8 or hold a newline round-trip through a checkpoint", "[checkpoint][trust]") {
  SECTION("MemEnv") {
    MemEnv env;
    names_round_trip(env, "/t");
  }
  SECTION("POSIX") {
    char tmpl[] = "/tmp/dla-ckpt-names-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    names_round_trip(*Env::posix(), tmpl);
    remove_tree(*Env::posix(), tmpl);
  }
}

TEST_CASE("a link-mode checkpoint notices an input that changed and has it recounted", "[checkpoint][trust]") {
  MemEnv env;  // no reflinks: link mode hard-links the input
  EnvInput in(env, "/in", 3);
  CheckpointStore store({kRoot, 3, false, CheckpointFiles::kLink}, &env);
  REQUIRE(store.open().ok());
  auto a = store.save(in.state(2), in.dir);
  REQUIRE(a.ok());
  CHECK(a->input_links == 2);
  CHECK(a->copied == 0);
  REQUIRE(write_file(env, "/in/node1.log", "[INFO] appended\n", WriteMode::kAppend, true).ok());
  auto l = store.load_latest();
  REQUIRE(l.found);  // one changed file does not cost the whole checkpoint
  CHECK(l.skipped.empty());
  REQUIRE(l.recount.size() == 1);
  CHECK(l.recount[0].find("node1.log changed") != std::string::npos);
  CHECK(l.state.processed_names() == std::vector<std::string>({"node2.log"}));
  CHECK(l.state.counts == testing::counts_of(2));
  CHECK(std::find(l.state.pending_files.begin(), l.state.pending_files.end(), "node1.log") != l.state.pending_files.end());
  in.refresh();
  auto p = plan_resume(l.state, "", in.files);
  REQUIRE(p.ok());
  CHECK(p->already == 1);  // only node2 is taken from the checkpoint
}

TEST_CASE("a snapshot-mode checkpoint keeps what was counted when the input changes later", "[checkpoint][trust]") {
  MemEnv env;
  EnvInput in(env, "/in", 3);
  CheckpointStore store({kRoot, 3, false, CheckpointFiles::kSnapshot}, &env);
  REQUIRE(store.open().ok());
  auto a = store.save(in.state(2), in.dir);
  REQUIRE(a.ok());
  const std::string counted = *read_file(env, "/in/node1.log");
  REQUIRE(write_file(env, "/in/node1.log", "[INFO] appended\n", WriteMode::kAppend, true).ok());
  CHECK(*read_file(env, a->dir + "/node1.log") == counted);  // a snapshot, not a link
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.skipped.empty());  // still exactly what it recorded
  auto before = in.files;
  in.refresh();
  auto p = plan_resume(l.state, "", in.files);
  REQUIRE(p.ok());
  CHECK(p->already == 1);  // node1 is counted again
  REQUIRE(p->notes.size() == 1);
  CHECK(p->notes[0].find("node1.log changed") != std::string::npos);
  SECTION("changed between counting and the save: left pending, counts subtracted") {
    CheckpointState s;
    s.processed.push_back({"node1.log", before[0].size, before[0].mtime_ns, testing::counts_of(1)});
    s.processed.push_back({"node2.log", before[1].size, before[1].mtime_ns, testing::counts_of(2)});
    s.pending_files = {"node3.log"};
    s.counts = sum_counts(s.processed);
    CheckpointStore other({"/other", 3, false, CheckpointFiles::kSnapshot}, &env);  // no earlier snapshot of node1
    REQUIRE(other.open().ok());
    auto b = other.save(s, in.dir);
    REQUIRE(b.ok());
    CHECK(b->changed == std::vector<std::string>({"node1.log"}));
    CHECK(b->files == 1);
    auto l2 = other.load_latest();
    REQUIRE(l2.found);
    CHECK(l2.state.processed_names() == std::vector<std::string>({"node2.log"}));
    CHECK(l2.state.counts == testing::counts_of(2));
    CHECK(l2.state.pending_files == std::vector<std::string>({"node3.log", "node1.log"}));
  }
}

}  // namespace dla
