// When and what the distributed master checkpoints, and the two consistency models. Pure core (no
// MPI, no clock reads): the master feeds it the Scheduler and `now`, and prints the lines it returns.
//
// Consistency models (--consistency):
//   eventual (default)  Results are applied to the live counts as they arrive (Scheduler::totals()):
//                       progress is visible at once, including partial files. A checkpoint is taken
//                       every `every` newly completed files, every `interval` seconds if anything
//                       new completed, at the end, and on SIGINT/SIGTERM; it holds every file
//                       completed so far.
//   strong              Results are staged and applied only at commit points. Files are handed out
//                       in batches of `every` files; a worker asking for work beyond the open batch
//                       WAITs until every file of the batch is complete (a barrier). The batch is
//                       then committed: its counts are applied to the visible counts and a
//                       checkpoint is written in the same step. The visible state and every
//                       checkpoint are always a whole number of batches; nothing in between is ever
//                       shown. Costs: idle workers at each barrier (stragglers), and an interrupted
//                       or crashed run redoes the whole open batch.
// In both models a checkpoint's counts are the sum over its processed files (whole files only).
//
// --fresh: start() deletes our old checkpoints without loading or validating any of them.
// Resume: start() loads the newest valid checkpoint (CheckpointStore::load_latest), checks it
// against the current input (plan_resume) and tells the master which files are already done.
// Not resumed from: a checkpoint with no pending file (that run completed: a new invocation is a
// new analysis), and a checkpoint of another input directory (warning). A checkpoint directory
// locked by a concurrent run: warning, and this run neither loads nor writes checkpoints.
#pragma once
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "ckpt/checkpoint.h"
#include "sched/scheduler.h"

namespace dla {

enum class Consistency { Eventual, Strong };
const char* to_string(Consistency c);
// "eventual" | "strong"; false if unknown.
bool parse_consistency(const std::string& s, Consistency* out);

struct CheckpointConfig {
  bool enabled = true;              // --no-checkpoint: neither load nor save
  std::string dir = "checkpoints";  // --checkpoint-dir
  std::string log_format;           // --format (recorded; a checkpoint made with another is not resumed)
  int every = 5;                    // --checkpoint-every N (also the strong batch size)
  double interval = 0;              // --checkpoint-interval SEC (0 = off)
  int keep = 3;                     // --keep K
  CheckpointFiles files = CheckpointFiles::kLink;  // --checkpoint-files link|snapshot (checkpoint.h)
  bool fresh = false;               // --fresh / --no-resume: delete old checkpoints, start over
  Consistency consistency = Consistency::Eventual;
  // Eventual only: checkpoints are written by a background thread, so the master keeps dispatching
  // while links, json and fsyncs happen. At most one save runs; a checkpoint requested meanwhile
  // waits in a one-slot queue, and a newer request replaces it (coalesced: the newest state is what
  // matters). finish() waits for the writer. Off under SMPI (saves must stay deterministic).
  bool async = false;
  // Async only: the writer's duty cycle is kept at or below this fraction of wall time — after a
  // save that took d seconds it pauses d * (1/budget - 1) before the next one (requests coalesce
  // meanwhile). Only matters when files finish faster than checkpoints can be written (thousands
  // of small files); then "every N files" becomes "every N files, at most budget of the time".
  // Pacing runs in the master thread on the `now` it passes to poll(): a save's duration is the
  // time from its hand-over to the first poll that sees it done; the writer thread reads no clock.
  // The writer thread also runs at the lowest CPU priority (nice 19, Linux).
  double budget = 0.02;
  long long term = 0;     // fencing (checkpoint.h CheckpointOptions::term); 0 = off
  bool takeover = false;  // a new master resumes the run it takes over (never --fresh, never "completed")
  Env* env = nullptr;  // every file-system call of the store (nullptr: Env::posix()); tests use MemEnv
};

// Lines for the user: `out` goes to stdout, `err` to stderr (already prefixed "warning: ").
struct DriverOutput {
  std::vector<std::string> out;
  std::vector<std::string> err;
};

// Strong consistency's batch barrier, as a wrapper around any scheduling policy: a task of a file
// outside the open batch is held back (the worker gets WAIT) until every file of the batch is
// complete. Closed batches are queued for the driver to commit.
class BatchGate final : public SchedulingPolicy {
 public:
  BatchGate(std::unique_ptr<SchedulingPolicy> inner, int batch_files);
  std::string name() const override;
  // The inner policy sees the scheduler and keeps its mechanisms (prefetch, steals, splitting).
  void bind(const PolicyContext* ctx) override { inner_->bind(ctx); }
  PolicyTraits traits() const override { return inner_->traits(); }
  void init(const std::vector<Task>& pending, const std::vector<int>& workers) override;
  int next(int worker) override;
  int next_any() override;
  void give_back(const std::vector<Task>& tasks, const std::vector<int>& live) override;
  void worker_gone(int worker, const std::vector<int>& live) override;
  bool remove(int task) override;
  std::vector<int> pending() const override;

  // Whether a file is complete (set by the driver to Scheduler::file_done).
  void set_file_done(std::function<bool(int)> f) { done_ = std::move(f); }
  // Closes the open batch if all its files are complete and it is full or nothing else is pending.
  void maybe_close();
  // Batches closed since the last call (each a list of file indices), oldest first.
  std::vector<std::vector<int>> take_closed();
  int batches_closed() const { return closed_count_; }
  const std::vector<int>& open_batch() const { return batch_; }

