// The random-interleaving model of the master, its workers and (failover) its successors, for
// scheduler_interleaving_test.cc (TEST ONLY: included by that file alone). What it checks is said
// there; the workers behave as src/mpi/worker.cc must (the contract in sched/scheduler.h).
#pragma once
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "scan/loggen.h"
#include "sched/master_log.h"
#include "sched/scheduler.h"

namespace dla::interleaving {

using R = Scheduler::Reply;
using O = Scheduler::ResultOutcome;
using Ord = Scheduler::Order;

// A virtual file's content: a line starts at offset x of file f when (x * 31 + f) % 5 == 0, with
// level FATAL when x % 7 == 0, else (x / 5) % 4 of the seed four (or no level when x % 3 == 0).
// Counts of a range are those of the lines whose first byte it holds, so any partition of a file
// adds up to the whole file's counts.
inline Counts range_counts(int file, std::uint64_t off, std::uint64_t len) {
  static const Level kLv[4] = {Level::Debug, Level::Error, Level::Info, Level::Warn};
  Counts c;
  for (std::uint64_t x = off; x < off + len; ++x) {
    if ((x * 31 + static_cast<std::uint64_t>(file)) % 5 != 0) continue;
    ++c.lines;
    if (x % 7 == 0) ++c["FATAL"];  // a level beyond the seed four: Counts is an open set
    else if (x % 3 != 0) ++c[kLv[(x / 5) % 4]];
  }
  return c;
}

// The format a file's scanner reports; some with a TAB, a newline or a backslash: the log's text
// form must carry them unharmed.
inline std::string file_format(int file) {
  static const char* kFormats[] = {"bracket", "syslog", "json\tx", "a\nb", "w\\z\x7f"};
  return kFormats[file % 5];
}

struct Config {
  std::string policy;
  bool speculate = false;
  std::string detector;
  bool plant = false;
  int failovers = 0;      // how many times the master dies
  double grace = 0;       // the new master's rejoin_grace
  bool plant_rejoin = false;
};

struct Interleaving {
  struct Stats {
    int with_failures = 0, with_late = 0, with_dups = 0, with_master = 0, with_errors = 0, with_false = 0;
    int attempted = 0, steals = 0, refused = 0, copies = 0, won = 0, lost = 0, cancels = 0, splits = 0;
    int failovers = 0, runs_failover = 0, runs_two = 0, short_prefix = 0, rejoins = 0, late_rejoins = 0;
    int rj_applied = 0, rj_dropped = 0, rj_adopted = 0, rj_cancelled = 0, foreign = 0, replayed = 0, resumed = 0;
    int own_results = 0;  // failovers whose new master was a worker
  };
  enum Mode { Alive, Dead, Paused };
  struct Held {
    int task;
    int file;  // (a task id of an older master may be unknown to the current one)
    ByteRange range;
    bool started = false;
  };
  struct Msg {
    bool reply;  // the answer to a request/result (else an order)
    int kind;    // R::Kind for replies, Ord::Kind for orders
    int task;
  };
  struct W {
    Mode mode = Alive;
    bool stopped = false;
    int outstanding = 0;   // requests/results sent, not yet answered
    bool want_request = true;
    double resume_at = 0;
    double last_sent = 0;
    int slowness = 1;      // it acts on 1 in `slowness` of its turns (a slow host)
    std::deque<Held> dq;
    std::deque<Msg> inbox;
    std::vector<KeptResult> kept;  // every result it produced in this run
    bool need_rejoin = false;      // a new master exists and it has not rejoined it yet
  };

