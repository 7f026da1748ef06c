// The master's side of failover (--standbys K > 0; election.h has the protocol): heartbeats to the
// standbys, the takeover by an elected standby (COORDINATOR, REJOIN), and stepping down when a newer
// master exists. Exactly-once across a takeover:
//   * counts are summed by one master only: the newest one; an older one steps down before it
//     prints or saves anything (a newer term seen in a message, in the checkpoint directory's term
//     mark, or a pause of its own loop longer than --timeout, after which it must assume a standby
//     took over);
//   * the new master starts from the deterministic task list (make_tasks over the same input) and
//     the newest checkpoint (files complete when it was saved: their tasks are done, base counts);
//   * every worker kept every result it produced in this run and sends them all in its REJOIN; a
//     kept result is applied only to a task with the same id, file and byte range that is not done
//     yet (Scheduler::on_result: the first result of a task wins, any later one is a duplicate), so
//     each task's counts enter the sum at most once, and a result that matches nothing (a guided
//     split of the old master) is dropped: its range is covered by tasks the new master runs;
//   * tasks held by a worker at the takeover are abandoned (it cancels them) and handed out again
//     by the new master: redone, never counted twice. Nothing is lost: every task is either done in
//     the checkpoint, in some live worker's kept results, or pending.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/master.h"
#include "mpi/master_impl.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"

namespace dla::mpi {

bool Master::is_worker(int r) const {
  if (r < 0 || r >= size_ || r == rank_) return false;
  if (takeover_)
    for (int o : takeover_->old_masters)
      if (o == r) return false;
  return true;
}

// A standby that won the election: claims the checkpoint directory for its term, rebuilds the
// scheduler (tasks + newest checkpoint), announces itself and applies its own kept results.
int Master::run_takeover() {
  const TakeoverInfo& k = *takeover_;
  term_ = k.term;
  out_.set_term(term_);
  if (opt_.on_term) opt_.on_term(term_, true);
  // Announce first: every worker stops waiting for the dead master and re-registers while the
  // checkpoint loads.
  announce();
  const Status st = start();
  if (!st) {
    step_down("cannot take over: " + printable(st.error()));
    out_.abandon();
    return 0;
  }
  rejoined_.assign(static_cast<std::size_t>(size_), 0);
  recover(k.own_results, wtime());
  send_orders(sched_->take_orders());
  serve();
  if (!may_finish()) return 0;
  if (finished_at_ < 0) finished_at_ = wtime();
  fence_old_masters();
  return finish();
}

// Before the result: a replaced master that still runs (cut off, not dead) must have stepped
// down, or it could go on alone and print a result of its own once it is reachable again. Under
// SMPI a rank that ends drops the sends still on their way (the COORDINATOR to a master behind a
// slow link), so the new master waits, at most --master-timeout, until every replaced master's
// actor is gone (it steps down when the COORDINATOR arrives). On Open MPI nothing tells a live
// peer from a dead one: the replaced master is fenced by its own pause check, the COORDINATOR in
// its inbox and the checkpoint term mark (README: what failover cannot survive).
void Master::fence_old_masters() {
  if (!sim::simulated()) return;
  const double until = wtime() + opt_.master_timeout;
  auto alive = [&] {
    for (int o : takeover_->old_masters)
      if (sim::peer_alive(o)) return true;
    return false;
  };
  while (alive() && wtime() < until) {
    drain();
    out_.progress();
    sleep_seconds(opt_.poll);
  }
}

// COORDINATOR [term failovers] to every other rank, the replaced masters included (a paused one
// reads it when it resumes and steps down). Never to a vanished rank (SMPI: sim::peer_alive).
void Master::announce() {
  const TakeoverInfo& k = *takeover_;
  for (int r = 0; r < size_; ++r)
    if (r != rank_) out_.send(r, wire::kCoordinator, {term_, k.failovers});
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "[Master] Rank %d takes over as master (term %lld, failover %d): master rank %d silent for %.2fs, "
                "elected %.2fs later",
                rank_, term_, k.failovers, k.old_master, k.detected - k.last_heard, k.elected - k.detected);
  if (!opt_.json) say(buf);
  else std::fprintf(stderr, "%s\n", buf);
  if (!sim::simulated()) std::fprintf(stderr, "dla: master is now rank %d pid %ld\n", rank_, static_cast<long>(::getpid()));
}

