// MPI start-up/shut-down and small helpers, so that apps never include <mpi.h>.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace dla::mpi {

// Exit status of a rank whose start-up did not finish within --startup-timeout.
inline constexpr int kExitStartupTimeout = 5;
inline constexpr double kDefaultStartupTimeout = 30.0;

// MPI_Init_thread on construction, MPI_Finalize on destruction.
//
// Thread level: FUNNELED. Only the main thread calls MPI; the checkpoint writer and the start-up
// watchdog are plain threads that never do. If the library provides less, rank 0 says so on
// stderr (the run goes on: those threads make no MPI call). MPI_COMM_WORLD gets
// MPI_ERRORS_RETURN: an MPI error on a peer is reported by the transport as that peer's failure
// instead of aborting the job.
//
// Start-up watchdog (real MPI only; under SMPI time is simulated and a rank cannot die in
// MPI_Init): a plain thread, no MPI, started before MPI_Init. If startup_done() is not called
// within `startup_timeout` real seconds (a peer killed during MPI_Init blocks everybody in its
// fence), it prints one line on stderr and _exits with kExitStartupTimeout.
class Session {
 public:
  Session(int* argc, char*** argv, double startup_timeout = kDefaultStartupTimeout);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // This rank's start-up is over (plan sent / received): the watchdog stands down.
  void startup_done() const;

 private:
  struct Watchdog;
  int rank_ = 0;
  int size_ = 1;
  std::unique_ptr<Watchdog> watchdog_;
};

// The value of --startup-timeout in argv (either "--startup-timeout S" or "--startup-timeout=S"),
// read before MPI_Init so that the watchdog covers it; `dflt` if absent or not a number (the
// option parser then reports the bad value).
double startup_timeout_arg(int argc, char** argv, double dflt = kDefaultStartupTimeout);

// --version, answered before MPI_Init (so it works without a launcher) and printed once under
// mpirun (by the process the launcher's environment calls rank 0). True if it was asked for.
bool answer_version(int argc, char** argv, const char* program);

// MPI_Wtime: real seconds on Open MPI, simulated seconds under SMPI.
double wtime();

// Sleep that is simulated time under SMPI and real time otherwise.
void sleep_seconds(double s);

// Collectives for Stage 1 (parallel.cc), which has no fault tolerance by design: rank 0's value
// of `s` on every rank, and a barrier. The fault-tolerant analyser uses none of them.
void broadcast(std::string& s);
void broadcast(int& v);
void barrier();

}  // namespace dla::mpi
