#include "mpi/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>

#include "base/names.h"
#include "mpi/analysis_reader.h"
#include "mpi/analysis_store.h"
#include "mpi/console.h"
#include "mpi/election.h"
#include "mpi/protocol.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "scan/gzip_file.h"
#include "scan/scanner.h"

namespace dla::mpi {
namespace {

// Thrown from the scan's progress callback when the running task was cancelled: the scan unwinds
// (scan_file holds nothing that needs more than its destructors) and the task is dropped.
struct TaskCancelled {};

bool policy_steals(const std::string& name) {
  auto p = make_policy(name);
  return p && p->traits().steal;
}

// The worker: a local queue of the tasks the master gave it (one batch, or more when the master
// prefetches), run in order; results are reported in batches, and a report sent when the queue is
// empty is also the request for more. Heartbeats while scanning.
class Worker {
 public:
  Worker(int rank, int size, const DistributedOptions& opt, proto::Plan plan, double t0, TakeoverInfo* won)
      : rank_(rank), opt_(opt), plan_(std::move(plan)), t0_(t0), listen_(opt.speculate || policy_steals(opt.policy)),
        watch_(rank, size, standby_count(opt, size), opt), won_(won) {
    if (watch_.enabled()) {
      watch_.start(t0);
      out_.set_term(1);
    }
    for (const auto& c : opt.crashes)
      if (c.rank == rank && (!crash_ || c.at < crash_->at)) crash_ = c;
    for (const auto& s : opt.slow)
      if (s.rank == rank) slow_ = s.factor;
    if (auto spec = parse_format_spec(plan_.format.empty() ? "auto" : plan_.format)) format_ = *spec;  // (checked by the app)
    if (!opt.store_root.empty()) {
      reader_ = std::make_unique<BlockReader>(rank, &out_, opt.store_root, opt.timeout);
      reader_->server().set_charge([this](std::uint64_t bytes) {  // (64 KiB chunks, as a scan's)
        for (std::uint64_t done = 0; done < bytes;) {
          const std::uint64_t n = std::min<std::uint64_t>(bytes - done, 64 * 1024);
          sim::charge_scan(n);
          done += n;
          keep_alive();
        }
      });
    }
  }

  int run() {
    out_.send_text(0, wire::kHello, std::to_string(pid()) + " " + sim::host_name());
    request();
    wait_ = opt_.wait_delay;
    while (!stop_) {
      if (!read_master()) break;
      if (stop_) break;
      if (!local_.empty()) {
        run_next();
        if (!results_.empty() && report_due()) report();
        continue;
      }
      if (!results_.empty()) {
        report();
        continue;
      }
      const double now = now_;  // (read_master's reading)
      if (outstanding_ > 0) nap(opt_.poll);  // waiting for the answer (read_master bounds the wait)
      else if (now >= ask_at_) request();
      // Told WAIT: nothing comes unasked unless the protocol has orders (steals, copies).
      else nap(listen_ || lingering_ || reader_ ? std::min(ask_at_ - now, opt_.poll) : ask_at_ - now);
    }
    out_.abandon();
    return 0;
  }

 private:
  static long pid() { return sim::simulated() ? 0L : static_cast<long>(::getpid()); }
  // The clock is read (MPI_Wtime) only by clock(), at a few points: the loop's read of the
  // master, each nap slice, each scan chunk; between them now_ is recent enough. Under SMPI every
  // MPI_Wtime is a call into the simulator (and advances simulated time by smpi/wtime): a worker
  // that read the clock ten times per task cost real seconds at 1024 ranks.
  double clock() { return now_ = wtime() - t0_; }

  // (failover: a master that cannot be reached may be replaced: the COORDINATOR or the
  // --master-timeout decides, and what was sent is kept for the REJOIN)
  void send(int tag, Payload p) {
    if (!out_.send(watch_.master(), tag, std::move(p)) && !watch_.enabled()) master_gone_ = true;
    last_sent_ = now_;
  }
  void send_text(int tag, std::string text) {
    if (!out_.send_text(watch_.master(), tag, std::move(text)) && !watch_.enabled()) master_gone_ = true;
    last_sent_ = now_;
  }

  // A REQUEST or RESULT was sent: one answer (ASSIGN answer=1, WAIT or STOP) will come.
  void expect_answer() {
    if (outstanding_++ == 0) asked_at_ = now_;
  }
  void got_answer() {
    if (outstanding_ > 0 && --outstanding_ > 0) asked_at_ = now_;
  }