// Failover messages. True: consumed (control messages, and anything from a rank that is not one of
// this master's workers: itself, or a replaced master).
bool Master::control(const Incoming& m, double now) {
  const int r = m.source;
  const long long term = m.nums.empty() ? 0 : m.nums[0];
  switch (m.tag) {
    case wire::kCoordinator:
    case wire::kMasterBeat:
      if (term > term_ || (term == term_ && r < rank_))
        step_down("rank " + std::to_string(r) + " is the master of term " + std::to_string(term));
      return true;
    case wire::kElection:
      out_.send(r, wire::kAlive, {term_});  // (it hears our beats again and stands down)
      return true;
    case wire::kAlive:
      if (released_ > 0) --released_;  // (a DONE acknowledged)
      return true;
    case wire::kRejoin:
      if (is_worker(r)) handle_rejoin(r, m.text, now);
      return true;
    case wire::kRequest:
      // Recovering (until every live worker rejoined, or was declared failed --timeout after the
      // takeover): nothing is handed out, so a task whose result is still on its way in a REJOIN
      // is not run again meanwhile.
      if (!recovering() || !is_worker(r)) return !is_worker(r);
      ++received_;
      sched_->on_hello(r, now);
      out_.send(r, wire::kWait, {0});
      return true;
    default:
      return !is_worker(r);
  }
}

// A worker re-registers with this master: its HELLO, every result it produced in this run (applied
// if it matches a task not done yet), and a request (answered like one).
void Master::handle_rejoin(int w, const std::string& text, double now) {
  ++received_;
  auto r = proto::decode_rejoin(text);
  if (!r) {
    std::cerr << "error: worker " << w << ": " << r.error() << std::endl;
    if (auto f = sched_->on_peer_error(w, now)) declare_failed(*f, now);
    send_orders(sched_->take_orders());
    return;
  }
  pid_[static_cast<std::size_t>(w)] = r->pid;
  wh_[static_cast<std::size_t>(w)] = r->host;
  sched_->on_hello(w, now);
  if (!rejoined_.empty()) rejoined_[static_cast<std::size_t>(w)] = 1;
  const int applied = recover(r->results, now);
  if (chatty_)
    say("[Master] Worker " + std::to_string(w) + " rejoined with " + std::to_string(r->results.size()) + " result(s), " +
        std::to_string(applied) + " applied");
  note_recovery(now);
  if (recovering()) out_.send(w, wire::kWait, {0});  // (it asks again shortly)
  else answer(w, {}, sched_->on_request(w, now), now);
}

bool Master::kept_matches(const proto::KeptResult& k) const {
  const int t = k.result.task;
  if (t < 0 || t >= static_cast<int>(sched_->tasks().size())) return false;
  const Task& task = sched_->tasks()[static_cast<std::size_t>(t)];
  return task.range.offset == k.offset && task.range.length == k.length &&
         files_[static_cast<std::size_t>(task.file)].name == k.name;
}

// Applies kept results (as the master's own: no task is handed out for them). Returns how many
// were applied; the others were duplicates (already done) or matched no task (dropped).
int Master::recover(const std::vector<proto::KeptResult>& kept, double now) {
  int applied = 0;
  for (const auto& k : kept) {
    if (!kept_matches(k)) {
      ++dropped_;
      continue;
    }
    if (sched_->task_state(k.result.task) == Scheduler::TaskState::Done) {
      ++known_;  // (in the checkpoint or the replayed LOG already: not a duplicate run)
      continue;
    }
    Scheduler::ResultOutcome o;
    if (k.result.kind == proto::ResultMsg::Ok) o = sched_->on_result(0, k.result.task, k.result.counts, now);
    else o = sched_->on_task_error(0, k.result.task, printable(k.result.error), now);
    if (o.kind == Scheduler::ResultOutcome::Applied || o.kind == Scheduler::ResultOutcome::LateApplied) {
      ++applied;
      note_format(k.result.task, k.result.format, o.kind);
    }
  }
  recovered_ += applied;
  return applied;
}

// Recovery ends when every worker still counted live has rejoined (or was declared failed).
void Master::note_recovery(double now) {
  if (!takeover_ || recovered_at_ >= 0 || rejoined_.empty()) return;
  for (int w : sched_->workers())
    if (sched_->worker_state(w) == Scheduler::WorkerState::Active && !rejoined_[static_cast<std::size_t>(w)]) return;
  recovered_at_ = now;
}

// Once per loop iteration: a pause of our own, heartbeats to the standbys, the term mark. False:
// this master stepped down.
bool Master::failover_poll() {
  const double now = wtime();
  if (last_loop_ >= 0 && now - last_loop_ > opt_.timeout) {
    char buf[120];
    std::snprintf(buf, sizeof buf, "paused %.1fs (longer than --timeout): a standby has taken over", now - last_loop_);
    step_down(buf);
    return false;
  }
  last_loop_ = now;
  note_recovery(now);
  if (now >= next_beat_) {
    next_beat_ = now + opt_.heartbeat / 2;
    beat_mark_.resize(static_cast<std::size_t>(size_), -1);
    for (int s = 1; s <= standbys_ && s < size_; ++s) {
      if (!is_worker(s) || sched_->worker_state(s) != Scheduler::WorkerState::Active) continue;
      auto& mark = beat_mark_[static_cast<std::size_t>(s)];
      if (out_.sent_to(s) == mark) out_.send(s, wire::kMasterBeat, {term_});
      mark = out_.sent_to(s);
    }
  }
  if (now >= next_fence_check_) {
    next_fence_check_ = now + opt_.heartbeat;
    if (opt_.fenced && opt_.fenced()) step_down("the checkpoint directory belongs to a newer master");
  }
  return !stepped_down_;
}

