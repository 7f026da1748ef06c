#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "sched/policy.h"

namespace dla {
namespace {

class DynamicPolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "dynamic"; }
  void init(const std::vector<Task>& pending, const std::vector<int>&) override {
    for (const auto& t : pending) q_.push_back(t.id);
  }
  int next(int) override { return next_any(); }
  int next_any() override {
    if (q_.empty()) return -1;
    int t = q_.front();
    q_.pop_front();
    return t;
  }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>&) override {
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) q_.push_front(it->id);
  }
  void worker_gone(int, const std::vector<int>&) override {}
  bool remove(int task) override {
    auto it = std::find(q_.begin(), q_.end(), task);
    if (it == q_.end()) return false;
    q_.erase(it);
    return true;
  }
  std::vector<int> pending() const override { return {q_.begin(), q_.end()}; }

 private:
  std::deque<int> q_;
};

class StaticPolicy final : public SchedulingPolicy {
 public:
  std::string name() const override { return "static"; }
  void init(const std::vector<Task>& pending, const std::vector<int>& workers) override {
    std::vector<std::uint64_t> w;
    for (const auto& t : pending) {
      w.push_back(t.bytes());
      bytes_[t.id] = t.bytes();
    }
    auto bins = partition_lpt(w, static_cast<int>(std::max<std::size_t>(workers.size(), 1)));
    for (std::size_t b = 0; b < workers.size(); ++b) {
      auto& q = queues_[workers[b]];
      for (int i : bins[b]) q.push_back(pending[static_cast<std::size_t>(i)].id);
    }
    if (workers.empty())
      for (const auto& t : pending) orphans_.push_back(t.id);
  }
  int next(int worker) override {
    if (!orphans_.empty()) return pop(orphans_);
    auto it = queues_.find(worker);
    if (it == queues_.end() || it->second.empty()) return -1;
    return pop(it->second);
  }
  int next_any() override {
    if (!orphans_.empty()) return pop(orphans_);
    for (auto& [w, q] : queues_)
      if (!q.empty()) return pop(q);
    return -1;
  }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>& live) override {
    std::vector<int> ids;
    for (const auto& t : tasks) ids.push_back(t.id);
    spread(ids, live, /*front=*/true);
  }
  void worker_gone(int worker, const std::vector<int>& live) override {
    auto it = queues_.find(worker);
    if (it == queues_.end()) return;
    std::vector<int> ids(it->second.begin(), it->second.end());
    queues_.erase(it);
    spread(ids, live, /*front=*/false);
  }
  bool remove(int task) override {
    if (erase_from(orphans_, task)) return true;
    for (auto& [w, q] : queues_)
      if (erase_from(q, task)) return true;
    return false;
  }
  std::vector<int> pending() const override {
    std::vector<int> out(orphans_.begin(), orphans_.end());
    for (const auto& [w, q] : queues_) out.insert(out.end(), q.begin(), q.end());
    return out;
  }

 private:
  static int pop(std::deque<int>& q) {
    int t = q.front();
    q.pop_front();
    return t;
  }
  static bool erase_from(std::deque<int>& q, int task) {
    auto it = std::find(q.begin(), q.end(), task);
    if (it == q.end()) return false;
    q.erase(it);
    return true;
  }
  std::uint64_t load(int w) const {
    std::uint64_t s = 0;
    auto it = queues_.find(w);
    if (it != queues_.end())
      for (int t : it->second) s += bytes_.at(t);
    return s;
  }
  // LPT over the live workers' remaining bytes: biggest task to the lightest worker (lower rank on ties).
  void spread(std::vector<int> ids, const std::vector<int>& live, bool front) {
    if (live.empty()) {
      if (front) orphans_.insert(orphans_.begin(), ids.begin(), ids.end());
      else orphans_.insert(orphans_.end(), ids.begin(), ids.end());
      return;
    }
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return bytes_.at(a) > bytes_.at(b); });
    std::map<int, std::uint64_t> loads;
    for (int w : live) loads[w] = load(w);
    std::map<int, std::vector<int>> add;
    for (int t : ids) {
      int best = live.front();
      for (int w : live)
        if (loads[w] < loads[best] || (loads[w] == loads[best] && w < best)) best = w;
      loads[best] += bytes_.at(t);
      add[best].push_back(t);
    }
    for (auto& [w, ts] : add) {
      auto& q = queues_[w];
      if (front) q.insert(q.begin(), ts.begin(), ts.end());
      else q.insert(q.end(), ts.begin(), ts.end());
    }
  }

  std::map<int, std::deque<int>> queues_;
  std::deque<int> orphans_;  // tasks with no live worker to plan them on (the master takes them)
  std::map<int, std::uint64_t> bytes_;
};

