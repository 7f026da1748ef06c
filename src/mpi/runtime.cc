#include "mpi/runtime.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>

#include "base/version.h"
#include "mpi/sim_hooks.h"

namespace dla::mpi {

struct Session::Watchdog {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rank = -1;  // known once MPI_Init returned
  std::thread thread;

  explicit Watchdog(double timeout) {
    thread = std::thread([this, timeout] {
      std::unique_lock<std::mutex> lock(mu);
      if (cv.wait_for(lock, std::chrono::duration<double>(timeout), [this] { return done; })) return;
      char where[64] = "";
      if (rank >= 0) std::snprintf(where, sizeof where, "rank %d, ", rank);
      char line[512];
      const int n = std::snprintf(line, sizeof line,
                                  "error: dla start-up did not finish within %gs (%spid %ld): a process died or hung "
                                  "while MPI was starting, nothing was counted; run the same command again (a saved "
                                  "checkpoint is resumed), or raise --startup-timeout if start-up is only slow\n",
                                  timeout, where, static_cast<long>(::getpid()));
      if (n > 0) (void)!::write(2, line, static_cast<std::size_t>(std::min<int>(n, sizeof line - 1)));
      ::_exit(kExitStartupTimeout);
    });
  }
  void stand_down() {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
  }
  ~Watchdog() {
    stand_down();
    if (thread.joinable()) thread.join();
  }
};

Session::Session(int* argc, char*** argv, double startup_timeout) {
  if (!sim::simulated() && std::isfinite(startup_timeout) && startup_timeout > 0)
    watchdog_ = std::make_unique<Watchdog>(startup_timeout);
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  sim::on_mpi_init(rank_);
  if (watchdog_) {
    std::lock_guard<std::mutex> lock(watchdog_->mu);
    watchdog_->rank = rank_;
  }
  if (provided < MPI_THREAD_FUNNELED && rank_ == 0 && !sim::simulated())
    std::fprintf(stderr, "warning: the MPI library provides thread level %d, below MPI_THREAD_FUNNELED (%d); dla's "
                         "helper threads make no MPI call, so the run goes on\n", provided, MPI_THREAD_FUNNELED);
}

void Session::startup_done() const {
  if (watchdog_) watchdog_->stand_down();
}

Session::~Session() {
  watchdog_.reset();
  // A rank being killed (SMPI actor kill unwinds its stack with an exception) must not finalize.
  if (std::uncaught_exceptions() == 0) MPI_Finalize();
}

namespace {
// This process's rank as the launcher announced it in the environment (Open MPI, PMIx, MPICH/PMI),
// readable before MPI_Init; -1 when not launched by one (or under SMPI, where ranks are threads).
int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = std::getenv(var)) return std::atoi(v);
  return -1;
}
}  // namespace

bool answer_version(int argc, char** argv, const char* program) {
  if (!wants_version(argc, argv)) return false;
  if (launcher_rank() <= 0) std::cout << version_line(program) << std::endl;
  return true;
}

double startup_timeout_arg(int argc, char** argv, double dflt) {
  static const char kOpt[] = "--startup-timeout";
  const std::size_t n = sizeof kOpt - 1;
  for (int i = 1; i < argc; ++i) {
    const char* v = nullptr;
    if (std::strcmp(argv[i], kOpt) == 0 && i + 1 < argc) v = argv[i + 1];
    else if (std::strncmp(argv[i], kOpt, n) == 0 && argv[i][n] == '=') v = argv[i] + n + 1;
    if (!v) continue;
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end != v && *end == 0 && std::isfinite(x) && x > 0) return x;
  }
  return dflt;
}

double wtime() { return MPI_Wtime(); }

void sleep_seconds(double s) {
  if (s <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(s);
  ts.tv_nsec = static_cast<long>((s - static_cast<double>(ts.tv_sec)) * 1e9);
  nanosleep(&ts, nullptr);  // SMPI intercepts nanosleep: simulated time there
}

void broadcast(std::string& s) {
  int n = static_cast<int>(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(static_cast<std::size_t>(n));
  if (n) MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
}

void broadcast(int& v) { MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD); }

void barrier() { MPI_Barrier(MPI_COMM_WORLD); }

}  // namespace dla::mpi