  // Holding nothing: asks the master for work.
  void request() {
    send(wire::kRequest, {0});
    expect_answer();
  }

  // Reports the finished tasks (the master answers it like a request).
  void report() {
    send_text(wire::kResult, proto::encode_results(results_));
    results_.clear();
    expect_answer();
  }

  // Results go out when the queue runs empty or down to the master's refill mark, or when the
  // oldest one has waited a heartbeat interval (so the master sees progress and liveness).
  bool report_due() const {
    return local_.empty() || static_cast<int>(local_.size()) <= refill_ ||
           now_ - results_since_ >= opt_.heartbeat;
  }

  // Reads every message the master has sent so far. False: the master is gone or silent too long.
  bool read_master() {
    clock();
    check_crash();
    out_.progress();
    read_inbox();
    if (won_->term > 0) return false;  // elected: this rank becomes the master
    const auto errs = take_peer_errors();  // (--store: errors talking to other data ranks are the fetcher's)
    if (!errs.empty() && !watch_.enabled() && (!reader_ || std::find(errs.begin(), errs.end(), 0) != errs.end()))
      master_gone_ = true;  // an MPI error talking to the master
    if (master_gone_ || (!watch_.enabled() && !sim::peer_alive(0))) {
      std::fprintf(stderr, "[Worker %d] master is gone - leaving\n", rank_);
      return false;
    }
    if (outstanding_ > 0 && now_ - asked_at_ > opt_.master_timeout && !watch_.electing()) {
      std::fprintf(stderr, "[Worker %d] master silent for %.1fs - leaving\n", rank_, now_ - asked_at_);
      return false;
    }
    return true;
  }

  // Reads what has arrived without judging the master (also inside a scan: CANCEL and RELEASE;
  // failover: COORDINATOR, ELECTION, and the standby's silence detection).
  void read_inbox() {
    Incoming m;
    if (reader_) {  // --store: the other ranks' store requests are served from this loop too
      while (try_recv(MPI_ANY_SOURCE, &m)) {
        if (reader_->handle(m, now_)) keep_alive();
        else if (m.source == 0) on_message(m);
        m = Incoming{};
      }
      reader_->poll(now_);
      return;
    }
    if (!watch_.enabled()) {
      while (try_recv(0, &m)) {
        on_message(m);
        m = Incoming{};
      }
      return;
    }
    // One probe for any source (one per possible sender doubled the probes of every waiting worker:
    // +40 % CPU on large-1024); what comes from a rank that is neither the master nor a standby
    // (a replaced master) is dropped, as the per-source probes left it unread.
    std::vector<int> from = watch_.sources();
    while (try_recv(MPI_ANY_SOURCE, &m)) {
      if (std::find(from.begin(), from.end(), m.source) == from.end()) {
        m = Incoming{};
        continue;
      }
      MasterWatch::Event ev = MasterWatch::Event::None;
      if (!watch_.filter(m, now_ + t0_, out_, &ev)) on_message(m);
      m = Incoming{};
      if (ev == MasterWatch::Event::NewMaster) {
        rejoin();
        from = watch_.sources();  // (the sources changed)
      }
    }
    if (won_->term == 0 && watch_.tick(now_ + t0_, out_) == MasterWatch::Event::Won) win();
  }

  // A new master announced itself: what the old one gave us is abandoned (it hands the unfinished
  // tasks out again), and every result of this run goes to it in a REJOIN, which is also a request.
  void rejoin() {
    lingering_ = false;
    watch_.linger(false);
    log_.clear();  // (the new master's LOG starts with the whole history it took over)
    local_.clear();
    if (task_ >= 0) cancel_running_ = true;
    results_.clear();
    outstanding_ = 0;
    refill_ = 0;
    wait_ = opt_.wait_delay;
    ask_at_ = 0;
    out_.set_term(watch_.term());
    if (!opt_.quiet && !opt_.json)
      say("[Worker " + std::to_string(rank_) + "] Rank " + std::to_string(watch_.master()) + " is the master now (term " +
          std::to_string(watch_.term()) + ") - rejoining with " + std::to_string(kept_.size()) + " result(s)");
    send_text(wire::kRejoin, proto::encode_rejoin({watch_.term(), pid(), sim::host_name(), kept_}));
    expect_answer();
  }

