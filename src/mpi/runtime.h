// MPI start-up/shut-down and small helpers, so that apps never include <mpi.h>.
#pragma once
#include <string>
#include <vector>

#include "base/clock.h"

namespace dla::mpi {

// MPI_Init on construction, MPI_Finalize on destruction.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

// MPI_Wtime: real seconds on Open MPI, simulated seconds under SMPI.
double wtime();

// The Clock that src/core decisions run on.
class WtimeClock final : public Clock {
 public:
  double now() const override { return wtime(); }
};

// Sleep that is simulated time under SMPI and real time otherwise.
void sleep_seconds(double s);

// Rank 0's value of `s` on every rank.
void broadcast(std::string& s);
void broadcast(int& v);
void barrier();

}  // namespace dla::mpi
