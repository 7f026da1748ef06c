#include "ckpt/checkpoint_driver.h"

#include <algorithm>

#include "base/levels.h"
#include "base/names.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace dla {

const char* to_string(Consistency c) { return c == Consistency::Strong ? "strong" : "eventual"; }

bool parse_consistency(const std::string& s, Consistency* out) {
  if (s == "eventual") *out = Consistency::Eventual;
  else if (s == "strong") *out = Consistency::Strong;
  else return false;
  return true;
}

namespace {
std::string counts_line(const Counts& c) {
  std::string s;
  for (const auto& name : report_levels(c)) {
    if (!s.empty()) s += " ";
    s += name + "=" + std::to_string(c.get(name));
  }
  return s;
}
}  // namespace

// ---- BatchGate ----------------------------------------------------------------------------------
BatchGate::BatchGate(std::unique_ptr<SchedulingPolicy> inner, int batch_files)
    : inner_(std::move(inner)), limit_(std::max(batch_files, 1)) {}

std::string BatchGate::name() const { return inner_->name(); }

void BatchGate::init(const std::vector<Task>& pending, const std::vector<int>& workers) {
  int max_task = -1, max_file = -1;
  for (const auto& t : pending) {
    max_task = std::max(max_task, t.id);
    max_file = std::max(max_file, t.file);
  }
  file_of_.assign(static_cast<std::size_t>(max_task + 1), -1);
  in_batch_.assign(static_cast<std::size_t>(max_file + 1), 0);
  for (const auto& t : pending) file_of_[static_cast<std::size_t>(t.id)] = t.file;
  inner_->init(pending, workers);
}

bool BatchGate::allowed(int task) const {
  int f = file_of(task);
  if (f >= 0 && in_batch_[static_cast<std::size_t>(f)]) return true;
  return static_cast<int>(batch_.size()) < limit_;
}

void BatchGate::admit(int task) {
  int f = file_of(task);
  if (f < 0 || in_batch_[static_cast<std::size_t>(f)]) return;
  in_batch_[static_cast<std::size_t>(f)] = 1;
  batch_.push_back(f);
}

void BatchGate::maybe_close() {
  if (batch_.empty() || !done_) return;
  for (int f : batch_)
    if (!done_(f)) return;
  const bool more = !held_.empty() || !inner_->pending().empty();
  if (static_cast<int>(batch_.size()) < limit_ && more) {
    // Not full and work is left: only possible if nothing asked since; a full-size batch is
    // preferred, but a batch whose files are all complete and that cannot grow right now (every
    // worker busy elsewhere) would otherwise wait: it grows at the next hand-out instead.
    return;
  }
  for (int f : batch_) in_batch_[static_cast<std::size_t>(f)] = 0;
  closed_.push_back(std::move(batch_));
  batch_.clear();
  ++closed_count_;
}

std::vector<std::vector<int>> BatchGate::take_closed() {
  std::vector<std::vector<int>> out;
  out.swap(closed_);
  return out;
}

int BatchGate::pull(int t) {
  if (t < 0) return -1;
  if (allowed(t)) {
    admit(t);
    return t;
  }
  held_.push_back(t);
  return -1;
}

int BatchGate::take_held() {
  maybe_close();
  for (std::size_t i = 0; i < held_.size(); ++i) {
    if (!allowed(held_[i])) continue;
    int t = held_[i];
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
    admit(t);
    return t;
  }
  return -1;
}

int BatchGate::next(int worker) {
  const int t = take_held();
  return t >= 0 ? t : pull(inner_->next(worker));
}

int BatchGate::next_any() {
  const int t = take_held();
  return t >= 0 ? t : pull(inner_->next_any());
}

void BatchGate::give_back(const std::vector<Task>& tasks, const std::vector<int>& live) {
  for (const auto& t : tasks)
    if (t.id >= static_cast<int>(file_of_.size())) {
      file_of_.resize(static_cast<std::size_t>(t.id + 1), -1);
      file_of_[static_cast<std::size_t>(t.id)] = t.file;
    }
  inner_->give_back(tasks, live);
}

void BatchGate::worker_gone(int worker, const std::vector<int>& live) { inner_->worker_gone(worker, live); }

bool BatchGate::remove(int task) {
  auto it = std::find(held_.begin(), held_.end(), task);
  if (it != held_.end()) {
    held_.erase(it);
    return true;
  }
  return inner_->remove(task);
}

std::vector<int> BatchGate::pending() const {
  std::vector<int> out = held_;
  auto in = inner_->pending();
  out.insert(out.end(), in.begin(), in.end());
  return out;
}

