#include <catch2/catch.hpp>
#include <limits>
#include <map>

#include "sched/policy.h"

using namespace dla;

namespace {
std::vector<Task> tasks_of(const std::vector<std::uint64_t>& sizes) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), sizes[i], 0});
  return make_tasks(files, 0);
}
struct FakeCtx : PolicyContext {
  double t = 0;
  std::map<int, double> rates, busy;
  std::vector<Task> ts;
  double now() const override { return t; }
  double rate(int w) const override { return rates.at(w); }
  double observed(int w) const override { return seen.count(w) ? seen.at(w) : 10.0; }
  std::map<int, double> seen;
  double busy_until(int w) const override { return busy.count(w) ? busy.at(w) : t; }
  std::vector<int> live_workers() const override {
    std::vector<int> out;
    for (const auto& [w, r] : rates) out.push_back(w);
    return out;
  }
  int live_count() const override { return static_cast<int>(rates.size()); }
  const Task& task(int id) const override { return ts[static_cast<std::size_t>(id)]; }
};
}  // namespace

TEST_CASE("policies: names", "[policy]") {
  for (const auto& n : policy_names()) {
    auto p = make_policy(n);
    REQUIRE(p);
    CHECK(p->name() == n);
  }
  CHECK(make_policy("fifo") == nullptr);
  CHECK(policy_is_dynamic("lpt"));
  CHECK_FALSE(policy_is_dynamic("static"));
  CHECK_FALSE(policy_is_dynamic("nope"));
  CHECK(make_policy("steal")->traits().steal);
  CHECK(make_policy("guided")->traits().split_k > 0);
  CHECK(make_policy("dynamic")->traits().prefetch == 1);
}

TEST_CASE("lpt: largest first; without rates, plain LPT order", "[policy]") {
  auto p = make_lpt_policy();
  auto ts = tasks_of({10, 300, 20, 300, 5});
  p->init(ts, {1, 2});
  CHECK(p->pending() == std::vector<int>{1, 3, 2, 0, 4});
  CHECK(p->next(1) == 1);
  CHECK(p->remove(2));
  CHECK_FALSE(p->remove(2));
  p->give_back({ts[1]}, {1, 2});
  CHECK(p->next_any() == 1);
  CHECK(p->next(2) == 3);
}

TEST_CASE("lpt: rate-aware, a worker gets the largest task it can finish by the horizon", "[policy]") {
  FakeCtx ctx;
  ctx.ts = tasks_of({1000, 500, 10});
  ctx.rates = {{1, 1000.0}, {2, 100.0}};
  auto p = make_lpt_policy();
  p->bind(&ctx);
  p->init(ctx.ts, {1, 2});
  // horizon = 1510 bytes / 1100 B/s = 1.37 s: the slow worker can do 137 bytes by then
  CHECK(p->next(2) == 2);
  CHECK(p->next(2) == -1);  // nothing it could finish in time: WAIT
  CHECK(p->next(1) == 0);   // the fast one takes the biggest
  CHECK(p->next(1) == 1);   // and, being the fastest, the last one even past the horizon
}

TEST_CASE("lpt: with equal rates, everybody takes the largest", "[policy]") {
  FakeCtx ctx;
  ctx.ts = tasks_of({10, 20, 30, 40});
  ctx.rates = {{1, 100.0}, {2, 100.0}, {3, 100.0}};
  auto p = make_lpt_policy();
  p->bind(&ctx);
  p->init(ctx.ts, {1, 2, 3});
  CHECK(p->next(3) == 3);
  CHECK(p->next(2) == 2);
  CHECK(p->next(1) == 1);
  CHECK(p->next(3) == 0);
}

TEST_CASE("lpt: a worker not measured yet gets a probe, not the biggest task", "[policy]") {
  FakeCtx ctx;
  ctx.ts = tasks_of({1000, 500, 20, 10});
  ctx.rates = {{1, 100.0}, {2, 100.0}};
  ctx.seen = {{1, 0.0}, {2, 0.0}};
  auto p = make_lpt_policy();
  p->bind(&ctx);
  p->init(ctx.ts, {1, 2});
  CHECK(p->next(1) == 2);  // <= 0.25 s at 100 B/s = 25 bytes: the 20-byte task
  ctx.seen[2] = 1.0;       // measured: largest first
  CHECK(p->next(2) == 0);
  ctx.ts = {};
  ctx.seen[1] = 0.0;
  CHECK(p->next(1) == 3);  // only 500 and 10 left: the 10-byte one fits the probe
  CHECK(p->next(1) == 1);  // nothing fits: the smallest
}

TEST_CASE("lpt: the probe is at most the mean pending size, whatever the assumed rate", "[policy]") {
  FakeCtx ctx;
  ctx.ts = tasks_of({9000, 300, 200, 100});  // mean 2400
  ctx.rates = {{1, 1e9}};                    // a prior far too high: 0.25 s would be every task
  ctx.seen = {{1, 0.0}};
  auto p = make_lpt_policy();
  p->bind(&ctx);
  p->init(ctx.ts, {1});
  CHECK(p->next(1) == 1);  // 300, not 9000
}