  // This standby won the election: it stops working and becomes the master (distributed.cc).
  void win() {
    if (task_ >= 0) cancel_running_ = true;
    TakeoverInfo& w = *won_;
    w.term = watch_.term() + 1;
    w.failovers = watch_.failovers() + 1;
    w.old_master = watch_.master();
    w.old_masters = watch_.old_masters();
    w.old_masters.push_back(watch_.master());
    w.t0 = t0_;
    w.last_heard = watch_.last_heard();
    w.detected = watch_.detected();
    w.elected = now_ + t0_;
    w.own_results = kept_;
    if (auto log = decode_log(log_)) w.log = std::move(*log);
    else std::fprintf(stderr, "[Standby %d] the master's log is unreadable (%s): taking over without it\n", rank_, log.error().c_str());
  }

  void on_message(const Incoming& m) {
    switch (m.tag) {
      case wire::kStop:
        got_answer();
        if (watch_.standby()) {  // (tags.h DONE: it stays until the master's RESULT line is out)
          watch_.linger(true);
          lingering_ = true;
          ask_at_ = 1e300;
        } else {
          stop_ = true;
        }
        break;
      case wire::kLog:
        log_ += m.text;  // (encode_log is a concatenation: decoded whole at the takeover)
        break;
      case wire::kDone:
        send(wire::kAlive, {watch_.term()});
        stop_ = true;
        break;
      case wire::kWait:
        got_answer();
        // Nothing to hand out now (tasks still in flight elsewhere): holding nothing, ask again
        // after a delay that doubles up to the heartbeat interval, so an idle worker costs the
        // master about one message per heartbeat and is still heard from well within the timeout.
        if (local_.empty() && outstanding_ == 0) {
          ask_at_ = now_ + wait_;
          wait_ = std::min(wait_ * 2, std::max(opt_.wait_delay, opt_.heartbeat));
        }
        break;
      case wire::kAssign:
        on_assign(m.text);
        break;
      case wire::kCancel:
        on_cancel(static_cast<int>(m.nums[0]));
        break;
      case wire::kRelease:
        on_release(static_cast<int>(m.nums[0]));
        break;
      default:
        break;
    }
  }

  void on_assign(const std::string& text) {
    auto a = proto::decode_assign(text);
    if (!a) {
      std::fprintf(stderr, "[Worker %d] %s - leaving\n", rank_, a.error().c_str());
      master_gone_ = true;
      return;
    }
    if (a->answer) got_answer();
    wait_ = opt_.wait_delay;
    refill_ = a->refill;
    for (auto& t : a->tasks) local_.push_back(std::move(t));
  }

  // Removes task `id` from the local queue; whether it was there (not started).
  bool take_queued(int id) {
    auto it = std::find_if(local_.begin(), local_.end(), [&](const proto::TaskMsg& t) { return t.id == id; });
    if (it == local_.end()) return false;
    local_.erase(it);
    if (local_.empty()) ask_at_ = 0;  // with nothing left, ask at once
    return true;
  }

  // CANCEL: the task was done elsewhere (or our copy lost): never run it, never report it. A
  // running one stops at its next progress report (scan's on_progress).
  void on_cancel(int id) {
    if (take_queued(id)) return;
    if (id == task_) cancel_running_ = true;
    results_.erase(std::remove_if(results_.begin(), results_.end(), [&](const proto::ResultMsg& r) { return r.task == id; }),
                   results_.end());
  }

  // RELEASE (a brokered steal): give the task back only if it was not started.
  void on_release(int id) {
    const bool released = take_queued(id);
    send(released ? wire::kReleased : wire::kRefused, {id});
  }

  // The injected crash, checked between chunks, naps and polls (on this rank's own clock).
  void check_crash() {
    if (!crash_ || now_ < crash_->at) return;
    char buf[160];
    std::snprintf(buf, sizeof buf, "[Worker %d] Simulating crash (%s) at %s", rank_, to_string(crash_->mode),
                  fmt_time(now_).c_str());
    if (opt_.json) {
      std::fprintf(stderr, "%s\n", buf);
      std::fflush(stderr);
    } else {
      say(buf);
    }
    switch (crash_->mode) {
      case CrashSpec::Kill:
        sim::crash_self(rank_);
      case CrashSpec::Hang:
        out_.abandon();
        for (;;) sleep_seconds(1.0);  // never answers again; the master kills it at the end
      case CrashSpec::Exit:
        exit(1);  // (SMPI: a macro that ends only this actor)
    }
  }

