// GatedPolicy: a SchedulingPolicy wrapper that holds back the tasks that are not ready yet. When
// the inner policy hands out a task for which ready(task) is false, the task is parked instead and
// the inner policy asked again; release_ready() gives the parked tasks that became ready back to
// the inner policy (at the front). Parked tasks stay pending for the Scheduler (they are still in
// the policy), so a worker that finds only parked tasks is told WAIT.
// Was used by --store (issue 14) to hold a file's later blocks until its first block told the
// format; since manifest format 2 the manifest carries each file's format (detected at ingest on
// the file's head: a small first block could not) and no block waits, so nothing uses it now.
// Thread-safety: none (the master's thread).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "sched/policy.h"

namespace dla {

class GatedPolicy final : public SchedulingPolicy {
 public:
  GatedPolicy(std::unique_ptr<SchedulingPolicy> inner, std::function<bool(const Task&)> ready);
  std::string name() const override { return inner_->name(); }
  void bind(const PolicyContext* ctx) override;
  PolicyTraits traits() const override { return inner_->traits(); }
  void init(const std::vector<Task>& pending, const std::vector<int>& workers) override;
  int next(int worker) override;
  int next_any() override;  // (the master working itself: parked tasks too, ready or not)
  void give_back(const std::vector<Task>& tasks, const std::vector<int>& live) override;
  void worker_gone(int worker, const std::vector<int>& live) override { inner_->worker_gone(worker, live); }
  bool remove(int task) override;
  std::vector<int> pending() const override;

  // Gives every parked task that is ready now back to the inner policy. Returns how many.
  int release_ready(const std::vector<int>& live);
  std::size_t parked() const { return parked_.size(); }

 private:
  std::unique_ptr<SchedulingPolicy> inner_;
  std::function<bool(const Task&)> ready_;
  const PolicyContext* ctx_ = nullptr;
  std::map<int, Task> parked_;  // by id
  std::map<int, Task> known_;   // every task seen in init/give_back (the ones next() may return)
};

}  // namespace dla
