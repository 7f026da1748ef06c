#include "mpi/master.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "obs/trace_target.h"
#include "mpi/transport.h"
#include "obs/report.h"
#include "scan/scanner.h"

namespace dla::mpi {
namespace {

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

// What the end of a run prints, gathered once.
struct Summary {
  double total = 0;
  std::vector<int> failed, bad_files, killed;
  int nfiles = 0, processed = 0;
  bool ok = false;
  Counts counts;
  std::vector<std::pair<std::string, std::string>> extra;
};

class Master {
 public:
  Master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files)
      : session_(s), size_(s.size()), opt_(opt), files_(std::move(files)), host_(sim::host_name()),
        chatty_(!opt.quiet && !opt.json) {}

  int run(const std::string& plan) {
    const Status st = start();
    send_plans(st ? plan : nlohmann::json{{"error", printable(st.error())}}.dump());
    if (!st) {
      std::cerr << "error: " << printable(st.error()) << std::endl;
      say("RESULT ERROR " + printable(st.error()));
      out_.abandon();
      return 1;
    }
    serve();
    if (finished_at_ < 0) finished_at_ = wtime();
    return finish();
  }

 private:
  // Non-blocking, one per worker: a worker that died during start-up never blocks the others.
  void send_plans(const std::string& plan) {
    for (int w = 1; w < size_; ++w) out_.send_text(w, wire::kPlan, plan);
    session_.startup_done();
  }

  // Builds the scheduler (after the on_start hook: resume) and prints the run's header.
  Status start() {
    auto tasks = make_tasks(files_, opt_.split_bytes);
    std::vector<int> workers;
    for (int r = 1; r < size_; ++r) workers.push_back(r);
    SchedulerOptions so;
    so.timeout = opt_.timeout;
    so.trace = &trace_;
    for (const auto& f : files_) so.file_names.push_back(escape_name(f.name));  // trace details: one line each
    if (opt_.on_start) {
      auto st = opt_.on_start(files_, so);
      if (!st) return st;
    }
    // The run's clock starts now, after the load and just before the workers get their plan: a
    // worker is heard from (or declared failed) relative to when it could start.
    t0_ = wtime();
    const int already = static_cast<int>(so.files_done.size());
    auto policy = make_policy(opt_.policy);
    if (opt_.wrap_policy) policy = opt_.wrap_policy(std::move(policy));
    sched_ = std::make_unique<Scheduler>(tasks, static_cast<int>(files_.size()), workers, std::move(policy), so, t0_);
    trace_.comment("dla-trace 1 distributed_log_analyser");
    std::ostringstream c;
    c << "policy=" << opt_.policy << " workers=" << workers.size() << " files=" << files_.size()
      << " tasks=" << tasks.size() << " timeout=" << opt_.timeout << " heartbeat=" << opt_.heartbeat
      << " split_bytes=" << opt_.split_bytes << " simulated=" << (sim::simulated() ? 1 : 0);
    trace_.comment(c.str());
    if (!opt_.json) print_header(workers.size(), tasks.size(), already);
    pid_.assign(static_cast<std::size_t>(size_), 0);
    wh_.assign(static_cast<std::size_t>(size_), "");
    told_stop_.assign(static_cast<std::size_t>(size_), 0);
    return OkStatus();
  }

  void print_header(std::size_t workers, std::size_t tasks, int already) {
    const int remaining = static_cast<int>(sched_->pending_files().size());
    if (already > 0) say("Found " + std::to_string(files_.size()) + " log file(s) to analyse (" + std::to_string(remaining) + " remaining)");
    else say("Found " + std::to_string(files_.size()) + " log file(s) to analyse");
    char buf[200];
    std::snprintf(buf, sizeof buf, "Starting distributed analysis: %zu worker(s), %zu task(s), policy %s, timeout %gs, heartbeat %gs",
                  workers, tasks, opt_.policy.c_str(), opt_.timeout, opt_.heartbeat);
    say(buf);
    say("");
  }

