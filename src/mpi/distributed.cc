#include "mpi/distributed.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "obs/report.h"
#include "scan/scanner.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"

namespace dla::mpi {
namespace {

using Payload = std::vector<long long>;

// Non-blocking sends whose buffers stay alive until MPI_Test says done. Never waits: a send to a
// dead peer may never complete (Open MPI: large messages), so at shutdown the leftovers are freed
// with MPI_Request_free and their buffers deliberately leaked.
class Outbox {
 public:
  bool send(int dst, int tag, Payload p) {
    if (!sim::peer_alive(dst)) return false;
    p.resize(wire::kWireLen, 0);
    return post(dst, tag, std::make_shared<Buffer>(Buffer{std::move(p), {}}), MPI_LONG_LONG, wire::kWireLen);
  }
  bool send_text(int dst, int tag, std::string text) {
    if (!sim::peer_alive(dst)) return false;
    auto b = std::make_shared<Buffer>(Buffer{{}, std::move(text)});
    return post(dst, tag, b, MPI_CHAR, static_cast<int>(b->text.size()));
  }
  void progress() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->req, &done, MPI_STATUS_IGNORE);
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  void abandon() {
    progress();
    for (auto& e : pending_) {
      MPI_Request_free(&e.req);
      leaked_.push_back(e.buf);  // the MPI library may still read it
    }
    pending_.clear();
  }
  long long sent() const { return sent_; }

