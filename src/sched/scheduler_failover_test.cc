// Failover in the scheduler (scheduler_failover.cc): the log, its replay, REJOIN, recovering.
// The random interleavings with master deaths are in scheduler_interleaving_test.cc.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "scan/loggen.h"
#include "sched/scheduler.h"

using namespace dla;
using R = Scheduler::Reply;
using O = Scheduler::ResultOutcome;
using Ord = Scheduler::Order;
using TS = Scheduler::TaskState;
using WS = Scheduler::WorkerState;

namespace {

std::vector<Task> tasks_of(const std::vector<std::uint64_t>& sizes, std::uint64_t split = 0) {
  std::vector<FileInfo> files;
  for (std::size_t i = 0; i < sizes.size(); ++i) files.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), sizes[i], 0});
  return make_tasks(files, split);
}
// Distinct counts per byte range.
Counts counts_of(const ByteRange& r) {
  Counts c;
  c.lines = r.length + 10;
  c["ERROR"] = r.offset % 7 + 1;
  return c;
}
SchedulerOptions opts(std::vector<LogEntry> replay = {}, double grace = 0) {
  SchedulerOptions o;
  o.timeout = 5;
  o.rate.prior = 1000;
  o.replay = std::move(replay);
  o.rejoin_grace = grace;
  return o;
}
std::unique_ptr<Scheduler> sched(const std::vector<Task>& t, int files, std::vector<int> ws, const std::string& policy,
                                 SchedulerOptions o, double now = 0) {
  return std::make_unique<Scheduler>(t, files, ws, make_policy(policy), std::move(o), now);
}
O finish(Scheduler& s, int w, int task, double now, const std::string& format = "bracket") {
  const ByteRange r = s.tasks()[static_cast<std::size_t>(task)].range;
  return s.on_result(w, task, counts_of(r), now, -1, format, TaskRange{s.tasks()[static_cast<std::size_t>(task)].file, r.offset, r.length});
}
KeptResult kept(const Task& t, bool ok = true) {
  KeptResult k;
  k.task = t.id, k.file = t.file, k.offset = t.range.offset, k.length = t.range.length, k.ok = ok;
  if (ok) k.counts = counts_of(t.range), k.format = "kept";
  if (!ok) k.error = "unreadable";
  return k;
}
HeldTask held(const Task& t) { return {t.id, t.file, t.range.offset, t.range.length}; }
TaskRange ran(const Task& t) { return {t.file, t.range.offset, t.range.length}; }

}  // namespace

TEST_CASE("failover: take_log records results, errors and failures in order, not duplicates", "[scheduler][failover]") {
  auto s = sched(tasks_of({10, 20, 30, 40}), 4, {1, 2}, "dynamic", opts());
  REQUIRE(s->on_request(1, 0).task == 0);
  REQUIRE(s->on_request(2, 0).task == 1);
  REQUIRE(finish(*s, 1, 0, 1, "syslog").kind == O::Applied);
  REQUIRE(s->on_task_error(2, 1, "unreadable", 1).kind == O::Applied);
  REQUIRE(finish(*s, 1, 0, 1).kind == O::Duplicate);  // not logged
  auto log = s->take_log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == LogEntry::Done);
  CHECK(log[0].task == 0);
  CHECK(log[0].worker == 1);
  CHECK(log[0].length == 10);
  CHECK(log[0].format == "syslog");
  CHECK(log[0].counts == counts_of({0, 10}));
  CHECK(s->task_format(0) == "syslog");
  CHECK(log[1].kind == LogEntry::Error);
  CHECK(log[1].task == 1);
  CHECK(log[1].error == "unreadable");
  CHECK(s->take_log().empty());
  // worker 2 holds task 3 and falls silent; worker 1 holds task 2 and leaves
  (void)s->on_request(1, 5.5);
  (void)s->on_request(2, 5.5);  // (answered: task 3)
  s->on_heartbeat(1, 2, 0, 10);
  REQUIRE(s->tick(11).size() == 1);
  s->mark_stopped(1, 11);  // (not logged: a stop decides nothing a new master needs)
  REQUIRE(s->take_for_master(11) >= 0);
  REQUIRE(finish(*s, 0, 2, 11).kind == O::Applied);
  log = s->take_log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == LogEntry::Failed);
  CHECK(log[0].worker == 2);
  CHECK(log[1].kind == LogEntry::Done);
  CHECK(log[1].worker == 0);  // the master's own task
}