  void maybe_heartbeat() {
    if (task_ < 0 || now_ - last_sent_ < opt_.heartbeat) return;
    send(wire::kHeartbeat, {task_, static_cast<long long>(modelled_.at(bytes_done_, now_)), started_us_});
  }
  // --store: serving the other ranks' store requests takes time (a copy or a fetch is read and
  // checked; under SMPI charged like a scan), and a worker serving several in a row, idle or not,
  // would say nothing to the master meanwhile: a heartbeat (task -1 when idle) every --heartbeat s.
  void keep_alive() {
    clock();
    if (now_ - last_sent_ < opt_.heartbeat) return;
    if (task_ >= 0) maybe_heartbeat();
    else send(wire::kHeartbeat, {-1, 0, -1});
  }

  // Sleeps `d` seconds in slices, heartbeating and checking the crash injection in between (and,
  // when the protocol has orders, reading CANCEL/RELEASE: a throttled or slowed scan spends its
  // time here, and a steal must not wait for the end of a slow chunk).
  void nap(double d) {
    const double end = clock() + d;
    while (true) {
      check_crash();
      maybe_heartbeat();
      if (reader_ || ((listen_ || watch_.enabled()) && task_ >= 0)) read_inbox();
      if (cancel_running_) break;  // (the scan's progress callback stops the task)
      const double left = end - now_;
      if (left <= 0) break;
      double slice = std::min(left, reader_ ? opt_.poll : opt_.heartbeat / 2);  // (--store: serve promptly)
      if (crash_ && crash_->at > now_) slice = std::min(slice, crash_->at - now_);
      sleep_seconds(std::max(slice, 1e-6));
      clock();
    }
  }

  // Runs the first task of the local queue and keeps its result for the next report.
  void run_next() {
    proto::TaskMsg t = std::move(local_.front());
    local_.pop_front();
    const FileInfo f{t.path, t.name, t.size, 0};
    Task task;
    task.id = t.id;
    task.range = {t.offset, t.length};
    if (!opt_.quiet && !opt_.json) say("[Worker " + std::to_string(rank_) + "] Processing " + task_label({f}, task));
    task_ = t.id;
    bytes_done_ = 0;
    cancel_running_ = false;
    started_us_ = std::llround(now_ * 1e6);  // (read_master's reading, just before)
    std::optional<Result<Counts>> scanned;
    proto::ResultMsg res;
    try {
      scanned.emplace(t.block >= 0 && reader_ ? scan_block(t, &res) : scan(f, task.range));
    } catch (const TaskCancelled&) {
      // (its counts are never sent: the master applied another runner's)
    }
    task_ = -1;
    if (!scanned) return;
    const Result<Counts>& r = *scanned;
    res.task = t.id;
    res.started_us = started_us_;
    if (r) {
      res.counts = *r;
      res.format = format_used_;
    } else {
      std::fprintf(stderr, "error: %s\n", printable(r.error()).c_str());
      res.kind = proto::ResultMsg::Err;
      res.error = r.error();
    }
    if (results_.empty()) results_since_ = now_;  // (the last chunk's reading)
    if (watch_.enabled()) kept_.push_back({res, t.offset, t.length, t.name});
    results_.push_back(std::move(res));
  }

  // Scans one byte range, charging the modelled cost, applying the injected slowness and
  // throttle, and heartbeating between 64 KiB chunks.
  // --store: the task's block, read locally or fetched (still serving the others meanwhile), then
  // counted from memory. The format: --format if fixed; else the file's, from the manifest (the
  // ASSIGN carries it: detected at ingest on the file's head as scan_file does, which a block
  // smaller than that head could not do itself); else (none given) detected from the block's head.
  Result<Counts> scan_block(const proto::TaskMsg& t, proto::ResultMsg* res) {
    res->store = true;
    auto got = reader_->read(t, now_, [&] {
      nap(opt_.poll);
      return cancel_running_ ? -1.0 : now_;
    });
    if (cancel_running_) throw TaskCancelled{};
    if (!got) return got.err();
    (got->local ? res->local_bytes : res->remote_bytes) = got->bytes.size();
    res->repaired = got->repaired;
    FormatSpec fmt = format_;
    if (format_.automatic && !t.format.empty())
      if (auto spec = parse_format_spec(t.format)) fmt = *spec;
    const FileInfo f{t.path, t.name, t.length, 0};
    return scan(f, {0, t.length}, &got->bytes, &fmt);
  }