  Interleaving(int run, Stats* st, bool plant = false, bool plant_rejoin = false)
      : rng(static_cast<std::uint64_t>(run) * 7919 + 1 + Catch::rngSeed()),
        calm(rng.below(3) == 0),
        nfiles(calm ? 4 + static_cast<int>(rng.below(12)) : 1 + static_cast<int>(rng.below(8))),
        files(draw_files()),
        tasks(make_tasks(files, rng.below(3) == 0 ? 0 : (calm ? 5 + rng.below(20) : 1 + rng.below(100)))),
        nworkers(calm ? 2 + static_cast<int>(rng.below(4)) : 1 + static_cast<int>(rng.below(5))),
        // (a worker acts about once every nworkers steps of 0.15 s: the timeout scales with that)
        timeout((1.0 + static_cast<double>(rng.below(3))) * (0.4 + 0.3 * nworkers) * (calm ? 10 : 1)),
        cfg(draw_config(plant, plant_rejoin)),
        resumed(draw_resumed()),
        s(std::make_unique<Scheduler>(tasks, nfiles, worker_ids(), draw_policy(), options(), 0)),
        ws(static_cast<std::size_t>(nworkers) + 1),
        stats(st) {
    for (auto& m : ws) m.slowness = rng.below(3) == 0 ? 2 + static_cast<int>(rng.below(3)) : 1;
    for (int f = 0; f < nfiles; ++f) bad_at.push_back(rng.below(6) == 0 && files[static_cast<std::size_t>(f)].size > 0
                                                          ? static_cast<std::int64_t>(rng.below(files[static_cast<std::size_t>(f)].size))
                                                          : -1);
    for (int f : resumed) bad_at[static_cast<std::size_t>(f)] = -1;  // (counted by an earlier run)
  }
  // A run resumed from a checkpoint (one in four): some files are done before it starts.
  std::vector<int> draw_resumed() {
    std::vector<int> out;
    if (rng.below(4) != 0) return out;
    for (int f = 0; f < nfiles; ++f)
      if (rng.below(3) == 0) out.push_back(f);
    return out;
  }
  bool is_resumed(int f) const { return std::find(resumed.begin(), resumed.end(), f) != resumed.end(); }

  std::vector<FileInfo> draw_files() {
    std::vector<FileInfo> out;
    for (int i = 0; i < nfiles; ++i) out.push_back({"d/f" + std::to_string(i), "f" + std::to_string(i), rng.below(200), 0});
    return out;
  }
  std::vector<int> worker_ids() const {
    std::vector<int> ws;
    for (int w = 1; w <= nworkers; ++w)
      if (std::find(promoted.begin(), promoted.end(), w) == promoted.end()) ws.push_back(w);
    return ws;
  }
  Config draw_config(bool plant, bool plant_rejoin) {
    static const char* kPolicies[] = {"static", "dynamic", "lpt", "guided", "steal", "locality"};
    Config c;
    c.policy = kPolicies[rng.below(6)];
    c.speculate = rng.below(2) == 0;
    c.detector = rng.below(2) ? "fixed" : "phi";
    c.plant = plant;
    c.failovers = static_cast<int>(rng.below(3));
    if (plant_rejoin && c.failovers == 0) c.failovers = 1;
    const double graces[] = {0, timeout * 0.5, timeout * 3};
    c.grace = graces[rng.below(3)];
    c.plant_rejoin = plant_rejoin;
    return c;
  }
  std::unique_ptr<SchedulingPolicy> draw_policy() {
    if (cfg.policy == "guided") return make_guided_policy(1 + static_cast<double>(rng.below(3)), 1 + rng.below(16));
    if (cfg.policy == "steal") return make_steal_policy(2 + static_cast<int>(rng.below(4)), 1 + 9 * rng.uniform(), rng.below(2) ? 0 : 100 * rng.below(20));
    if (cfg.policy == "locality") {  // random holders (some not workers, some tasks none), a random wait
      std::vector<std::vector<int>> h(static_cast<std::size_t>(4 * nfiles + 4));
      for (auto& v : h)
        for (int w = 1; w <= nworkers + 1; ++w)
          if (rng.below(3) == 0) v.push_back(w);
      return make_locality_policy(std::move(h), rng.below(2) ? 0 : timeout * rng.uniform());
    }
    return make_policy(cfg.policy);
  }
  SchedulerOptions options() const {
    SchedulerOptions o;
    o.timeout = timeout;
    o.speculate = cfg.speculate;
    o.detector.kind = cfg.detector;
    o.detector.first_interval = 0.15 * nworkers;
    o.detector.threshold = 4;
    o.detector.min_std = 0.2;
    if (calm) o.detector.acceptable_pause = timeout / 3;
    o.rate.prior = 300;  // bytes/s: the model's scale (100-byte files, 0.3 s steps)
    o.speculation.heartbeat = 0.3;
    o.debug_plant_double_apply = cfg.plant;
    o.debug_plant_rejoin_no_done_check = cfg.plant_rejoin;
    o.files_done = resumed;
    for (int f : resumed) o.base_counts += range_counts(f, 0, files[static_cast<std::size_t>(f)].size);
    return o;
  }

