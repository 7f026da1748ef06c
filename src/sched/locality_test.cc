#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "sched/policy.h"

using namespace dla;

namespace {
std::vector<Task> tasks_n(int n) {
  std::vector<FileInfo> files;
  for (int i = 0; i < n; ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), 100, 0});
  return make_tasks(files, 0);
}
// Only the clock matters to this policy.
struct Clock : PolicyContext {
  double t = 0;
  double now() const override { return t; }
  double rate(int) const override { return 1; }
  double observed(int) const override { return 10; }
  double busy_until(int) const override { return t; }
  std::vector<int> live_workers() const override { return {}; }
  int live_count() const override { return 0; }
  const Task& task(int) const override { throw 1; }
};

// A small event simulation: every worker runs one task per `dur[w]` seconds, asks again 0.05 s
// after a refusal (the analyser's first WAIT back-off), until everything is handed out. Returns
// (local hand-outs, total hand-outs) and checks every task was given exactly once.
std::pair<int, int> simulate(SchedulingPolicy& p, Clock& clk, const std::vector<std::vector<int>>& holders,
                             std::map<int, double> dur) {
  std::map<int, double> free_at;
  for (const auto& [w, d] : dur) free_at[w] = 0;
  std::vector<int> given(holders.size(), 0);
  int local = 0, total = 0;
  for (int step = 0; step < 100000 && total < static_cast<int>(holders.size()); ++step) {
    // the earliest free worker asks (lower rank on ties)
    int w = free_at.begin()->first;
    for (const auto& [x, at] : free_at)
      if (at < free_at[w]) w = x;
    clk.t = free_at[w];
    const int t = p.next(w);
    if (t < 0) {
      free_at[w] += 0.05;
      continue;
    }
    ++given[static_cast<std::size_t>(t)];
    ++total;
    const auto& h = holders[static_cast<std::size_t>(t)];
    if (std::find(h.begin(), h.end(), w) != h.end()) ++local;
    free_at[w] += dur[w];
  }
  for (int g : given) CHECK(g == 1);
  return {local, total};
}
}  // namespace

TEST_CASE("locality: registered by name, without holders it is FIFO (dynamic)", "[policy][locality]") {
  auto p = make_policy("locality");
  REQUIRE(p);
  CHECK(p->name() == "locality");
  CHECK(policy_is_dynamic("locality"));
  auto ts = tasks_n(4);
  p->init(ts, {1, 2});
  CHECK(p->next(2) == 0);
  CHECK(p->next(1) == 1);
  CHECK(p->pending() == std::vector<int>{2, 3});
  p->give_back({ts[0]}, {1, 2});
  CHECK(p->pending() == std::vector<int>{0, 2, 3});
  CHECK(p->remove(2));
  CHECK_FALSE(p->remove(2));
  CHECK(p->next_any() == 0);
  CHECK(p->next_any() == 3);
  CHECK(p->next_any() == -1);
}

TEST_CASE("locality: a worker gets the first task it holds, else waits, then reads remotely", "[policy][locality]") {
  Clock clk;
  auto p = make_locality_policy({{1}, {2}, {1}, {2}}, 0.5);
  p->bind(&clk);
  p->init(tasks_n(4), {1, 2});
  CHECK(p->next(2) == 1);  // skips task 0 (held by 1)
  CHECK(p->next(2) == 3);
  clk.t = 1.0;
  CHECK(p->next(2) == -1);  // nothing local: wait
  clk.t = 1.4;
  CHECK(p->next(2) == -1);
  clk.t = 1.5;
  CHECK(p->next(2) == 0);  // waited 0.5 s: the oldest pending task, remotely
  clk.t = 1.6;
  CHECK(p->next(2) == 2);  // still nothing local: it goes on reading remotely without a new wait
  CHECK(p->next(1) == -1);
  CHECK(p->pending().empty());
}

TEST_CASE("locality: a local hand-out starts the wait again", "[policy][locality]") {
  Clock clk;
  auto p = make_locality_policy({{1}, {1}, {1}, {2}}, 0.5);
  p->bind(&clk);
  auto ts = tasks_n(4);
  p->init(ts, {1, 2});
  CHECK(p->remove(3));      // (comes back below)
  CHECK(p->next(2) == -1);  // nothing local: waiting since 0
  clk.t = 0.5;
  CHECK(p->next(2) == 0);   // remote after the wait
  CHECK(p->next(2) == 1);   // and again, no new wait
  p->give_back({ts[3]}, {1, 2});
  CHECK(p->next(2) == 3);   // its own: local, the wait is reset
  CHECK(p->next(2) == -1);  // task 2 is 1's: wait again
  clk.t = 0.9;
  CHECK(p->next(2) == -1);
  clk.t = 1.0;
  CHECK(p->next(2) == 2);
}

