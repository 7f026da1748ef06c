#include "dash/replay.h"

#include <catch2/catch.hpp>

using namespace dla::dash;

namespace {

// Two workers; worker 2 dies during task 1 (declared failed at 4.0), worker 1 takes it over.
const char* kTrace =
    "# dla-trace 1 distributed_log_analyser\n"
    "# policy=dynamic workers=2 files=3 tasks=3 timeout=3 heartbeat=0.5 split_bytes=0 simulated=1\n"
    "0.000000 1 assign 0 1000 a.log\n"
    "0.000000 1 start 0 1000 a.log\n"
    "0.000000 2 assign 1 2000 b.log\n"
    "0.000000 2 start 1 2000 b.log\n"
    "0.500000 2 heartbeat 1 500\n"
    "1.000000 1 result 0 1000 a.log\n"
    "1.000000 1 assign 2 3000 c.log\n"
    "1.000000 1 start 2 3000 c.log\n"
    "1.000000 2 crash -1 0 kill\n"
    "2.000000 0 checkpoint -1 0 #1\n"
    "3.000000 1 result 2 3000 c.log\n"
    "4.000000 2 timeout -1 0 silent\n"
    "4.000000 1 reassign 1 2000 b.log\n"
    "4.000000 1 start 1 2000 b.log\n"
    "6.000000 1 result 1 2000 b.log\n"
    "6.000000 1 stop -1 0\n";

const WorkerRow& row(const DashState& s, int rank) {
  for (const auto& w : s.workers)
    if (w.rank == rank) return w;
  FAIL("no row " << rank);
  return s.workers.front();
}

}  // namespace

TEST_CASE("dash replay: the state of a finished run at any time of its trace") {
  auto r = TraceReplay::from_text(kTrace);
  REQUIRE(r.ok());
  REQUIRE(r->duration() == 6.0);
  auto a = r->state_at(0.5);
  REQUIRE(a.mode == "replay");
  REQUIRE_FALSE(a.counts_known);
  REQUIRE(a.workers.size() == 2);
  REQUIRE(row(a, 1).state == "busy");
  REQUIRE(row(a, 1).task == 0);
  REQUIRE(row(a, 1).task_label == "a.log");
  REQUIRE(row(a, 1).progress == Approx(0.5));
  REQUIRE(a.tasks_total == 3);
  REQUIRE(a.bytes_total == 6000);
  REQUIRE(a.tasks_done == 0);
  REQUIRE(a.status == "running");

  auto b = r->state_at(2.5);
  REQUIRE(b.tasks_done == 1);
  REQUIRE(b.bytes_done == 1000);
  REQUIRE(row(b, 2).state == "failed");  // crashed at 1.0 (the crash event)
  REQUIRE(b.checkpoints == 1);

  auto c = r->state_at(5.0);
  REQUIRE(c.failures == 1);
  REQUIRE(c.tasks_reassigned == 1);
  REQUIRE(row(c, 1).task == 1);
  bool failure = false, reassign = false;
  for (const auto& e : c.events) {
    failure |= e.kind == "failure" && e.rank == 2;
    reassign |= e.kind == "reassign" && e.rank == 1 && e.task == 1;
  }
  REQUIRE(failure);
  REQUIRE(reassign);

  auto d = r->state_at(1e9);  // clamped to the end
  REQUIRE(d.time == 6.0);
  REQUIRE(d.finished);
  REQUIRE(d.status == "finished");
  REQUIRE(d.tasks_done == 3);
  REQUIRE(d.bytes_done == 6000);
  REQUIRE(row(d, 1).state == "stopped");
  REQUIRE_FALSE(d.rates.empty());
  REQUIRE(d.rates.size() <= 201);
  // The rate history spreads each bar's bytes over its time: 1000 + 3000 + 2000 done, and the
  // 2000 of the lost run of task 1 (scanned, then lost with its worker).
  REQUIRE(d.rates.back().bytes_done >= 7800);
  REQUIRE(d.rates.back().bytes_done <= 8000);
  // Half-way through task 2 (1 s to 3 s): its progress, and its bytes counted as running.
  auto h = r->state_at(2.0);
  REQUIRE(row(h, 1).task == 2);
  REQUIRE(row(h, 1).progress == Approx(0.5));
  REQUIRE(h.bytes_running >= 1500);
}

TEST_CASE("dash replay: a bad trace is an error, an empty one has nothing to do") {
  REQUIRE_FALSE(TraceReplay::from_text("0.1 1 assign\n").ok());
  auto e = TraceReplay::from_text("# dla-trace 1\n");
  REQUIRE(e.ok());
  REQUIRE(e->state_at(0).status == "nothing to do");
}