  bool bad(int file, const ByteRange& r) const {
    const std::int64_t x = bad_at[static_cast<std::size_t>(file)];
    return x >= 0 && static_cast<std::uint64_t>(x) >= r.offset && static_cast<std::uint64_t>(x) < r.offset + r.length;
  }
  int tasks_file(int task) const { return s->tasks()[static_cast<std::size_t>(task)].file; }
  // What a worker (or the master) computes for a range, as it keeps it.
  KeptResult compute(int task, int file, const ByteRange& r) const {
    KeptResult k;
    k.task = task, k.file = file, k.offset = r.offset, k.length = r.length;
    k.ok = !bad(file, r);
    if (k.ok) k.counts = range_counts(file, r.offset, r.length), k.format = file_format(file);
    if (!k.ok) k.error = "unreadable";
    return k;
  }
  // A RESULT names the file and range it was run on (one id may name other bytes on another master).
  O deliver(int w, const KeptResult& k) {
    const TaskRange r{k.file, k.offset, k.length};
    return k.ok ? s->on_result(w, k.task, k.counts, clk.now(), -1, k.format, r)
                : s->on_task_error(w, k.task, k.error, clk.now(), r);
  }
  void drain_log() {
    for (auto& e : s->take_log()) log.push_back(std::move(e));
  }

  void deliver_orders() {
    for (const auto& o : s->take_orders()) {
      if (o.kind == Ord::Cancel) ++stats->cancels;
      auto& m = ws[static_cast<std::size_t>(o.worker)];
      if (m.mode != Dead) m.inbox.push_back({false, o.kind, o.task});
    }
  }
  void send_reply(int w, const R& r) {
    auto& m = ws[static_cast<std::size_t>(w)];
    if (m.mode != Dead) m.inbox.push_back({true, r.kind, r.task});
    deliver_orders();
  }
  void outcome(const O& o, int task) {
    if (o.kind == O::Applied || o.kind == O::LateApplied) ++applied[task];
    if (o.kind == O::LateApplied) ++stats->with_late;
    if (o.kind == O::Duplicate) ++stats->with_dups;
  }
  void take(int w, const Msg& g);
  void work(int w);
  void step();
  void failover();
  void rejoin(int w);
  void run() {
    const std::size_t cap = 40000 + 100 * tasks.size() + 20000 * static_cast<std::size_t>(cfg.failovers);
    int left = cfg.failovers;
    std::size_t at = rng.below(4 * tasks.size() * static_cast<std::size_t>(nworkers) + 20);
    for (std::size_t steps = 0; steps < cap; ++steps) {
      const bool end = s->all_done() && s->workers_settled();
      // (the master may also die at the very end: after its STOPs, before its result)
      if (left > 0 && (steps >= at || (end && rng.below(2) == 0))) {
        --left;
        at = steps + rng.below(4 * tasks.size() * static_cast<std::size_t>(nworkers) + 20);
        failover();
        continue;
      }
      if (end) break;
      step();
      if (steps % 16 == 0) check_held_bytes();
    }
  }
  // The scheduler's running sum of each worker's held bytes equals the sum over what it holds.
  void check_held_bytes() {
    for (int w = 1; w <= nworkers; ++w) {
      std::uint64_t sum = 0;
      for (int t : s->held_by(w)) sum += s->tasks()[static_cast<std::size_t>(t)].bytes();
      if (sum != s->held_bytes(w)) held_sum_broken = true;
    }
  }
  bool held_sum_broken = false;
  std::string check();
  std::string check_log();