TEST_CASE("locality: a task no live worker holds goes at once; a dead holder's tasks become such", "[policy][locality]") {
  Clock clk;
  // task 0: held by 3 only; task 1: nobody; task 2: held by 1 and 3; task 3: held by 1
  auto p = make_locality_policy({{3}, {}, {1, 3}, {1}}, 10.0);
  p->bind(&clk);
  p->init(tasks_n(4), {1, 2, 3});
  CHECK(p->next(2) == 1);   // nobody holds it: no wait
  CHECK(p->next(2) == -1);  // 0 and 2 have live holders
  p->worker_gone(3, {1, 2});
  CHECK(p->next(2) == 0);   // its only holder died: no wait
  CHECK(p->next(2) == -1);  // 2 is still held by 1
  p->worker_gone(1, {2});
  CHECK(p->next(2) == 2);
  CHECK(p->next(2) == 3);
  CHECK(p->next(2) == -1);
}

TEST_CASE("locality: give_back puts tasks first; holders beyond the list are none", "[policy][locality]") {
  Clock clk;
  auto p = make_locality_policy({{1}, {1}}, 10.0);
  p->bind(&clk);
  auto ts = tasks_n(3);  // task 2 has no holder entry
  p->init(ts, {1, 2});
  CHECK(p->next(1) == 0);
  CHECK(p->next(1) == 1);
  p->give_back({ts[0], ts[1]}, {1, 2});
  CHECK(p->pending() == std::vector<int>{0, 1, 2});
  CHECK(p->next(2) == 2);  // no holder: at once
  CHECK(p->next(1) == 0);
  CHECK(p->next(1) == 1);
}

TEST_CASE("locality: ~100 % local on homogeneous holders (K = 2), everything handed out once", "[policy][locality]") {
  Clock clk;
  const int n = 400;
  std::vector<std::vector<int>> holders;
  for (int i = 0; i < n; ++i) holders.push_back({1 + i % 4, 1 + (i + 1) % 4});
  auto p = make_locality_policy(holders, 0.5);
  p->bind(&clk);
  p->init(tasks_n(n), {1, 2, 3, 4});
  auto [local, total] = simulate(*p, clk, holders, {{1, 1.0}, {2, 1.0}, {3, 1.0}, {4, 1.0}});
  CHECK(total == n);
  CHECK(local >= n * 99 / 100);
}

TEST_CASE("locality: no starvation - a task held only by a slow worker is read remotely", "[policy][locality]") {
  Clock clk;
  // every task held by worker 1 only; worker 1 is 100x slower than 2
  const int n = 50;
  std::vector<std::vector<int>> holders(n, std::vector<int>{1});
  auto p = make_locality_policy(holders, 0.5);
  p->bind(&clk);
  p->init(tasks_n(n), {1, 2});
  auto [local, total] = simulate(*p, clk, holders, {{1, 100.0}, {2, 1.0}});
  CHECK(total == n);
  CHECK(local <= 2);  // worker 1 took its first task or two; worker 2 did the rest remotely
  CHECK(clk.t < n * 1.6);  // worker 2 never waited more than the delay per task
}

TEST_CASE("locality: random holders and deaths, every task handed out exactly once", "[policy][locality]") {
  const unsigned seed = 1234;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 50; ++round) {
    Clock clk;
    const int n = 1 + static_cast<int>(rng() % 60);
    std::vector<std::vector<int>> holders;
    for (int i = 0; i < n; ++i) {
      std::vector<int> h;
      for (int w = 1; w <= 5; ++w)
        if (rng() % 3 == 0) h.push_back(w);
      holders.push_back(h);
    }
    auto p = make_locality_policy(holders, 0.2);
    p->bind(&clk);
    p->init(tasks_n(n), {1, 2, 3, 4, 5});
    std::vector<int> live = {1, 2, 3, 4, 5};
    std::vector<int> seen(static_cast<std::size_t>(n), 0);
    for (int step = 0; step < 10000 && !p->pending().empty(); ++step) {
      clk.t += 0.05;
      if (live.size() > 1 && rng() % 50 == 0) {
        const int gone = live[rng() % live.size()];
        live.erase(std::find(live.begin(), live.end(), gone));
        p->worker_gone(gone, live);
      }
      const int t = p->next(live[rng() % live.size()]);
      if (t >= 0) ++seen[static_cast<std::size_t>(t)];
    }
    CHECK(p->pending().empty());
    for (int s : seen) CHECK(s == 1);
  }
}