  // The master loop: messages, failure detection, hooks; works itself when no worker is left.
  void serve() {
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
      for (int w : take_peer_errors())
        if (w > 0 && w < size_)
          if (auto f = sched_->on_peer_error(w, now)) declare_failed(*f, now);
      for (const auto& f : sched_->tick(now)) declare_failed(f, now);
      out_.progress();
      const bool stop = opt_.on_poll && opt_.on_poll(*sched_, now);
      note_checkpoints(now);
      if (stop) {
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
        if (!announced_self && chatty_) {
          say(sched_->workers().empty() ? "[Master] No workers - processing every task itself"
                                        : "[Master] All workers failed - processing the remaining tasks itself");
        }
        announced_self = true;
        self_work();
        continue;
      }
      if (!handled) sleep_seconds(opt_.poll);
    }
  }

  void handle(const Incoming& m) {
    const double now = wtime();
    const int w = m.source;
    if (w <= 0 || w >= size_) return;
    ++received_;
    switch (m.tag) {
      case wire::kHello:
        handle_hello(w, m.text, now);
        break;
      case wire::kRequest:
        reply(w, sched_->on_request(w, now));
        break;
      case wire::kHeartbeat:
        sched_->on_heartbeat(w, static_cast<int>(m.nums[0]), static_cast<std::uint64_t>(m.nums[1]), now,
                             static_cast<double>(m.nums[2]) / 1e6);
        break;
      case wire::kResult:
        handle_result(w, m.nums, now);
        break;
      default:
        break;
    }
  }

  void handle_hello(int w, const std::string& text, double now) {
    std::istringstream in(text);
    long pid = 0;
    std::string host;
    in >> pid >> host;
    pid_[static_cast<std::size_t>(w)] = pid;
    wh_[static_cast<std::size_t>(w)] = host;
    sched_->on_hello(w, now);
    if (!chatty_) return;
    if (sim::simulated()) say("[Master] Worker " + std::to_string(w) + " ready on " + host);
    else say("[Master] Worker " + std::to_string(w) + " ready (pid " + std::to_string(pid) + ", host " + host + ")");
  }

  void handle_result(int w, const Payload& nums, double now) {
    const int task = static_cast<int>(nums[0]);
    Scheduler::ResultOutcome o;
    if (nums[1]) {
      Counts c;
      for (int l = 0; l < kNumLevels; ++l)
        if (nums[2 + l] != 0) c[static_cast<Level>(l)] = static_cast<std::uint64_t>(nums[2 + l]);
      c.lines = static_cast<std::uint64_t>(nums[6]);
      o = sched_->on_result(w, task, c, now, static_cast<double>(nums[7]) / 1e6);
    } else {
      o = sched_->on_task_error(w, task, "unreadable", now);
      if (o.kind != Scheduler::ResultOutcome::Duplicate && o.kind != Scheduler::ResultOutcome::Rejected)
        say("[Master] Worker " + std::to_string(w) + " could not read " + label(task) + " - file not counted");
    }
    if (o.kind == Scheduler::ResultOutcome::LateApplied && chatty_)
      say("[Master] Late result for " + label(task) + " from failed worker " + std::to_string(w) + " - accepted");
    if (o.kind == Scheduler::ResultOutcome::Duplicate && chatty_)
      say("[Master] Duplicate result for " + label(task) + " from worker " + std::to_string(w) + " - dropped");
    reply(w, o.next);
  }

  std::string label(int task) const {
    if (task < 0 || task >= static_cast<int>(sched_->tasks().size())) return "task " + std::to_string(task);
    return task_label(files_, sched_->tasks()[static_cast<std::size_t>(task)]);
  }