 private:
  struct Buffer {
    Payload nums;
    std::string text;
  };
  struct Entry {
    MPI_Request req;
    std::shared_ptr<Buffer> buf;
  };
  bool post(int dst, int tag, std::shared_ptr<Buffer> b, MPI_Datatype type, int count) {
    pending_.push_back(Entry{MPI_REQUEST_NULL, b});
    void* data = type == MPI_CHAR ? static_cast<void*>(b->text.data()) : static_cast<void*>(b->nums.data());
    MPI_Isend(data, count, type, dst, tag, MPI_COMM_WORLD, &pending_.back().req);
    ++sent_;
    progress();
    return true;
  }
  std::list<Entry> pending_;
  std::vector<std::shared_ptr<Buffer>> leaked_;
  long long sent_ = 0;
};

struct Incoming {
  int source = -1;
  int tag = 0;
  Payload nums;
  std::string text;
};

// Non-blocking: receives one message from `source` (or any) if there is one. A probed message is
// received with MPI_Irecv and handed out once MPI_Test completes it, never with a blocking
// MPI_Recv: in SMPI the probe matches as soon as the sender posts, so a blocking receive would
// wait for the whole transfer and a slow link to one peer would stall this rank for everyone.
// Messages of one source are handed out in the order they were probed.
struct PendingRecv {
  MPI_Request req = MPI_REQUEST_NULL;
  bool done = false;
  Incoming in;
};
std::list<PendingRecv> g_pending_recv;  // per rank (SMPI privatizes globals); stable addresses

// Hands out the oldest completed receive (from `source` or any), keeping each source's order.
bool pop_completed(int source, Incoming* in) {
  std::vector<int> blocked;  // sources with an earlier message still in transit
  for (auto it = g_pending_recv.begin(); it != g_pending_recv.end(); ++it) {
    if (source != MPI_ANY_SOURCE && it->in.source != source) continue;
    if (!it->done) {
      int flag = 0;
      MPI_Test(&it->req, &flag, MPI_STATUS_IGNORE);
      it->done = flag != 0;
    }
    const bool earlier = std::find(blocked.begin(), blocked.end(), it->in.source) != blocked.end();
    if (it->done && !earlier) {
      *in = std::move(it->in);
      g_pending_recv.erase(it);
      return true;
    }
    if (!it->done) blocked.push_back(it->in.source);
  }
  return false;
}

// One probe per call (in SMPI every probe costs simulated time and a context switch): a message
// already received is handed out first; otherwise a newly probed one is posted and, usually
// complete at once, handed out.
bool try_recv(int source, Incoming* in) {
  if (!g_pending_recv.empty() && pop_completed(source, in)) return true;
  int flag = 0;
  MPI_Status st;
  MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
  if (!flag) return false;
  g_pending_recv.emplace_back();
  PendingRecv& p = g_pending_recv.back();
  p.in.source = st.MPI_SOURCE;
  p.in.tag = st.MPI_TAG;
  if (p.in.tag == wire::kHello) {
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    p.in.text.assign(static_cast<std::size_t>(std::max(n, 0)), '\0');
    MPI_Irecv(p.in.text.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &p.req);
  } else {
    p.in.nums.assign(wire::kWireLen, 0);
    MPI_Irecv(p.in.nums.data(), wire::kWireLen, MPI_LONG_LONG, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &p.req);
  }
  return pop_completed(source, in);
}

// Times printed on stdout: real seconds ("2.14s") or, in simulation, exact simulated seconds.
std::string fmt_time(double s) {
  char buf[64];
  if (sim::simulated()) std::snprintf(buf, sizeof buf, "%.6fs (simulated)", s);
  else std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

std::string task_label(const std::vector<FileInfo>& files, const Task& t) {
  const FileInfo& f = files[static_cast<std::size_t>(t.file)];
  if (t.range.offset == 0 && t.range.length == f.size) return f.name;
  return f.name + " [" + std::to_string(t.range.offset) + "+" + std::to_string(t.range.length) + "]";
}

// Real MPI: whether `pid` still runs this very program (guards the final SIGKILL of a hung worker
// against a pid reused since that worker died).
bool same_program(long pid) {
  if (sim::simulated()) return true;
  if (pid <= 0) return false;
  char a[4096], b[4096];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t na = ::readlink(link.c_str(), a, sizeof a - 1);
  const ssize_t nb = ::readlink("/proc/self/exe", b, sizeof b - 1);
  return na > 0 && na == nb && std::string(a, static_cast<std::size_t>(na)) == std::string(b, static_cast<std::size_t>(nb));
}

void say(const std::string& line) {  // one line on stdout, flushed (SMPI: stdout is shared)
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

nlohmann::json files_json(const std::vector<FileInfo>& files) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& f : files) j.push_back({{"path", f.path}, {"name", f.name}, {"size", f.size}, {"mtime_ns", f.mtime_ns}});
  return j;
}

// ------------------------------------------------------------------------------------------------
// Worker
// ------------------------------------------------------------------------------------------------

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
    const FileInfo& f = files_[static_cast<std::size_t>(t.file)];
    if (!opt_.quiet && !opt_.json) say("[Worker " + std::to_string(rank_) + "] Processing " + task_label(files_, t));
    task_ = t.id;
    bytes_done_ = 0;
    started_us_ = std::llround(run_time() * 1e6);
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
    auto r = scan_file(f.path, t.range, so);
    task_ = -1;
    if (!r) {
      std::fprintf(stderr, "error: %s\n", r.error().c_str());
      send(wire::kResult, {t.id, 0, 0, 0, 0, 0, 0, started_us_});
      return;
    }
    const Counts& c = *r;
    send(wire::kResult, {t.id, 1, static_cast<long long>(c.level[0]), static_cast<long long>(c.level[1]),
                         static_cast<long long>(c.level[2]), static_cast<long long>(c.level[3]),
                         static_cast<long long>(c.lines), started_us_});
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

// ------------------------------------------------------------------------------------------------
// Master
// ------------------------------------------------------------------------------------------------

class Master {
 public:
  Master(int size, const DistributedOptions& opt, std::vector<FileInfo> files, double t0)
      : size_(size), opt_(opt), files_(std::move(files)), t0_(t0), host_(sim::host_name()) {}

