#include "dash/observer.h"

#include <catch2/catch.hpp>

using namespace dla;
using namespace dla::dash;
using R = Scheduler::Reply;

namespace {

Counts some_counts(std::uint64_t info) {
  Counts c;
  c[Level::Info] = info;
  c[Level::Error] = 1;
  c.lines = info + 1;
  return c;
}

std::vector<FileInfo> files_of(const std::vector<std::uint64_t>& sizes) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i) + ".log", sizes[i], 0});
  return files;
}

Scheduler make_sched(const std::vector<FileInfo>& files, int workers, double timeout = 3) {
  std::vector<int> ws;
  for (int w = 1; w <= workers; ++w) ws.push_back(w);
  SchedulerOptions o;
  o.timeout = timeout;
  return Scheduler(make_tasks(files), static_cast<int>(files.size()), ws, make_policy("dynamic"), o, 0);
}

ObserverOptions names_of(const std::vector<FileInfo>& files) {
  ObserverOptions o;
  for (const auto& f : files) {
    o.file_names.push_back(f.name);
    o.file_sizes.push_back(f.size);
  }
  return o;
}

const WorkerRow& row(const DashState& s, int rank) {
  for (const auto& w : s.workers)
    if (w.rank == rank) return w;
  FAIL("no row for rank " << rank);
  return s.workers.front();
}

int count_kind(const DashState& s, const std::string& kind) {
  int n = 0;
  for (const auto& e : s.events) n += e.kind == kind;
  return n;
}

}  // namespace

TEST_CASE("dash observer: busy workers, their tasks, the queue, bytes and counts as results come") {
  const auto files = files_of({100, 200, 300, 400});
  auto s = make_sched(files, 2);
  SchedulerObserver obs(names_of(files));
  REQUIRE(s.on_request(1, 0.1).task == 0);
  REQUIRE(s.on_request(2, 0.1).task == 1);
  auto a = obs.observe(s, 0.2);
  REQUIRE(a.status == "running");
  REQUIRE(row(a, 1).state == "busy");
  REQUIRE(row(a, 1).task == 0);
  REQUIRE(row(a, 1).task_label == "f0.log");
  REQUIRE(row(a, 2).task == 1);
  REQUIRE(a.queue_length == 2);
  REQUIRE(a.queue_head == std::vector<std::string>{"f2.log", "f3.log"});
  REQUIRE(a.bytes_total == 1000);
  REQUIRE(a.bytes_done == 0);
  REQUIRE(a.tasks_running == 2);
  REQUIRE(a.bars.size() == 2);  // two running bars
  s.on_result(1, 0, some_counts(10), 1.0);
  auto b = obs.observe(s, 1.1);
  REQUIRE(b.bytes_done == 100);
  REQUIRE(b.tasks_done == 1);
  REQUIRE(b.counts.get("INFO") == 10);
  REQUIRE(b.files_done == 1);
  REQUIRE(b.seq == a.seq + 1);
  bool closed_done = false;
  for (const auto& bar : b.bars) closed_done |= bar.rank == 1 && bar.task == 0 && bar.outcome == "done";
  REQUIRE(closed_done);
  REQUIRE(row(b, 1).task == 2);  // the result was also its next request
  REQUIRE(row(b, 1).tasks_done == 1);
}

