#include "ckpt/checkpoint_driver.h"
#include "base/test_util.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

#include "scan/scanner.h"

namespace dla {
namespace {

using Scratch = test::TempDir;  // a scratch directory removed at scope exit

// n log files of different sizes; the expected counts come from an independent count here
// (one level token per line, written by this test).
struct Logs {
  Scratch dir;
  std::vector<FileInfo> files;
  std::vector<Counts> truth;
  explicit Logs(int n, unsigned seed = 1) {
    std::mt19937 rng(seed);
    const char* lv[] = {"DEBUG", "ERROR", "INFO", "WARN"};
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "node%03d.log", i);
      std::ofstream o(dir.path + "/" + name);
      Counts c;
      int lines = 5 + static_cast<int>(rng() % 40);
      for (int k = 0; k < lines; ++k) {
        int l = static_cast<int>(rng() % 5);
        if (l == 4) {
          o << "2026-11-24 plain line " << k << "\n";
        } else {
          o << "[2026-11-24T09:00:00] [" << lv[l] << "] message " << k << "\n";
          ++c[static_cast<Level>(l)];
        }
        ++c.lines;
      }
      truth.push_back(c);
    }
    auto f = discover_logs(dir.path);
    REQUIRE(f.ok());
    files = *f;
  }
  Counts total(const std::vector<std::string>& names) const {
    Counts c;
    for (const auto& n : names)
      for (std::size_t i = 0; i < files.size(); ++i)
        if (files[i].name == n) c += truth[i];
    return c;
  }
  Counts all() const {
    Counts c;
    for (const auto& t : truth) c += t;
    return c;
  }
};

std::string ts() { return "2026-11-24T10:00:00"; }

// One simulated run: workers ask, finish tasks in random order; optionally "crashes" (stops dead)
// after `crash_after` results. Returns whether it completed. Checks invariants at every step.
struct Run {
  Run(Logs& l, CheckpointConfig c, std::uint64_t sp, unsigned sd) : logs(l), cfg(std::move(c)), split(sp), seed(sd) {}
  Logs& logs;
  CheckpointConfig cfg;
  std::uint64_t split;
  unsigned seed;
  int files_processed_here = 0;  // files completed in this run
  int resumed_with = 0;
  Counts final_visible{};
  int saved = 0, commits = 0;

  bool go(int crash_after, bool interrupt = false) {
    CheckpointDriver d(cfg, logs.dir.path, logs.files);
    DriverOutput o;
    REQUIRE(d.start(&o).ok());
    resumed_with = d.already_processed();
    auto tasks = make_tasks(logs.files, split);
    SchedulerOptions so;
    so.timeout = 1e9;
    so.files_done = d.files_done();
    so.base_counts = d.base_counts();
    const int workers = 3;
    Scheduler s(tasks, static_cast<int>(logs.files.size()), {1, 2, 3}, d.wrap_policy(make_policy("dynamic")), so, 0);
    d.attach(&s);
    std::mt19937 rng(seed);
    std::vector<int> holding(workers + 1, -1);
    double now = 0;
    int results = 0;
    Counts last_visible = d.visible();
    int commits_before = d.commits();
    std::set<int> committed_seen;
    for (int step = 0; step < 100000 && !s.all_done(); ++step) {
      now += 0.01;
      int w = 1 + static_cast<int>(rng() % workers);
      if (holding[w] < 0) {
        auto r = s.on_request(w, now);
        if (r.kind == Scheduler::Reply::Assign) holding[w] = r.task;
      } else {
        if (results == crash_after) return false;  // the whole job dies here: nothing more is saved
        const Task& t = tasks[static_cast<std::size_t>(holding[w])];
        auto c = scan_file(logs.files[static_cast<std::size_t>(t.file)].path, t.range);
        REQUIRE(c.ok());
        auto out = s.on_result(w, t.id, *c, now);
        ++results;
        if (out.file_completed >= 0) ++files_processed_here;
        holding[w] = out.next.kind == Scheduler::Reply::Assign ? out.next.task : -1;
      }
      REQUIRE(d.poll(now, ts, &o).ok());
      if (cfg.consistency == Consistency::Strong) {
        // Barrier: every file with a task handed out is in the open batch (or committed).
        for (std::size_t i = 0; i < tasks.size(); ++i)
          if (s.task_state(static_cast<int>(i)) == Scheduler::TaskState::Assigned) {
            const auto& open = static_cast<const BatchGate&>(s.policy()).open_batch();
            CHECK(std::find(open.begin(), open.end(), tasks[i].file) != open.end());
          }
        // Visible counts change only at commits (this very step made one, not some earlier step)
        // and are then the exact sum over the committed files (independent truth).
        if (d.visible() != last_visible) {
          CHECK(d.commits() > commits_before);
          const auto snap = d.snapshot(ts());
          CHECK(d.visible() == logs.total(snap.processed_names()));
        }
        last_visible = d.visible();
        commits_before = d.commits();
      }
      if (interrupt && results == 7) {
        REQUIRE(d.finish(now, ts, true, &o).ok());
        saved = d.saved();
        return false;
      }
    }
    REQUIRE(s.all_done());
    REQUIRE(d.finish(now, ts, false, &o).ok());
    final_visible = d.visible();
    CHECK(final_visible == s.totals());
    saved = d.saved();
    commits = d.commits();
    return true;
  }
};