  SplitMix64 rng;
  const bool calm;  // no crash, no pause, generous timeouts: the runs where steals and copies pay
  const int nfiles;
  const std::vector<FileInfo> files;
  const std::vector<Task> tasks;
  const int nworkers;
  const double timeout;
  const Config cfg;
  const std::vector<int> resumed;  // files done by a checkpoint before the run
  std::vector<int> promoted;       // workers that became the master (no longer workers; before s)
  FakeClock clk;
  std::unique_ptr<Scheduler> s;  // the current master's
  std::vector<W> ws;
  std::vector<std::int64_t> bad_at;  // per file: the offset no worker can read, or -1
  std::map<int, int> applied;        // task -> applications by the current master's lineage
  std::vector<LogEntry> log;         // everything the current master logged (replayed entries first)
  int failovers_done = 0;
  std::string broken;                // an invariant broken during a failover
  bool used_master = false;
  Stats* stats;
};

// One message from the worker's inbox, as src/mpi/worker.cc must handle it.
inline void Interleaving::take(int w, const Msg& g) {
  auto& m = ws[static_cast<std::size_t>(w)];
  const auto find = [&](int t) {
    for (auto it = m.dq.begin(); it != m.dq.end(); ++it)
      if (it->task == t) return it;
    return m.dq.end();
  };
  if (g.reply) --m.outstanding;
  if (g.reply && g.kind == R::Stop) {
    m.stopped = true;
  } else if (g.kind == (g.reply ? static_cast<int>(R::Assign) : static_cast<int>(Ord::Assign))) {
    const Task& t = s->tasks()[static_cast<std::size_t>(g.task)];
    m.dq.push_back({g.task, t.file, t.range});
  } else if (!g.reply && g.kind == Ord::Cancel) {
    auto it = find(g.task);
    if (it != m.dq.end()) m.dq.erase(it);  // queued or running: dropped, counts never sent
  } else if (!g.reply && g.kind == Ord::Release) {
    auto it = find(g.task);
    const bool ok = it != m.dq.end() && !it->started;
    if (ok) m.dq.erase(it);
    s->on_release_reply(w, g.task, ok, clk.now());
    ok ? ++stats->steals : ++stats->refused;
    deliver_orders();
  }
  if (m.dq.empty() && m.outstanding == 0 && !m.stopped) m.want_request = true;
}

// The worker's own progress: start the front task (only with an empty inbox), heartbeat, finish.
inline void Interleaving::work(int w) {
  auto& m = ws[static_cast<std::size_t>(w)];
  if (m.need_rejoin) {  // it knows of the new master: rejoin now, or go on with its deque offline
    if (rng.below(3) == 0) return rejoin(w);
    if (m.dq.empty()) return;
    if (!m.dq.front().started) {
      m.dq.front().started = true;
    } else {
      m.kept.push_back(compute(m.dq.front().task, m.dq.front().file, m.dq.front().range));
      m.dq.pop_front();
    }
    return;
  }
  if (m.dq.empty()) {
    if (m.want_request && m.outstanding == 0) {
      m.want_request = false;
      ++m.outstanding;
      send_reply(w, s->on_request(w, clk.now()));
    }
    return;
  }
  Held& h = m.dq.front();
  if (!h.started) {  // the first heartbeat says when it started
    h.started = true;
    s->on_heartbeat(w, h.task, 0, clk.now(), clk.now());
    return;
  }
  if (rng.below(3) == 0) {
    s->on_heartbeat(w, h.task, rng.below(h.range.length + 1), clk.now());
    return;
  }
  const Held done = h;
  m.dq.pop_front();
  ++m.outstanding;
  m.kept.push_back(compute(done.task, done.file, done.range));
  O o = deliver(w, m.kept.back());
  outcome(o, done.task);
  send_reply(w, o.next);
}

// One random event of one random worker, then the master's tick (and its own work if no worker is left).
inline void Interleaving::step() {
  clk.advance(rng.below(20) == 0 && !calm ? timeout * 1.5 * rng.uniform() : 0.3 * rng.uniform());
  const int w = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(nworkers)));
  auto& m = ws[static_cast<std::size_t>(w)];
  const auto dice = rng.below(100);
  if (m.stopped || m.mode == Dead || rng.below(static_cast<std::uint64_t>(m.slowness)) != 0) {
    // nothing
  } else if (m.mode == Paused) {
    if (clk.now() >= m.resume_at) m.mode = Alive;
  } else if (dice < 2 && !calm) {
    m.mode = Dead;
    m.inbox.clear();
  } else if (dice < 5 && !calm) {
    m.mode = Paused;
    m.resume_at = clk.now() + timeout * 3 * rng.uniform();
  } else if (!m.inbox.empty() && (dice < 50 || (dice < 75 && !m.dq.empty() && !m.dq.front().started))) {
    // (mostly the inbox is read before a task starts, as the protocol asks; sometimes a message
    // arrives just after the start: a RELEASE of the started task must then be refused)
    const Msg g = m.inbox.front();
    m.inbox.pop_front();
    take(w, g);
  } else {
    work(w);
  }
  // Like the real worker: never silent for longer than a heartbeat interval while it runs.
  if (m.mode == Alive && !m.stopped && !m.need_rejoin && clk.now() - m.last_sent > 0.3) {
    s->on_heartbeat(w, m.dq.empty() ? -1 : m.dq.front().task, 0, clk.now());
    m.last_sent = clk.now();
  }
  for (const auto& f : s->tick(clk.now())) (void)f;
  deliver_orders();
  if (!s->any_worker_usable() && !s->all_done()) {
    int t = s->take_for_master(clk.now());
    if (t >= 0) {
      used_master = true;
      O o = deliver(0, compute(t, tasks_file(t), s->tasks()[static_cast<std::size_t>(t)].range));
      outcome(o, t);
      deliver_orders();
    }
  }
}