TEST_CASE("failover: a guided cut is logged; the replayed log rebuilds the books, and is logged again", "[scheduler][failover]") {
  const auto tasks = tasks_of({1 << 20, 3000, 500});
  SchedulerOptions o = opts();
  auto s = std::make_unique<Scheduler>(tasks, 3, std::vector<int>{1, 2, 3}, make_guided_policy(2, 4096), o, 0);
  std::vector<LogEntry> log;
  const auto drain = [&] {
    for (auto& e : s->take_log()) log.push_back(e);
  };
  double now = 0;
  for (int round = 0; round < 6; ++round) {
    for (int w = 1; w <= 3; ++w) {
      const R r = s->on_request(w, now += 0.1);
      if (r.kind != R::Assign) continue;
      if (r.task == 1) {
        s->on_task_error(w, r.task, "bad sector", now += 0.1);
      } else {
        finish(*s, w, r.task, now += 0.1, "fmt" + std::to_string(w));
      }
    }
  }
  drain();
  REQUIRE(s->stats().tasks_split >= 2);
  const auto cut = std::find_if(log.begin(), log.end(), [](const LogEntry& e) { return e.kind == LogEntry::Split; });
  REQUIRE(cut != log.end());
  CHECK(cut->from == 0);
  CHECK(cut->task == 3);
  CHECK(cut->offset == s->tasks()[0].range.length);  // the tail of what task 0 was cut to
  CHECK(s->tasks()[3].range.offset == cut->offset);
  REQUIRE_FALSE(s->all_done());

  auto n = std::make_unique<Scheduler>(tasks, 3, std::vector<int>{1, 2, 3}, make_guided_policy(2, 4096), opts(log), 9);
  CHECK(n->stats().replayed == static_cast<int>(log.size()));
  CHECK(n->stats().replay_skipped == 0);
  REQUIRE(n->tasks().size() == s->tasks().size());
  for (std::size_t t = 0; t < s->tasks().size(); ++t) {
    INFO("task " << t);
    CHECK(n->tasks()[t].range.offset == s->tasks()[t].range.offset);
    CHECK(n->tasks()[t].range.length == s->tasks()[t].range.length);
    CHECK((n->task_state(static_cast<int>(t)) == TS::Done) == (s->task_state(static_cast<int>(t)) == TS::Done));
    CHECK(n->task_format(static_cast<int>(t)) == s->task_format(static_cast<int>(t)));
  }
  CHECK(n->tasks_done() == s->tasks_done());
  CHECK(n->totals() == s->totals());
  CHECK(n->processed_files() == s->processed_files());
  CHECK(n->failed_files() == s->failed_files());
  for (int f = 0; f < 3; ++f) CHECK(n->file_counts(f) == s->file_counts(f));
  CHECK(n->take_log() == log);  // its own standbys get the whole history from it
  // A third master from the second's log: the same books again.
  auto third = std::make_unique<Scheduler>(tasks, 3, std::vector<int>{1, 2, 3}, make_policy("lpt"), opts(log), 10);
  CHECK(third->totals() == s->totals());
  CHECK(third->tasks_done() == s->tasks_done());
}

