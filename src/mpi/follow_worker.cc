// The follow worker: see follow.h.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>

#include "mpi/follow.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "stream/follow_wire.h"

namespace dla::mpi {
namespace {

using stream::FileFollower;
using stream::Order;
using stream::Report;

Report report(Report::Kind kind, std::uint64_t key = 0, std::uint64_t epoch = 0) {
  Report r;
  r.kind = kind;
  r.key = key;
  r.epoch = epoch;
  return r;
}

// Wakes the worker early when something in the followed directory changes (inotify, real MPI on
// Linux); --follow-poll stays the fallback period (files moved out of the directory, a file
// system without inotify, SMPI where time is simulated and a real wait would stall it).
class DirWatch {
 public:
  explicit DirWatch(const std::string& dir) {
    if (sim::simulated()) return;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    const std::uint32_t mask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB;
    if (fd_ >= 0 && inotify_add_watch(fd_, dir.c_str(), mask) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DirWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;
  // Sleeps up to `seconds`, less if the directory changed meanwhile (then its events are drained).
  void wait(double seconds) {
    if (fd_ < 0) {
      sleep_seconds(seconds);
      return;
    }
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(seconds * 1000));
    char buf[4096];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
  }
  bool active() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class FollowWorker {
 public:
  FollowWorker(int rank, const FollowOptions& opt) : rank_(rank), opt_(opt), watch_(opt.dir) {
    auto spec = parse_format_spec(opt.format);
    if (spec) spec_ = *spec;
  }

  int run() {
    t0_ = wtime();
    heard_ = now();
    out_.send_text(0, wire::kHello, std::to_string(static_cast<long>(::getpid())) + " " + sim::host_name());
    while (read_master()) {
      const bool busy = poll_files(false);
      send_reports();
      if (stop_) {  // the last poll: files already ended are drained now (their rotate-wait cut short)
        poll_files(true);
        reports_.push_back(report(Report::kDone));
        send_reports();
        break;
      }
      if (!busy) watch_.wait(opt_.poll);
    }
    out_.flush(std::min(1.0, opt_.timeout), 0.001);
    out_.abandon();
    return 0;
  }

 private:
  struct Held {
    std::uint64_t epoch = 0;
    std::unique_ptr<FileFollower> f;
    bool ending = false;
    double drop_at = 0;
  };

  double now() { return wtime() - t0_; }

  bool read_master() {
    out_.progress();
    Incoming m;
    while (try_recv(0, &m)) {
      heard_ = now();
      if (m.tag == wire::kStop) stop_ = true;
      if (m.tag == wire::kAssign) on_orders(m.text);
      m = Incoming{};
    }
    if (!take_peer_errors().empty() || !sim::peer_alive(0)) {
      std::fprintf(stderr, "[Follow worker %d] master is gone - leaving\n", rank_);
      return false;
    }
    if (now() - heard_ > opt_.master_timeout) {
      std::fprintf(stderr, "[Follow worker %d] master silent for %.1fs - leaving\n", rank_, now() - heard_);
      return false;
    }
    return true;
  }

  void on_orders(const std::string& text) {
    auto orders = stream::decode_orders(text);
    if (!orders) {
      std::fprintf(stderr, "[Follow worker %d] %s\n", rank_, orders.error().c_str());
      return;
    }
    for (auto& o : *orders) {
      if (o.kind == Order::kEnd) {
        auto it = held_.find(o.key);
        if (it != held_.end() && it->second.epoch == o.epoch && !it->second.ending) {
          it->second.ending = true;
          it->second.drop_at = now() + opt_.rotate_wait;
        }
        continue;
      }
      Held h;
      h.epoch = o.epoch;
      h.f = std::make_unique<FileFollower>(Env::posix(), join_path(opt_.dir, o.name), o.pos, spec_);
      h.ending = o.ending;
      h.drop_at = now() + opt_.rotate_wait;
      held_[o.key] = std::move(h);
    }
  }

  // One poll of every held file. True if some file had more than one poll's worth to read.
  bool poll_files(bool final_all) {
    bool behind = false;
    const double t = now();
    for (auto it = held_.begin(); it != held_.end();) {
      Held& h = it->second;
      const bool last = h.ending && (t >= h.drop_at || final_all);
      auto st = h.f->poll(last);
      behind |= h.f->behind();
      if (st.truncated) {
        Report r = report(Report::kTruncated, it->first, h.epoch);
        r.end = st.end;
        reports_.push_back(r);
      } else if (st.to != st.from || !st.fp.empty()) {
        Report r = report(Report::kDelta, it->first, h.epoch);
        r.from = st.from;
        r.to = st.to;
        r.fp = st.fp;
        r.format = h.f->position().format;
        r.counts = st.counts;
        reports_.push_back(r);
      }
      if (last || st.lost) {
        Report r = report(Report::kEnded, it->first, h.epoch);
        r.lost = st.lost;
        reports_.push_back(r);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    return behind;
  }

  void send_reports() {
    if (reports_.empty()) {
      if (now() - said_ >= opt_.heartbeat) {
        out_.send(0, wire::kHeartbeat, {0});
        said_ = now();
      }
      return;
    }
    out_.send_text(0, wire::kResult, stream::encode_reports(reports_));
    reports_.clear();
    said_ = now();
  }

  int rank_;
  FollowOptions opt_;
  FormatSpec spec_;
  DirWatch watch_;
  Outbox out_;
  std::map<std::uint64_t, Held> held_;
  std::vector<Report> reports_;
  double t0_ = 0, heard_ = 0, said_ = -1e9;
  bool stop_ = false;
};

}  // namespace

int run_follow_worker(const Session& s, const FollowOptions& opt) {
  if (!sim::simulated()) {  // mpirun forwards ^C to every rank: only the master decides the end
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
  }
  s.startup_done();
  return FollowWorker(s.rank(), opt).run();
}

}  // namespace dla::mpi
