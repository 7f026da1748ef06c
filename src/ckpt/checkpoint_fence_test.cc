// Term fencing (--standbys): a master replaced by a newer term never publishes a checkpoint.
#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "ckpt/checkpoint.h"
#include "ckpt/checkpoint_test_util.h"

namespace dla {
namespace {

CheckpointOptions opts(long long term, bool takeover) {
  CheckpointOptions o;
  o.root = "/ck";
  o.term = term;
  o.takeover = takeover;
  return o;
}

}  // namespace

TEST_CASE("a master of an older term cannot save once a newer one claimed the root", "[checkpoint]") {
  MemEnv env;
  testing::EnvInput in(env, "/in", 4);
  CheckpointStore old_master(opts(1, false), &env);
  REQUIRE(old_master.open().ok());
  CHECK(read_term_mark(env, "/ck") == 1);
  REQUIRE(old_master.save(in.state(1), "/in").ok());
  CHECK_FALSE(old_master.fenced());
  // The old master is paused, not dead: it still holds the lock; the new master opens anyway.
  CheckpointStore new_master(opts(2, true), &env);
  REQUIRE(new_master.open().ok());
  CHECK(read_term_mark(env, "/ck") == 2);
  CHECK(old_master.fenced());
  auto refused = old_master.save(in.state(3), "/in");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Code::kBusy);
  CHECK(refused.error().find("fenced") != std::string::npos);
  auto l = new_master.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.processed.size() == 1);  // the old master's last legitimate checkpoint
  REQUIRE(new_master.save(in.state(2), "/in").ok());
  CHECK(new_master.load_latest().state.processed.size() == 2);
  // A takeover of an older term than the mark is refused (a stale candidate).
  CheckpointStore stale(opts(2, true), &env);
  CHECK(stale.open().ok());  // same term: allowed (idempotent)
  CheckpointStore older(opts(1, true), &env);
  CHECK_FALSE(older.open().ok());
}

TEST_CASE("without fencing (term 0) no mark is written and a busy root is refused as before", "[checkpoint]") {
  MemEnv env;
  testing::EnvInput in(env, "/in", 2);
  {
    CheckpointStore a(opts(0, false), &env);
    REQUIRE(a.open().ok());
    CHECK_FALSE(env.lstat("/ck/.term").ok());
    CheckpointStore b(opts(0, false), &env);
    auto r = b.open();
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kBusy);
  }
  // A new run's first master (term 1, holding the lock) resets a mark left by an earlier run.
  REQUIRE(write_file_atomic(env, "/ck/.term", "5\n").ok());
  CheckpointStore c(opts(1, false), &env);
  REQUIRE(c.open().ok());
  CHECK(read_term_mark(env, "/ck") == 1);
  CHECK(c.save(in.state(1), "/in").ok());
}

}  // namespace dla
