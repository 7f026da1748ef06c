#include "mpi/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "scan/scanner.h"

namespace dla::mpi {
namespace {

class Worker {
 public:
  Worker(int rank, const DistributedOptions& opt, std::vector<FileInfo> files, double t0)
      : rank_(rank), opt_(opt), files_(std::move(files)), t0_(t0) {
    for (const auto& c : opt.crashes)
      if (c.rank == rank && (!crash_ || c.at < crash_->at)) crash_ = c;
    for (const auto& s : opt.slow)
      if (s.rank == rank) slow_ = s.factor;
  }

  int run() {
    std::string hello = std::to_string(sim::simulated() ? 0L : static_cast<long>(::getpid())) + " " + sim::host_name();
    out_.send_text(0, wire::kHello, hello);
    send(wire::kRequest, {0});
    // Told WAIT (nothing to hand out now, tasks still in flight elsewhere), a worker asks again
    // after a delay that doubles up to the heartbeat interval: an idle worker costs the master
    // about one message per heartbeat instead of one per wait_delay, and is still heard from
    // well within the timeout. It resets when work arrives.
    double wait = opt_.wait_delay;
    const double wait_max = std::max(opt_.wait_delay, opt_.heartbeat);
    while (true) {
      Incoming m;
      if (!wait_reply(&m)) break;
      if (m.tag == wire::kStop) break;
      if (m.tag == wire::kWait) {
        nap(wait);
        wait = std::min(wait * 2, wait_max);
        send(wire::kRequest, {0});
      } else if (m.tag == wire::kAssign) {
        wait = opt_.wait_delay;
        work(m.nums);
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

  // Waits for the master's reply without blocking for ever (watchdog).
  bool wait_reply(Incoming* m) {
    const double asked = run_time();
    while (true) {
      check_crash();
      out_.progress();
      if (try_recv(0, m)) return true;
      if (!take_peer_errors().empty()) master_gone_ = true;  // an MPI error talking to the master
      if (master_gone_ || !sim::peer_alive(0)) {
        std::fprintf(stderr, "[Worker %d] master is gone - leaving\n", rank_);
        return false;
      }
      if (run_time() - asked > opt_.master_timeout) {
        std::fprintf(stderr, "[Worker %d] master silent for %.1fs - leaving\n", rank_, run_time() - asked);
        return false;
      }
      sleep_seconds(opt_.poll);
    }
  }

  void work(const Payload& a) {
    Task t;
    t.id = static_cast<int>(a[0]);
    t.file = static_cast<int>(a[1]);
    t.range.offset = static_cast<std::uint64_t>(a[2]);
    t.range.length = static_cast<std::uint64_t>(a[3]);
    if (t.file < 0 || t.file >= static_cast<int>(files_.size())) {
      send(wire::kResult, {t.id, 0});
      return;
    }
    if (!opt_.quiet && !opt_.json) say("[Worker " + std::to_string(rank_) + "] Processing " + task_label(files_, t));
    task_ = t.id;
    bytes_done_ = 0;
    started_us_ = std::llround(run_time() * 1e6);
    auto r = scan(files_[static_cast<std::size_t>(t.file)], t.range);
    task_ = -1;
    if (!r) {
      std::fprintf(stderr, "error: %s\n", printable(r.error()).c_str());
      send(wire::kResult, {t.id, 0, 0, 0, 0, 0, 0, started_us_});
      return;
    }
    const Counts& c = *r;
    send(wire::kResult, {t.id, 1, static_cast<long long>(c[Level::Debug]), static_cast<long long>(c[Level::Error]),
                         static_cast<long long>(c[Level::Info]), static_cast<long long>(c[Level::Warn]),
                         static_cast<long long>(c.lines), started_us_});
  }

  // Scans one byte range, charging the modelled cost, applying the injected slowness and
  // throttle, and heartbeating between 64 KiB chunks.
  Result<Counts> scan(const FileInfo& f, const ByteRange& range) {
    std::uint64_t charged = 0;
    double chunk_start = wtime();
    ScanOptions so;
    so.chunk_bytes = 64u << 10;
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
  std::vector<FileInfo> files_;
  double t0_;
  std::optional<CrashSpec> crash_;
  double slow_ = 1.0;
  Outbox out_;
  double last_sent_ = 0;
  bool master_gone_ = false;
  long long task_ = -1;
  std::uint64_t bytes_done_ = 0;
  long long started_us_ = 0;
};

}  // namespace

int run_worker(int rank, const DistributedOptions& opt, std::vector<FileInfo> files, double t0) {
  return Worker(rank, opt, std::move(files), t0).run();
}

}  // namespace dla::mpi
