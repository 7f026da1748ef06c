#include "sched/scheduler.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "base/clock.h"
#include "scan/loggen.h"

using namespace dla;
using R = Scheduler::Reply;
using O = Scheduler::ResultOutcome;

namespace {

// Distinct, checkable counts per task.
Counts task_counts(int id) {
  Counts c;
  c[Level::Debug] = 1;
  c[Level::Error] = static_cast<std::uint64_t>(id);
  c[Level::Info] = static_cast<std::uint64_t>(id) * id;
  c[Level::Warn] = 7;
  c.lines = 1000 + static_cast<std::uint64_t>(id);
  return c;
}

std::vector<Task> make_test_tasks(const std::vector<std::uint64_t>& sizes, std::uint64_t split) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), sizes[i], 0});
  return make_tasks(files, split);
}

Scheduler make_sched(const std::vector<Task>& tasks, int files, int workers, const std::string& policy, double timeout,
                     double now = 0, Trace* trace = nullptr, std::vector<int> done = {}, Counts base = {}) {
  std::vector<int> ws;
  for (int w = 1; w <= workers; ++w) ws.push_back(w);
  SchedulerOptions o;
  o.timeout = timeout;
  o.trace = trace;
  o.files_done = std::move(done);
  o.base_counts = base;
  return Scheduler(tasks, files, ws, make_policy(policy), o, now);
}

}  // namespace

TEST_CASE("scheduler: dynamic hands out tasks in order, WAIT while in flight, STOP at the end") {
  auto tasks = make_test_tasks({10, 20, 30}, 0);
  FakeClock clk;
  auto s = make_sched(tasks, 3, 2, "dynamic", 3);
  auto a = s.on_request(1, clk.now());
  auto b = s.on_request(2, clk.now());
  REQUIRE(a.kind == R::Assign);
  REQUIRE(a.task == 0);
  REQUIRE(b.task == 1);
  clk.advance(1);
  auto r = s.on_result(1, 0, task_counts(0), clk.now());
  REQUIRE(r.kind == O::Applied);
  REQUIRE(r.file_completed == 0);
  REQUIRE(r.next.kind == R::Assign);
  REQUIRE(r.next.task == 2);
  r = s.on_result(2, 1, task_counts(1), clk.now());
  REQUIRE(r.next.kind == R::Wait);  // task 2 still in flight at worker 1
  r = s.on_result(1, 2, task_counts(2), clk.now());
  REQUIRE(r.next.kind == R::Stop);
  REQUIRE(s.all_done());
  REQUIRE_FALSE(s.workers_settled());
  REQUIRE(s.on_request(2, clk.now()).kind == R::Stop);
  REQUIRE(s.workers_settled());
  REQUIRE(s.failed_workers().empty());
  REQUIRE(s.totals() == task_counts(0) + task_counts(1) + task_counts(2));
  REQUIRE(s.processed_files() == std::vector<int>{0, 1, 2});
}

TEST_CASE("scheduler: silent worker failed after timeout, its task goes to the front, detection bound") {
  auto tasks = make_test_tasks({10, 20, 30, 40}, 0);
  FakeClock clk;
  Trace tr;
  auto s = make_sched(tasks, 4, 2, "dynamic", 3, 0, &tr);
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_request(2, 0).task == 1);
  // Worker 2 heartbeats until t=1.0 then dies; worker 1 keeps heartbeating.
  s.on_heartbeat(2, 1, 5, 1.0);
  double detected = -1;
  for (double t = 0.0; t <= 10; t += 0.01) {  // poll interval 0.01
    s.on_heartbeat(1, 0, 1, t);
    auto f = s.tick(t);
    if (!f.empty()) {
      REQUIRE(f.size() == 1);
      REQUIRE(f[0].worker == 2);
      REQUIRE(f[0].requeued == std::vector<int>{1});
      detected = t;
      break;
    }
  }
  REQUIRE(detected > 1.0 + 3.0);
  REQUIRE(detected <= 1.0 + 3.0 + 0.01 + 1e-9);
  REQUIRE(s.failed_workers() == std::vector<int>{2});
  REQUIRE(s.pending_tasks() == std::vector<int>{1, 2, 3});  // front of the queue
  auto r = s.on_result(1, 0, task_counts(0), detected);
  REQUIRE(r.next.kind == R::Assign);
  REQUIRE(r.next.task == 1);
  REQUIRE(r.next.attempt == 2);
  REQUIRE(s.tasks_reassigned() == 1);
  // A dead worker that talks again is told to stop and not given work.
  REQUIRE(s.on_request(2, detected + 1).kind == R::Stop);
  REQUIRE(tr.render().find(" 2 timeout 1 ") != std::string::npos);
  REQUIRE(tr.render().find(" 1 reassign 1 ") != std::string::npos);
}