void Master::step_down(const std::string& why) {
  if (stepped_down_) return;
  stepped_down_ = true;
  std::fprintf(stderr, "[Master] Rank %d (term %lld) steps down: %s - no result, no checkpoint\n", rank_, term_, why.c_str());
  std::fflush(stderr);
}

// Just before the end: whatever arrived meanwhile (a COORDINATOR), the term mark. False: stepped down.
bool Master::may_finish() {
  if (standbys_ > 0 && !stepped_down_) {
    drain();
    if (!stepped_down_ && opt_.fenced && opt_.fenced()) step_down("the checkpoint directory belongs to a newer master");
    if (!stepped_down_ && last_loop_ >= 0 && wtime() - last_loop_ > opt_.timeout) step_down("paused longer than --timeout");
  }
  if (stepped_down_) out_.abandon();
  return !stepped_down_;
}

std::vector<std::pair<std::string, std::string>> Master::failover_footer() const {
  std::vector<std::pair<std::string, std::string>> f;
  if (standbys_ == 0) return f;
  f.emplace_back("Master failovers", std::to_string(takeover_ ? takeover_->failovers : 0));
  if (!takeover_) return f;
  const TakeoverInfo& k = *takeover_;
  const double rec = (recovered_at_ >= 0 ? recovered_at_ : finished_at_);
  char buf[200];
  std::snprintf(buf, sizeof buf, "%.3fs (detection %.3fs, election %.3fs, recovery %.3fs; rank %d, term %lld)",
                rec - k.last_heard, k.detected - k.last_heard, k.elected - k.detected, rec - k.elected, rank_, term_);
  f.emplace_back("Takeover time", buf);
  f.emplace_back("Results recovered at takeover", std::to_string(recovered_) + " from REJOINs (" + std::to_string(known_) +
                                                      " already known, " + std::to_string(dropped_) + " matching no task)");
  f.emplace_back("Log entries replayed", std::to_string(sched_->stats().replayed));
  return f;
}

nlohmann::json Master::failover_json() const {
  nlohmann::json j = {{"standbys", standbys_}, {"term", term_}, {"master_rank", rank_},
                      {"master_failovers", takeover_ ? takeover_->failovers : 0}};
  if (takeover_) {
    const TakeoverInfo& k = *takeover_;
    const double rec = (recovered_at_ >= 0 ? recovered_at_ : finished_at_);
    j["takeover_s"] = rec - k.last_heard;
    j["detection_s"] = k.detected - k.last_heard;
    j["election_s"] = k.elected - k.detected;
    j["recovery_s"] = rec - k.elected;
    j["replaced_master"] = k.old_master;
    j["results_recovered"] = recovered_;
    j["results_dropped"] = dropped_;
    j["results_known"] = known_;
    j["log_replayed"] = sched_->stats().replayed;
  }
  return j;
}

// After the RESULT line: every standby told STOP lingers until this DONE (tags.h), acknowledged
// with ALIVE; waited for at most --timeout (a standby that died meanwhile never answers).
void Master::release_standbys() {
  released_ = 0;
  for (int s = 1; s <= standbys_ && s < size_; ++s)
    if (is_worker(s) && told_stop_[static_cast<std::size_t>(s)] && out_.send(s, wire::kDone, {term_})) ++released_;
  const double until = wtime() + opt_.timeout;
  while (released_ > 0 && wtime() < until) {
    Incoming m;
    while (try_recv(MPI_ANY_SOURCE, &m)) control(m, wtime());
    out_.progress();
    sleep_seconds(opt_.poll);
  }
  out_.abandon();
}

// The scheduler's decisions since the last call, as one LOG to every live standby (none: dropped).
void Master::stream_log() {
  auto entries = sched_->take_log();
  if (standbys_ == 0 || entries.empty()) return;
  const std::string text = encode_log(entries);
  for (int s = 1; s <= standbys_ && s < size_; ++s)
    if (is_worker(s) && sched_->worker_state(s) == Scheduler::WorkerState::Active) out_.send_text(s, wire::kLog, text);
}

int run_master_takeover(const Session& s, const DistributedOptions& opt, std::vector<FileInfo> files, TakeoverInfo info) {
  return Master(s, opt, std::move(files), std::move(info)).run();
}

}  // namespace dla::mpi
