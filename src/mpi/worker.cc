#include "mpi/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/protocol.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "scan/scanner.h"

namespace dla::mpi {
namespace {

// The worker: a local queue of the tasks the master gave it (one batch, or more when the master
// prefetches), run in order; results are reported in batches, and a report sent when the queue is
// empty is also the request for more. Heartbeats while scanning.
class Worker {
 public:
  Worker(int rank, const DistributedOptions& opt, proto::Plan plan, double t0)
      : rank_(rank), opt_(opt), plan_(std::move(plan)), t0_(t0) {
    for (const auto& c : opt.crashes)
      if (c.rank == rank && (!crash_ || c.at < crash_->at)) crash_ = c;
    for (const auto& s : opt.slow)
      if (s.rank == rank) slow_ = s.factor;
  }

  int run() {
    std::string hello = std::to_string(sim::simulated() ? 0L : static_cast<long>(::getpid())) + " " + sim::host_name();
    out_.send_text(0, wire::kHello, hello);
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
      if (asked_) {
        nap(opt_.poll);  // waiting for the answer (read_master bounds the wait)
      } else if (run_time() >= ask_at_) {
        request();
      } else {
        nap(ask_at_ - run_time());  // told WAIT: the master sends nothing to a worker holding nothing
      }
    }
    out_.abandon();
    return 0;
  }

 private:
  double run_time() const { return wtime() - t0_; }

  void send(int tag, Payload p) {
    if (!out_.send(0, tag, std::move(p))) master_gone_ = true;
    last_sent_ = run_time();
  }
  void send_text(int tag, std::string text) {
    if (!out_.send_text(0, tag, std::move(text))) master_gone_ = true;
    last_sent_ = run_time();
  }

  // Holding nothing: asks the master for work and expects an answer.
  void request() {
    send(wire::kRequest, {0});
    asked_ = true;
    asked_at_ = run_time();
  }

  // Reports the finished tasks. Holding nothing more, this is also the request for more work.
  void report() {
    send_text(wire::kResult, proto::encode_results(results_));
    results_.clear();
    if (local_.empty()) {
      asked_ = true;
      asked_at_ = run_time();
    }
  }

  // Results go out when the queue runs empty or down to the master's refill mark, or when the
  // oldest one has waited a heartbeat interval (so the master sees progress and liveness).
  bool report_due() const {
    return local_.empty() || static_cast<int>(local_.size()) <= refill_ ||
           run_time() - results_since_ >= opt_.heartbeat;
  }

  // Reads every message the master has sent so far. False: the master is gone or silent too long.
  bool read_master() {
    check_crash();
    out_.progress();
    Incoming m;
    while (try_recv(0, &m)) {
      on_message(m);
      m = Incoming{};
    }
    if (!take_peer_errors().empty()) master_gone_ = true;  // an MPI error talking to the master
    if (master_gone_ || !sim::peer_alive(0)) {
      std::fprintf(stderr, "[Worker %d] master is gone - leaving\n", rank_);
      return false;
    }
    if (asked_ && run_time() - asked_at_ > opt_.master_timeout) {
      std::fprintf(stderr, "[Worker %d] master silent for %.1fs - leaving\n", rank_, run_time() - asked_at_);
      return false;
    }
    return true;
  }

  void on_message(const Incoming& m) {
    switch (m.tag) {
      case wire::kStop:
        stop_ = true;
        break;
      case wire::kWait:
        // Nothing to hand out now (tasks still in flight elsewhere): ask again after a delay that
        // doubles up to the heartbeat interval, so an idle worker costs the master about one
        // message per heartbeat and is still heard from well within the timeout.
        asked_ = false;
        ask_at_ = run_time() + wait_;
        wait_ = std::min(wait_ * 2, std::max(opt_.wait_delay, opt_.heartbeat));
        break;
      case wire::kAssign: {
        asked_ = false;
        wait_ = opt_.wait_delay;
        auto a = proto::decode_assign(m.text);
        if (!a) {
          std::fprintf(stderr, "[Worker %d] %s - leaving\n", rank_, a.error().c_str());
          master_gone_ = true;
          break;
        }
        refill_ = a->refill;
        for (auto& t : a->tasks) local_.push_back(std::move(t));
        break;
      }
      default:
        break;
    }
  }

  // The injected crash, checked between chunks, naps and polls (on this rank's own clock).
  void check_crash() {
    if (!crash_ || run_time() < crash_->at) return;
    char buf[160];
    std::snprintf(buf, sizeof buf, "[Worker %d] Simulating crash (%s) at %s", rank_, to_string(crash_->mode),
                  fmt_time(run_time()).c_str());
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
    if (task_ < 0 || run_time() - last_sent_ < opt_.heartbeat) return;
    send(wire::kHeartbeat, {task_, static_cast<long long>(bytes_done_), started_us_});
  }

  // Sleeps `d` seconds in slices, heartbeating and checking the crash injection in between.
  void nap(double d) {
    const double end = run_time() + d;
    while (true) {
      check_crash();
      maybe_heartbeat();
      const double left = end - run_time();
      if (left <= 0) break;
      double slice = std::min(left, opt_.heartbeat / 2);
      if (crash_ && crash_->at > run_time()) slice = std::min(slice, crash_->at - run_time());
      sleep_seconds(std::max(slice, 1e-6));
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
    started_us_ = std::llround(run_time() * 1e6);
    auto r = scan(f, task.range);
    task_ = -1;
    proto::ResultMsg res;
    res.task = t.id;
    res.started_us = started_us_;
    if (r) {
      res.counts = *r;
    } else {
      std::fprintf(stderr, "error: %s\n", printable(r.error()).c_str());
      res.kind = proto::ResultMsg::Err;
      res.error = r.error();
    }
    if (results_.empty()) results_since_ = run_time();
    results_.push_back(std::move(res));
  }

  // Scans one byte range, charging the modelled cost, applying the injected slowness and
  // throttle, and heartbeating between 64 KiB chunks.
  Result<Counts> scan(const FileInfo& f, const ByteRange& range) {
    std::uint64_t charged = 0;
    double chunk_start = wtime();
    ScanOptions so;
    so.chunk_bytes = 64u << 10;
    so.expected_size = f.size;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) {
      const std::uint64_t delta = done - charged;
      sim::charge_scan(delta);
      charged = done;
      bytes_done_ = done;
      const double took = wtime() - chunk_start;
      double want = took;
      if (opt_.throttle > 0) want = std::max(want, static_cast<double>(delta) / opt_.throttle);
      want *= slow_;
      nap(want - took);  // also heartbeats and checks the crash injection
      chunk_start = wtime();
    };
    return scan_file(f.path, range, so);
  }

  int rank_;
  const DistributedOptions& opt_;
  proto::Plan plan_;
  double t0_;
  std::optional<CrashSpec> crash_;
  double slow_ = 1.0;
  Outbox out_;
  double last_sent_ = 0;
  bool master_gone_ = false;
  bool stop_ = false;
  // Requests: at most one unanswered at a time (asked_), the next one not before ask_at_.
  bool asked_ = false;
  double asked_at_ = 0, ask_at_ = 0, wait_ = 0;
  std::deque<proto::TaskMsg> local_;
  int refill_ = 0;
  std::vector<proto::ResultMsg> results_;
  double results_since_ = 0;
  long long task_ = -1;
  std::uint64_t bytes_done_ = 0;
  long long started_us_ = 0;
};

}  // namespace

int run_worker(int rank, const DistributedOptions& opt, proto::Plan plan, double t0) {
  return Worker(rank, opt, std::move(plan), t0).run();
}

}  // namespace dla::mpi
