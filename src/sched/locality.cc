// "locality": delay scheduling (Zaharia et al., EuroSys 2010) over generic holders. The policy
// knows nothing of a store: holders_by_task[t] is the list of workers that can read task t
// locally (a replica), and the scheduler's PolicyContext gives it `now`.
//
// Order: one FIFO (give_back puts tasks at the front). next(w):
//   1. the first pending task w holds (a local read);
//   2. else the first pending task no live worker holds (nobody gains by waiting for it);
//   3. else, if w has been waiting for a local task for at least `wait` seconds, the oldest
//      pending task (a remote read);
//   4. else -1: the scheduler answers WAIT and w asks again shortly.
// The wait is counted per WORKER, from the first time it asked and got nothing local, and reset
// only when it gets a LOCAL task (delay scheduling's skip count, reset when a local task launches):
// a worker that has waited once keeps reading remotely without waiting again until it holds
// pending work itself. (Reset on every hand-out, a 4x slower holder made the others wait 0.5 s per
// remote block: 5.32 s against 3.77 s with no wait, 192 MB at np 5.) Per worker rather
// than per task: a task that became pending long ago but was never refused to anybody is not
// "waiting"; what delay scheduling bounds is how long a worker idles, and that is bounded by
// `wait` + the worker's re-ask delay, so nothing starves: the oldest task goes to the first
// worker that has waited long enough.
//
// Cost: O(log tasks + holders) per hand-out (an ordered set of pending sequence numbers per
// worker); worker_gone is O(tasks it held x holders).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "sched/policy.h"

namespace dla {
namespace {

class LocalityPolicy final : public SchedulingPolicy {
 public:
  LocalityPolicy(std::vector<std::vector<int>> holders, double wait) : holders_(std::move(holders)), wait_(wait) {}
  std::string name() const override { return "locality"; }
  void bind(const PolicyContext* ctx) override { ctx_ = ctx; }
  void init(const std::vector<Task>& pending, const std::vector<int>& workers) override {
    live_.insert(workers.begin(), workers.end());
    for (const auto& t : pending) add(t.id, back_++);
  }
  int next(int worker) override {
    auto bw = by_worker_.find(worker);
    if (bw != by_worker_.end() && !bw->second.empty()) {
      waiting_since_.erase(worker);  // a local task: the next miss waits again
      return take(*bw->second.begin());
    }
    if (fifo_.empty()) return -1;
    if (!orphans_.empty()) return take(*orphans_.begin());
    const double now = ctx_ ? ctx_->now() : 0;
    auto ws = waiting_since_.find(worker);
    if (ws == waiting_since_.end()) ws = waiting_since_.emplace(worker, now).first;
    if (!ctx_ || now - ws->second >= wait_) return take(fifo_.begin()->first);
    return -1;
  }
  int next_any() override { return fifo_.empty() ? -1 : take(fifo_.begin()->first); }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>&) override {
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it)
      if (!seq_of_.count(it->id)) add(it->id, --front_);
  }
  void worker_gone(int worker, const std::vector<int>&) override {
    live_.erase(worker);
    waiting_since_.erase(worker);
    auto bw = by_worker_.find(worker);
    if (bw == by_worker_.end()) return;
    const std::set<long long> seqs = std::move(bw->second);
    by_worker_.erase(bw);
    for (long long s : seqs)
      if (!has_live_holder(fifo_.at(s))) orphans_.insert(s);
  }
  bool remove(int task) override {
    auto it = seq_of_.find(task);
    if (it == seq_of_.end()) return false;
    take(it->second);
    return true;
  }
  std::vector<int> pending() const override {
    std::vector<int> out;
    for (const auto& [s, t] : fifo_) out.push_back(t);
    return out;
  }

 private:
  const std::vector<int>& holders(int task) const {
    static const std::vector<int> none;
    return task >= 0 && task < static_cast<int>(holders_.size()) ? holders_[static_cast<std::size_t>(task)] : none;
  }
  bool has_live_holder(int task) const {
    for (int h : holders(task))
      if (live_.count(h)) return true;
    return false;
  }
  void add(int task, long long seq) {
    fifo_[seq] = task;
    seq_of_[task] = seq;
    bool held = false;
    for (int h : holders(task))
      if (live_.count(h)) {
        by_worker_[h].insert(seq);
        held = true;
      }
    if (!held) orphans_.insert(seq);
  }
  int take(long long seq) {
    const int task = fifo_.at(seq);
    fifo_.erase(seq);
    seq_of_.erase(task);
    orphans_.erase(seq);
    for (int h : holders(task)) {
      auto bw = by_worker_.find(h);
      if (bw != by_worker_.end()) bw->second.erase(seq);
    }
    return task;
  }

  std::vector<std::vector<int>> holders_;
  double wait_;
  const PolicyContext* ctx_ = nullptr;
  std::set<int> live_;
  std::map<long long, int> fifo_;               // sequence -> task, in hand-out order
  std::unordered_map<int, long long> seq_of_;   // pending task -> its sequence
  std::map<int, std::set<long long>> by_worker_;  // live worker -> pending tasks it holds
  std::set<long long> orphans_;                 // pending tasks no live worker holds
  std::map<int, double> waiting_since_;         // worker -> since when it finds nothing local
  long long front_ = 0, back_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> make_locality_policy(std::vector<std::vector<int>> holders_by_task, double wait_seconds) {
  return std::make_unique<LocalityPolicy>(std::move(holders_by_task), wait_seconds);
}

}  // namespace dla