  int run() {
    const bool chatty = !opt_.quiet && !opt_.json;
    auto tasks = make_tasks(files_, opt_.split_bytes);
    std::vector<int> workers;
    for (int r = 1; r < size_; ++r) workers.push_back(r);
    SchedulerOptions so;
    so.timeout = opt_.timeout;
    so.trace = &trace_;
    for (const auto& f : files_) so.file_names.push_back(f.name);
    if (opt_.on_start) {
      auto st = opt_.on_start(files_, so);
      if (!st) {
        std::cerr << "error: " << st.error() << std::endl;
        say("RESULT ERROR " + st.error());
        return 1;
      }
    }
    const int already = static_cast<int>(so.files_done.size());
    auto policy = make_policy(opt_.policy);
    if (opt_.wrap_policy) policy = opt_.wrap_policy(std::move(policy));
    sched_ = std::make_unique<Scheduler>(tasks, static_cast<int>(files_.size()), workers, std::move(policy), so, t0_);
    trace_.comment("dla-trace 1 distributed_log_analyser");
    {
      std::ostringstream c;
      c << "policy=" << opt_.policy << " workers=" << workers.size() << " files=" << files_.size()
        << " tasks=" << tasks.size() << " timeout=" << opt_.timeout << " heartbeat=" << opt_.heartbeat
        << " split_bytes=" << opt_.split_bytes << " simulated=" << (sim::simulated() ? 1 : 0);
      trace_.comment(c.str());
    }
    if (!opt_.json) {
      const int remaining = static_cast<int>(sched_->pending_files().size());
      if (already > 0) say("Found " + std::to_string(files_.size()) + " log file(s) to analyse (" + std::to_string(remaining) + " remaining)");
      else say("Found " + std::to_string(files_.size()) + " log file(s) to analyse");
      char buf[200];
      std::snprintf(buf, sizeof buf, "Starting distributed analysis: %zu worker(s), %zu task(s), policy %s, timeout %gs, heartbeat %gs",
                    workers.size(), tasks.size(), opt_.policy.c_str(), opt_.timeout, opt_.heartbeat);
      say(buf);
      say("");
    }
    pid_.assign(static_cast<std::size_t>(size_), 0);
    wh_.assign(static_cast<std::size_t>(size_), "");
    told_stop_.assign(static_cast<std::size_t>(size_), 0);

    double done_at = -1;
    bool announced_self = false;
    while (true) {
      int handled = 0;
      Incoming m;
      while (handled < 256 && try_recv(MPI_ANY_SOURCE, &m)) {
        handle(m);
        ++handled;
        m = Incoming{};
      }
      const double now = wtime();
      for (const auto& f : sched_->tick(now)) on_failure(f, now, chatty);
      out_.progress();
      if (opt_.on_poll && opt_.on_poll(*sched_, now)) {
        interrupted_ = true;
        break;
      }
      if (sched_->all_done()) {
        if (done_at < 0) {
          done_at = now;
          finished_at_ = now;
        }
        if (sched_->workers_settled() || now - done_at > opt_.timeout) break;
      } else if (!sched_->any_worker_usable()) {
        if (!announced_self && chatty) {
          say(workers.empty() ? "[Master] No workers - processing every task itself"
                              : "[Master] All workers failed - processing the remaining tasks itself");
        }
        announced_self = true;
        self_work(chatty);
        continue;
      }
      if (!handled) sleep_seconds(opt_.poll);
    }
    if (finished_at_ < 0) finished_at_ = wtime();
    return finish(chatty);
  }

