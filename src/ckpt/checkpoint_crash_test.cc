// The store's durability claims, tested on MemEnv: a crash loses everything not fsynced (file data
// not synced, directory entries not synced into their directory), at every mutating step of a save.
#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "ckpt/checkpoint.h"
#include "ckpt/checkpoint_test_util.h"

namespace dla {
namespace {

using testing::EnvInput;
using testing::same_progress;

const char* kRoot = "/data/ckpts";  // /data does not exist: open() creates both, durably

// A machine with an input and two checkpoints ("old"), ready for the save under test.
struct Machine {
  MemEnv env;
  EnvInput in{env, "/in", 4};
  std::unique_ptr<CheckpointStore> store;
  Machine(int keep, bool no_clone) {
    // (MemEnv has no reflinks: no_clone = snapshot copies, else link mode's hard links)
    store = std::make_unique<CheckpointStore>(
        CheckpointOptions{kRoot, keep, no_clone, no_clone ? CheckpointFiles::kSnapshot : CheckpointFiles::kLink}, &env);
    REQUIRE(store->open().ok());
    REQUIRE(store->save(in.state(1, "old"), in.dir).ok());
    REQUIRE(store->save(in.state(2, "old"), in.dir).ok());
  }
};

}  // namespace

TEST_CASE("crash at every mutating step of a save: load_latest gives the old or the new checkpoint", "[checkpoint][crash]") {
  const int keep = GENERATE(1, 2, 3);
  long steps = 0;
  {
    Machine m(keep, false);
    const long before = m.env.mutations();
    REQUIRE(m.store->save(m.in.state(4, "new"), m.in.dir).ok());
    steps = m.env.mutations() - before;
  }
  REQUIRE(steps > 5);
  int olds = 0, news = 0;
  for (long k = 1; k <= steps + 1; ++k) {  // (steps + 1: the save completes, then the power cut)
    INFO("keep=" << keep << ", crash at mutating step " << k << " of " << steps);
    Machine m(keep, false);
    m.env.crash_at(k);
    auto r = m.store->save(m.in.state(4, "new"), m.in.dir);
    m.store.reset();  // the process is gone (its lock with it)
    m.env.restart();
    m.env.crash();
    CheckpointStore after({kRoot, keep, false}, &m.env);
    auto l = after.load_latest();
    REQUIRE(l.found);
    CHECK(l.skipped.empty());  // never a half checkpoint under a loadable name
    const bool is_old = same_progress(l.state, m.in.state(2, "old"));
    const bool is_new = same_progress(l.state, m.in.state(4, "new"));
    CHECK((is_old || is_new));
    if (r.ok()) CHECK(is_new);  // a checkpoint reported saved is never lost
    olds += is_old;
    news += is_new;
    // The next run recovers: it cleans up, saves, and that survives a crash too.
    REQUIRE(after.open().ok());
    REQUIRE(after.save(m.in.state(3, "next"), m.in.dir).ok());
    m.env.crash();
    CheckpointStore again({kRoot, keep, false}, &m.env);
    auto l2 = again.load_latest();
    REQUIRE(l2.found);
    CHECK(same_progress(l2.state, m.in.state(3, "next")));
    REQUIRE(again.open().ok());
    CHECK(again.load_latest().leftovers == 0);
    CHECK(again.foreign().empty());
  }
  CHECK(olds > 0);  // crashes before the rename is durable
  CHECK(news > 0);  // crashes after it
}

TEST_CASE("a checkpoint save() reported survives a power cut right after it", "[checkpoint][crash]") {
  // Fails if save() skips fsyncing the checkpoint directory (its entries are lost) or the root
  // after the rename (the rename is lost), or if open() does not fsync a new root into its parent.
  const int keep = GENERATE(1, 2);
  MemEnv env;
  EnvInput in(env, "/in", 3);
  {
    CheckpointStore store({kRoot, keep, false}, &env);
    REQUIRE(store.open().ok());
    REQUIRE(store.save(in.state(1), in.dir).ok());
  }
  env.crash();  // right after the first save into a root that did not exist before
  {
    CheckpointStore store({kRoot, keep, false}, &env);
    auto l = store.load_latest();
    REQUIRE(l.found);
    CHECK(same_progress(l.state, in.state(1)));
    REQUIRE(store.open().ok());
    REQUIRE(store.save(in.state(2), in.dir).ok());
    REQUIRE(store.save(in.state(3), in.dir).ok());
  }
  env.crash();
  CheckpointStore store({kRoot, keep, false}, &env);
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.skipped.empty());
  CHECK(same_progress(l.state, in.state(3)));
}

TEST_CASE("a failing file-system call makes save() fail cleanly, and the store stays usable", "[checkpoint][crash]") {
  const bool no_clone = GENERATE(false, true);
  long steps = 0;
  {
    Machine m(2, no_clone);
    const long before = m.env.mutations();
    REQUIRE(m.store->save(m.in.state(4, "new"), m.in.dir).ok());
    steps = m.env.mutations() - before;
  }
  for (long k = 1; k <= steps; ++k) {
    INFO("fail at mutating step " << k << " of " << steps);
    Machine m(2, no_clone);
    m.env.fail_at(k);
    auto r = m.store->save(m.in.state(4, "new"), m.in.dir);
    auto l = m.store->load_latest();
    REQUIRE(l.found);
    CHECK(l.skipped.empty());
    const bool is_new = same_progress(l.state, m.in.state(4, "new"));
    if (r.ok()) CHECK(is_new);
    else CHECK((is_new || same_progress(l.state, m.in.state(2, "old"))));  // (a failed fsync after the rename)
    REQUIRE(m.store->save(m.in.state(3, "next"), m.in.dir).ok());
    CHECK(same_progress(m.store->load_latest().state, m.in.state(3, "next")));
  }
}

TEST_CASE("a full disk makes save() fail and leaves the previous checkpoint", "[checkpoint][crash]") {
  Machine m(2, true);
  m.env.no_space(true);
  CHECK_FALSE(m.store->save(m.in.state(4, "new"), m.in.dir).ok());
  m.env.no_space(false);
  auto l = m.store->load_latest();
  REQUIRE(l.found);
  CHECK(same_progress(l.state, m.in.state(2, "old")));
  CHECK(l.leftovers == 0);  // the failed save removed its temporary directory
}

}  // namespace dla