// ---- CheckpointDriver ----------------------------------------------------------------------------
CheckpointDriver::CheckpointDriver(CheckpointConfig cfg, std::string input_dir, std::vector<FileInfo> files)
    : cfg_(std::move(cfg)), input_dir_(std::move(input_dir)), files_(std::move(files)) {
  if (cfg_.every < 1) cfg_.every = 1;
  plan_.done.assign(files_.size(), false);
}

Status CheckpointDriver::start(DriverOutput* o) {
  plan_ = ResumePlan{};
  plan_.done.assign(files_.size(), false);
  last_files_ = 0;
  if (!cfg_.enabled) return OkStatus();
  Env* env = cfg_.env ? cfg_.env : Env::posix();
  auto abs = absolute_path(input_dir_, *env);
  if (!abs) return Error{abs.error()};
  input_abs_ = *abs;
  CheckpointOptions so;
  so.root = cfg_.dir;
  so.keep = cfg_.keep;
  so.files = cfg_.files;
  so.term = cfg_.term;
  so.takeover = cfg_.takeover;
  if (cfg_.takeover) cfg_.fresh = false;  // (the old master already started fresh)
  store_ = std::make_unique<CheckpointStore>(so, env);
  if (auto r = store_->open(); !r) {
    // Another run holds the directory (or it cannot be created): this run still computes the
    // right result, it just cannot be resumed. Loading is skipped too (the other run owns it).
    o->err.push_back("warning: " + r.error() + ": this run writes no checkpoints (use --checkpoint-dir)");
    store_.reset();
    return OkStatus();
  }
  report_foreign(o);
  if (cfg_.fresh) {
    // Old checkpoints are deleted, never parsed beyond our marker: nothing in them can stop a fresh run.
    auto removed = store_->clear();
    if (!removed) return Error{"cannot remove old checkpoints: " + removed.error()};
    if (*removed > 0) o->out.push_back("Starting fresh: previous checkpoints in " + cfg_.dir + " removed");
    return OkStatus();
  }
  auto l = store_->load_latest();
  if (!l.found && l.skipped.empty()) return OkStatus();  // first run: nothing to say
  o->out.push_back("Loading checkpoint from previous run...");
  for (const auto& s : l.skipped)
    o->err.push_back("warning: checkpoint " + cfg_.dir + "/" + escape_name(s.name) + " is unusable (" + s.reason + "): skipped");
  for (const auto& note : l.recount) o->err.push_back("warning: checkpoint " + escape_name(l.dir) + ": " + note);
  if (!l.found) {
    o->out.push_back("No usable checkpoint found: starting from the beginning");
    return OkStatus();
  }
  if (l.state.pending_files.empty() && !cfg_.takeover) {
    // A checkpoint exists to finish an interrupted run; this one finished. A new invocation is a
    // new analysis (the input may have changed since).
    o->out.push_back("Previous run completed (" + l.dir + ", " + std::to_string(l.state.processed.size()) +
                     " files): starting a new analysis");
    return OkStatus();
  }
  if (!l.state.log_format.empty() && !cfg_.log_format.empty() && l.state.log_format != cfg_.log_format) {
    // Its counts were made with other level rules: resuming would add two rule sets together.
    o->err.push_back("warning: the checkpoint was made with --format " + escape_name(l.state.log_format) + ", not " +
                     escape_name(cfg_.log_format));
    o->out.push_back("Checkpoint " + l.dir + " used another --format: starting from the beginning");
    return OkStatus();
  }
  auto p = plan_resume(l.state, input_abs_, files_);
  if (!p) {
    o->err.push_back("warning: " + p.error());
    o->out.push_back("Checkpoint " + l.dir + " is for another input: starting from the beginning");
    return OkStatus();
  }
  plan_ = std::move(*p);
  for (const auto& n : plan_.notes) o->err.push_back("warning: " + n);
  resumed_ = true;
  last_files_ = plan_.already;
  durable_files_ = plan_.already;  // the loaded checkpoint is durable
  committed_counts_ = plan_.base;
  o->out.push_back("Checkpoint " + l.dir + " of " + escape_name(l.state.timestamp) + " (" + std::to_string(l.state.processed.size()) +
                   " files, " + escape_name(l.state.consistency) + " consistency)");
  o->out.push_back("Resuming from checkpoint: " + std::to_string(plan_.already) + " files already processed");
  return OkStatus();
}

void CheckpointDriver::report_foreign(DriverOutput* o) const {
  const auto& f = store_->foreign();
  if (f.empty()) return;
  std::string names;
  for (std::size_t i = 0; i < f.size() && i < 5; ++i) names += (i ? ", " : "") + escape_name(f[i]);
  if (f.size() > 5) names += ", ... (" + std::to_string(f.size()) + " in all)";
  o->err.push_back("warning: " + cfg_.dir + " holds entries this program did not write (" + names + "): left alone");
}