 private:
  void handle(const Incoming& m) {
    const double now = wtime();
    const int w = m.source;
    const bool chatty = !opt_.quiet && !opt_.json;
    if (w <= 0 || w >= size_) return;
    ++received_;
    switch (m.tag) {
      case wire::kHello: {
        std::istringstream in(m.text);
        long pid = 0;
        std::string host;
        in >> pid >> host;
        pid_[static_cast<std::size_t>(w)] = pid;
        wh_[static_cast<std::size_t>(w)] = host;
        sched_->on_hello(w, now);
        if (chatty) {
          if (sim::simulated()) say("[Master] Worker " + std::to_string(w) + " ready on " + host);
          else say("[Master] Worker " + std::to_string(w) + " ready (pid " + std::to_string(pid) + ", host " + host + ")");
        }
        break;
      }
      case wire::kRequest:
        reply(w, sched_->on_request(w, now), chatty);
        break;
      case wire::kHeartbeat:
        sched_->on_heartbeat(w, static_cast<int>(m.nums[0]), static_cast<std::uint64_t>(m.nums[1]), now,
                             static_cast<double>(m.nums[2]) / 1e6);
        break;
      case wire::kResult: {
        const int task = static_cast<int>(m.nums[0]);
        Scheduler::ResultOutcome o;
        if (m.nums[1]) {
          Counts c;
          for (int l = 0; l < kNumLevels; ++l) c.level[static_cast<std::size_t>(l)] = static_cast<std::uint64_t>(m.nums[2 + l]);
          c.lines = static_cast<std::uint64_t>(m.nums[6]);
          o = sched_->on_result(w, task, c, now, static_cast<double>(m.nums[7]) / 1e6);
        } else {
          o = sched_->on_task_error(w, task, "unreadable", now);
          if (o.kind != Scheduler::ResultOutcome::Duplicate && o.kind != Scheduler::ResultOutcome::Rejected)
            say("[Master] Worker " + std::to_string(w) + " could not read " + label(task) + " - file not counted");
        }
        if (o.kind == Scheduler::ResultOutcome::LateApplied && chatty)
          say("[Master] Late result for " + label(task) + " from failed worker " + std::to_string(w) + " - accepted");
        if (o.kind == Scheduler::ResultOutcome::Duplicate && chatty)
          say("[Master] Duplicate result for " + label(task) + " from worker " + std::to_string(w) + " - dropped");
        if ((o.kind == Scheduler::ResultOutcome::Applied || o.kind == Scheduler::ResultOutcome::LateApplied) &&
            opt_.after_result)
          opt_.after_result(*sched_, files_, o.file_completed);
        reply(w, o.next, chatty);
        break;
      }
      default:
        break;
    }
  }

  std::string label(int task) const {
    if (task < 0 || task >= static_cast<int>(sched_->tasks().size())) return "task " + std::to_string(task);
    return task_label(files_, sched_->tasks()[static_cast<std::size_t>(task)]);
  }

  void reply(int w, const Scheduler::Reply& r, bool chatty) {
    if (sched_->worker_state(w) == Scheduler::WorkerState::Failed && !told_stop_[static_cast<std::size_t>(w)] && chatty)
      say("[Master] Worker " + std::to_string(w) + " was declared failed but is talking again - told to stop");
    switch (r.kind) {
      case Scheduler::Reply::Assign: {
        const Task& t = sched_->tasks()[static_cast<std::size_t>(r.task)];
        if (chatty || (r.attempt > 1 && !opt_.json))
          say(std::string("[Master] ") + (r.attempt > 1 ? "Reassigning " : "Assigning ") + task_label(files_, t) +
              " to worker " + std::to_string(w));
        out_.send(w, wire::kAssign,
                  {t.id, t.file, static_cast<long long>(t.range.offset), static_cast<long long>(t.range.length), r.attempt});
        break;
      }
      case Scheduler::Reply::Wait:
        out_.send(w, wire::kWait, {0});
        break;
      case Scheduler::Reply::Stop:
        told_stop_[static_cast<std::size_t>(w)] = 1;
        out_.send(w, wire::kStop, {0});
        break;
    }
  }

  void on_failure(const Scheduler::Failure& f, double now, bool chatty) {
    const int w = f.worker;
    failures_.push_back({w, f.last_heard - t0_, now - t0_});
    if (!opt_.json) say("[Master] Worker " + std::to_string(w) + " timeout detected - marking as failed");
    for (const auto& c : opt_.crashes)
      if (c.rank == w && c.at <= now - t0_) {
        trace_.add(c.at, w, "crash", -1, 0, to_string(c.mode));
        break;
      }
    (void)chatty;
  }

  void self_work(bool chatty) {
    const double now = wtime();
    const int t = sched_->take_for_master(now);
    if (t < 0) {
      sleep_seconds(opt_.poll);
      return;
    }
    const Task& task = sched_->tasks()[static_cast<std::size_t>(t)];
    if (chatty) say("[Master] Processing " + task_label(files_, task));
    std::uint64_t charged = 0;
    ScanOptions so;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) {
      sim::charge_scan(done - charged);
      charged = done;
    };
    auto r = scan_file(files_[static_cast<std::size_t>(task.file)].path, task.range, so);
    Scheduler::ResultOutcome o;
    if (r) {
      o = sched_->on_result(0, t, *r, wtime(), now - t0_);
    } else {
      std::cerr << "error: " << r.error() << std::endl;
      o = sched_->on_task_error(0, t, r.error(), wtime());
    }
    if ((o.kind == Scheduler::ResultOutcome::Applied) && opt_.after_result) opt_.after_result(*sched_, files_, o.file_completed);
  }

