// The master's message loop (rank 0): start-up, receive, feed the scheduler, send its decisions.
// The end of the run (printing) is in master_report.cc.
#include "mpi/master.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/master_impl.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "scan/gzip_file.h"
#include "scan/scanner.h"

namespace dla::mpi {

Master::Master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files,
               std::optional<TakeoverInfo> takeover, std::unique_ptr<MasterStore> store)
    : session_(s), size_(s.size()), opt_(opt), files_(std::move(files)), host_(sim::host_name()),
      chatty_(!opt.quiet && !opt.json), rank_(s.rank()), standbys_(standby_count(opt, s.size())),
      takeover_(std::move(takeover)), store_(std::move(store)) {
  if (auto spec = parse_format_spec(opt.format.empty() ? "auto" : opt.format)) format_ = *spec;  // (checked by the app)
}

int Master::run() {
  if (takeover_) return run_takeover();
  if (standbys_ > 0) {
    out_.set_term(term_);
    if (opt_.on_term) opt_.on_term(term_, false);
  }
  const Status st = start();
  send_plans(proto::encode_plan(st ? proto::Plan{opt_.format, ""} : proto::Plan{"", printable(st.error())}));
  if (!st) {
    std::cerr << "error: " << printable(st.error()) << std::endl;
    say("RESULT ERROR " + printable(st.error()));
    out_.abandon();
    return 1;
  }
  serve();
  if (!may_finish()) return 0;  // a newer master exists: no result, no checkpoint
  if (finished_at_ < 0) finished_at_ = wtime();
  return finish();
}

// Non-blocking, one per worker: a worker that died during start-up never blocks the others.
void Master::send_plans(const std::string& plan) {
  for (int w = 1; w < size_; ++w) out_.send_text(w, wire::kPlan, plan);
  session_.startup_done();
}

// Builds the scheduler (after the on_start hook: resume) and prints the run's header.
Status Master::start() {
  auto tasks = store_ ? block_tasks(store_->manifest) : make_tasks(files_, static_cast<std::uint64_t>(opt_.split_bytes));
  std::vector<int> workers;
  for (int r = 0; r < size_; ++r)
    if (is_worker(r)) workers.push_back(r);
  SchedulerOptions so;
  so.timeout = opt_.timeout;
  so.detector.kind = opt_.detector;
  so.detector.threshold = opt_.phi_threshold;
  so.detector.first_interval = opt_.heartbeat;
  so.speculate = opt_.speculate;
  so.speculation.heartbeat = opt_.heartbeat;
  for (const auto& f : files_) so.unsplittable.push_back(store_ || is_gzip_name(f.path) ? 1 : 0);  // (guided never cuts a .gz, nor a block)
  file_format_.assign(files_.size(), std::string());
  // --store: each file's format was detected at ingest on its head (manifest format 2; the app
  // refuses an older manifest with detection on); every block of the file is counted with it.
  if (store_ && format_.automatic)
    for (std::size_t i = 0; i < files_.size(); ++i) file_format_[i] = store_->manifest.files[i].format;
  so.trace = &trace_;
  for (const auto& f : files_) so.file_names.push_back(escape_name(f.name));  // trace details: one line each
  if (opt_.on_start) {
    auto st = opt_.on_start(files_, so);
    if (!st) return st;
  }
  if (takeover_) so.replay = takeover_->log;  // (after the checkpoint's files: sched/scheduler.h)
  // The run's clock starts now, after the load and just before the workers get their plan: a
  // worker is heard from (or declared failed) relative to when it could start.
  t0_ = wtime();
  origin_ = takeover_ ? takeover_->t0 : t0_;
  if (opt_.announce_start && !takeover_) {  // (a new master's clock is its predecessor's)
    std::fprintf(stderr, "%s\n", kClockStartLine);
    std::fflush(stderr);
  }
  const int already = static_cast<int>(so.files_done.size());
  auto policy = store_ ? store_policy() : make_policy(opt_.policy);
  if (opt_.wrap_policy) policy = opt_.wrap_policy(std::move(policy));
  sched_ = std::make_unique<Scheduler>(tasks, static_cast<int>(files_.size()), workers, std::move(policy), so, t0_);
  initially_done_ = sched_->tasks_done();
  trace_.comment("dla-trace 1 distributed_log_analyser");
  std::ostringstream c;
  c << "policy=" << opt_.policy << " workers=" << workers.size() << " files=" << files_.size()
    << " tasks=" << tasks.size() << " timeout=" << opt_.timeout << " heartbeat=" << opt_.heartbeat
    << " split_bytes=" << opt_.split_bytes << " simulated=" << (sim::simulated() ? 1 : 0);
  if (opt_.speculate) c << " speculate=1";
  if (opt_.detector != "fixed") c << " detector=" << opt_.detector << " phi_threshold=" << opt_.phi_threshold;
  trace_.comment(c.str());
  if (!opt_.json && !takeover_) print_header(workers.size(), tasks.size(), already);
  pid_.assign(static_cast<std::size_t>(size_), 0);
  wh_.assign(static_cast<std::size_t>(size_), "");
  told_stop_.assign(static_cast<std::size_t>(size_), 0);
  return OkStatus();
}