// The newest checkpoint on disk must be internally consistent and its counts must be the true sum
// over its processed files (independent truth). `must_exist`: the caller knows one was written
// (a missing checkpoint then fails instead of passing without checking anything). Returns whether
// one was found.
bool check_latest(const Logs& logs, const std::string& root, bool must_exist) {
  CheckpointStore st({root, 3, false});
  auto l = st.load_latest();
  if (must_exist) REQUIRE(l.found);
  CHECK(l.skipped.empty());
  if (!l.found) return false;
  CHECK(l.state.counts == logs.total(l.state.processed_names()));
  CHECK(l.state.processed.size() + l.state.pending_files.size() == logs.files.size());
  return true;
}

}  // namespace

TEST_CASE("driver: eventual checkpoints every N files; crash and resume gives exact counts", "[checkpoint][driver]") {
  const std::uint64_t split = GENERATE(0, 300);
  Logs logs(23, 7);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 4;
  for (unsigned trial = 0; trial < 6; ++trial) {
    INFO("trial " << trial << " split " << split);
    remove_tree(*Env::posix(), cfg.dir);
    int crashes = 0;
    bool done = false;
    int redone_total = 0;
    bool have_ckpt = false;
    for (int run = 0; run < 20 && !done; ++run) {
      Run r{logs, cfg, split, trial * 100 + static_cast<unsigned>(run) + Catch::rngSeed()};
      done = r.go(run < 3 ? 5 + static_cast<int>((trial * 7 + static_cast<unsigned>(run) * 3) % 11) : -1);
      // (synchronous saves: `every` files completed in this run means one is on disk)
      have_ckpt = check_latest(logs, cfg.dir, done || have_ckpt || r.files_processed_here >= cfg.every);
      if (!done) {
        ++crashes;
        // Loss bound: at most every-1 completed files are not in the newest checkpoint.
        CheckpointStore st({cfg.dir, 3, false});
        auto l = st.load_latest();
        int in_ckpt = l.found ? static_cast<int>(l.state.processed.size()) : 0;
        int lost = r.resumed_with + r.files_processed_here - in_ckpt;
        CHECK(lost >= 0);
        CHECK(lost < cfg.every);
        redone_total += lost;
      } else {
        CHECK(r.final_visible == logs.all());
      }
    }
    REQUIRE(done);
    CHECK(crashes >= 1);  // (a later crash point may lie beyond the files left)
    // The final checkpoint holds everything.
    CheckpointStore st({cfg.dir, 3, false});
    auto l = st.load_latest();
    REQUIRE(l.found);
    CHECK(l.state.pending_files.empty());
    CHECK(l.state.counts == logs.all());
  }
}

TEST_CASE("driver: asynchronous eventual checkpoints stay valid and resume exactly", "[checkpoint][driver]") {
  Logs logs(40, 13);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 2;
  cfg.async = true;
  for (unsigned trial = 0; trial < 4; ++trial) {
    remove_tree(*Env::posix(), cfg.dir);
    bool done = false, have_ckpt = false;
    for (int run = 0; run < 20 && !done; ++run) {
      Run r{logs, cfg, trial % 2 ? 300u : 0u, trial * 17 + static_cast<unsigned>(run) + Catch::rngSeed()};
      done = r.go(run < 2 ? 9 + static_cast<int>(trial) * 3 : -1);
      // (a crash may drop a save still queued for the writer; finish() drains it)
      have_ckpt = check_latest(logs, cfg.dir, done || have_ckpt);
      if (done) {
        CHECK(r.final_visible == logs.all());
        CheckpointStore st({cfg.dir, 3, false});
        auto l = st.load_latest();
        REQUIRE(l.found);
        CHECK(l.state.pending_files.empty());  // finish() drained the writer and wrote the end
      }
    }
    REQUIRE(done);
  }
}