  int finish(bool chatty) {
    // Workers that never collected their STOP, and every failed one (hung workers would keep the
    // job alive for ever): end them.
    std::vector<int> killed;
    for (int w = 1; w < size_; ++w) {
      const auto st = sched_->worker_state(w);
      if (st == Scheduler::WorkerState::Stopped) continue;
      if (st == Scheduler::WorkerState::Active) sched_->mark_stopped(w, wtime());
      if (told_stop_[static_cast<std::size_t>(w)]) continue;  // it talked again and was told to leave
      const long pid = pid_[static_cast<std::size_t>(w)];
      const bool same_host = wh_[static_cast<std::size_t>(w)] == host_ && same_program(pid);
      if (sim::kill_rank(w, pid, same_host)) killed.push_back(w);
    }
    out_.abandon();
    std::vector<std::pair<std::string, std::string>> extra;
    if (opt_.at_end) extra = opt_.at_end(*sched_, files_);

    const double total = finished_at_ - t0_;
    const auto failed = sched_->failed_workers();
    const auto bad_files = sched_->failed_files();
    const int nfiles = static_cast<int>(files_.size());
    const int processed = static_cast<int>(sched_->processed_files().size());
    const bool ok = bad_files.empty() && processed == nfiles && !interrupted_;
    const Counts c = opt_.visible_counts ? opt_.visible_counts(*sched_) : sched_->totals();
    std::string failed_list;
    for (int w : failed) failed_list += (failed_list.empty() ? "" : ",") + std::to_string(w);

    if (!opt_.trace_file.empty()) {
      auto st = trace_.write(opt_.trace_file);
      if (!st) std::cerr << "error: " << st.error() << std::endl;
    }
    if (opt_.json) {
      nlohmann::json j;
      j["counts"] = counts_json(c);
      j["lines"] = c.lines;
      j["files"] = nfiles;
      j["files_processed"] = processed;
      nlohmann::json pf = nlohmann::json::array(), pend = nlohmann::json::array(), bad = nlohmann::json::array();
      for (int f : sched_->processed_files()) pf.push_back(files_[static_cast<std::size_t>(f)].name);
      for (int f : sched_->pending_files()) pend.push_back(files_[static_cast<std::size_t>(f)].name);
      for (int f : bad_files) bad.push_back(files_[static_cast<std::size_t>(f)].name);
      j["processed_files"] = pf;
      j["pending_files"] = pend;
      j["unreadable_files"] = bad;
      j["failed_workers"] = failed;
      j["workers"] = size_ - 1;
      j["tasks"] = sched_->tasks().size();
      j["tasks_reassigned"] = sched_->tasks_reassigned();
      j["tasks_by_master"] = sched_->tasks_by_master();
      j["duplicates_dropped"] = sched_->duplicates();
      j["late_results_accepted"] = sched_->late_accepted();
      j["messages_sent"] = out_.sent() + received_;
      j["makespan_s"] = total;
      j["simulated"] = sim::simulated();
      j["policy"] = opt_.policy;
      j["timeout_s"] = opt_.timeout;
      j["heartbeat_s"] = opt_.heartbeat;
      nlohmann::json det = nlohmann::json::array();
      for (const auto& d : failures_) det.push_back({{"worker", d.worker}, {"last_heard_s", d.last_heard}, {"detected_s", d.detected}});
      j["detections"] = det;
      j["killed_workers"] = killed;
      nlohmann::json pw = nlohmann::json::array();
      for (int w = 0; w < size_; ++w) {
        long long ntasks = 0, nbytes = 0;
        for (const auto& t : sched_->tasks())
          if (sched_->task_state(t.id) == Scheduler::TaskState::Done && sched_->task_owner(t.id) == w) {
            ++ntasks;
            nbytes += static_cast<long long>(t.bytes());
          }
        nlohmann::json e = {{"rank", w}, {"tasks_done", ntasks}, {"bytes_done", nbytes},
                            {"state", w == 0 ? "master" : to_string(sched_->worker_state(w))},
                            {"host", w == 0 ? host_ : wh_[static_cast<std::size_t>(w)]}};
        if (!sim::simulated()) e["pid"] = w == 0 ? static_cast<long>(::getpid()) : pid_[static_cast<std::size_t>(w)];
        pw.push_back(e);
      }
      j["per_rank"] = pw;
      j["result"] = ok ? "OK" : "INCOMPLETE";
      j["interrupted"] = interrupted_;
      for (const auto& [k, v] : extra) j["extra"][k] = v;
      std::cout << j.dump(2) << std::endl;
    } else {
      for (int w : killed)
        if (chatty) say("[Master] Ended worker " + std::to_string(w) + " (declared failed or not answering)");
      std::vector<std::pair<std::string, std::string>> footer;
      footer.emplace_back("Total time", fmt_time(total));
      footer.emplace_back("Files processed", std::to_string(processed) + (processed == nfiles ? "" : " of " + std::to_string(nfiles)));
      footer.emplace_back("Failed workers", std::to_string(failed.size()) + (failed.empty() ? "" : " (rank " + failed_list + ")"));
      footer.emplace_back("Tasks reassigned", std::to_string(sched_->tasks_reassigned()));
      if (sched_->duplicates()) footer.emplace_back("Duplicate results dropped", std::to_string(sched_->duplicates()));
      if (sched_->tasks_by_master()) footer.emplace_back("Tasks done by the master", std::to_string(sched_->tasks_by_master()));
      if (!bad_files.empty()) footer.emplace_back("Unreadable files", std::to_string(bad_files.size()));
      for (auto& e : extra) footer.push_back(e);
      std::fputs(("\n" + format_results(c, footer)).c_str(), stdout);
    }
    char buf[400];
    const std::string unreadable = bad_files.empty() ? "" : " unreadable=" + std::to_string(bad_files.size());
    std::snprintf(buf, sizeof buf, "RESULT %s files=%d/%d%s failed_workers=%zu%s%s DEBUG=%llu ERROR=%llu INFO=%llu WARN=%llu lines=%llu",
                  ok ? "OK" : interrupted_ ? "INCOMPLETE interrupted" : "INCOMPLETE", processed, nfiles, unreadable.c_str(), failed.size(), failed.empty() ? "" : " failed=",
                  failed_list.c_str(), static_cast<unsigned long long>(c.level[0]), static_cast<unsigned long long>(c.level[1]),
                  static_cast<unsigned long long>(c.level[2]), static_cast<unsigned long long>(c.level[3]),
                  static_cast<unsigned long long>(c.lines));
    say(buf);
    return ok ? 0 : 3;
  }

