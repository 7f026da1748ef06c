// The master's state, shared by master.cc (the message loop: receive, decide, send) and
// master_report.cc (the end of the run: end the workers, print the result and the RESULT line).
// Private to src/mpi: include only from those two files.
#pragma once
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/trace.h"
#include "mpi/analysis_reader.h"
#include "mpi/distributed.h"
#include "mpi/election.h"
#include "obs/report.h"
#include "mpi/protocol.h"
#include "mpi/transport.h"
#include "scan/formats.h"
#include "sched/scheduler.h"

namespace dla::mpi {

// Batches: an ASSIGN carries tasks until it holds kBatchBytes or kBatchTasks, and never more than
// a fair share (the tasks never handed out / (kFairShare x live workers)), so many small files cost one
// round trip per batch while a few big tasks still go one at a time (kBatchBytes is below any
// scenario's ordinary task) and the end of a run is not left to one worker's long batch.
inline constexpr std::uint64_t kBatchBytes = 256u << 10;
inline constexpr int kBatchTasks = 1024;
inline constexpr int kFairShare = 4;

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
  Master(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files,
         std::optional<TakeoverInfo> takeover = std::nullopt, std::unique_ptr<MasterStore> store = nullptr);
  int run();

 private:
  // ---- master.cc: start and the loop ----
  void send_plans(const std::string& plan);
  Status start();
  void print_header(std::size_t workers, std::size_t tasks, int already);
  void serve();
  void drain();
  void detect(double now);
  void handle(const Incoming& m);
  void handle_hello(int w, const std::string& text, double now);
  void handle_results(int w, const std::string& text, double now);
  Scheduler::Reply apply(int w, const proto::ResultMsg& r, double now);
  void answer(int w, std::vector<Scheduler::Reply> given, Scheduler::Reply last, double now);
  bool batch_open(int w, const std::vector<Scheduler::Reply>& given) const;
  void send_assign(int w, const std::vector<Scheduler::Reply>& given, bool answer);
  void send_orders(const std::vector<Scheduler::Order>& orders);
  void note_stop_after_failure(int w);
  std::string label(int task) const;
  void note_checkpoints(double now);
  void declare_failed(const Scheduler::Failure& f, double now);
  void self_work();
  int live_workers() const;
  // --store (master.cc): the policy, the totals of a result, the repair before the first STOP
  std::unique_ptr<SchedulingPolicy> store_policy();
  void note_store_result(int w, const proto::ResultMsg& r, Scheduler::ResultOutcome::Kind kind);
  void store_repair();

  // ---- takeover.cc: failover (--standbys > 0) ----
  int run_takeover();
  void announce();
  bool control(const Incoming& m, double now);
  void handle_rejoin(int w, const std::string& text, double now);
  int recover(const std::vector<proto::KeptResult>& kept, double now);
  bool kept_matches(const proto::KeptResult& k) const;
  bool failover_poll();
  void note_recovery(double now);
  bool recovering() const { return takeover_ && recovered_at_ < 0; }
  void step_down(const std::string& why);
  bool may_finish();
  void fence_old_masters();
  void release_standbys();
  void stream_log();
  bool is_worker(int r) const;
  std::vector<std::pair<std::string, std::string>> failover_footer() const;
  nlohmann::json failover_json() const;

  // ---- master_report.cc: the end ----
  int finish();
  std::vector<int> end_workers();
  void write_trace();
  nlohmann::json names_json(const std::vector<int>& file_indices) const;
  nlohmann::json per_rank_json() const;
  void print_json(const Summary& s) const;
  void print_text(const Summary& s) const;
  void write_result_line(const Summary& s) const;

  struct Detection {
    int worker;
    double last_heard, detected;
  };
  const Session& session_;
  int size_;
  const DistributedOptions& opt_;
  std::vector<FileInfo> files_;
  FormatSpec format_;                     // --format, for the tasks the master runs itself
  std::vector<std::string> file_format_;  // per file: the format its results were read with
  void note_format(int task, const std::string& format, Scheduler::ResultOutcome::Kind kind);
  std::vector<FileRow> per_file_rows() const;
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
  int initially_done_ = 0;  // tasks done before the run (resume)
  int first_handouts_ = 0;  // ASSIGNed tasks with attempt 1 (never handed out before)
  // Failover (takeover.cc). rank_: this master's rank (0, or the standby that took over).
  int rank_ = 0;
  int standbys_ = 0;
  long long term_ = 1;
  std::optional<TakeoverInfo> takeover_;
  bool stepped_down_ = false;
  double origin_ = 0;  // the run's start (the total time counts from it; = t0_ unless taken over)
  std::vector<long long> beat_mark_;  // per standby: out_.sent_to at the last beat check
  double next_beat_ = 0, next_fence_check_ = 0, last_loop_ = -1;
  std::vector<char> rejoined_;
  double recovered_at_ = -1;
  int recovered_ = 0, dropped_ = 0, known_ = 0;  // kept results applied / matching no task / done already
  int released_ = -1;                // release_standbys: DONEs not yet acknowledged
  std::unique_ptr<MasterStore> store_;  // --store (null: a directory run)
};

}  // namespace dla::mpi