void Master::print_header(std::size_t workers, std::size_t tasks, int already) {
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
void Master::serve() {
  double done_at = -1;
  bool announced_self = false;
  while (true) {
    const long long before = received_;
    if (standbys_ > 0 && !failover_poll()) break;  // stepped down
    drain();
    if (stepped_down_) break;
    const double now = wtime();
    detect(now);
    stream_log();
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
      last_loop_ = wtime();  // (a long scan of its own is no pause)
      continue;
    }
    if (received_ == before) sleep_seconds(opt_.poll);
  }
}

// Reads every message that has arrived, so that silence is judged (detect) only after everything
// queued was read: a busy master never declares a worker failed whose heartbeat is waiting for it.
// The loop ends: workers send only when answered or at most once a heartbeat interval.
void Master::drain() {
  Incoming m;
  while (try_recv(MPI_ANY_SOURCE, &m)) {
    handle(m);
    m = Incoming{};
  }
}

// Failure detection: MPI errors reported by the transport, then silence (Scheduler::tick).
void Master::detect(double now) {
  for (int w : take_peer_errors())
    if (w > 0 && w < size_)
      if (auto f = sched_->on_peer_error(w, now)) declare_failed(*f, now);
  for (const auto& f : sched_->tick(now)) declare_failed(f, now);
  send_orders(sched_->take_orders());
}

void Master::handle(const Incoming& m) {
  const double now = wtime();
  const int w = m.source;
  if (standbys_ > 0 && control(m, now)) return;
  if (store_ && wire::is_store_tag(m.tag)) {  // (corruption reports from the holders)
    store_->server->handle(m);
    return;
  }
  if (!is_worker(w)) return;
  ++received_;
  switch (m.tag) {
    case wire::kHello:
      handle_hello(w, m.text, now);
      break;
    case wire::kRequest:
      answer(w, {}, sched_->on_request(w, now), now);
      break;
    case wire::kHeartbeat:
      sched_->on_heartbeat(w, static_cast<int>(m.nums[0]), static_cast<std::uint64_t>(m.nums[1]), now,
                           static_cast<double>(m.nums[2]) / 1e6);
      send_orders(sched_->take_orders());
      break;
    case wire::kReleased:
    case wire::kRefused:
      sched_->on_release_reply(w, static_cast<int>(m.nums[0]), m.tag == wire::kReleased, now);
      send_orders(sched_->take_orders());
      break;
    case wire::kResult:
      handle_results(w, m.text, now);
      break;
    default:
      break;
  }
}