TEST_CASE("failover: replay skips what does not fit and counts it", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100, 100});
  LogEntry d0;
  d0.kind = LogEntry::Done;
  d0.task = 0, d0.file = 0, d0.offset = 0, d0.length = 100, d0.worker = 1, d0.counts = counts_of({0, 100});
  LogEntry wrong_range = d0;
  wrong_range.task = 1, wrong_range.file = 1, wrong_range.length = 50;
  LogEntry unknown = d0;
  unknown.task = 7;
  LogEntry done_file = d0;  // file 2 was done by a checkpoint
  done_file.task = 2, done_file.file = 2;
  LogEntry split;
  split.kind = LogEntry::Split;
  split.task = 5, split.from = 1, split.file = 1, split.offset = 60, split.length = 40;  // not the next id (3)
  LogEntry failed;
  failed.kind = LogEntry::Failed;
  failed.worker = 9;  // no such worker
  SchedulerOptions o = opts({d0, d0, wrong_range, unknown, done_file, split, failed});
  o.files_done = {2};
  o.base_counts.lines = 1000;
  auto s = sched(tasks, 3, {1, 2}, "dynamic", o);
  CHECK(s->stats().replayed == 1);
  CHECK(s->stats().replay_skipped == 6);
  CHECK(s->tasks_done() == 2);  // task 0 once, task 2 by the checkpoint
  CHECK(s->totals() == o.base_counts + counts_of({0, 100}));
  CHECK(s->tasks().size() == 3);
  CHECK(s->processed_files() == std::vector<int>{2, 0});
  CHECK(s->pending_tasks() == std::vector<int>{1});
  CHECK(s->take_log() == std::vector<LogEntry>{d0});
}

TEST_CASE("failover: a replayed failure: its plan moves, it stays failed, its rejoin is cancelled", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 90, 80, 70});
  LogEntry f;
  f.kind = LogEntry::Failed;
  f.worker = 2;
  auto s = sched(tasks, 4, {1, 2}, "static", opts({f}));
  CHECK(s->worker_state(2) == WS::Failed);
  CHECK(s->failed_workers() == std::vector<int>{2});
  CHECK(s->stats().failures == 1);
  // worker 2 was only slow: it rejoins with task 1 in hand and results for tasks 0 and 3
  auto out = s->on_rejoin(2, {held(tasks[1])}, {kept(tasks[0]), kept(tasks[3], false)}, 1);
  CHECK(out.applied == 1);    // counts: accepted (late)
  CHECK(out.dropped == 1);    // a failed worker's error: a live run decides
  CHECK(out.cancelled == 1);  // it keeps nothing
  CHECK(s->late_accepted() == 1);
  CHECK(s->stats().false_suspicions == 1);
  auto orders = s->take_orders();
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].kind == Ord::Cancel);
  CHECK(orders[0].worker == 2);
  CHECK(orders[0].task == 1);
  CHECK(s->on_request(2, 1).kind == R::Stop);
  // the static plan of worker 2 moved to worker 1: it gets every task left
  std::vector<int> got;
  for (R r = s->on_request(1, 2); r.kind == R::Assign; r = finish(*s, 1, r.task, 2).next) got.push_back(r.task);
  CHECK(got.size() == 3);
  CHECK(s->all_done());
}

TEST_CASE("failover: REJOIN applies matching results of tasks not done, adopts matching held tasks, cancels the rest", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100, 100, 100, 100, 100});
  LogEntry d0;
  d0.kind = LogEntry::Done;
  d0.task = 0, d0.file = 0, d0.offset = 0, d0.length = 100, d0.worker = 1, d0.counts = counts_of({0, 100});
  auto s = sched(tasks, 6, {1, 2, 3}, "dynamic", opts({d0}));
  HeldTask other_range = held(tasks[3]);
  other_range.length = 40;
  KeptResult r5 = kept(tasks[5]);
  r5.offset = 10;
  const auto out = s->on_rejoin(1, {held(tasks[2]), other_range, HeldTask{99, 0, 0, 1}, held(tasks[0])},
                                {kept(tasks[0]), kept(tasks[4]), r5}, 1);
  CHECK(out.applied == 1);  // task 4
  CHECK(out.dropped == 2);  // task 0 (done) and task 5 (another range)
  CHECK(out.adopted == 1);  // task 2
  CHECK(out.cancelled == 3);
  CHECK(s->task_state(4) == TS::Done);
  CHECK(s->file_counts(4) == counts_of(tasks[4].range));
  CHECK(s->file_counts(0) == counts_of(tasks[0].range));  // once
  CHECK(s->task_format(4) == "kept");
  CHECK(s->late_accepted() == 0);  // a live worker's kept result is not late
  CHECK(s->task_state(2) == TS::Assigned);
  CHECK(s->task_owner(2) == 1);
  CHECK(s->held_by(1) == std::vector<int>{2});
  CHECK(s->task_attempts(2) == 1);
  std::vector<int> cancelled;
  for (const auto& o : s->take_orders()) {
    CHECK(o.kind == Ord::Cancel);
    CHECK(o.worker == 1);
    cancelled.push_back(o.task);
  }
  CHECK(cancelled == std::vector<int>{3, 99, 0});
  // worker 2 also held task 2 (a speculative copy, say): already adopted by worker 1
  const auto out2 = s->on_rejoin(2, {held(tasks[2])}, {}, 1);
  CHECK(out2.cancelled == 1);
  CHECK(s->task_owner(2) == 1);
  // the adopted task is never handed out again; the others are
  std::vector<int> handed;
  for (R r = s->on_request(3, 2); r.kind == R::Assign; r = finish(*s, 3, r.task, 2).next) handed.push_back(r.task);
  CHECK(handed == std::vector<int>{1, 3, 5});
  CHECK(finish(*s, 1, 2, 3).kind == O::Applied);
  CHECK(s->all_done());
}

