// bench_dash_snapshot: what one dashboard snapshot costs the master, on a big run's scheduler.
//   bench_dash_snapshot [--tasks N] [--workers W] [--reps R]
// Builds a Scheduler with N tasks and W workers (half the tasks done, every worker busy), then
// times, best of R: SchedulerObserver::observe (what the master does every 0.25 s: O(tasks) for
// the byte totals) and to_json + dump (what the server thread does per request, off the master).
// Prints microseconds per call and the master's share of time at 4 snapshots/s.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>

#include "dash/observer.h"

namespace po = boost::program_options;
using namespace dla;

namespace {

double best_us(int reps, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int ntasks = 100000, nworkers = 64, reps = 20;
  po::options_description desc("bench_dash_snapshot");
  desc.add_options()("tasks", po::value(&ntasks)->default_value(ntasks), "tasks")(
      "workers", po::value(&nworkers)->default_value(nworkers), "workers")("reps", po::value(&reps)->default_value(reps), "best of");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  std::vector<FileInfo> files;
  dash::ObserverOptions oo;
  for (int i = 0; i < ntasks; ++i) {
    files.push_back({"d/f" + std::to_string(i), "file-" + std::to_string(i) + ".log", 100000, 0});
    oo.file_names.push_back(files.back().name);
    oo.file_sizes.push_back(100000);
  }
  std::vector<int> ws;
  for (int w = 1; w <= nworkers; ++w) ws.push_back(w);
  SchedulerOptions so;
  Scheduler s(make_tasks(files), ntasks, ws, make_policy("dynamic"), so, 0);
  double now = 0;
  Counts c;
  c[Level::Info] = 10;
  c.lines = 10;
  for (int w : ws) s.on_request(w, now);
  while (s.tasks_done() < ntasks / 2) {
    for (int w : ws) {
      now += 1e-4;
      const auto held = s.held_by(w);
      if (!held.empty()) s.on_result(w, held.front(), c, now);
    }
  }
  dash::SchedulerObserver obs(oo);
  dash::DashState last;
  const double observe = best_us(reps, [&] {
    now += 0.25;
    last = obs.observe(s, now);
  });
  std::size_t bytes = 0;
  const double json = best_us(reps, [&] { bytes = dash::to_json(last).dump().size(); });
  std::printf("tasks %d, workers %d: observe %.0f us (master thread), to_json+dump %.0f us (server thread, %zu bytes)\n", ntasks,
              nworkers, observe, json, bytes);
  std::printf("BENCH master_share_at_4Hz %.4f%%\n", observe * 4 / 1e6 * 100);
  return 0;
}