std::vector<int> CheckpointDriver::files_done() const {
  std::vector<int> out;
  for (std::size_t i = 0; i < plan_.done.size(); ++i)
    if (plan_.done[i]) out.push_back(static_cast<int>(i));
  return out;
}

std::unique_ptr<SchedulingPolicy> CheckpointDriver::wrap_policy(std::unique_ptr<SchedulingPolicy> inner) {
  if (cfg_.consistency != Consistency::Strong) return inner;
  auto g = std::make_unique<BatchGate>(std::move(inner), cfg_.every);
  gate_ = g.get();
  return g;
}

void CheckpointDriver::attach(const Scheduler* s) {
  sched_ = s;
  if (gate_) gate_->set_file_done([s](int f) { return s->file_done(f); });
}

std::vector<int> CheckpointDriver::consistent_files() const {
  if (cfg_.consistency == Consistency::Strong) return committed_;
  std::vector<int> out;
  if (!sched_) return out;
  for (int f : sched_->processed_files())
    if (!plan_.done[static_cast<std::size_t>(f)]) out.push_back(f);
  return out;
}

CheckpointState CheckpointDriver::snapshot(const std::string& timestamp) const {
  CheckpointState s;
  s.timestamp = timestamp;
  s.processed = plan_.kept;
  std::vector<char> in(files_.size(), 0);
  for (std::size_t i = 0; i < files_.size(); ++i) in[i] = plan_.done[i];
  for (int f : consistent_files()) {
    const auto& fi = files_[static_cast<std::size_t>(f)];
    CheckpointFile cf;
    cf.name = fi.name;
    cf.size = fi.size;
    cf.mtime_ns = fi.mtime_ns;
    cf.counts = sched_->file_counts(f);
    s.processed.push_back(cf);
    in[static_cast<std::size_t>(f)] = 1;
  }
  s.counts = sum_counts(s.processed);
  for (std::size_t i = 0; i < files_.size(); ++i)
    if (!in[i]) s.pending_files.push_back(files_[i].name);
  if (sched_) s.failed_workers = sched_->failed_workers();
  s.input_dir = input_abs_;
  s.consistency = to_string(cfg_.consistency);
  s.log_format = cfg_.log_format;
  return s;
}

Counts CheckpointDriver::visible() const {
  if (cfg_.consistency == Consistency::Strong) return committed_counts_;
  return sched_ ? sched_->totals() : plan_.base;
}

void CheckpointDriver::commit_closed(DriverOutput* o) {
  if (!gate_) return;
  for (auto& batch : gate_->take_closed()) {
    for (int f : batch) {
      if (sched_->file_failed(f)) continue;  // unreadable: not processed, stays pending
      committed_.push_back(f);
      committed_counts_ += sched_->file_counts(f);
    }
    ++commits_;
    o->out.push_back("[Master] Commit " + std::to_string(commits_) + ": batch of " + std::to_string(batch.size()) +
                     " file(s) applied, " + std::to_string(plan_.already + static_cast<int>(committed_.size())) + "/" +
                     std::to_string(files_.size()) + " files, " + counts_line(committed_counts_));
  }
}

Status CheckpointDriver::write(const CheckpointState& st, const std::string& why, DriverOutput* o) {
  auto r = store_->save(st, input_dir_);
  if (!r) {
    o->err.push_back("warning: checkpoint failed: " + r.error());
    return Error{r.error()};
  }
  for (const auto& c : r->changed)
    o->err.push_back("warning: " + escape_name(c) + " changed after it was counted: left out of " + r->dir + " (a resumed run counts it again)");
  const int n = r->files;
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++saved_;
    durable_files_ = n;
  }
  o->out.push_back("[Master] Checkpoint saved: " + r->dir + " (" + std::to_string(n) + "/" + std::to_string(files_.size()) + " files, " + why + ")");
  return OkStatus();
}

void CheckpointDriver::writer_loop() {
#ifdef __linux__
  // Lowest CPU priority for this thread only (Linux: a thread is a schedulable task with its own
  // nice value): on a machine whose cores are all busy scanning, the writer uses what the workers
  // leave; the final checkpoint is written by the master thread at normal priority.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
#endif
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || slot_.has_value(); });
    if (!slot_) return;  // stop_ and nothing left
    Job job = std::move(*slot_);
    slot_.reset();
    busy_ = true;
    lk.unlock();
    DriverOutput o;
    write(job.state, job.why, &o);
    lk.lock();
    busy_ = false;
    for (auto& l : o.out) pending_out_.out.push_back(std::move(l));
    for (auto& l : o.err) pending_out_.err.push_back(std::move(l));
    cv_.notify_all();
  }
}

void CheckpointDriver::collect(DriverOutput* o) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& l : pending_out_.out) o->out.push_back(std::move(l));
  for (auto& l : pending_out_.err) o->err.push_back(std::move(l));
  pending_out_ = DriverOutput{};
}