TEST_CASE("failover: recovering answers WAIT until every active worker rejoined", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100, 100});
  auto s = sched(tasks, 3, {1, 2}, "dynamic", opts({}, 5), 10);
  CHECK(s->recovering());
  CHECK(s->on_request(1, 10).kind == R::Wait);
  CHECK(s->take_for_master(10) == -1);
  s->on_rejoin(1, {}, {}, 11);
  CHECK(s->rejoined(1));
  CHECK(s->recovering());
  CHECK(s->on_request(1, 11).kind == R::Wait);
  s->on_rejoin(2, {held(tasks[1])}, {}, 12);
  CHECK_FALSE(s->recovering());
  CHECK(s->on_request(1, 12).task == 0);
  CHECK(s->on_request(2, 12).task == 2);  // task 1 stayed with worker 2
}

TEST_CASE("failover: recovering ends at the grace, or when the missing workers are declared failed", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100});
  auto s = sched(tasks, 2, {1, 2}, "dynamic", opts({}, 2), 10);
  s->on_rejoin(1, {}, {}, 10);
  s->tick(11.9);
  CHECK(s->recovering());
  CHECK(s->on_request(1, 11.9).kind == R::Wait);
  s->tick(12);
  CHECK_FALSE(s->recovering());
  CHECK(s->on_request(1, 12).kind == R::Assign);
  // a grace beyond the failure timeout: the silent worker's failure ends it
  auto t = sched(tasks, 2, {1, 2}, "dynamic", opts({}, 60), 10);
  t->on_rejoin(1, {}, {}, 10);
  t->on_heartbeat(1, -1, 0, 14);
  CHECK(t->recovering());
  REQUIRE(t->tick(15.5).size() == 1);  // worker 2: silent for more than 5 s
  CHECK_FALSE(t->recovering());
  // no worker at all (all gone): nothing to wait for, the master takes the tasks itself
  auto u = sched(tasks, 2, {}, "dynamic", opts({}, 60), 10);
  CHECK(u->take_for_master(10) == 0);
}