// Pending tasks ordered largest first (ties: lower id first).
class SizeQueue {
 public:
  void add(const Task& t) {
    bytes_[t.id] = t.bytes();
    set_.insert({t.bytes(), t.id});
    total_ += static_cast<double>(t.bytes());
  }
  bool empty() const { return set_.empty(); }
  double mean() const { return set_.empty() ? 0 : total_ / static_cast<double>(set_.size()); }
  double total() const { return total_; }
  double largest() const { return set_.empty() ? 0 : static_cast<double>(set_.begin()->first); }
  int pop_largest() { return take(set_.begin()); }
  int pop_smallest() { return take(std::prev(set_.end())); }
  // The largest task of at most `limit` bytes, or -1.
  int pop_at_most(double limit) {
    if (set_.empty()) return -1;
    if (limit >= static_cast<double>(set_.begin()->first)) return pop_largest();
    if (limit < 0) return -1;
    auto it = set_.lower_bound({static_cast<std::uint64_t>(limit), -1});
    // lower_bound in descending-bytes order: the first with bytes <= limit (id ascending).
    return it == set_.end() ? -1 : take(it);
  }
  bool remove(int task) {
    auto b = bytes_.find(task);
    if (b == bytes_.end() || set_.erase({b->second, task}) == 0) return false;
    total_ -= static_cast<double>(b->second);
    bytes_.erase(b);
    return true;
  }
  std::vector<int> ids() const {
    std::vector<int> out;
    for (const auto& [b, id] : set_) out.push_back(id);
    return out;
  }

 private:
  struct Cmp {
    bool operator()(const std::pair<std::uint64_t, int>& a, const std::pair<std::uint64_t, int>& b) const {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    }
  };
  int take(std::set<std::pair<std::uint64_t, int>, Cmp>::iterator it) {
    const int id = it->second;
    total_ -= static_cast<double>(it->first);
    set_.erase(it);
    bytes_.erase(id);
    return id;
  }
  std::set<std::pair<std::uint64_t, int>, Cmp> set_;
  std::map<int, std::uint64_t> bytes_;
  double total_ = 0;
};

// Largest task first, rate-aware. The horizon H = now + max((pending bytes + bytes still queued on
// the workers) / (sum of the live workers' rates), largest pending task / fastest rate) is the
// lower bound of the run's end; worker w (rate r_w) gets the largest pending task it can finish by
// then with a slack (tasks are discrete), s <= (H - now) * r_w * 1.5, so slow hosts keep taking work while there is plenty and leave the last big pieces to fast
// ones; if no task fits, w gets nothing now (WAIT), unless it is (within 10 %: estimates are
// noisy) the fastest live worker: it takes the largest, so the last task always goes somewhere. (A per-task earliest-finish rule - "no faster
// worker would finish it sooner" - starved the 1x hosts of a 4x/1x/0.25x platform: the 4x hosts
// were always about to be free.) The sums are refreshed at every hand-out with at most kRefresh
// live workers, else every kRefresh hand-outs, every 0.1 s and when a worker leaves:
// O(min(workers, kRefresh) + log tasks) per hand-out. Without a context: plain largest first.
// Cold start: a worker whose rate rests on less than kProbeSeconds of observation gets a probe, the
// largest task of at most kProbeSeconds at its assumed rate and at most the mean pending size
// (else the smallest task): otherwise the biggest tasks, handed out first, would land on hosts
// nobody has measured yet, and one slow host holding one of them is the makespan.
class LptPolicy : public SchedulingPolicy {
 public:
  explicit LptPolicy(std::string name = "lpt", PolicyTraits traits = {}) : name_(std::move(name)), traits_(traits) {}
  std::string name() const override { return name_; }
  void bind(const PolicyContext* ctx) override { ctx_ = ctx; }
  PolicyTraits traits() const override { return traits_; }
  void init(const std::vector<Task>& pending, const std::vector<int>&) override {
    for (const auto& t : pending) q_.add(t);
  }
  int next(int worker) override {
    if (q_.empty()) return -1;
    if (ctx_ && ctx_->observed(worker) < kProbeSeconds) {
      // Not measured yet: a probe of at most kProbeSeconds at the assumed rate and at most the mean
      // pending size (the assumed rate may be far off), else the smallest, so that a slow host
      // shows itself before it can be handed one of the big tasks.
      const double probe = std::min(ctx_->rate(worker) * kProbeSeconds, q_.mean());
      const int t = q_.pop_at_most(std::min(limit_for(worker), probe));
      return t >= 0 ? t : q_.pop_smallest();
    }
    const int t = q_.pop_at_most(limit_for(worker));
    if (t >= 0 || !ctx_ || ctx_->rate(worker) < kNearFastest * max_rate_) return t;
    return q_.pop_largest();
  }
  int next_any() override { return q_.empty() ? -1 : q_.pop_largest(); }
  void give_back(const std::vector<Task>& tasks, const std::vector<int>&) override {
    for (const auto& t : tasks) q_.add(t);
  }
  void worker_gone(int, const std::vector<int>&) override {}
  bool remove(int task) override { return q_.remove(task); }
  std::vector<int> pending() const override { return q_.ids(); }