  struct Detection {
    int worker;
    double last_heard, detected;
  };
  int size_;
  const DistributedOptions& opt_;
  std::vector<FileInfo> files_;
  double t0_;
  std::string host_;
  std::unique_ptr<Scheduler> sched_;
  Trace trace_;
  Outbox out_;
  long long received_ = 0;
  std::vector<long> pid_;
  std::vector<std::string> wh_;
  std::vector<char> told_stop_;
  std::vector<Detection> failures_;
  double finished_at_ = -1;
  bool interrupted_ = false;  // on_poll asked to stop (SIGINT/SIGTERM)
};

}  // namespace

const char* to_string(CrashSpec::Mode m) {
  switch (m) {
    case CrashSpec::Kill: return "kill";
    case CrashSpec::Hang: return "hang";
    case CrashSpec::Exit: return "exit";
  }
  return "?";
}

namespace {
bool parse_int(const std::string& s, int* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  long x = std::strtol(s.c_str(), &end, 10);
  if (*end || x < 0 || x > 1000000) return false;
  *v = static_cast<int>(x);
  return true;
}
bool parse_double(const std::string& s, double* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  double x = std::strtod(s.c_str(), &end);
  if (*end || !std::isfinite(x)) return false;
  *v = x;
  return true;
}
}  // namespace