TEST_CASE("driver: the writer's budget is paced on the master's clock, not the wall", "[checkpoint][driver]") {
  // Times are whatever the master passes in (here: made up), so pacing is testable and would
  // follow simulated time too. A save handed over at t=1 and seen done at t=3 took 2 s; with a
  // budget of 0.5 the next may start at 3 + 2 * (1/0.5 - 1) = 5, however fast the disk was.
  Logs logs(6, 5);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 1;
  cfg.async = true;
  cfg.budget = 0.5;
  CheckpointDriver d(cfg, logs.dir.path, logs.files);
  DriverOutput o;
  REQUIRE(d.start(&o).ok());
  auto tasks = make_tasks(logs.files, 0);
  SchedulerOptions so;
  so.timeout = 1e9;
  Scheduler s(tasks, static_cast<int>(logs.files.size()), {1}, d.wrap_policy(make_policy("dynamic")), so, 0);
  d.attach(&s);
  auto complete_one = [&](double now) {
    auto r = s.on_request(1, now);
    REQUIRE(r.kind == Scheduler::Reply::Assign);
    auto c = scan_file(logs.files[static_cast<std::size_t>(tasks[static_cast<std::size_t>(r.task)].file)].path);
    REQUIRE(c.ok());
    s.on_result(1, r.task, *c, now);
  };
  auto wait_saved = [&](int n) {
    for (int i = 0; i < 5000 && d.saved() < n; ++i) ::usleep(1000);
    REQUIRE(d.saved() == n);
  };
  REQUIRE(d.poll(0, ts, &o).ok());
  complete_one(1.0);
  REQUIRE(d.poll(1.0, ts, &o).ok());  // due and the writer is idle: handed over at t=1
  wait_saved(1);
  complete_one(2.0);
  REQUIRE(d.poll(3.0, ts, &o).ok());  // sees the save done: took 2 s, next not before t=5
  REQUIRE(d.poll(4.99, ts, &o).ok());
  ::usleep(20000);
  CHECK(d.saved() == 1);
  REQUIRE(d.poll(5.0, ts, &o).ok());  // the pause is over: the newest state goes out
  wait_saved(2);
  CheckpointStore st({cfg.dir, 3, false});
  auto l = st.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.processed_names().size() == 2);
  REQUIRE(d.finish(6.0, ts, false, &o).ok());
}

TEST_CASE("driver: strong commits whole batches behind a barrier; crash loses at most the open batch", "[checkpoint][driver]") {
  const std::uint64_t split = GENERATE(0, 300);
  Logs logs(17, 3);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 5;
  cfg.consistency = Consistency::Strong;
  for (unsigned trial = 0; trial < 5; ++trial) {
    remove_tree(*Env::posix(), cfg.dir);
    bool done = false, have_ckpt = false;
    for (int run = 0; run < 20 && !done; ++run) {
      Run r{logs, cfg, split, trial * 31 + static_cast<unsigned>(run) + Catch::rngSeed()};
      done = r.go(run < 2 ? 6 + static_cast<int>(trial) : -1);
      // (a batch of `every` files completed in this run was committed, and written, at once)
      have_ckpt = check_latest(logs, cfg.dir, done || have_ckpt || r.files_processed_here >= cfg.every);
      CheckpointStore st({cfg.dir, 3, false});
      auto l = st.load_latest();
      if (l.found && !l.state.pending_files.empty()) {
        // A strong checkpoint is a whole number of batches (counted from the resumed point).
        CHECK((static_cast<int>(l.state.processed.size()) - r.resumed_with) % cfg.every == 0);
      }
      if (done) {
        CHECK(r.final_visible == logs.all());
        CHECK(r.commits >= (17 - r.resumed_with) / cfg.every);
      }
    }
    REQUIRE(done);
  }
}

TEST_CASE("driver: SIGINT-style finish saves every complete file (eventual)", "[checkpoint][driver]") {
  Logs logs(12, 5);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 100;  // no periodic checkpoint: only the interrupt one
  Run r{logs, cfg, 0, 9};
  CHECK_FALSE(r.go(-1, /*interrupt=*/true));
  CHECK(r.saved == 1);
  CheckpointStore st({cfg.dir, 3, false});
  auto l = st.load_latest();
  REQUIRE(l.found);
  CHECK(static_cast<int>(l.state.processed.size()) == r.files_processed_here);
  CHECK(l.state.counts == logs.total(l.state.processed_names()));
  // Resume: the rest only.
  Run again{logs, cfg, 0, 10};
  REQUIRE(again.go(-1));
  CHECK(again.resumed_with == r.files_processed_here);
  CHECK(again.files_processed_here == 12 - r.files_processed_here);
  CHECK(again.final_visible == logs.all());
}