 private:
  static constexpr double kProbeSeconds = 0.25;
  static constexpr int kRefresh = 64;           // (and every call with at most 64 live workers)
  static constexpr double kRefreshSeconds = 0.1;  // rates move: sums at most this old
  static constexpr double kSlack = 1.5;         // tasks are discrete: the end is later than H
  static constexpr double kNearFastest = 0.9;   // rate estimates are noisy: within 10 % = fastest
  void refresh() {
    const double now = ctx_->now();
    sum_rates_ = 0;
    queued_bytes_ = 0;
    max_rate_ = 0;
    for (int f : ctx_->live_workers()) {
      const double r = ctx_->rate(f);
      sum_rates_ += r;
      max_rate_ = std::max(max_rate_, r);
      queued_bytes_ += std::max(0.0, ctx_->busy_until(f) - now) * r;
    }
    live_seen_ = ctx_->live_count();
    calls_ = 0;
    refreshed_at_ = now;
  }
  double limit_for(int worker) {
    if (!ctx_) return std::numeric_limits<double>::infinity();
    if (calls_++ >= kRefresh || live_seen_ != ctx_->live_count() || ctx_->live_count() <= kRefresh ||
        ctx_->now() >= refreshed_at_ + kRefreshSeconds)
      refresh();
    if (!(sum_rates_ > 0)) return std::numeric_limits<double>::infinity();
    // (never before the largest pending task can end on the fastest worker: the lower bound)
    const double largest = q_.empty() ? 0 : q_.largest();
    const double horizon = std::max((q_.total() + queued_bytes_) / sum_rates_, largest / max_rate_);
    return horizon * ctx_->rate(worker) * kSlack;
  }
  std::string name_;
  PolicyTraits traits_;
  const PolicyContext* ctx_ = nullptr;
  SizeQueue q_;
  double sum_rates_ = 0, queued_bytes_ = 0, max_rate_ = 0, refreshed_at_ = 0;
  int live_seen_ = -1, calls_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> make_dynamic_policy() { return std::make_unique<DynamicPolicy>(); }
std::unique_ptr<SchedulingPolicy> make_static_policy() { return std::make_unique<StaticPolicy>(); }
std::unique_ptr<SchedulingPolicy> make_lpt_policy() { return std::make_unique<LptPolicy>(); }
std::unique_ptr<SchedulingPolicy> make_guided_policy(double split_k, std::uint64_t split_floor) {
  PolicyTraits t;
  t.split_k = split_k;
  t.split_floor = std::max<std::uint64_t>(split_floor, 1);
  return std::make_unique<LptPolicy>("guided", t);
}
std::unique_ptr<SchedulingPolicy> make_steal_policy(int prefetch, double prefetch_seconds, std::uint64_t prefetch_bytes) {
  PolicyTraits t;
  t.prefetch = std::max(prefetch, 1);
  t.prefetch_seconds = prefetch_seconds;
  t.prefetch_bytes = prefetch_bytes;
  t.steal = true;
  return std::make_unique<LptPolicy>("steal", t);
}

std::vector<std::string> policy_names() { return {"static", "dynamic", "lpt", "guided", "steal", "locality"}; }

std::unique_ptr<SchedulingPolicy> make_policy(const std::string& name) {
  if (name == "dynamic") return make_dynamic_policy();
  if (name == "static") return make_static_policy();
  if (name == "lpt") return make_lpt_policy();
  if (name == "guided") return make_guided_policy();
  if (name == "steal") return make_steal_policy();
  if (name == "locality") return make_locality_policy({});
  return nullptr;
}

bool policy_is_dynamic(const std::string& name) { return name != "static" && make_policy(name) != nullptr; }

}  // namespace dla