  void reply(int w, const Scheduler::Reply& r) {
    if (sched_->worker_state(w) == Scheduler::WorkerState::Failed && !told_stop_[static_cast<std::size_t>(w)] && chatty_)
      say("[Master] Worker " + std::to_string(w) + " was declared failed but is talking again - told to stop");
    switch (r.kind) {
      case Scheduler::Reply::Assign: {
        const Task& t = sched_->tasks()[static_cast<std::size_t>(r.task)];
        if (chatty_ || (r.attempt > 1 && !opt_.json))
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

  // A checkpoint saved since the last look becomes a `checkpoint` event (rank 0) on the trace.
  void note_checkpoints(double now) {
    if (!opt_.checkpoints_saved) return;
    const int saved = opt_.checkpoints_saved();
    for (; checkpoints_seen_ < saved; ++checkpoints_seen_)
      trace_.add(now - t0_, 0, "checkpoint", -1, 0, "#" + std::to_string(checkpoints_seen_ + 1));
  }

  // The scheduler declared `f.worker` failed (silent for longer than --timeout): say so and, if
  // the failure was injected, put the crash on the trace.
  void declare_failed(const Scheduler::Failure& f, double now) {
    const int w = f.worker;
    failures_.push_back({w, f.last_heard - t0_, now - t0_});
    if (!opt_.json) say("[Master] Worker " + std::to_string(w) + " timeout detected - marking as failed");
    for (const auto& c : opt_.crashes)
      if (c.rank == w && c.at <= now - t0_) {
        trace_.add(c.at, w, "crash", -1, 0, to_string(c.mode));
        break;
      }
  }

  // Every worker is gone: the master scans one pending task itself.
  void self_work() {
    const double now = wtime();
    const int t = sched_->take_for_master(now);
    if (t < 0) {
      sleep_seconds(opt_.poll);
      return;
    }
    const Task& task = sched_->tasks()[static_cast<std::size_t>(t)];
    if (chatty_) say("[Master] Processing " + task_label(files_, task));
    std::uint64_t charged = 0;
    ScanOptions so;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) {
      sim::charge_scan(done - charged);
      charged = done;
    };
    auto r = scan_file(files_[static_cast<std::size_t>(task.file)].path, task.range, so);
    if (r) {
      sched_->on_result(0, t, *r, wtime(), now - t0_);
    } else {
      std::cerr << "error: " << printable(r.error()) << std::endl;
      sched_->on_task_error(0, t, r.error(), wtime());
    }
  }

  int finish() {
    Summary s;
    s.killed = end_workers();
    out_.abandon();
    if (opt_.at_end) s.extra = opt_.at_end(*sched_, files_);
    note_checkpoints(wtime());  // the final one
    s.total = finished_at_ - t0_;
    s.failed = sched_->failed_workers();
    s.bad_files = sched_->failed_files();
    s.nfiles = static_cast<int>(files_.size());
    s.processed = static_cast<int>(sched_->processed_files().size());
    s.ok = s.bad_files.empty() && s.processed == s.nfiles && !interrupted_;
    s.counts = opt_.visible_counts ? opt_.visible_counts(*sched_) : sched_->totals();
    write_trace();
    if (opt_.json) print_json(s);
    else print_text(s);
    write_result_line(s);
    return s.ok ? 0 : 3;
  }

  // Workers that never collected their STOP, and every failed one (hung workers would keep the
  // job alive for ever): end them. Returns the ranks ended.
  std::vector<int> end_workers() {
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
    return killed;
  }

  void write_trace() {
    if (opt_.trace_file.empty()) return;
    auto st = trace_.write(opt_.trace_file);  // temp file + rename; the target was checked at start-up
    if (!st) std::cerr << "error: " << printable(st.error()) << std::endl;
  }

  nlohmann::json names_json(const std::vector<int>& file_indices) const {
    nlohmann::json a = nlohmann::json::array();
    for (int f : file_indices) a.push_back(escape_name(files_[static_cast<std::size_t>(f)].name));
    return a;
  }

  nlohmann::json per_rank_json() const {
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
    return pw;
  }

  void print_json(const Summary& s) const {
    nlohmann::json j;
    j["counts"] = counts_json(s.counts);
    j["lines"] = s.counts.lines;
    j["unleveled"] = s.counts.unleveled();
    j["files"] = s.nfiles;
    j["files_processed"] = s.processed;
    j["processed_files"] = names_json(sched_->processed_files());
    j["pending_files"] = names_json(sched_->pending_files());
    j["unreadable_files"] = names_json(s.bad_files);
    j["failed_workers"] = s.failed;
    j["workers"] = size_ - 1;
    j["tasks"] = sched_->tasks().size();
    j["tasks_reassigned"] = sched_->tasks_reassigned();
    j["tasks_by_master"] = sched_->tasks_by_master();
    j["duplicates_dropped"] = sched_->duplicates();
    j["late_results_accepted"] = sched_->late_accepted();
    j["messages_sent"] = out_.sent() + received_;
    j["makespan_s"] = s.total;
    j["simulated"] = sim::simulated();
    j["policy"] = opt_.policy;
    j["timeout_s"] = opt_.timeout;
    j["heartbeat_s"] = opt_.heartbeat;
    nlohmann::json det = nlohmann::json::array();
    for (const auto& d : failures_) det.push_back({{"worker", d.worker}, {"last_heard_s", d.last_heard}, {"detected_s", d.detected}});
    j["detections"] = det;
    j["killed_workers"] = s.killed;
    j["per_rank"] = per_rank_json();
    j["result"] = s.ok ? "OK" : "INCOMPLETE";
    j["interrupted"] = interrupted_;
    for (const auto& [k, v] : s.extra) j["extra"][k] = v;
    std::cout << j.dump(2) << std::endl;
  }

  void print_text(const Summary& s) const {
    for (int w : s.killed)
      if (chatty_) say("[Master] Ended worker " + std::to_string(w) + " (declared failed or not answering)");
    std::string failed_list;
    for (int w : s.failed) failed_list += (failed_list.empty() ? "" : ",") + std::to_string(w);
    std::vector<std::pair<std::string, std::string>> footer;
    footer.emplace_back("Total time", fmt_time(s.total));
    footer.emplace_back("Files processed", std::to_string(s.processed) + (s.processed == s.nfiles ? "" : " of " + std::to_string(s.nfiles)));
    footer.emplace_back("Failed workers", std::to_string(s.failed.size()) + (s.failed.empty() ? "" : " (rank " + failed_list + ")"));
    footer.emplace_back("Tasks reassigned", std::to_string(sched_->tasks_reassigned()));
    if (sched_->duplicates()) footer.emplace_back("Duplicate results dropped", std::to_string(sched_->duplicates()));
    if (sched_->tasks_by_master()) footer.emplace_back("Tasks done by the master", std::to_string(sched_->tasks_by_master()));
    if (!s.bad_files.empty()) footer.emplace_back("Unreadable files", std::to_string(s.bad_files.size()));
    for (auto& e : s.extra) footer.push_back(e);
    std::fputs(("\n" + format_results(s.counts, footer)).c_str(), stdout);
  }

  // The verdict, last line on stdout (counts first, no length limit: obs/report.h).
  void write_result_line(const Summary& s) const {
    ResultLine r;
    r.verdict = s.ok ? "OK" : interrupted_ ? "INCOMPLETE interrupted" : "INCOMPLETE";
    r.counts = s.counts;
    r.files_processed = s.processed;
    r.files_total = s.nfiles;
    r.unreadable = static_cast<int>(s.bad_files.size());
    r.failed_workers = s.failed;
    say(format_result_line(r));
  }

  struct Detection {
    int worker;
    double last_heard, detected;
  };
  const Session& session_;
  int size_;
  const DistributedOptions& opt_;
  std::vector<FileInfo> files_;
  double t0_ = 0;  // set by start(): when the plans go out
  std::string host_;
  bool chatty_;
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
  int checkpoints_seen_ = 0;
};

}  // namespace

int run_master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files, const std::string& plan) {
  return Master(s, opt, std::move(files)).run(plan);
}

}  // namespace dla::mpi