TEST_CASE("driver: checkpoint interval, fresh, disabled", "[checkpoint][driver]") {
  Logs logs(6, 11);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 1000;
  SECTION("interval triggers a save only when something new completed") {
    cfg.interval = 0.05;
    Run r{logs, cfg, 0, 1};
    REQUIRE(r.go(-1));
    CHECK(r.saved >= 2);
  }
  SECTION("--no-checkpoint writes nothing and loads nothing") {
    cfg.enabled = false;
    Run r{logs, cfg, 0, 1};
    REQUIRE(r.go(-1));
    CHECK(r.saved == 0);
    CHECK(::access(cfg.dir.c_str(), F_OK) != 0);
  }
  SECTION("--fresh removes old checkpoints and starts over") {
    Run a{logs, cfg, 0, 1};
    REQUIRE(a.go(-1));
    cfg.fresh = true;
    CheckpointDriver d(cfg, logs.dir.path, logs.files);
    DriverOutput o;
    REQUIRE(d.start(&o).ok());
    CHECK(d.already_processed() == 0);
    REQUIRE(o.out.size() == 1);
    CHECK(o.out[0].find("Starting fresh") == 0);
  }
  SECTION("a directory locked by a concurrent run: warning, no checkpoints") {
    CheckpointStore holder({cfg.dir, 3, false});
    REQUIRE(holder.open().ok());
    Run a{logs, cfg, 0, 1};
    REQUIRE(a.go(-1));
    CHECK(a.saved == 0);
    CHECK(a.final_visible == logs.all());
  }
}

TEST_CASE("driver: resume: changed input, other input, completed run", "[checkpoint][driver]") {
  Logs logs(6, 11);
  Scratch ck;
  CheckpointConfig cfg;
  cfg.dir = ck.path + "/c";
  cfg.every = 1000;
  SECTION("resume prints the assignment's lines; a changed file is processed again") {
    cfg.every = 1;
    Run a{logs, cfg, 0, 1};
    REQUIRE_FALSE(a.go(5));  // crash after 5 results: the newest checkpoint holds 5 files
    CheckpointStore peek({cfg.dir, 3, false});
    auto l = peek.load_latest();
    REQUIRE(l.found);
    REQUIRE(l.state.processed.size() == 5);
    const std::string victim = l.state.processed[1].name;
    std::size_t vi = 0;
    while (logs.files[vi].name != victim) ++vi;
    {
      std::ofstream app(logs.files[vi].path, std::ios::app);
      app << "[x] [ERROR] appended\n";
    }
    ++logs.truth[vi][Level::Error];
    ++logs.truth[vi].lines;
    auto now_files = discover_logs(logs.dir.path);
    REQUIRE(now_files.ok());
    logs.files = *now_files;
    {  // (the driver holds the directory's lock until it is destroyed)
      CheckpointDriver d(cfg, logs.dir.path, logs.files);
      DriverOutput o;
      REQUIRE(d.start(&o).ok());
      REQUIRE(o.out.size() >= 2);
      CHECK(o.out.front() == "Loading checkpoint from previous run...");
      CHECK(o.out.back() == "Resuming from checkpoint: 4 files already processed");
      REQUIRE(o.err.size() == 1);
      CHECK(o.err[0].find(victim + " changed") != std::string::npos);
      CHECK(d.remaining() == 2);
    }
    Run b{logs, cfg, 0, 2};
    REQUIRE(b.go(-1));
    CHECK(b.files_processed_here == 2);
    CHECK(b.final_visible == logs.all());
  }
  SECTION("a checkpoint of another input directory is not used") {
    cfg.every = 1;
    Run a{logs, cfg, 0, 1};
    REQUIRE_FALSE(a.go(3));
    Logs other(6, 11);
    CheckpointDriver d(cfg, other.dir.path, other.files);
    DriverOutput o;
    REQUIRE(d.start(&o).ok());
    CHECK(d.already_processed() == 0);
    REQUIRE(o.err.size() == 1);
    CHECK(o.err[0].find("made for input") != std::string::npos);
  }
  SECTION("a completed run's final checkpoint starts a new analysis") {
    Run a{logs, cfg, 0, 1};
    REQUIRE(a.go(-1));
    CheckpointDriver d(cfg, logs.dir.path, logs.files);
    DriverOutput o;
    REQUIRE(d.start(&o).ok());
    CHECK(d.already_processed() == 0);
    CHECK_FALSE(d.resumed());
    REQUIRE(o.out.size() == 2);
    CHECK(o.out[1].find("Previous run completed") == 0);
  }
}

}  // namespace dla