TEST_CASE("scheduler: late result from a failed worker is accepted once, the reassigned copy is a duplicate") {
  auto tasks = make_test_tasks({10, 20}, 0);
  auto s = make_sched(tasks, 2, 2, "dynamic", 3);
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_request(2, 0).task == 1);
  for (double t = 0.5; t < 5; t += 0.5) s.on_heartbeat(1, 0, 1, t);
  REQUIRE(s.tick(5).size() == 1);  // worker 2 failed, task 1 pending again
  // Case A: late result while task 1 is still pending: applied, removed from the queue.
  auto r = s.on_result(2, 1, task_counts(1), 5.1);
  REQUIRE(r.kind == O::LateApplied);
  REQUIRE(r.next.kind == R::Stop);
  REQUIRE(s.pending_tasks().empty());
  r = s.on_result(1, 0, task_counts(0), 5.2);
  REQUIRE(r.kind == O::Applied);
  REQUIRE(r.next.kind == R::Stop);
  REQUIRE(s.totals() == task_counts(0) + task_counts(1));
}

TEST_CASE("scheduler: late result while the reassigned copy runs; the copy's result is dropped") {
  auto tasks = make_test_tasks({10, 20, 30}, 0);
  Trace tr;
  auto s = make_sched(tasks, 3, 2, "dynamic", 3, 0, &tr);
  s.on_request(1, 0);               // task 0
  s.on_request(2, 0);               // task 1
  s.on_result(1, 0, task_counts(0), 1);  // worker 1 -> task 2
  for (double t = 1.5; t < 4.5; t += 0.5) s.on_heartbeat(1, 2, 1, t);
  REQUIRE(s.tick(4.5).size() == 1);  // worker 2 silent since 0
  auto r = s.on_result(1, 2, task_counts(2), 4.6);
  REQUIRE(r.next.task == 1);  // reassigned to worker 1
  REQUIRE(s.on_result(2, 1, task_counts(1), 4.7).kind == O::LateApplied);
  REQUIRE(s.held_by(1).empty());
  auto d = s.on_result(1, 1, task_counts(1), 5.0);
  REQUIRE(d.kind == O::Duplicate);
  REQUIRE(d.next.kind == R::Stop);
  REQUIRE(s.duplicates() == 1);
  REQUIRE(s.totals() == task_counts(0) + task_counts(1) + task_counts(2));
  REQUIRE(tr.render().find("duplicate 1") != std::string::npos);
}

TEST_CASE("scheduler: a late ERROR from a failed worker does not beat the live retry", "[scheduler]") {
  auto tasks = make_test_tasks({10, 20}, 0);
  Trace tr;
  auto s = make_sched(tasks, 2, 2, "dynamic", 3, 0, &tr);
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_request(2, 0).task == 1);
  for (double t = 0.5; t < 4.5; t += 0.5) s.on_heartbeat(1, 0, 1, t);
  REQUIRE(s.tick(4.5).size() == 1);  // worker 2 failed, task 1 pending again
  SECTION("the error arrives while the task waits in the queue") {
    auto e = s.on_task_error(2, 1, "unreadable", 4.6);
    CHECK(e.kind == O::Rejected);
    CHECK(e.next.kind == R::Stop);  // the failed worker is still not trusted with work
    CHECK_FALSE(s.file_failed(1));
    REQUIRE(s.on_result(1, 0, task_counts(0), 4.7).next.task == 1);  // the retry still runs
  }
  SECTION("the error arrives while the reassigned copy runs") {
    REQUIRE(s.on_result(1, 0, task_counts(0), 4.6).next.task == 1);
    CHECK(s.on_task_error(2, 1, "unreadable", 4.7).kind == O::Rejected);
    CHECK_FALSE(s.file_failed(1));
    CHECK(s.held_by(1) == std::vector<int>{1});
  }
  auto r = s.on_result(1, 1, task_counts(1), 5.0);
  CHECK(r.kind == O::Applied);
  CHECK(s.failed_files().empty());
  CHECK(s.processed_files().size() == 2);
  CHECK(s.totals() == task_counts(0) + task_counts(1));
  CHECK(s.duplicates() == 0);
}