TEST_CASE("failover: after its REJOIN a worker's result counts only for a task of this master, of its range", "[scheduler][failover]") {
  // The new master cuts task 0 (guided) while worker 1, not back yet, still runs the whole of it.
  const auto tasks = tasks_of({1 << 20});
  auto s = std::make_unique<Scheduler>(tasks, 1, std::vector<int>{1, 2}, make_guided_policy(2, 4096), opts(), 0);
  const R r = s->on_request(2, 0);
  REQUIRE(r.task == 0);
  REQUIRE(s->tasks().size() > 1);
  const ByteRange whole{0, 1 << 20}, head = s->tasks()[0].range;
  REQUIRE(head.length < whole.length);
  const auto out = s->on_rejoin(1, {HeldTask{0, 0, 0, 1 << 20}}, {}, 1);
  CHECK(out.cancelled == 1);  // another range under the same id
  REQUIRE(s->take_orders().size() == 1);
  // the CANCEL crosses its result: not counted
  CHECK(s->on_result(1, 0, counts_of(whole), 2, -1, "x", TaskRange{0, 0, 1 << 20}).kind == O::Rejected);
  CHECK(s->task_state(0) == TS::Assigned);
  // worker 2 dies; worker 1 is handed task 0 again (its new range), while its old copy of the id
  // may still run: only a result of the new range counts
  REQUIRE(s->tick(6).size() == 1);
  R next = s->on_request(1, 6);
  while (next.kind == R::Assign && next.task != 0) next = finish(*s, 1, next.task, 6).next;
  REQUIRE(next.task == 0);
  CHECK(s->on_result(1, 0, counts_of(whole), 7, -1, "x", TaskRange{0, 0, 1 << 20}).kind == O::Rejected);
  CHECK(s->stats().foreign_results == 2);
  CHECK(s->on_result(1, 0, counts_of(head), 7, -1, "x", TaskRange{0, head.offset, head.length}).kind == O::Applied);
  CHECK(s->file_counts(0) == counts_of(head) + [&] {
          Counts c;
          for (std::size_t t = 1; t < s->tasks().size(); ++t)
            if (s->task_state(static_cast<int>(t)) == TS::Done) c += counts_of(s->tasks()[t].range);
          return c;
        }());
}

TEST_CASE("failover: a rejoined worker's result for a task it did not hand over is rejected, even without a range", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100});
  auto s = sched(tasks, 2, {1, 2}, "dynamic", opts());
  s->on_rejoin(1, {}, {}, 0);
  CHECK(s->on_result(1, 0, counts_of(tasks[0].range), 1).kind == O::Rejected);
  CHECK(s->task_state(0) != TS::Done);  // (the reply handed it to worker 1: now it counts)
  CHECK(s->file_counts(0) == Counts{});
  // a worker that has not rejoined (a first master: nobody rejoins) is matched by id as before
  CHECK(s->on_result(2, 1, counts_of(tasks[1].range), 1).kind == O::LateApplied);
}

TEST_CASE("failover: the new master's own kept results (a rank that is no worker) count; its tasks get no order", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100});
  auto s = sched(tasks, 2, {2, 3}, "dynamic", opts({}, 5));
  const auto out = s->on_rejoin(1, {held(tasks[1])}, {kept(tasks[0])}, 1);
  CHECK(out.applied == 1);
  CHECK(out.cancelled == 1);
  CHECK(s->take_orders().empty());
  CHECK(s->recovering());  // workers 2 and 3 are not back
  CHECK(s->task_state(0) == TS::Done);
  CHECK(s->task_state(1) == TS::Pending);
}

TEST_CASE("failover: a repeated REJOIN keeps what was adopted and applies what was finished since", "[scheduler][failover]") {
  const auto tasks = tasks_of({100, 100, 100});
  auto s = sched(tasks, 3, {1, 2}, "dynamic", opts());
  auto out = s->on_rejoin(1, {held(tasks[0]), held(tasks[1])}, {}, 1);
  CHECK(out.adopted == 2);
  out = s->on_rejoin(1, {held(tasks[1])}, {kept(tasks[0])}, 2);
  CHECK(out.applied == 1);
  CHECK(out.adopted == 1);
  CHECK(out.cancelled == 0);
  CHECK(s->held_by(1) == std::vector<int>{1});
  CHECK(s->task_state(0) == TS::Done);
  CHECK(s->take_orders().empty());
  CHECK(s->stats().rejoins == 2);
}

