// Unit tests for stream/stream_checkpoint: the follow state through the real checkpoint store on
// MemEnv: round trip, old checkpoints still load, a crash at every step of a save leaves the old
// state or the new one (never offsets without their counts).
#include "stream/stream_checkpoint.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "ckpt/checkpoint.h"

using dla::CheckpointOptions;
using dla::CheckpointStore;
using dla::MemEnv;
using namespace dla::stream;

namespace {

StreamTable table_with(std::uint64_t lines) {
  StreamTable t;
  t.observe({Listed{"a.log", 1, 7, 100, "[t] [INFO] first\n"}}, 0);
  t.set_workers({1});
  auto o = t.take_orders();
  dla::Counts c;
  c.lines = lines;
  c["INFO"] = lines;
  REQUIRE(t.on_delta(1, o[0].key, o[0].epoch, 0, lines * 17, c, "", "bracket"));
  return t;
}

}  // namespace

TEST_CASE("stream checkpoint: saved and loaded through the store; the invariant covers the section") {
  MemEnv env;
  CheckpointOptions opt;
  opt.root = "/ck";
  CheckpointStore store(opt, &env);
  REQUIRE(store.open());
  REQUIRE(env.make_dir("/in"));
  auto t = table_with(5);
  auto sv = store.save(follow_checkpoint(t, "/in", "2026-12-02T00:00:00.000", "auto"), "/in");
  INFO((sv ? std::string() : sv.error()));
  REQUIRE(sv);
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.counts.lines == 5);
  CHECK(l.state.pending_files == std::vector<std::string>{"a.log"});
  auto back = table_from_checkpoint(l.state);
  REQUIRE(back);
  CHECK(back->totals() == t.totals());
  CHECK(back->streams().at(1).pos.offset == 85);
  // a checkpoint.json whose stream counts do not add up to counts is refused
  auto text = dla::checkpoint_json_text(follow_checkpoint(t, "/in", "x", "auto"));
  CHECK(dla::checkpoint_from_text(text));
  const auto at = text.find("\"lines\": 5");
  REQUIRE(at != std::string::npos);
  text.replace(at, 10, "\"lines\": 6");
  CHECK_FALSE(dla::checkpoint_from_text(text));
  // a batch checkpoint is not a follow checkpoint
  dla::CheckpointState batch;
  CHECK(table_from_checkpoint(batch).code() == dla::Code::kInvalid);
}

TEST_CASE("stream checkpoint: a crash at any step of a save leaves the old or the new state, whole") {
  MemEnv probe;
  long steps = 0;
  {
    CheckpointOptions opt;
    opt.root = "/ck";
    CheckpointStore store(opt, &probe);
    REQUIRE(store.open());
    REQUIRE(probe.make_dir("/in"));
    REQUIRE(store.save(follow_checkpoint(table_with(3), "/in", "t", "auto"), "/in"));
    const long before = probe.mutations();
    REQUIRE(store.save(follow_checkpoint(table_with(9), "/in", "t", "auto"), "/in"));
    steps = probe.mutations() - before;
  }
  REQUIRE(steps > 3);
  for (long k = 1; k <= steps; ++k) {
    MemEnv env;
    CheckpointOptions opt;
    opt.root = "/ck";
    {
      CheckpointStore store(opt, &env);
      REQUIRE(store.open());
      REQUIRE(env.make_dir("/in"));
      REQUIRE(store.save(follow_checkpoint(table_with(3), "/in", "t", "auto"), "/in"));
      env.crash_at(k);
      (void)store.save(follow_checkpoint(table_with(9), "/in", "t", "auto"), "/in");
    }
    env.restart();
    CheckpointStore again(opt, &env);
    REQUIRE(again.open());
    auto l = again.load_latest();
    REQUIRE(l.found);
    auto t = table_from_checkpoint(l.state);
    REQUIRE(t);
    const auto& s = t->streams().at(1);
    INFO("crash at mutation " << k);
    CHECK((s.counts.lines == 3 || s.counts.lines == 9));
    CHECK(s.pos.offset == s.counts.lines * 17);
  }
}