TEST_CASE("scheduler: an MPI error on a worker fails it at once and requeues its task", "[scheduler]") {
  auto tasks = make_test_tasks({10, 20}, 0);
  auto s = make_sched(tasks, 2, 2, "dynamic", 3);
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_request(2, 0).task == 1);
  auto f = s.on_peer_error(2, 0.5);
  REQUIRE(f);
  CHECK(f->requeued == std::vector<int>{1});
  CHECK(s.worker_state(2) == Scheduler::WorkerState::Failed);
  CHECK_FALSE(s.on_peer_error(2, 0.6));  // once
  CHECK(s.on_result(1, 0, task_counts(0), 1).next.task == 1);
  CHECK(s.tick(1).empty());
}

TEST_CASE("scheduler: a reassigned task whose new owner dies too is requeued again") {
  auto tasks = make_test_tasks({10, 20}, 0);
  auto s = make_sched(tasks, 2, 3, "dynamic", 2);
  s.on_request(1, 0);  // t0
  s.on_request(2, 0);  // t1
  s.on_request(3, 0);  // wait
  for (double t = 0.5; t <= 3; t += 0.5) { s.on_request(3, t); s.on_heartbeat(1, 0, 1, t); }
  REQUIRE(s.tick(3).size() == 1);  // worker 2
  auto r = s.on_request(3, 3.1);
  REQUIRE(r.task == 1);
  REQUIRE(r.attempt == 2);
  for (double t = 3.5; t <= 6; t += 0.5) s.on_heartbeat(1, 0, 1, t);
  REQUIRE(s.tick(6).size() == 1);  // worker 3 died too
  REQUIRE(s.pending_tasks() == std::vector<int>{1});
  auto o = s.on_result(1, 0, task_counts(0), 6.1);
  REQUIRE(o.next.task == 1);
  REQUIRE(o.next.attempt == 3);
  o = s.on_result(1, 1, task_counts(1), 6.5);
  REQUIRE(o.next.kind == R::Stop);
  REQUIRE(s.workers_settled());
  REQUIRE(s.failed_workers() == std::vector<int>{2, 3});
  REQUIRE(s.totals() == task_counts(0) + task_counts(1));
}

TEST_CASE("scheduler: all workers dead, the master takes the rest") {
  auto tasks = make_test_tasks({10, 20, 30}, 0);
  auto s = make_sched(tasks, 3, 2, "static", 1);
  s.on_request(1, 0);
  s.tick(2);
  REQUIRE(s.workers_settled());
  REQUIRE_FALSE(s.any_worker_usable());
  int t;
  Counts want;
  while ((t = s.take_for_master(3)) >= 0) {
    REQUIRE(s.on_result(0, t, task_counts(t), 3).kind == O::Applied);
    want += task_counts(t);
  }
  REQUIRE(s.all_done());
  REQUIRE(s.tasks_by_master() == 3);
  REQUIRE(s.totals() == want);
}

TEST_CASE("scheduler: static follows the LPT plan and spreads a dead worker's queue") {
  auto tasks = make_test_tasks({100, 90, 80, 70, 60, 50}, 0);
  auto s = make_sched(tasks, 6, 2, "static", 2);
  // LPT: w1 gets 100,70,60 (tasks 0,3,4); w2 gets 90,80,50 (1,2,5); each queue ascending.
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_request(2, 0).task == 1);
  auto r = s.on_result(1, 0, task_counts(0), 0.5);
  REQUIRE(r.next.task == 3);
  for (double t = 1; t <= 3; t += 0.5) s.on_heartbeat(1, 3, 1, t);
  REQUIRE(s.tick(3).size() == 1);  // worker 2 dies holding task 1; its queue 2,5 moves to worker 1
  auto p = s.pending_tasks();
  REQUIRE(p.front() == 1);
  REQUIRE(std::set<int>(p.begin(), p.end()) == std::set<int>{1, 2, 4, 5});
  std::set<int> seen;
  r = s.on_result(1, 3, task_counts(3), 3.1);
  while (r.next.kind == R::Assign) {
    seen.insert(r.next.task);
    r = s.on_result(1, r.next.task, task_counts(r.next.task), 3.2);
  }
  REQUIRE(seen == std::set<int>{1, 2, 4, 5});
  REQUIRE(s.all_done());
}