void Master::handle_hello(int w, const std::string& text, double now) {
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

// A RESULT message: every task result in it is applied (the scheduler hands out one task per
// result), then the worker is answered. A message that does not decode fails the worker: its
// tasks would otherwise stay assigned to it for ever.
void Master::handle_results(int w, const std::string& text, double now) {
  auto rs = proto::decode_results(text);
  if (!rs) {
    std::cerr << "error: worker " << w << ": " << rs.error() << std::endl;
    if (auto f = sched_->on_peer_error(w, now)) declare_failed(*f, now);
    send_orders(sched_->take_orders());
    return;
  }
  std::vector<Scheduler::Reply> given;
  Scheduler::Reply last;
  last.kind = Scheduler::Reply::Wait;
  for (const auto& r : *rs) {
    last = apply(w, r, now);
    if (last.kind == Scheduler::Reply::Assign) given.push_back(last);
  }
  answer(w, std::move(given), last, now);
}

Scheduler::Reply Master::apply(int w, const proto::ResultMsg& r, double now) {
  Scheduler::ResultOutcome o;
  if (r.kind == proto::ResultMsg::Ok) {
    o = sched_->on_result(w, r.task, r.counts, now, r.started_us >= 0 ? static_cast<double>(r.started_us) / 1e6 : -1);
    note_format(r.task, r.format, o.kind);
    if (store_) note_store_result(w, r, o.kind);
  } else {
    o = sched_->on_task_error(w, r.task, printable(r.error), now);
    if (store_) note_store_result(w, r, o.kind);
    if (o.kind != Scheduler::ResultOutcome::Duplicate && o.kind != Scheduler::ResultOutcome::Rejected)
      say("[Master] Worker " + std::to_string(w) + " could not read " + label(r.task) + " - file not counted");
  }
  if (o.kind == Scheduler::ResultOutcome::LateApplied && chatty_)
    say("[Master] Late result for " + label(r.task) + " from failed worker " + std::to_string(w) + " - accepted");
  if (o.kind == Scheduler::ResultOutcome::Duplicate && chatty_)
    say("[Master] Duplicate result for " + label(r.task) + " from worker " + std::to_string(w) + " - dropped");
  return o.next;
}

// The format a file's levels were read with, for --per-file: every range of a file detects the
// same format (from the file's head), so the first applied result says it. (--store with
// detection: set at start from the manifest, so the slot is never empty here.)
void Master::note_format(int task, const std::string& format, Scheduler::ResultOutcome::Kind kind) {
  if (kind != Scheduler::ResultOutcome::Applied && kind != Scheduler::ResultOutcome::LateApplied) return;
  if (task < 0 || task >= static_cast<int>(sched_->tasks().size())) return;
  auto& slot = file_format_[static_cast<std::size_t>(sched_->tasks()[static_cast<std::size_t>(task)].file)];
  if (slot.empty()) slot = format;
}

std::string Master::label(int task) const {
  if (task < 0 || task >= static_cast<int>(sched_->tasks().size())) return "task " + std::to_string(task);
  return task_label(files_, sched_->tasks()[static_cast<std::size_t>(task)]);
}

// Workers not declared failed (Scheduler::worker_state is a linear search: counting that way per
// batch cost O(workers^2), seconds of real time at 1024 ranks). Stopped workers only appear once
// everything is done, when batches no longer matter.
int Master::live_workers() const { return static_cast<int>(sched_->workers().size() - failures_.size()); }

// Whether one more task fits in the batch `given` for worker w (see kBatchBytes). The fair share
// is guided self-scheduling's: the tasks never handed out / (kFairShare x live workers), so batches
// shrink as the run nears its end (with the tasks not done instead, large-4096 ended with 286 of
// 4095 workers running one 6-task batch more than the others: makespan +7 %).
bool Master::batch_open(int w, const std::vector<Scheduler::Reply>& given) const {
  if (given.empty()) return true;
  const int n = static_cast<int>(given.size());
  // (first hand-outs are counted by send_assign; requeued tasks after a failure are not in it: the
  // share is then a little smaller, never larger)
  const int fresh = static_cast<int>(sched_->tasks().size()) - initially_done_ - first_handouts_;
  const int fair = std::max(1, fresh / (kFairShare * std::max(1, live_workers())));
  if (n >= kBatchTasks || n >= fair) return false;
  std::uint64_t bytes = 0;
  for (const auto& r : given) bytes += sched_->tasks()[static_cast<std::size_t>(r.task)].bytes();
  if (bytes >= kBatchBytes) return false;
  // Only a worker that holds nothing but this batch gets more (no prefetch yet).
  return sched_->held_by(w).size() == given.size();
}

// Answers worker w (exactly one answer per REQUEST or RESULT): `given` the tasks the scheduler
// already handed it, `last` its last answer. Tops the batch up, adds the scheduler's own extra
// tasks for w (prefetch) and sends one ASSIGN; else WAIT or STOP. Then the other orders.
void Master::answer(int w, std::vector<Scheduler::Reply> given, Scheduler::Reply last, double now) {
  if (last.kind == Scheduler::Reply::Assign && given.empty()) given.push_back(last);
  while (last.kind == Scheduler::Reply::Assign && batch_open(w, given)) {
    last = sched_->on_request(w, now);
    if (last.kind == Scheduler::Reply::Assign) given.push_back(last);
  }
  std::vector<Scheduler::Order> others;
  for (const auto& o : sched_->take_orders()) {
    if (o.kind == Scheduler::Order::Assign && o.worker == w) given.push_back({Scheduler::Reply::Assign, o.task, o.attempt});
    else others.push_back(o);
  }
  note_stop_after_failure(w);
  if (!given.empty()) {
    send_assign(w, given, /*answer=*/true);
  } else if (last.kind == Scheduler::Reply::Stop && store_ && !store_->repaired && sched_->all_done()) {
    // w is answered WAIT first, so that no worker waits for an answer across the repair (it would
    // leave after --master-timeout and stop serving copies); its STOP follows the repair.
    out_.send(w, wire::kWait, {0});
    store_repair();
    told_stop_[static_cast<std::size_t>(w)] = 1;
    out_.send(w, wire::kStop, {0});
  } else if (last.kind == Scheduler::Reply::Stop) {
    told_stop_[static_cast<std::size_t>(w)] = 1;
    out_.send(w, wire::kStop, {0});
  } else {
    out_.send(w, wire::kWait, {0});
  }
  send_orders(others);
}

// The scheduler's orders besides answers: extra tasks (one ASSIGN per worker), CANCEL, RELEASE.
void Master::send_orders(const std::vector<Scheduler::Order>& orders) {
  std::vector<std::pair<int, std::vector<Scheduler::Reply>>> extra;  // per worker, in order
  for (const auto& o : orders) {
    switch (o.kind) {
      case Scheduler::Order::Assign: {
        auto it = std::find_if(extra.begin(), extra.end(), [&](const auto& e) { return e.first == o.worker; });
        if (it == extra.end()) it = extra.insert(extra.end(), {o.worker, {}});
        it->second.push_back({Scheduler::Reply::Assign, o.task, o.attempt});
        break;
      }
      case Scheduler::Order::Cancel:
        if (chatty_) say("[Master] Cancelling " + label(o.task) + " on worker " + std::to_string(o.worker));
        out_.send(o.worker, wire::kCancel, {o.task});
        break;
      case Scheduler::Order::Release:
        if (chatty_) say("[Master] Asking worker " + std::to_string(o.worker) + " to release " + label(o.task) + " (steal)");
        out_.send(o.worker, wire::kRelease, {o.task});
        break;
    }
  }
  for (const auto& [w, tasks] : extra) send_assign(w, tasks, /*answer=*/false);
}

void Master::note_stop_after_failure(int w) {
  if (sched_->worker_state(w) == Scheduler::WorkerState::Failed && !told_stop_[static_cast<std::size_t>(w)] && chatty_)
    say("[Master] Worker " + std::to_string(w) + " was declared failed but is talking again - told to stop");
}

// The refill mark: with prefetch the worker reports after every task (the scheduler tops its deque
// up); a big batch of small tasks is reported when a quarter is left, so the next batch arrives
// before the worker runs dry.
void Master::send_assign(int w, const std::vector<Scheduler::Reply>& given, bool answer) {
  proto::Assignment a;
  a.answer = answer;
  const int prefetch = sched_->policy().traits().prefetch;
  const int n = static_cast<int>(given.size());
  a.refill = std::max(prefetch > 1 ? prefetch - 1 : 0, n >= 16 ? n / 4 : 0);
  for (const auto& r : given) {
    const Task& t = sched_->tasks()[static_cast<std::size_t>(r.task)];
    const FileInfo& f = files_[static_cast<std::size_t>(t.file)];
    if (r.attempt == 1) ++first_handouts_;
    if (chatty_ || (r.attempt > 1 && !opt_.json)) {
      const char* what = sched_->task_copy(r.task) == w ? "Speculative copy of " : r.attempt > 1 ? "Reassigning " : "Assigning ";
      say(std::string("[Master] ") + what + task_label(files_, t) + " to worker " + std::to_string(w));
    }
    a.tasks.push_back({t.id, t.range.offset, t.range.length, f.size, r.attempt, f.path, f.name});
    if (store_) {  // (task id = block id: block_tasks)
      const BlockRef& b = store_->manifest.blocks[static_cast<std::size_t>(t.id)];
      auto& m = a.tasks.back();
      m.block = b.id;
      m.crc = b.crc;
      m.holders = store_->holders[static_cast<std::size_t>(t.id)];
      m.format = file_format_[static_cast<std::size_t>(t.file)];
    }
  }
  out_.send_text(w, wire::kAssign, proto::encode_assign(a));
}

// A checkpoint saved since the last look becomes a `checkpoint` event (rank 0) on the trace.
void Master::note_checkpoints(double now) {
  if (!opt_.checkpoints_saved) return;
  const int saved = opt_.checkpoints_saved();
  for (; checkpoints_seen_ < saved; ++checkpoints_seen_)
    trace_.add(now - t0_, 0, "checkpoint", -1, 0, "#" + std::to_string(checkpoints_seen_ + 1));
}

// The scheduler declared `f.worker` failed (silent for longer than --timeout): say so and, if
// the failure was injected, put the crash on the trace.
void Master::declare_failed(const Scheduler::Failure& f, double now) {
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
void Master::self_work() {
  const double now = wtime();
  const int t = sched_->take_for_master(now);
  if (t < 0) {
    sleep_seconds(opt_.poll);
    return;
  }
  const Task& task = sched_->tasks()[static_cast<std::size_t>(t)];
  const FileInfo& file = files_[static_cast<std::size_t>(task.file)];
  if (store_) {  // rank 0 holds no blocks, and with no worker left no replica can be read
    proto::ResultMsg r;
    r.task = t;
    r.kind = proto::ResultMsg::Err;
    r.error = "no live data rank left to read block " + std::to_string(t) + " of " + task_label(files_, task);
    std::cerr << "error: " << printable(r.error) << std::endl;
    const auto o = sched_->on_task_error(0, t, r.error, wtime());
    note_store_result(0, r, o.kind);
    send_orders(sched_->take_orders());
    return;
  }
  if (chatty_) say("[Master] Processing " + task_label(files_, task));
  std::uint64_t charged = 0;
  ScanOptions so;
  so.expected_size = file.size;
  so.on_progress = [&](std::uint64_t done, std::uint64_t) {
    sim::charge_scan(done - charged);
    charged = done;
  };
  so.format = format_;
  std::string used;
  so.format_used = &used;
  auto r = scan_file(file.path, task.range, so);
  if (r) {
    const auto o = sched_->on_result(0, t, *r, wtime(), now - t0_);
    note_format(t, used, o.kind);
  } else {
    std::cerr << "error: " << printable(r.error()) << std::endl;
    sched_->on_task_error(0, t, r.error(), wtime());
  }
  send_orders(sched_->take_orders());
}

int run_master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files) {
  return Master(s, opt, std::move(files)).run();
}

int run_master_store(const Session& s, const DistributedOptions& opt, std::unique_ptr<MasterStore> store) {
  auto files = store->manifest.file_infos();
  return Master(s, opt, std::move(files), std::nullopt, std::move(store)).run();
}

// --store: locality (delay scheduling on the blocks' holders) unless another policy was asked for.
// No block waits for another: the ASSIGN carries the file's format from the manifest (detected at
// ingest on the file's head, as a directory run does), whatever the block size. (Before manifest
// format 2 the blocks other than a file's first waited until the first block told the format,
// which was wrong for a first block smaller than the head.)
std::unique_ptr<SchedulingPolicy> Master::store_policy() {
  store_->server = std::make_unique<BlockServer>(0, store_->own ? &*store_->own : nullptr, &out_, 0, Env::posix());
  return opt_.policy == "locality" ? make_locality_policy(store_->holders, opt_.locality_wait) : make_policy(opt_.policy);
}

// Bytes moved are counted for every result (a duplicate's bytes moved too); a repaired replica and a
// lost block (no replica could be read) once.
void Master::note_store_result(int w, const proto::ResultMsg& r, Scheduler::ResultOutcome::Kind kind) {
  if (r.task < 0 || r.task >= static_cast<int>(store_->manifest.blocks.size())) return;
  StoreTotals& t = store_->totals;
  t.local_bytes += r.local_bytes;
  t.remote_bytes += r.remote_bytes;
  const BlockRef& b = store_->manifest.blocks[static_cast<std::size_t>(r.task)];
  const std::string where = files_[static_cast<std::size_t>(b.file)].name + " " + range_text(b);
  if (r.repaired >= 0)
    t.corrupt_repaired.push_back("block " + std::to_string(b.id) + " " + where + " on rank " + std::to_string(w));
  // (a block whose bytes were read but do not count - a truncated .gz: the input's own fault - is
  // an unreadable file like any other, not a block the store lost)
  if (r.kind == proto::ResultMsg::Err && kind != Scheduler::ResultOutcome::Duplicate &&
      kind != Scheduler::ResultOutcome::Rejected && r.local_bytes + r.remote_bytes == 0)
    t.lost.push_back(where + ": " + r.error);
}

// Every task is done and a STOP is about to go out: first restore K replicas (the workers still
// serve the copies), then the STOPs. Meanwhile the workers keep talking to the master: their
// heartbeats go to the scheduler as in handle(), their REQUESTs and RESULTs (only duplicates can
// come: every task is done) count as hearing from them and are answered WAIT, so that nobody is
// judged silent over the repair's time, however long it takes. Store messages (corruption
// reports) are the coordinator's (store_coord.h routes them to rank 0's BlockServer).
void Master::store_repair() {
  std::vector<RankHost> live;
  for (int w : sched_->workers())
    if (sched_->worker_state(w) != Scheduler::WorkerState::Failed && !wh_[static_cast<std::size_t>(w)].empty())
      live.push_back({w, wh_[static_cast<std::size_t>(w)]});
  auto other = [this](const Incoming& m) {
    if (!is_worker(m.source)) return;
    ++received_;
    const double now = wtime();
    const int w = m.source;
    switch (m.tag) {
      case wire::kHeartbeat:
        sched_->on_heartbeat(w, static_cast<int>(m.nums[0]), static_cast<std::uint64_t>(m.nums[1]), now,
                             static_cast<double>(m.nums[2]) / 1e6);
        break;
      case wire::kRequest:
      case wire::kResult:
        sched_->on_heard(w, now);
        out_.send(w, wire::kWait, {0});
        break;
      default:
        sched_->on_heard(w, now);
        break;
    }
  };
  // (no worker waits for an answer meanwhile, so the deadline need not stay under --master-timeout;
  // it only bounds a repair that stops progressing: every copy order is bounded by its own waits)
  const double deadline = std::max(60.0, 20 * opt_.timeout);
  // A worker that dies meanwhile is detected as always (it is heard from while it serves: worker.cc
  // heartbeats between the chunks it charges) and its copy orders are given up at once.
  auto alive = [this](int r) { return sched_->worker_state(r) != Scheduler::WorkerState::Failed; };
  auto on_step = [this] { detect(wtime()); };
  final_repair(*store_, &out_, live, opt_.timeout, opt_.poll, deadline, other, chatty_, alive, on_step);
  // (silence is judged from here on: drain() reads what came meanwhile before the next detect())
}

}  // namespace dla::mpi