 private:
  bool allowed(int task) const;
  void admit(int task);
  int file_of(int task) const { return task >= 0 && task < static_cast<int>(file_of_.size()) ? file_of_[task] : -1; }
  int pull(int t);  // an inner task: admit and return it, or hold it and return -1
  int take_held();  // (after closing a complete batch) the first held task now allowed, or -1

  std::unique_ptr<SchedulingPolicy> inner_;
  int limit_;
  std::vector<int> file_of_;    // task -> file
  std::vector<int> batch_;      // files of the open batch
  std::vector<char> in_batch_;  // file -> in the open batch
  std::vector<int> held_;       // tasks taken from the inner policy, not allowed yet
  std::vector<std::vector<int>> closed_;
  int closed_count_ = 0;
  std::function<bool(int)> done_;
};

class CheckpointDriver {
 public:
  // `input_dir`: the directory as given; `files`: discover_logs() of it now.
  CheckpointDriver(CheckpointConfig cfg, std::string input_dir, std::vector<FileInfo> files);

  // Opens the store (lock, cleanup), applies --fresh, loads the newest valid checkpoint and plans
  // the resume. Error: the input directory cannot be resolved, or --fresh cannot delete.
  Status start(DriverOutput* o);
  bool resumed() const { return resumed_; }
  // A master of a newer term claimed the checkpoint directory: this one must step down.
  bool fenced() const { return store_ && store_->fenced(); }
  int already_processed() const { return plan_.already; }
  std::vector<int> files_done() const;   // for SchedulerOptions::files_done
  const Counts& base_counts() const { return plan_.base; }
  int remaining() const { return static_cast<int>(files_.size()) - plan_.already; }

  // The policy the scheduler must use: `inner` itself (eventual) or the batch gate (strong).
  std::unique_ptr<SchedulingPolicy> wrap_policy(std::unique_ptr<SchedulingPolicy> inner);
  // Once the scheduler exists.
  void attach(const Scheduler* s);

  // After every event the master handles: commits (strong) and checkpoints when due.
  // `timestamp` formats the checkpoint's timestamp (called only when one is written).
  Status poll(double now, const std::function<std::string()>& timestamp, DriverOutput* o);
  // End of the run (all done) or interrupt: a last checkpoint of what is consistent now.
  Status finish(double now, const std::function<std::string()>& timestamp, bool interrupted, DriverOutput* o);

  // The counts a user may see now: live totals (eventual) or the committed ones (strong).
  Counts visible() const;
  int saved() const;
  // async: checkpoints asked for (every N files / interval) but folded into a later save because
  // the writer was busy or pausing (budget)
  int coalesced() const;
  int commits() const { return commits_; }
  Consistency consistency() const { return cfg_.consistency; }
  const CheckpointConfig& config() const { return cfg_; }
  // The state a checkpoint would hold now (exposed for tests).
  CheckpointState snapshot(const std::string& timestamp) const;
  int files_in_last_checkpoint() const;  // in the newest durable checkpoint (-1: none)
  ~CheckpointDriver();

 private:
  Status save(double now, const std::function<std::string()>& timestamp, const char* why, DriverOutput* o);
  // Writes `st` now (the caller's thread); output lines into `o`.
  Status write(const CheckpointState& st, const std::string& why, DriverOutput* o);
  void writer_loop();
  void drain(DriverOutput* o);  // async: wait until the writer is idle, collect its lines
  void collect(DriverOutput* o);  // async: collect the writer's lines so far
  void stop_writer();
  bool async_active() const;
  // async, master thread: nothing queued or being written, and the budget's pause is over.
  bool writer_ready(double now);
  void commit_closed(DriverOutput* o);
  void report_foreign(DriverOutput* o) const;  // once, after open()
  std::vector<int> consistent_files() const;  // files (beyond the resumed ones) a checkpoint may hold

  CheckpointConfig cfg_;
  std::string input_dir_, input_abs_;
  std::vector<FileInfo> files_;
  std::unique_ptr<CheckpointStore> store_;
  ResumePlan plan_;
  bool resumed_ = false;
  const Scheduler* sched_ = nullptr;
  BatchGate* gate_ = nullptr;           // owned by the scheduler (strong only)
  std::vector<int> committed_;          // strong: files committed in this run, commit order
  Counts committed_counts_;             // strong: base + committed
  int commits_ = 0;
  int saved_ = 0;
  int last_files_ = -1;                 // files in the last checkpoint requested (-1: none yet)
  int durable_files_ = -1;              // files in the last checkpoint written
  // async writer (all below under mu_)
  struct Job {
    CheckpointState state;
    std::string why;
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Job> slot_;
  bool busy_ = false, stop_ = false;
  int coalesced_ = 0;   // requests replaced in the slot before being written
  int submitted_ = 0;   // requests handed to the writer
  int requested_ = 0;   // (master thread) checkpoints "every N" / "interval" asked for
  DriverOutput pending_out_;
  std::thread writer_;
  double last_save_time_ = 0;
  double handed_at_ = -1;   // (master thread) when the save being written was handed over; -1: none
  double not_before_ = 0;   // (master thread) no new hand-over before this time (budget)
  bool started_clock_ = false;
};

}  // namespace dla