void CheckpointDriver::drain(DriverOutput* o) {
  if (writer_.joinable()) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return !slot_ && !busy_; });
  }
  collect(o);
}

void CheckpointDriver::stop_writer() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

CheckpointDriver::~CheckpointDriver() { stop_writer(); }

int CheckpointDriver::saved() const {
  std::lock_guard<std::mutex> lk(mu_);
  return saved_;
}
int CheckpointDriver::coalesced() const {
  if (!async_active()) return 0;  // synchronous saves are never folded
  std::lock_guard<std::mutex> lk(mu_);
  return coalesced_ + std::max(0, requested_ - submitted_);
}

bool CheckpointDriver::async_active() const { return cfg_.async && cfg_.consistency == Consistency::Eventual; }

bool CheckpointDriver::writer_ready(double now) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (slot_ || busy_) return false;
  }
  if (handed_at_ >= 0) {
    // The save handed over at handed_at_ is done (seen at this poll, so `took` is within one poll
    // interval). Pacing is decided here, on the master's clock: the writer thread reads none.
    const double took = now - handed_at_;
    handed_at_ = -1;
    if (cfg_.budget > 0 && cfg_.budget < 1) not_before_ = now + took * (1.0 / cfg_.budget - 1.0);
  }
  return now >= not_before_;
}
int CheckpointDriver::files_in_last_checkpoint() const {
  std::lock_guard<std::mutex> lk(mu_);
  return durable_files_;
}

Status CheckpointDriver::save(double now, const std::function<std::string()>& timestamp, const char* why, DriverOutput* o) {
  auto st = snapshot(timestamp ? timestamp() : std::string());
  last_save_time_ = now;
  last_files_ = static_cast<int>(st.processed.size());
  if (async_active()) {
    if (!writer_.joinable()) writer_ = std::thread([this] { writer_loop(); });
    handed_at_ = now;
    {
      std::lock_guard<std::mutex> lk(mu_);
      ++submitted_;
      if (slot_) ++coalesced_;  // the older request was never written: the newer state replaces it
      slot_ = Job{std::move(st), why};
    }
    cv_.notify_all();
    return OkStatus();
  }
  return write(st, why, o);
}

Status CheckpointDriver::poll(double now, const std::function<std::string()>& timestamp, DriverOutput* o) {
  if (!started_clock_) {
    started_clock_ = true;
    last_save_time_ = now;
  }
  if (!sched_) return OkStatus();
  collect(o);
  if (gate_) {
    gate_->maybe_close();
    const int before = commits_;
    commit_closed(o);
    if (commits_ != before && store_) return save(now, timestamp, "commit", o);
    return OkStatus();
  }
  if (!store_) return OkStatus();
  // (processed_files() holds the resumed files too: O(1) per poll, the master polls every ms)
  const int n = static_cast<int>(sched_->processed_files().size());
  const bool every = n - last_files_ >= cfg_.every;
  const bool interval = cfg_.interval > 0 && now - last_save_time_ >= cfg_.interval && n != last_files_;
  if (!every && !interval) return OkStatus();
  if (async_active() && !writer_ready(now)) {
    // The writer is busy or pausing (budget): no snapshot now (it would only be replaced); the
    // request stays due and the newest state is taken as soon as the writer can write it.
    return OkStatus();
  }
  if (every) requested_ += (n - last_files_) / cfg_.every;
  else ++requested_;
  return save(now, timestamp, every ? "every" : "interval", o);
}

Status CheckpointDriver::finish(double now, const std::function<std::string()>& timestamp, bool interrupted, DriverOutput* o) {
  if (!sched_) return OkStatus();
  if (gate_) {
    gate_->maybe_close();
    commit_closed(o);
    const auto& open = gate_->open_batch();
    if (interrupted && !open.empty()) {
      int complete = 0;
      for (int f : open) complete += sched_->file_done(f) ? 1 : 0;
      o->out.push_back("[Master] Strong consistency: the open batch (" + std::to_string(open.size()) + " file(s), " +
                       std::to_string(complete) + " complete) is not committed and will be processed again");
    }
  }
  if (!store_) return OkStatus();
  drain(o);  // the background writer finishes what it has
  const int n = plan_.already + static_cast<int>(consistent_files().size());
  // Nothing new since the newest checkpoint (or the resumed one, or the start: an empty checkpoint
  // would only hide the previous run's).
  const int durable = files_in_last_checkpoint();
  if (n == (durable >= 0 ? durable : plan_.already)) return OkStatus();
  auto st = snapshot(timestamp ? timestamp() : std::string());
  last_save_time_ = now;
  last_files_ = n;
  return write(st, interrupted ? "interrupted" : "final", o);
}

}  // namespace dla
