#include "sched/gate.h"

namespace dla {

GatedPolicy::GatedPolicy(std::unique_ptr<SchedulingPolicy> inner, std::function<bool(const Task&)> ready)
    : inner_(std::move(inner)), ready_(std::move(ready)) {}

void GatedPolicy::bind(const PolicyContext* ctx) {
  ctx_ = ctx;
  inner_->bind(ctx);
}

void GatedPolicy::init(const std::vector<Task>& pending, const std::vector<int>& workers) {
  for (const auto& t : pending) known_[t.id] = t;
  inner_->init(pending, workers);
}

int GatedPolicy::next(int worker) {
  while (true) {
    const int t = inner_->next(worker);
    if (t < 0) return t;
    auto it = known_.find(t);
    if (it == known_.end() || ready_(it->second)) return t;
    parked_[t] = it->second;  // not yet: held back, and the inner policy asked again
  }
}

int GatedPolicy::next_any() {
  const int t = inner_->next_any();
  if (t >= 0 || parked_.empty()) return t;
  const int p = parked_.begin()->first;
  parked_.erase(parked_.begin());
  return p;
}

void GatedPolicy::give_back(const std::vector<Task>& tasks, const std::vector<int>& live) {
  for (const auto& t : tasks) known_[t.id] = t;
  inner_->give_back(tasks, live);
}

bool GatedPolicy::remove(int task) { return parked_.erase(task) > 0 || inner_->remove(task); }

std::vector<int> GatedPolicy::pending() const {
  std::vector<int> out = inner_->pending();
  for (const auto& [id, t] : parked_) out.push_back(id);
  return out;
}

int GatedPolicy::release_ready(const std::vector<int>& live) {
  std::vector<Task> back;
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (ready_(it->second)) {
      back.push_back(it->second);
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
  if (!back.empty()) inner_->give_back(back, live);
  return static_cast<int>(back.size());
}

}  // namespace dla
