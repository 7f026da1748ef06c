#include "sched/gate.h"

#include <catch2/catch.hpp>
#include <set>

using namespace dla;

namespace {
// 3 files of 2 tasks each: ids 0..5, file = id / 2, the second task of a file at offset 100.
std::vector<Task> two_per_file() {
  std::vector<Task> ts;
  for (int i = 0; i < 6; ++i) {
    Task t;
    t.id = i;
    t.file = i / 2;
    t.range = {static_cast<std::uint64_t>(i % 2) * 100, 100};
    ts.push_back(t);
  }
  return ts;
}
}  // namespace

TEST_CASE("gate: a task not ready is parked (still pending) until released", "[policy][gate]") {
  std::set<int> known_files;
  auto ready = [&](const Task& t) { return t.range.offset == 0 || known_files.count(t.file) > 0; };
  GatedPolicy g(make_dynamic_policy(), ready);
  const auto ts = two_per_file();
  g.init(ts, {1, 2});
  CHECK(g.name() == "dynamic");
  CHECK(g.next(1) == 0);
  CHECK(g.next(2) == 2);  // task 1 (file 0, not first) parked
  CHECK(g.parked() == 1);
  CHECK(g.next(1) == 4);  // 3 parked too
  CHECK(g.next(2) == -1);  // 5 parked: nothing ready
  CHECK(g.pending().size() == 3);
  CHECK(g.release_ready({1, 2}) == 0);
  known_files.insert(2);
  CHECK(g.release_ready({1, 2}) == 1);
  CHECK(g.next(2) == 5);
  known_files.insert(0);
  CHECK(g.release_ready({1, 2}) == 1);
  CHECK(g.remove(3));  // a parked task can be removed (a late result)
  CHECK_FALSE(g.remove(3));
  CHECK(g.next(1) == 1);
  CHECK(g.next(1) == -1);
  CHECK(g.pending().empty());
}

TEST_CASE("gate: next_any takes parked tasks too; give_back goes through", "[policy][gate]") {
  GatedPolicy g(make_dynamic_policy(), [](const Task& t) { return t.range.offset == 0; });
  const auto ts = two_per_file();
  g.init(ts, {1});
  CHECK(g.next(1) == 0);
  CHECK(g.next(1) == 2);  // 1 parked
  g.give_back({ts[0]}, {1});
  CHECK(g.next(1) == 0);
  std::set<int> rest;
  for (int t; (t = g.next_any()) >= 0;) rest.insert(t);
  CHECK(rest == std::set<int>{1, 3, 4, 5});
}

TEST_CASE("gate: over the locality policy, holders still decide among ready tasks", "[policy][gate]") {
  std::set<int> known_files;
  GatedPolicy g(make_locality_policy({{1}, {1}, {2}, {2}, {1}, {2}}, 0),
                [&](const Task& t) { return t.range.offset == 0 || known_files.count(t.file) > 0; });
  g.init(two_per_file(), {1, 2});
  CHECK(g.name() == "locality");
  CHECK(g.next(1) == 0);
  CHECK(g.next(1) == 4);   // its next local ready task (1 is parked)
  CHECK(g.next(2) == 2);
  known_files.insert(0);
  g.release_ready({1, 2});
  CHECK(g.next(1) == 1);
}
