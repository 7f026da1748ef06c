// The follow master: see follow.h.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "base/names.h"
#include "ckpt/checkpoint.h"
#include "mpi/console.h"
#include "mpi/follow.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "obs/report.h"
#include "scan/formats.h"
#include "scan/growth.h"
#include "stream/follow_wire.h"
#include "stream/stream_checkpoint.h"

namespace dla::mpi {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_follow_signal(int sig) { g_stop_signal = sig; }

using stream::Order;
using stream::Report;
using stream::StreamTable;

class FollowMaster {
 public:
  FollowMaster(const Session& s, const FollowOptions& opt) : size_(s.size()), opt_(opt), table_(std::max(2.0, 2 * opt.scan_interval)) {}

  // Bad input or an unusable checkpoint: an error line and RESULT ERROR, exit 1.
  Status start();
  int run();

 private:
  double now() { return wtime() - t0_; }
  void receive();
  void on_reports(int w, const std::string& text);
  void detect_failures();
  void scan();
  void grow();
  void dispatch();
  void live_line(bool force);
  void save_checkpoint(bool force);
  void finish();
  std::vector<int> live() const;
  std::string timestamp();
  double wall();

  int size_;
  FollowOptions opt_;
  StreamTable table_;
  Outbox out_;
  std::unique_ptr<CheckpointStore> store_;
  std::string abs_dir_;
  double t0_ = 0, next_scan_ = 0, next_report_ = 0, next_ckpt_ = 0, next_keepalive_ = 0;
  double last_report_t_ = 0;
  Counts last_report_counts_;
  std::map<int, double> heard_;  // live workers: when last heard from
  std::map<int, long> pid_;
  std::set<int> failed_, done_;
  std::map<int, double> vanished_;  // SMPI: when a worker's actor was first seen gone
  std::set<std::string> warned_;
  int saves_ = 0;
  std::string load_note_;
  std::vector<GrowthStep> growth_;  // --sim-growth (SMPI): the script, carried out in order
  std::size_t grown_ = 0;           // steps done
};

std::vector<int> FollowMaster::live() const {
  std::vector<int> v;
  for (const auto& [w, t] : heard_) v.push_back(w);
  return v;
}

// Seconds since the Unix epoch: wall clock on real MPI; 2026-01-01 + simulated time under SMPI.
double FollowMaster::wall() {
  if (sim::simulated()) return 1767225600.0 + wtime();
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string FollowMaster::timestamp() { return iso8601_utc(wall()); }

Status FollowMaster::start() {
  if (!is_dir(*Env::posix(), opt_.dir)) return Error{"not a directory: " + opt_.dir};
  if (auto f = parse_format_spec(opt_.format); !f) return f.err();
  auto abs = absolute_path(opt_.dir);
  if (!abs) return abs.err();
  abs_dir_ = *abs;
  if (!opt_.sim_growth.empty()) {
    auto text = read_file(*Env::posix(), opt_.sim_growth);
    if (!text) return Error{"--sim-growth: " + text.error()};
    auto g = parse_growth_text(*text);
    if (!g) return Error{opt_.sim_growth + ": " + g.error()};
    growth_ = std::move(*g);
  }
  if (!opt_.checkpoint) return OkStatus();
  CheckpointOptions co;
  co.root = opt_.checkpoint_dir;
  co.keep = opt_.keep;
  store_ = std::make_unique<CheckpointStore>(co);
  if (auto st = store_->open(); !st) return st;
  if (opt_.fresh) {
    if (auto c = store_->clear(); !c) return c.err();
  }
  auto l = store_->load_latest();
  if (!l.found) return OkStatus();
  if (!l.state.input_dir.empty() && l.state.input_dir != abs_dir_)
    return Error{"the newest checkpoint in " + opt_.checkpoint_dir + " is of " + l.state.input_dir + ", not " + abs_dir_ +
                 " (use --fresh or another --checkpoint-dir)"};
  auto t = stream::table_from_checkpoint(l.state, std::max(2.0, 2 * opt_.scan_interval));
  if (!t) return Error{t.error() + " in " + l.dir + " (use --fresh or another --checkpoint-dir)"};
  table_ = std::move(*t);
  load_note_ = "resumed from " + l.dir + ": " + std::to_string(table_.totals().lines) + " lines, " +
               std::to_string(table_.streams().size()) + " files at their committed offsets";
  return OkStatus();
}

void FollowMaster::receive() {
  out_.progress();
  Incoming m;
  while (try_recv(MPI_ANY_SOURCE, &m)) {
    const int w = m.source;
    if (failed_.count(w)) {  // a worker declared failed: whatever it says is dropped
      m = Incoming{};
      continue;
    }
    heard_[w] = now();
    if (m.tag == wire::kHello) {
      std::istringstream in(m.text);
      long pid = 0;
      std::string host;
      in >> pid >> host;
      pid_[w] = pid;
      if (!opt_.json) say("[Follow] worker " + std::to_string(w) + " ready (pid " + std::to_string(pid) + ", host " + host + ")");
    } else if (m.tag == wire::kResult) {
      on_reports(w, m.text);
    }
    m = Incoming{};
  }
}

void FollowMaster::on_reports(int w, const std::string& text) {
  auto reports = stream::decode_reports(text);
  if (!reports) {
    std::fprintf(stderr, "warning: worker %d: %s\n", w, reports.error().c_str());
    return;
  }
  for (const auto& r : *reports) {
    switch (r.kind) {
      case Report::kDelta: table_.on_delta(w, r.key, r.epoch, r.from, r.to, r.counts, r.fp, r.format); break;
      case Report::kTruncated: table_.on_truncated(w, r.key, r.epoch, r.end); break;
      case Report::kEnded: table_.on_ended(w, r.key, r.epoch, r.lost); break;
      case Report::kDone: done_.insert(w); break;
    }
  }
}

void FollowMaster::detect_failures() {
  std::vector<int> gone = take_peer_errors();
  const double t = now();
  // done: left after STOP. A vanished actor (SMPI) may have sent its last report just before it
  // ended, still in flight: it is failed only if nothing came within kVanishGrace.
  constexpr double kVanishGrace = 0.05;
  for (const auto& [w, when] : heard_) {
    if (done_.count(w)) continue;
    bool vanished = false;
    if (!sim::peer_alive(w)) vanished = t - vanished_.emplace(w, t).first->second > kVanishGrace;
    if (t - when > opt_.timeout || vanished) gone.push_back(w);
  }
  for (int w : gone) {
    const auto it = heard_.find(w);
    if (it == heard_.end()) continue;
    const double silent = t - it->second;
    heard_.erase(it);
    failed_.insert(w);
    const bool killed = pid_.count(w) && sim::kill_rank(w, pid_[w], true);
    std::fprintf(stderr, "[Follow] worker %d failed (silent %.1fs)%s: its files resume from their committed offsets\n", w,
                 silent, killed ? ", killed" : "");
    if (!opt_.json) say("[Follow] worker " + std::to_string(w) + " declared failed; its files move to the others");
  }
}

void FollowMaster::scan() {
  auto l = stream::list_followed(*Env::posix(), opt_.dir, opt_.pattern);
  if (!l) {
    std::fprintf(stderr, "warning: %s\n", l.error().c_str());
    return;
  }
  table_.observe(*l, now());
  // A possible copy (its head agrees with a followed file's) waits, at most the table's copy_wait,
  // for its original's truncation; say once that it does.
  for (const auto& n : table_.waiting_copies())
    if (warned_.insert(n).second && !opt_.json)
      std::fprintf(stderr, "[Follow] %s starts like a followed file: read once it differs, or once no truncation made it "
                   "a copy (copytruncate)\n", escape_name(n).c_str());
}

// --sim-growth (SMPI only): the steps whose simulated time has come, in order. A step that fails
// (a scenario error: a file missing, a name taken) is said on stderr and the run goes on; the
// scenario's totals then differ and its check says so.
void FollowMaster::grow() {
  for (; grown_ < growth_.size() && growth_[grown_].at <= now(); ++grown_) {
    const GrowthStep& g = growth_[grown_];
    char head[64];
    std::snprintf(head, sizeof head, "[Growth] t=%.3fs ", now());
    std::string what;
    if (g.kind == GrowthStep::kCrash) {
      const bool killed = sim::kill_rank(g.rank, 0, false);
      what = "worker " + std::to_string(g.rank) + (killed ? " killed" : " not killed (gone already)");
    } else {
      auto st = apply_growth_step(*Env::posix(), opt_.dir, g, grown_, opt_.sim_growth_seed);
      if (!st) std::fprintf(stderr, "warning: growth step %zu: %s\n", grown_, st.error().c_str());
      what = growth_step_words(g) + (st ? "" : " FAILED");
    }
    if (!opt_.json) say(head + what);
  }
}

void FollowMaster::dispatch() {
  table_.set_workers(live());
  std::map<int, std::vector<Order>> per;
  for (auto& o : table_.take_orders()) per[o.worker].push_back(std::move(o));
  for (auto& [w, orders] : per) out_.send_text(w, wire::kAssign, stream::encode_orders(orders));
  if (now() >= next_keepalive_) {
    for (int w : live()) out_.send(w, wire::kWait, {0});
    next_keepalive_ = now() + std::min(1.0, opt_.master_timeout / 4);
  }
}

// One line of totals and per-level rates since the previous line (NDJSON with --json).
void FollowMaster::live_line(bool force) {
  const double t = now();
  if (!force && t < next_report_) return;
  next_report_ = t + opt_.report_interval;
  const Counts c = table_.totals();
  const double dt = std::max(1e-9, t - last_report_t_);
  auto rate = [&](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a - std::min(a, b)) / dt; };
  if (opt_.json) {
    nlohmann::json j = {{"event", "follow"}, {"t", t}, {"wall", wall()}, {"files", table_.streams().size()}, {"lines", c.lines},
                        {"counts", counts_json(c)}, {"workers", heard_.size()}, {"lost_tails", table_.lost()}};
    nlohmann::json r = {{"lines", rate(c.lines, last_report_counts_.lines)}};
    for (const auto& n : report_levels(c)) r[n] = rate(c.get(n), last_report_counts_.get(n));
    j["rates"] = r;
    say(j.dump());
  } else {
    char head[96];
    std::snprintf(head, sizeof head, "[Follow] t=%.1fs files=%zu workers=%zu lines=%llu (%.0f/s)", t, table_.streams().size(),
                  heard_.size(), static_cast<unsigned long long>(c.lines), rate(c.lines, last_report_counts_.lines));
    std::string line = head;
    for (const auto& n : report_levels(c)) {
      char b[96];
      std::snprintf(b, sizeof b, " %s=%llu (%.0f/s)", n.c_str(), static_cast<unsigned long long>(c.get(n)),
                    rate(c.get(n), last_report_counts_.get(n)));
      line += b;
    }
    say(line);
  }
  last_report_t_ = t;
  last_report_counts_ = c;
}

// The table, offsets and counts together, in one atomic save (ckpt/checkpoint.h).
void FollowMaster::save_checkpoint(bool force) {
  if (!store_ || (!force && (now() < next_ckpt_ || !table_.changed()))) return;
  next_ckpt_ = now() + opt_.checkpoint_interval;
  auto st = store_->save(stream::follow_checkpoint(table_, abs_dir_, timestamp(), opt_.format), opt_.dir);
  if (!st) {
    std::fprintf(stderr, "warning: checkpoint not saved: %s\n", st.error().c_str());
    return;
  }
  table_.clear_changed();
  ++saves_;
}

int FollowMaster::run() {
  t0_ = wtime();
  for (int w = 1; w < size_; ++w) heard_[w] = 0;
  if (!load_note_.empty() && !opt_.json) say("[Follow] " + load_note_);
  if (!opt_.json)
    say("[Follow] following " + escape_name(opt_.dir) + " (" + escape_name(opt_.pattern) + ") with " + std::to_string(size_ - 1) +
        " workers (master pid " + std::to_string(static_cast<long>(::getpid())) + ")");
  while (true) {
    grow();
    receive();
    detect_failures();
    if (now() >= next_scan_) {
      scan();
      next_scan_ = now() + opt_.scan_interval;
    }
    dispatch();
    live_line(false);
    save_checkpoint(false);
    if (g_stop_signal || (opt_.follow_for > 0 && now() >= opt_.follow_for)) break;
    sleep_seconds(std::min(0.01, opt_.poll));
  }
  finish();
  return 0;
}

// The end: a last listing, STOP, every live worker's final poll (at most --timeout), the last
// checkpoint, the totals and the RESULT line.
void FollowMaster::finish() {
  if (g_stop_signal && !opt_.json) say(std::string("[Follow] ") + (g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM") + ": finishing");
  scan();
  dispatch();
  for (int w : live()) out_.send(w, wire::kStop, {0});
  const double until = now() + opt_.timeout;
  while (now() < until) {
    receive();
    detect_failures();
    bool all = true;
    for (int w : live()) all &= done_.count(w) > 0;
    if (all) break;
    sleep_seconds(0.005);
  }
  save_checkpoint(true);
  live_line(true);
  const Counts c = table_.totals();
  ResultLine r;
  // INCOMPLETE: files nobody was reading at the end (no live worker), tails that could not be read,
  // or files still waiting to be told from a copy (see scan()): their lines were not read.
  const std::size_t copies = table_.waiting_copies().size();
  if (table_.unowned() > 0 || table_.lost() > 0 || copies > 0) r.verdict = "INCOMPLETE";
  r.counts = c;
  r.files_processed = r.files_total = static_cast<int>(table_.streams().size());
  r.failed_workers.assign(failed_.begin(), failed_.end());
  std::vector<std::pair<std::string, std::string>> footer = {
      {"Files followed", std::to_string(table_.streams().size())},
      {"Failed workers", std::to_string(failed_.size())},
      {"Checkpoints saved", std::to_string(saves_)},
      {"Ended files whose tail could not be read", std::to_string(table_.lost())},
      {"Stale reports dropped", std::to_string(table_.dropped())},
      {"Files not read (still possible copies)", std::to_string(copies)}};
  if (opt_.json) {
    nlohmann::json j = {{"event", "final"}, {"counts", counts_json(c)}, {"lines", c.lines}, {"files", table_.streams().size()},
                        {"failed_workers", r.failed_workers}, {"checkpoints", saves_}, {"lost_tails", table_.lost()}};
    say(j.dump());
  } else {
    say(format_results(c, footer));
  }
  say(format_result_line(r));
  out_.flush(std::min(1.0, opt_.timeout), 0.001);
  out_.abandon();
}

}  // namespace

int run_follow_master(const Session& s, const FollowOptions& opt) {
  FollowMaster m(s, opt);
  auto st = m.start();
  s.startup_done();
  if (!st) {
    std::fprintf(stderr, "error: %s\n", st.error().c_str());
    say("RESULT ERROR " + escape_name(st.error()));
    Outbox out;  // the workers are waiting for orders: let them go
    for (int w = 1; w < s.size(); ++w) out.send(w, wire::kStop, {0});
    out.flush(1.0, 0.001);
    out.abandon();
    return 1;
  }
  if (!sim::simulated()) {
    struct sigaction sa {};
    sa.sa_handler = on_follow_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  }
  return m.run();
}

int run_follow(const Session& s, const FollowOptions& opt) {
  return s.rank() == 0 ? run_follow_master(s, opt) : run_follow_worker(s, opt);
}

}  // namespace dla::mpi
