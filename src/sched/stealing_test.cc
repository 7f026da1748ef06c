#include <catch2/catch.hpp>
#include <map>

#include "sched/scheduler.h"

using namespace dla;
using R = Scheduler::Reply;
using Ord = Scheduler::Order;

namespace {
std::vector<Task> tasks_of(const std::vector<std::uint64_t>& sizes) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), sizes[i], 0});
  return make_tasks(files, 0);
}
Counts one_line() {
  Counts c;
  c.lines = 1;
  return c;
}
SchedulerOptions opts() {
  SchedulerOptions o;
  o.timeout = 5;
  o.rate.prior = 1000;  // bytes/s (probes of <= 250 bytes: every task here)
  return o;
}
}  // namespace

TEST_CASE("steal: workers prefetch a deque, extra tasks come as orders", "[scheduler][steal]") {
  auto s = Scheduler(tasks_of({100, 90, 80, 70, 60, 50, 40, 30}), 8, {1, 2}, make_steal_policy(3, 100, 0), opts(), 0);
  auto r = s.on_request(1, 0);
  REQUIRE(r.kind == R::Assign);  // (a probe: worker 1 is not measured yet)
  auto o = s.take_orders();
  REQUIRE(o.size() == 2);  // topped up to 3 held
  CHECK(o[0].kind == Ord::Assign);
  CHECK(o[0].worker == 1);
  CHECK(s.held_by(1).size() == 3);
}

TEST_CASE("steal: an idle worker steals the back of the most loaded deque, transactionally", "[scheduler][steal]") {
  Trace tr;
  auto o = opts();
  o.trace = &tr;
  auto s = Scheduler(tasks_of({100, 90, 80, 70, 60}), 5, {1, 2}, make_steal_policy(4, 100, 0), o, 0);
  REQUIRE(s.on_request(1, 0).kind == R::Assign);
  auto ex = s.take_orders();  // worker 1 holds 0,1,2 (pending 4 > 2 live workers while topping up)
  INFO("held by 1: " << s.held_by(1).size());
  REQUIRE(s.on_request(2, 0).kind == R::Assign);
  s.take_orders();
  const auto h1 = s.held_by(1), h2 = s.held_by(2);
  REQUIRE(h1.size() >= 2);
  // worker 2 finishes everything it holds quickly
  R next;
  for (int t : h2) next = s.on_result(2, t, one_line(), 0.1).next;
  while (next.kind == R::Assign) next = s.on_result(2, next.task, one_line(), 0.1).next;
  REQUIRE(next.kind == R::Wait);  // nothing pending: a steal was started instead
  auto rel = s.take_orders();
  REQUIRE(rel.size() == 1);
  CHECK(rel[0].kind == Ord::Release);
  CHECK(rel[0].worker == 1);
  CHECK(rel[0].task == h1.back());
  CHECK(s.stats().steals_attempted == 1);
  // while the steal is under way the thief only waits
  CHECK(s.on_request(2, 0.15).kind == R::Wait);
  CHECK(s.take_orders().empty());
  SECTION("released: the thief gets it") {
    s.on_release_reply(1, rel[0].task, true, 0.2);
    auto a = s.take_orders();
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == Ord::Assign);
    CHECK(a[0].worker == 2);
    CHECK(s.task_owner(rel[0].task) == 2);
    CHECK(s.stats().steals_succeeded == 1);
    CHECK(tr.render().find(" 2 steal " + std::to_string(rel[0].task)) != std::string::npos);
  }
  SECTION("refused: nothing moves, and it is not asked again") {
    s.on_release_reply(1, rel[0].task, false, 0.2);
    CHECK(s.take_orders().empty());
    CHECK(s.task_owner(rel[0].task) == 1);
    CHECK(s.stats().steals_refused == 1);
  }
  SECTION("the victim fails first: the task is requeued, a late RELEASED changes nothing") {
    for (double t = 0.5; t < 6; t += 0.5) s.on_request(2, t);
    auto f = s.tick(6);
    REQUIRE(f.size() == 1);
    s.on_release_reply(1, rel[0].task, true, 6.1);
    CHECK(s.task_state(rel[0].task) == Scheduler::TaskState::Pending);
    CHECK(s.stats().steals_succeeded == 0);
  }
}

TEST_CASE("guided: big tasks are cut at hand-out, pieces shrink, every file stays an exact partition", "[scheduler][guided]") {
  Trace tr;
  auto o = opts();
  o.trace = &tr;
  o.unsplittable = {0, 1, 0};  // file 1 is compressed: never cut
  const std::vector<std::uint64_t> sizes = {100000, 50000, 30000};
  Scheduler s(tasks_of(sizes), 3, {1, 2, 3}, make_guided_policy(2, 1000), o, 0);
  std::vector<std::uint64_t> handed;  // sizes in hand-out order
  std::vector<R> next(4);
  for (int w = 1; w <= 3; ++w) next[static_cast<std::size_t>(w)] = s.on_request(w, 0);
  double t = 0;
  for (int round = 0; round < 1000 && !s.all_done(); ++round) {
    for (int w = 1; w <= 3; ++w) {
      R& r = next[static_cast<std::size_t>(w)];
      t += 0.1;
      if (r.kind == R::Wait) r = s.on_request(w, t);
      if (r.kind != R::Assign) continue;
      handed.push_back(s.tasks()[static_cast<std::size_t>(r.task)].bytes());
      r = s.on_result(w, r.task, one_line(), t).next;
    }
  }
  REQUIRE(s.all_done());
  CHECK(s.stats().tasks_split > 5);
  CHECK(s.processed_files().size() == 3);
  CHECK(s.totals().lines == s.tasks().size());  // one result applied per task, old and new
  // Every file: its tasks' ranges tile [0, size) exactly.
  for (int f = 0; f < 3; ++f) {
    std::map<std::uint64_t, std::uint64_t> ranges;
    for (const auto& k : s.tasks())
      if (k.file == f) ranges[k.range.offset] = k.range.length;
    std::uint64_t at = 0;
    for (const auto& [off, len] : ranges) {
      CHECK(off == at);
      at = off + len;
    }
    CHECK(at == sizes[static_cast<std::size_t>(f)]);
    if (f == 1) CHECK(ranges.size() == 1);
  }
  // Pieces shrink: the last hand-outs are at the floor, far below the first ones.
  CHECK(handed.front() >= 10000);
  CHECK(handed.back() <= 2000);
  CHECK(tr.render().find(" 0 split ") != std::string::npos);
}

TEST_CASE("guided: a task already handed out is never cut (a late result for its old range may come)", "[scheduler][guided]") {
  auto o = opts();
  Scheduler s(tasks_of({100000}), 1, {1, 2}, make_guided_policy(2, 1000), o, 0);
  auto a = s.on_request(1, 0);
  REQUIRE(a.kind == R::Assign);
  const auto first = s.tasks()[static_cast<std::size_t>(a.task)].range;
  for (double t = 0.5; t <= 6; t += 0.5) s.on_heartbeat(2, -1, 0, t);  // worker 1 silent: failed
  REQUIRE(s.tick(6).size() == 1);
  auto b = s.on_request(2, 6.1);
  while (b.kind == R::Assign && b.task != a.task) b = s.on_result(2, b.task, one_line(), 6.2).next;
  // The requeued task comes back whole, never re-cut.
  REQUIRE(b.task == a.task);
  CHECK(s.tasks()[static_cast<std::size_t>(b.task)].range.offset == first.offset);
  CHECK(s.tasks()[static_cast<std::size_t>(b.task)].range.length == first.length);
}