TEST_CASE("scheduler: static WAITs a worker with an empty plan while others still work") {
  auto tasks = make_test_tasks({100, 1, 1}, 0);
  auto s = make_sched(tasks, 3, 2, "static", 2);
  REQUIRE(s.on_request(1, 0).task == 0);
  auto r = s.on_request(2, 0);
  REQUIRE(r.task == 1);
  auto o = s.on_result(2, 1, task_counts(1), 0.1);
  REQUIRE(o.next.task == 2);
  o = s.on_result(2, 2, task_counts(2), 0.2);
  REQUIRE(o.next.kind == R::Wait);
}

TEST_CASE("scheduler: split files complete when all their ranges are done; unreadable file not counted") {
  auto tasks = make_test_tasks({100, 50}, 40);  // file 0: 3 tasks, file 1: 2 tasks
  REQUIRE(tasks.size() == 5);
  auto s = make_sched(tasks, 2, 1, "dynamic", 5);
  auto r = s.on_request(1, 0);
  std::vector<int> completed;
  while (r.kind == R::Assign) {
    O o = r.task == 3 ? s.on_task_error(1, r.task, "boom", 1) : s.on_result(1, r.task, task_counts(r.task), 1);
    if (o.file_completed >= 0) completed.push_back(o.file_completed);
    r = o.next;
  }
  REQUIRE(completed == std::vector<int>{0, 1});
  REQUIRE(s.processed_files() == std::vector<int>{0});
  REQUIRE(s.failed_files() == std::vector<int>{1});
  REQUIRE(s.totals() == task_counts(0) + task_counts(1) + task_counts(2));
  REQUIRE(s.file_counts(0) == task_counts(0) + task_counts(1) + task_counts(2));
}

TEST_CASE("scheduler: resume with files already done") {
  auto tasks = make_test_tasks({10, 20, 30}, 0);
  Counts base = task_counts(100);
  auto s = make_sched(tasks, 3, 1, "dynamic", 5, 0, nullptr, {1}, base);
  REQUIRE(s.processed_files() == std::vector<int>{1});
  REQUIRE(s.pending_files() == std::vector<int>{0, 2});
  auto r = s.on_request(1, 0);
  REQUIRE(r.task == 0);
  r = s.on_result(1, 0, task_counts(0), 1).next;
  REQUIRE(r.task == 2);
  r = s.on_result(1, 2, task_counts(2), 1).next;
  REQUIRE(r.kind == R::Stop);
  REQUIRE(s.totals() == base + task_counts(0) + task_counts(2));
  REQUIRE(s.processed_files() == std::vector<int>{1, 0, 2});
}

TEST_CASE("scheduler: on_heard keeps an idle worker alive; a silent one fails; heard after failing is a false suspicion",
          "[scheduler]") {
  auto tasks = make_test_tasks({10, 20}, 0);
  auto s = make_sched(tasks, 2, 3, "dynamic", 3);
  REQUIRE(s.on_request(1, 0).task == 0);
  REQUIRE(s.on_result(1, 0, task_counts(0), 0.1).next.task == 1);
  REQUIRE(s.on_result(1, 1, task_counts(1), 0.2).next.kind == R::Stop);  // worker 1 stopped
  REQUIRE(s.all_done());
  // Workers 2 and 3 idle from here: 2 is only heard from (the master answered its requests by
  // itself), 3 says nothing at all.
  std::vector<int> failed;
  double failed_at = -1;
  for (int i = 4; i <= 240; ++i) {  // t = 0.2 .. 12 s, polled every 0.05 s
    const double t = i * 0.05;
    if (i % 10 == 0) s.on_heard(2, t);  // every 0.5 s
    for (const auto& f : s.tick(t)) {
      failed.push_back(f.worker);
      failed_at = t;
    }
  }
  REQUIRE(failed == std::vector<int>{3});
  REQUIRE(failed_at > 3.0);
  REQUIRE(failed_at < 3.2);
  REQUIRE(s.worker_state(2) == Scheduler::WorkerState::Active);
  REQUIRE(s.last_heard(2) == Approx(12.0));
  REQUIRE(s.stats().false_suspicions == 0);
  s.on_heard(3, 12.5);  // declared failed, yet it talks
  REQUIRE(s.stats().false_suspicions == 1);
  REQUIRE(s.worker_state(3) == Scheduler::WorkerState::Failed);
}