  // (bytes: count these from memory instead of reading f.path - a store block)
  Result<Counts> scan(const FileInfo& f, const ByteRange& range, const std::string* bytes = nullptr,
                      const FormatSpec* fmt = nullptr) {
    std::uint64_t charged = 0;
    const bool modelled = opt_.throttle > 0 || slow_ > 1;
    double chunk_start = modelled ? clock() : 0;
    ScanOptions so;
    so.format = fmt ? *fmt : format_;
    so.format_used = &format_used_;
    so.chunk_bytes = 64u << 10;
    so.expected_size = f.size;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) {
      const std::uint64_t delta = done - charged;
      sim::charge_scan(delta);
      charged = done;
      // nap also heartbeats, checks the crash injection and reads CANCEL/RELEASE. A throttled or
      // slowed chunk is reported done only after its modelled time (heartbeats meanwhile report
      // its progress pro rata), so the master's rate and time-left estimates see the slowness.
      if (modelled) {
        const double took = clock() - chunk_start;
        double want = took;
        if (opt_.throttle > 0) want = std::max(want, static_cast<double>(delta) / opt_.throttle);
        want *= slow_;
        if (want > took) {
          modelled_ = {bytes_done_, done, now_, want - took};
          nap(want - took);
          modelled_ = {};
        }
        chunk_start = now_;
      }
      bytes_done_ = done;
      nap(0);
      if (cancel_running_) throw TaskCancelled{};
    };
    if (bytes) return count_block(*bytes, is_gzip_name(f.name), so, f.name);
    return scan_file(f.path, range, so);
  }

  int rank_;
  const DistributedOptions& opt_;
  proto::Plan plan_;
  FormatSpec format_;         // the PLAN's --format
  std::string format_used_;   // the last scan's format
  double t0_;
  double now_ = 0;  // run time at the last clock() reading
  std::optional<CrashSpec> crash_;
  double slow_ = 1.0;
  Outbox out_;
  double last_sent_ = 0;
  bool master_gone_ = false;
  bool stop_ = false;
  // Answers owed by the master (one per REQUEST/RESULT), since when; the next REQUEST not before
  // ask_at_ (after a WAIT), wait_ the current back-off.
  int outstanding_ = 0;
  double asked_at_ = 0, ask_at_ = 0, wait_ = 0;
  bool listen_;  // the protocol has CANCEL/RELEASE (steal, speculate): read the inbox while scanning
  bool cancel_running_ = false;
  std::deque<proto::TaskMsg> local_;
  int refill_ = 0;
  std::vector<proto::ResultMsg> results_;
  double results_since_ = 0;
  long long task_ = -1;
  std::uint64_t bytes_done_ = 0;
  // A throttled or slowed chunk (bytes from -> to over `length` s from `start`): heartbeats report
  // its progress pro rata, as a scan at that speed would make it.
  struct Modelled {
    std::uint64_t from = 0, to = 0;
    double start = 0, length = 0;
    std::uint64_t at(std::uint64_t done, double now) const {
      if (!(length > 0) || to <= from) return done;
      const double f = std::clamp((now - start) / length, 0.0, 1.0);
      return from + static_cast<std::uint64_t>(static_cast<double>(to - from) * f);
    }
  } modelled_;
  long long started_us_ = 0;
  MasterWatch watch_;                      // failover (--standbys): who the master is, elections
  TakeoverInfo* won_;                      // term > 0 once this rank won an election
  std::vector<proto::KeptResult> kept_;    // failover: every result of this run (for a REJOIN)
  bool lingering_ = false;                 // a standby told STOP, waiting for DONE (tags.h)
  std::string log_;                        // a standby: the master's LOG so far (text)
  std::unique_ptr<BlockReader> reader_;    // --store: this rank's replicas, its server and fetches
};

}  // namespace

int run_worker(int rank, int size, const DistributedOptions& opt, proto::Plan plan, double t0, TakeoverInfo* won) {
  return Worker(rank, size, opt, std::move(plan), t0, won).run();
}

}  // namespace dla::mpi
