// The invariant test: random workers that crash, hang, come back late, read unreadable ranges,
// prefetch, get stolen from and run speculative copies that get cancelled; every policy, both
// failure detectors, random clock steps, split and guided-split files, runs resumed from a
// checkpoint (files done before the start, base counts); and in two runs of three
// the MASTER dies (once or twice) at a random instant: a new Scheduler is built from a random
// prefix of the log emitted so far (through its text form), every worker still alive rejoins
// (soon or late) with the tasks it holds and every result it ever produced, and the run goes on.
// Whatever happens, when the run ends every task is counted exactly once and the totals equal the
// files' own counts. Each run is seeded by its number plus DLA_TEST_SEED (printed by the test main).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <map>

#include "sched/scheduler_interleaving_model.h"

using namespace dla;
using namespace dla::interleaving;

namespace dla::interleaving {

// The master dies. A standby held a prefix of its log (all of it, all but the last few entries, or
// any prefix) and becomes the new master: a Scheduler from the same tasks and that prefix (through
// the text form). Messages the old master had sent: a random part still arrives first, the rest is
// ignored (an older term); its replies never come. Every worker not dead will rejoin (a worker
// told STOP has left, or waited for a possible new master: either).
void Interleaving::failover() {
  ++failovers_done;
  drain_log();
  std::size_t keep = log.size();
  const auto d = rng.below(3);
  if (d == 1) keep -= std::min<std::size_t>(keep, rng.below(4));
  if (d == 2) keep = rng.below(log.size() + 1);
  if (keep < log.size()) ++stats->short_prefix;
  const std::vector<LogEntry> prefix(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(keep));
  auto decoded = decode_log(encode_log(prefix));
  if (!decoded.ok() || *decoded != prefix) broken = "the log did not survive its text form";
  for (int w = 1; w <= nworkers; ++w) {
    auto& m = ws[static_cast<std::size_t>(w)];
    for (auto n = rng.below(m.inbox.size() + 1); n > 0 && !m.inbox.empty() && m.mode != Dead; --n) {
      const Msg g = m.inbox.front();
      m.inbox.pop_front();
      take(w, g);
    }
  }
  for (int w = 1; w <= nworkers; ++w) {
    auto& m = ws[static_cast<std::size_t>(w)];
    m.inbox.clear();
    m.outstanding = 0;
    m.want_request = false;
    if (m.mode == Dead || (m.stopped && rng.below(2) == 0)) continue;
    m.stopped = false;
    m.need_rejoin = true;
  }
  // Half the time the new master is a standby that was also a worker (the lowest one alive): it
  // leaves the workers, abandons what it held and applies its own kept results.
  int own = -1;
  for (int w = 1; w <= nworkers && own < 0 && rng.below(2) == 0; ++w)
    if (ws[static_cast<std::size_t>(w)].mode == Alive) own = w;
  if (own > 0) promoted.push_back(own);
  SchedulerOptions o = options();
  o.replay = prefix;
  o.rejoin_grace = cfg.grace;
  s = std::make_unique<Scheduler>(tasks, nfiles, worker_ids(), draw_policy(), o, clk.now());
  log.clear();
  applied.clear();
  int skips = 0;  // (a Failed entry of a rank that is no worker any more: the new master itself)
  for (const auto& e : prefix) skips += e.kind == LogEntry::Failed && s->worker_state(e.worker) == Scheduler::WorkerState::Failed &&
                                        std::find(promoted.begin(), promoted.end(), e.worker) != promoted.end();
  int done = static_cast<int>(std::count_if(tasks.begin(), tasks.end(), [&](const Task& t) { return is_resumed(t.file); }));
  int splits = 0;
  for (const auto& e : prefix) {
    if (e.kind == LogEntry::Done || e.kind == LogEntry::Error) ++applied[e.task], ++done;
    splits += e.kind == LogEntry::Split;
  }
  if (s->stats().replay_skipped != skips) broken = "the replay skipped an entry of a consistent log";
  if (s->tasks_done() != done || s->tasks().size() != tasks.size() + static_cast<std::size_t>(splits))
    broken = "the replay does not end where the log does";
  stats->replayed += s->stats().replayed;
  if (own > 0) {
    ws[static_cast<std::size_t>(own)].dq.clear();
    rejoin(own);
    ws[static_cast<std::size_t>(own)].mode = Dead;  // (a master now: never a worker again)
    ++stats->own_results;
  }
}

// `w` re-registers with the new master: what it holds (in order) and every result it ever produced.
void Interleaving::rejoin(int w) {
  auto& m = ws[static_cast<std::size_t>(w)];
  m.need_rejoin = false;
  std::vector<HeldTask> held;
  for (const auto& h : m.dq) held.push_back({h.task, h.file, h.range.offset, h.range.length});
  std::vector<char> was_done;
  for (const auto& t : s->tasks()) was_done.push_back(s->task_state(t.id) == Scheduler::TaskState::Done);
  if (s->start_time() + timeout < clk.now()) ++stats->late_rejoins;
  const auto out = s->on_rejoin(w, held, m.kept, clk.now());
  std::set<int> counted;  // a kept result that made its task done was applied once
  for (const auto& k : m.kept)
    if (k.task >= 0 && static_cast<std::size_t>(k.task) < was_done.size() && !was_done[static_cast<std::size_t>(k.task)] &&
        s->task_state(k.task) == Scheduler::TaskState::Done && counted.insert(k.task).second)
      ++applied[k.task];
  ++stats->rejoins;
  stats->rj_applied += out.applied;
  stats->rj_dropped += out.dropped;
  stats->rj_adopted += out.adopted;
  stats->rj_cancelled += out.cancelled;
  m.want_request = m.dq.empty();
  m.last_sent = clk.now();
  deliver_orders();
}

// The current master's whole log (the history it took over first) has exactly one Done or Error
// per task, each with the counts and the format of its range.
std::string Interleaving::check_log() {
  drain_log();
  std::map<int, int> n;
  for (const auto& e : log) {
    if (e.kind != LogEntry::Done && e.kind != LogEntry::Error) continue;
    ++n[e.task];
    if (e.kind == LogEntry::Done && !(e.counts == range_counts(e.file, e.offset, e.length)))
      return "logged counts of task " + std::to_string(e.task) + " differ from its range";
    if (e.kind == LogEntry::Done && (e.format != file_format(e.file) || s->task_format(e.task) != e.format))
      return "format of task " + std::to_string(e.task) + " lost";
  }
  for (const auto& t : s->tasks())
    if (n[t.id] != (is_resumed(t.file) ? 0 : 1)) return "task " + std::to_string(t.id) + " logged " + std::to_string(n[t.id]) + " times";
  return "";
}

}  // namespace dla::interleaving