TEST_CASE("dash observer: a silent worker is seen failed, its task back in the queue, then reassigned") {
  const auto files = files_of({100, 200, 300});
  auto s = make_sched(files, 2, 3);
  SchedulerObserver obs(names_of(files));
  s.on_request(1, 0);
  s.on_request(2, 0);
  obs.observe(s, 0.5);
  for (double t = 0.5; t <= 2.5; t += 0.5) s.on_heartbeat(1, 0, 10, t);
  auto mid = obs.observe(s, 2.5);
  REQUIRE(row(mid, 2).state == "suspected");  // silent for more than half the timeout
  for (double t = 2.5; t <= 3.5; t += 0.5) s.on_heartbeat(1, 0, 10, t);
  auto f = s.tick(3.5);
  REQUIRE(f.size() == 1);
  auto a = obs.observe(s, 3.6);
  REQUIRE(row(a, 2).state == "failed");
  REQUIRE(row(a, 2).task == -1);
  REQUIRE(count_kind(a, "failure") == 1);
  const auto& ev = a.events.back();
  REQUIRE(ev.rank == 2);
  REQUIRE(ev.detail.find("tasks 1 back to the queue") != std::string::npos);
  REQUIRE(a.failures == 1);
  bool lost = false;
  for (const auto& bar : a.bars) lost |= bar.rank == 2 && bar.outcome == "lost";
  REQUIRE(lost);
  REQUIRE(a.queue_head.front() == "f1.log");  // at the front
  // Worker 1 finishes and gets the failed worker's task.
  auto o = s.on_result(1, 0, some_counts(1), 4.0);
  REQUIRE(o.next.task == 1);
  REQUIRE(o.next.attempt == 2);
  auto b = obs.observe(s, 4.1);
  REQUIRE(count_kind(b, "reassign") == 1);
  REQUIRE(b.events.back().rank == 1);
  REQUIRE(b.events.back().task == 1);
  REQUIRE(b.tasks_reassigned == 1);
  // Seen once: the next snapshot does not repeat it.
  auto c = obs.observe(s, 4.5);
  REQUIRE(count_kind(c, "reassign") == 1);
  REQUIRE(count_kind(c, "failure") == 1);
  REQUIRE(workers_alive(c) == 1);
}

TEST_CASE("dash observer: checkpoints, finished, nothing to do") {
  const auto files = files_of({10});
  auto s = make_sched(files, 1);
  SchedulerObserver obs(names_of(files));
  obs.observe(s, 0, 0);
  s.on_request(1, 0.1);
  auto a = obs.observe(s, 0.2, 1);
  REQUIRE(count_kind(a, "checkpoint") == 1);
  REQUIRE(a.checkpoints == 1);
  s.on_result(1, 0, some_counts(3), 0.3);
  auto b = obs.observe(s, 0.4, 1, /*finished=*/true);
  REQUIRE(b.finished);
  REQUIRE(b.status == "finished");
  REQUIRE(b.eta == 0);

  auto empty = make_sched({}, 2);
  SchedulerObserver idle_obs;
  auto c = idle_obs.observe(empty, 0.1);
  REQUIRE(c.idle);
  REQUIRE(c.status == "nothing to do");
  REQUIRE(c.tasks_total == 0);
}

TEST_CASE("dash observer: memory stays bounded however long the run") {
  std::vector<std::uint64_t> sizes(3000, 10);
  const auto files = files_of(sizes);
  auto s = make_sched(files, 2);
  SchedulerObserver obs(names_of(files));
  double t = 0;
  s.on_request(1, t);
  s.on_request(2, t);
  DashState last;
  for (int k = 0; k < 3000 && !s.all_done(); ++k) {
    for (int w : {1, 2}) {
      const auto held = s.held_by(w);
      if (!held.empty()) s.on_result(w, held.front(), some_counts(1), t);
    }
    t += 0.5;
    last = obs.observe(s, t);
    obs.note({t, "failover", 0, -1, "test event"});
  }
  REQUIRE(s.all_done());
  REQUIRE(last.bars.size() <= kMaxBars + 2);
  REQUIRE(last.events.size() <= kMaxEvents);
  REQUIRE(last.events_dropped > 0);
  REQUIRE(last.rates.size() < kMaxRatePoints);
  REQUIRE(last.queue_head.empty());
  REQUIRE(last.tasks_done == 3000);
  REQUIRE(last.bytes_done == 30000);
}

TEST_CASE("dash observer: a task of a split file is labelled with its byte range") {
  Task t;
  t.file = 0;
  t.range.offset = 100;
  t.range.length = 50;
  REQUIRE(task_text(t, {"big.log"}, {1000}) == "big.log [100+50]");
  t.range.offset = 0;
  t.range.length = 1000;
  REQUIRE(task_text(t, {"big.log"}, {1000}) == "big.log");
  REQUIRE(task_text(t, {}, {}) == "file 0 [0+1000]");
}