TEST_CASE("failover: replaying random garbage never breaks the books; the re-logged part replays exactly", "[scheduler][failover]") {
  SplitMix64 rng(0xfa11 + Catch::rngSeed());
  const std::vector<std::uint64_t> sizes = {1000, 0, 300, 5000};
  const auto tasks = tasks_of(sizes, 700);
  int replayed = 0, cuts = 0, failed = 0;
  for (int run = 0; run < 500; ++run) {
    std::vector<LogEntry> junk;
    int next_id = static_cast<int>(tasks.size());
    for (auto n = rng.below(40); n > 0; --n) {
      LogEntry e;
      e.kind = static_cast<LogEntry::Kind>(rng.below(4));
      e.task = static_cast<int>(rng.below(20)) - 2;
      e.from = static_cast<int>(rng.below(14));
      e.file = static_cast<int>(rng.below(5)) - 1;
      e.worker = static_cast<int>(rng.below(6));
      e.offset = rng.below(6000);
      e.length = rng.below(1000);
      const Task& t = tasks[rng.below(tasks.size())];
      if (rng.below(2) == 0) {  // one that may fit (the task's first range, or a cut of it)
        e.task = e.kind == LogEntry::Split ? next_id++ : t.id;
        e.from = t.id, e.file = t.file, e.offset = t.range.offset, e.length = t.range.length;
        if (e.kind == LogEntry::Split && t.range.length > 1) {
          e.offset += 1 + rng.below(t.range.length - 1);
          e.length = t.range.offset + t.range.length - e.offset;
        }
      }
      if (e.kind == LogEntry::Done) e.counts = counts_of({e.offset, e.length}), e.format = "f";
      if (e.kind == LogEntry::Error) e.error = "e";
      junk.push_back(e);
    }
    auto s = sched(tasks, 4, {1, 2, 3}, "lpt", opts(junk));
    INFO("run " << run);
    REQUIRE(s->stats().replayed + s->stats().replay_skipped == static_cast<int>(junk.size()));
    replayed += s->stats().replayed;
    cuts += s->stats().tasks_split;
    failed += s->stats().failures;
    // every file is still an exact partition of its bytes
    for (int f = 0; f < 4; ++f) {
      std::vector<std::pair<std::uint64_t, std::uint64_t>> pieces;
      for (const auto& t : s->tasks())
        if (t.file == f) pieces.emplace_back(t.range.offset, t.range.length);
      std::sort(pieces.begin(), pieces.end());
      std::uint64_t at = 0;
      for (const auto& [off, len] : pieces) {
        REQUIRE(off == at);
        at += len;
      }
      REQUIRE(at == sizes[static_cast<std::size_t>(f)]);
    }
    // what it logged again replays to the same books, nothing skipped
    const auto relog = s->take_log();
    REQUIRE(static_cast<int>(relog.size()) == s->stats().replayed);
    auto again = sched(tasks, 4, {1, 2, 3}, "lpt", opts(relog));
    CHECK(again->stats().replay_skipped == 0);
    CHECK(again->tasks_done() == s->tasks_done());
    CHECK(again->totals() == s->totals());
    CHECK(again->processed_files() == s->processed_files());
    CHECK(again->failed_workers() == s->failed_workers());
    // and the run can finish: every task not done is handed out
    double now = 1;
    for (R r = s->on_request(1, now); r.kind == R::Assign; r = finish(*s, 1, r.task, now += 1).next) {
    }
    if (s->worker_state(1) == WS::Active) CHECK(s->all_done());
  }
  CHECK(replayed > 1000);  // (the generator hits valid entries too)
  CHECK(cuts > 50);
  CHECK(failed > 100);
}

TEST_CASE("failover: the same id and byte range in another file are other bytes", "[scheduler][failover]") {
  // (ids of an older master's cuts can name a range of another file here: found by the random test)
  const auto tasks = tasks_of({100, 100});
  auto s = sched(tasks, 2, {1, 2}, "dynamic", opts());
  KeptResult k = kept(tasks[0]);
  k.file = 1;
  HeldTask h = held(tasks[0]);
  h.file = 1;
  const auto out = s->on_rejoin(1, {h}, {k}, 1);
  CHECK(out.dropped == 1);
  CHECK(out.cancelled == 1);
  CHECK(s->task_state(0) == TS::Pending);
  REQUIRE(s->on_request(2, 1).task == 0);
  CHECK(s->on_result(2, 0, counts_of(tasks[0].range), 2, -1, "x", TaskRange{1, 0, 100}).kind == O::Rejected);
  CHECK(s->on_result(2, 0, counts_of(tasks[0].range), 2, -1, "x", ran(tasks[0])).kind == O::Applied);
}
