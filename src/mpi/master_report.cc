// The end of a distributed run (rank 0): end the workers that did not leave, write the trace, print
// the result (text or JSON) and, last, the RESULT line.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/master_impl.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "obs/report.h"

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

}  // namespace

int Master::finish() {
  Summary s;
  s.killed = end_workers();
  out_.flush(std::min(1.0, opt_.timeout), opt_.poll);
  out_.abandon();
  if (opt_.at_end) s.extra = opt_.at_end(*sched_, files_);
  note_checkpoints(wtime());  // the final one
  s.total = finished_at_ - origin_;
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
  if (standbys_ > 0) release_standbys();
  return s.ok ? 0 : 3;
}

// Workers that never collected their STOP, and every failed one (hung workers would keep the
// job alive for ever): end them. Returns the ranks ended.
std::vector<int> Master::end_workers() {
  std::vector<int> killed;
  for (int w = 1; w < size_; ++w) {
    if (!is_worker(w)) continue;  // this master, or one it replaced (it steps down by itself)
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

void Master::write_trace() {
  if (opt_.trace_file.empty()) return;
  auto st = trace_.write(opt_.trace_file);  // temp file + rename; the target was checked at start-up
  if (!st) std::cerr << "error: " << printable(st.error()) << std::endl;
}

nlohmann::json Master::names_json(const std::vector<int>& file_indices) const {
  nlohmann::json a = nlohmann::json::array();
  for (int f : file_indices) a.push_back(escape_name(files_[static_cast<std::size_t>(f)].name));
  return a;
}

nlohmann::json Master::per_rank_json() const {
  nlohmann::json pw = nlohmann::json::array();
  for (int w = 0; w < size_; ++w) {
    long long ntasks = 0, nbytes = 0;
    for (const auto& t : sched_->tasks())
      if (sched_->task_state(t.id) == Scheduler::TaskState::Done && sched_->task_owner(t.id) == w) {
        ++ntasks;
        nbytes += static_cast<long long>(t.bytes());
      }
    nlohmann::json e = {{"rank", w}, {"tasks_done", ntasks}, {"bytes_done", nbytes},
                        {"state", w == rank_ ? "master" : !is_worker(w) ? "replaced-master" : to_string(sched_->worker_state(w))},
                        {"host", w == rank_ ? host_ : wh_[static_cast<std::size_t>(w)]}};
    if (!sim::simulated()) e["pid"] = w == rank_ ? static_cast<long>(::getpid()) : pid_[static_cast<std::size_t>(w)];
    pw.push_back(e);
  }
  return pw;
}

// --per-file: the files counted in this run (a file resumed from a checkpoint was counted by an
// earlier run: its format is not known here), in name order.
std::vector<FileRow> Master::per_file_rows() const {
  std::vector<FileRow> rows;
  for (int f = 0; f < static_cast<int>(files_.size()); ++f) {
    const auto k = static_cast<std::size_t>(f);
    if (!sched_->file_done(f) || sched_->file_failed(f) || file_format_[k].empty()) continue;
    rows.push_back({escape_name(files_[k].name), file_format_[k], sched_->file_counts(f)});
  }
  return rows;
}

void Master::print_json(const Summary& s) const {
  nlohmann::json j;
  if (opt_.per_file) j["per_file"] = per_file_json(per_file_rows());
  j["counts"] = counts_json(s.counts);
  j["lines"] = s.counts.lines;
  j["unleveled"] = s.counts.unleveled();
  j["files"] = s.nfiles;
  j["files_processed"] = s.processed;
  j["processed_files"] = names_json(sched_->processed_files());
  j["pending_files"] = names_json(sched_->pending_files());
  j["unreadable_files"] = names_json(s.bad_files);
  j["failed_workers"] = s.failed;
  j["workers"] = sched_->workers().size();
  if (standbys_ > 0) j["failover"] = failover_json();
  if (store_) j["store"] = store_json(store_->totals);
  j["tasks"] = sched_->tasks().size();
  j["tasks_reassigned"] = sched_->tasks_reassigned();
  j["tasks_by_master"] = sched_->tasks_by_master();
  j["duplicates_dropped"] = sched_->duplicates();
  j["late_results_accepted"] = sched_->late_accepted();
  j["messages_sent"] = out_.sent() + received_;
  j["makespan_s"] = s.total;
  j["simulated"] = sim::simulated();
  j["policy"] = opt_.policy;
  j["speculate"] = opt_.speculate;
  j["detector"] = opt_.detector;
  const SchedulerStats& st = sched_->stats();
  j["scheduler"] = {{"speculative_started", st.speculative_started}, {"speculative_won", st.speculative_won},
                    {"speculative_lost", st.speculative_lost},       {"wasted_bytes", st.wasted_bytes},
                    {"steals_attempted", st.steals_attempted},       {"steals_succeeded", st.steals_succeeded},
                    {"steals_refused", st.steals_refused},           {"tasks_split", st.tasks_split},
                    {"false_suspicions", st.false_suspicions},       {"detection_silence_max_s", st.detection_silence_max}};
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

void Master::print_text(const Summary& s) const {
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
  if (sched_->tasks_by_master() > recovered_)
    footer.emplace_back("Tasks done by the master", std::to_string(sched_->tasks_by_master() - recovered_));
  for (auto& e : failover_footer()) footer.push_back(e);
  if (!s.bad_files.empty()) footer.emplace_back("Unreadable files", std::to_string(s.bad_files.size()));
  if (store_)
    for (auto& e : store_footer(store_->totals)) footer.push_back(e);
  for (auto& e : s.extra) footer.push_back(e);
  if (opt_.per_file) std::fputs(("\n" + format_per_file(per_file_rows()) + "\n").c_str(), stdout);
  std::fputs(("\n" + format_results(s.counts, footer)).c_str(), stdout);
}

// The verdict, last line on stdout (counts first, no length limit: obs/report.h).
void Master::write_result_line(const Summary& s) const {
  ResultLine r;
  r.verdict = s.ok ? "OK" : interrupted_ ? "INCOMPLETE interrupted" : "INCOMPLETE";
  r.counts = s.counts;
  r.files_processed = s.processed;
  r.files_total = s.nfiles;
  r.unreadable = static_cast<int>(s.bad_files.size());
  r.failed_workers = s.failed;
  say(format_result_line(r));
}

}  // namespace dla::mpi