TEST_CASE("scheduler: exactly once over random interleavings of every policy, steals, copies, failures", "[scheduler]") {
  const int kRuns = 20000;
  Interleaving::Stats stats;
  std::map<std::string, int> runs_by, failover_runs_by;
  for (int run = 0; run < kRuns; ++run) {
    Interleaving it(run, &stats);
    it.run();
    runs_by[it.cfg.policy + (it.cfg.speculate ? "+spec" : "") + "/" + it.cfg.detector]++;
    if (it.failovers_done > 0) failover_runs_by[it.cfg.policy + (it.cfg.speculate ? "+spec" : "") + "/" + it.cfg.detector]++;
    stats.resumed += !it.resumed.empty();
    INFO("run " << run << " seed " << Catch::rngSeed() << " policy " << it.cfg.policy << " speculate " << it.cfg.speculate
                << " detector " << it.cfg.detector << " workers " << it.nworkers << " tasks " << it.s->tasks().size()
                << " failovers " << it.failovers_done << " grace " << it.cfg.grace);
    REQUIRE(it.check() == "");
  }
  CHECK(runs_by.size() == 24);  // 6 policies x speculate on/off x 2 detectors
  // The generator must actually exercise the interesting paths.
  CHECK(stats.with_failures > kRuns / 4);
  CHECK(stats.with_late > 0);
  CHECK(stats.with_dups > 0);
  CHECK(stats.with_master > 0);
  CHECK(stats.with_errors > kRuns / 10);
  CHECK(stats.with_false > kRuns / 20);
  CHECK(stats.attempted > 50);
  CHECK(stats.steals > 50);
  CHECK(stats.refused > 10);
  CHECK(stats.copies > 100);
  CHECK(stats.won > 10);
  CHECK(stats.lost > 10);
  CHECK(stats.cancels > 50);
  CHECK(stats.splits > 100);
  // ... and failover: master deaths (twice in some runs), short log prefixes, every REJOIN path.
  std::printf("failover interleavings: %d runs with a master death (%d with two), %d deaths, %d short prefixes, "
              "%d entries replayed, %d rejoins (%d late): kept results %d applied %d dropped, held %d adopted %d "
              "cancelled, %d foreign results rejected, %d new masters that were workers\n",
              stats.runs_failover, stats.runs_two, stats.failovers, stats.short_prefix, stats.replayed, stats.rejoins,
              stats.late_rejoins, stats.rj_applied, stats.rj_dropped, stats.rj_adopted, stats.rj_cancelled, stats.foreign,
              stats.own_results);
  CHECK(stats.runs_failover > kRuns * 2 / 5);
  CHECK(stats.runs_two > kRuns / 10);
  CHECK(stats.short_prefix > kRuns / 4);
  CHECK(stats.late_rejoins > 100);
  CHECK(stats.rj_applied > 1000);
  CHECK(stats.rj_dropped > 1000);
  CHECK(stats.rj_adopted > 1000);
  CHECK(stats.rj_cancelled > 100);
  CHECK(stats.foreign > 10);
  CHECK(failover_runs_by.size() == 24);  // master deaths with every policy, speculation, detector
  CHECK(stats.resumed > kRuns / 10);
  CHECK(stats.own_results > kRuns / 10);
}

TEST_CASE("scheduler: the exactly-once checker catches a planted double apply", "[scheduler]") {
  Interleaving::Stats stats;
  int caught = 0, runs = 0;
  for (int run = 0; run < 2000 && caught == 0; ++run, ++runs) {
    Interleaving it(run, &stats, /*plant=*/true);
    it.run();
    if (it.check() != "") ++caught;
  }
  std::printf("planted double apply caught after %d runs\n", runs);
  REQUIRE(caught == 1);
}

TEST_CASE("scheduler: the failover checker catches a planted rejoin that skips the done check", "[scheduler]") {
  Interleaving::Stats stats;
  int caught = 0, runs = 0;
  for (int run = 0; run < 2000 && caught == 0; ++run, ++runs) {
    Interleaving it(run, &stats, /*plant=*/false, /*plant_rejoin=*/true);
    it.run();
    if (it.check() != "") ++caught;
  }
  std::printf("planted rejoin bug caught after %d runs\n", runs);
  REQUIRE(caught == 1);
}