// "" if every invariant holds, else the first one broken.
inline std::string Interleaving::check() {
  if (!broken.empty()) return broken;
  if (!s->all_done() || !s->workers_settled()) return "run did not end";
  if (held_sum_broken) return "a worker's held_bytes differed from the bytes of the tasks it held";
  // Late messages after the end are harmless: every live worker delivers what it still holds.
  for (int w = 1; w <= nworkers; ++w)
    for (const auto& h : ws[static_cast<std::size_t>(w)].dq) {
      if (ws[static_cast<std::size_t>(w)].mode == Dead || ws[static_cast<std::size_t>(w)].need_rejoin) break;
      auto o = s->on_result(w, h.task, range_counts(h.file, h.range.offset, h.range.length), clk.now() + 100, -1,
                            file_format(h.file), TaskRange{h.file, h.range.offset, h.range.length});
      const bool ok = o.kind == O::Duplicate || (o.kind == O::Rejected && s->rejoined(w));
      if (!ok || o.next.kind != R::Stop) return "a late result after the end was not a duplicate";
    }
  Counts want;
  std::vector<int> want_failed;
  for (int f = 0; f < nfiles; ++f) {
    const Counts whole = range_counts(f, 0, files[static_cast<std::size_t>(f)].size);
    if (bad_at[static_cast<std::size_t>(f)] >= 0) {
      want_failed.push_back(f);
      continue;
    }
    want += whole;
    if (!is_resumed(f) && !(s->file_counts(f) == whole)) return "file " + std::to_string(f) + " counts differ from its content";
  }
  for (const auto& t : s->tasks())
    if (applied[t.id] != (is_resumed(t.file) ? 0 : 1)) return "task " + std::to_string(t.id) + " applied " + std::to_string(applied[t.id]) + " times";
  if (!(s->totals() == want)) return "totals differ from the sum of the files";
  if (s->failed_files() != want_failed) return "failed files differ";
  if (static_cast<int>(s->processed_files().size() + want_failed.size()) != nfiles) return "processed files missing";
  if (!s->pending_tasks().empty()) return "tasks still pending";
  if (std::string e = check_log(); !e.empty()) return e;
  const auto& st = s->stats();
  if (!s->failed_workers().empty()) ++stats->with_failures;
  if (used_master) ++stats->with_master;
  if (!want_failed.empty()) ++stats->with_errors;
  if (st.false_suspicions > 0) ++stats->with_false;
  stats->copies += st.speculative_started;
  stats->won += st.speculative_won;
  stats->lost += st.speculative_lost;
  stats->splits += st.tasks_split;
  stats->attempted += st.steals_attempted;
  stats->foreign += st.foreign_results;
  stats->failovers += failovers_done;
  stats->runs_failover += failovers_done > 0;
  stats->runs_two += failovers_done > 1;
  return "";
}

}  // namespace dla::interleaving