Result<CrashSpec> parse_crash_spec(const std::string& s) {
  CrashSpec c;
  auto at = s.find('@');
  if (at == std::string::npos) return Error{"--inject-crash '" + s + "': expected RANK@SECONDS[:kill|hang|exit]"};
  std::string rest = s.substr(at + 1), mode = "kill";
  auto colon = rest.find(':');
  if (colon != std::string::npos) {
    mode = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!parse_int(s.substr(0, at), &c.rank) || !parse_double(rest, &c.at) || c.at < 0)
    return Error{"--inject-crash '" + s + "': expected RANK@SECONDS[:kill|hang|exit]"};
  if (mode == "kill") c.mode = CrashSpec::Kill;
  else if (mode == "hang") c.mode = CrashSpec::Hang;
  else if (mode == "exit") c.mode = CrashSpec::Exit;
  else return Error{"--inject-crash '" + s + "': mode must be kill, hang or exit"};
  return c;
}

Result<SlowSpec> parse_slow_spec(const std::string& s) {
  SlowSpec p;
  auto at = s.find('@');
  if (at == std::string::npos || !parse_int(s.substr(0, at), &p.rank) || !parse_double(s.substr(at + 1), &p.factor) ||
      p.factor < 1)
    return Error{"--inject-slow '" + s + "': expected RANK@FACTOR with FACTOR >= 1"};
  return p;
}

Status validate(const DistributedOptions& opt, int size) {
  if (opt.dir.empty()) return Error{"missing DIR"};
  if (!make_policy(opt.policy)) return Error{"--policy must be dynamic or static, not '" + opt.policy + "'"};
  if (!(opt.timeout > 0)) return Error{"--timeout must be > 0"};
  if (!(opt.heartbeat > 0) || opt.heartbeat >= opt.timeout) return Error{"--heartbeat must be > 0 and below --timeout"};
  if (!(opt.master_timeout > 0)) return Error{"--master-timeout must be > 0"};
  if (opt.throttle < 0) return Error{"--throttle must be >= 0"};
  if (!(opt.flops_per_byte > 0)) return Error{"--flops-per-byte must be > 0"};
  for (const auto& c : opt.crashes) {
    if (c.rank == 0) return Error{"--inject-crash: rank 0 is the master; only workers (1.." + std::to_string(size - 1) + ") can crash"};
    if (c.rank >= size) return Error{"--inject-crash: rank " + std::to_string(c.rank) + " does not exist (" + std::to_string(size) + " ranks)"};
  }
  for (const auto& s : opt.slow)
    if (s.rank <= 0 || s.rank >= size) return Error{"--inject-slow: rank " + std::to_string(s.rank) + " is not a worker"};
  return OkStatus();
}

int run_distributed(const Session& s, const DistributedOptions& opt) {
  sim::set_flops_per_byte(opt.flops_per_byte);
  const int rank = s.rank();
  // Rank 0 discovers the input and broadcasts it (everyone is alive at this point).
  std::string plan;
  if (rank == 0) {
    nlohmann::json j;
    auto st = validate(opt, s.size());
    if (!st) {
      j["error"] = st.error();
    } else {
      auto files = discover_logs(opt.dir);
      if (!files) j["error"] = files.error();
      else j["files"] = files_json(*files);
    }
    plan = j.dump();
  }
  broadcast(plan);
  auto j = nlohmann::json::parse(plan);
  if (j.contains("error")) {
    if (rank == 0) {
      std::cerr << "error: " << j["error"].get<std::string>() << std::endl;
      say("RESULT ERROR " + j["error"].get<std::string>());
    }
    return 1;
  }
  std::vector<FileInfo> files;
  for (const auto& f : j["files"])
    files.push_back({f["path"].get<std::string>(), f["name"].get<std::string>(), f["size"].get<std::uint64_t>(),
                     f["mtime_ns"].get<std::int64_t>()});
  barrier();
  const double t0 = wtime();
  if (rank == 0) return Master(s.size(), opt, std::move(files), t0).run();
  return Worker(rank, opt, std::move(files), t0).run();
}

}  // namespace dla::mpi
