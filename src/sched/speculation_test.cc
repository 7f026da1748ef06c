#include <catch2/catch.hpp>

#include "sched/scheduler.h"

using namespace dla;
using R = Scheduler::Reply;
using O = Scheduler::ResultOutcome;
using Ord = Scheduler::Order;

namespace {
std::vector<Task> tasks_of(const std::vector<std::uint64_t>& sizes) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), sizes[i], 0});
  return make_tasks(files, 0);
}
Counts lines(std::uint64_t n) {
  Counts c;
  c.lines = n;
  return c;
}
// Workers 1, 2, 3 on tasks {1000, 1000}: worker 1 fast (900 B in the first second), worker 2
// slow (10 B), worker 3 idle with nothing pending at t = 1.
struct Race {
  Trace tr;
  Scheduler s;
  explicit Race(bool speculate = true) : s(tasks_of({1000, 1000}), 2, {1, 2, 3}, make_policy("dynamic"), opts(speculate, &tr), 0) {
    REQUIRE(s.on_request(1, 0).task == 0);
    REQUIRE(s.on_request(2, 0).task == 1);
    s.on_heartbeat(1, 0, 900, 1.0, 0);
    s.on_heartbeat(2, 1, 10, 1.0, 0);
  }
  static SchedulerOptions opts(bool speculate, Trace* tr) {
    SchedulerOptions o;
    o.timeout = 10;
    o.speculate = speculate;
    o.rate.prior = 1000;
    o.rate.tau = 1;
    o.speculation.heartbeat = 0.5;
    o.trace = tr;
    return o;
  }
};
}  // namespace

TEST_CASE("speculation: LATE picks the running task with the longest time left", "[scheduler][speculate]") {
  Race r;
  // rates (warm-up throughput, prior 1000 B/s worth 0.05 s): w1 = 950 / 1.05 ~ 905, w2 = 60 / 1.05 ~ 57 B/s
  CHECK(r.s.worker_rate(1) > 2 * r.s.worker_rate(2));
  const double left0 = r.s.time_left(0, 1.0), left1 = r.s.time_left(1, 1.0);
  CHECK(left1 > 2.0);
  CHECK(left0 < 0.2);
  auto a = r.s.on_request(3, 1.0);
  REQUIRE(a.kind == R::Assign);
  CHECK(a.task == 1);
  CHECK(a.attempt == 2);
  CHECK(r.s.task_copy(1) == 3);
  CHECK(r.s.task_owner(1) == 2);
  CHECK(r.s.stats().speculative_started == 1);
  CHECK(r.s.tasks_reassigned() == 0);  // a copy is not a reassignment
  CHECK(r.tr.render().find(" 3 speculate 1 1000 file1 copy-of 2") != std::string::npos);
  // At most one copy per task: another idle request gets nothing.
  CHECK(r.s.on_request(3, 1.1).kind == R::Wait);
}

TEST_CASE("speculation: the copy wins, the original is cancelled and its work wasted", "[scheduler][speculate]") {
  Race r;
  REQUIRE(r.s.on_request(3, 1.0).task == 1);
  r.s.on_heartbeat(2, 1, 50, 1.5, 0);
  auto o = r.s.on_result(3, 1, lines(7), 2.0);
  CHECK(o.kind == O::Applied);
  auto orders = r.s.take_orders();
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].kind == Ord::Cancel);
  CHECK(orders[0].worker == 2);
  CHECK(orders[0].task == 1);
  CHECK(r.s.stats().speculative_won == 1);
  CHECK(r.s.stats().wasted_bytes == 50);
  CHECK(r.s.held_by(2).empty());
  CHECK(r.tr.render().find(" 2 cancel 1 50 file1 lost-to 3") != std::string::npos);
  // Counts crossing the CANCEL: dropped, never applied twice.
  auto d = r.s.on_result(2, 1, lines(7), 2.1);
  CHECK(d.kind == O::Duplicate);
  CHECK(r.s.totals().lines == 7);
}

TEST_CASE("speculation: the original wins, the copy is cancelled", "[scheduler][speculate]") {
  Race r;
  REQUIRE(r.s.on_request(3, 1.0).task == 1);
  r.s.on_result(2, 1, lines(7), 1.2);
  auto orders = r.s.take_orders();
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].worker == 3);
  CHECK(r.s.stats().speculative_lost == 1);
  CHECK(r.s.stats().speculative_won == 0);
}

TEST_CASE("speculation: off, or no gain expected, means no copy", "[scheduler][speculate]") {
  SECTION("off") {
    Race r(false);
    CHECK(r.s.on_request(3, 1.0).kind == R::Wait);
  }
  SECTION("only the fast worker's task is running") {
    Race r;
    r.s.on_result(2, 1, lines(1), 1.0);
    CHECK(r.s.on_request(3, 1.0).kind == R::Wait);  // task 0 is nearly done: copying it cannot win
    CHECK(r.s.stats().speculative_started == 0);
  }
}

TEST_CASE("speculation: a silent owner's time left grows with its silence", "[scheduler][speculate]") {
  Race r;
  const double a = r.s.time_left(0, 1.0), b = r.s.time_left(0, 3.0), c = r.s.time_left(0, 5.0);
  CHECK(b > a);
  CHECK(c == Approx(b + 2.0));
}

TEST_CASE("speculation: one runner fails or errs, the other carries on alone", "[scheduler][speculate]") {
  Race r;
  REQUIRE(r.s.on_request(3, 1.0).task == 1);
  SECTION("the original's owner is declared failed: no requeue, the copy becomes the owner") {
    for (double t = 1.5; t < 12; t += 0.5) {
      r.s.on_heartbeat(1, 0, 950, t);
      r.s.on_heartbeat(3, 1, 100, t);
    }
    auto f = r.s.tick(12);
    REQUIRE(f.size() == 1);
    CHECK(f[0].worker == 2);
    CHECK(f[0].requeued.empty());
    CHECK(r.s.task_owner(1) == 3);
    CHECK(r.s.task_copy(1) == -1);
    CHECK(r.s.pending_tasks().empty());
  }
  SECTION("an error from the copy while the original runs is not final") {
    auto e = r.s.on_task_error(3, 1, "unreadable", 1.5);
    CHECK(e.kind == O::Rejected);
    CHECK_FALSE(r.s.file_failed(1));
    CHECK(r.s.on_result(2, 1, lines(3), 2.0).kind == O::Applied);
    CHECK(r.s.totals().lines == 3);
  }
}
