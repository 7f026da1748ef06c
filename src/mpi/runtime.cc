#include "mpi/runtime.h"

#include <mpi.h>

#include <exception>

#include <ctime>

namespace dla::mpi {

Session::Session(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
  // A rank being killed (SMPI actor kill unwinds its stack with an exception) must not finalize.
  if (std::uncaught_exceptions() == 0) MPI_Finalize();
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
