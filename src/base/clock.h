// Time enters the pure layers as a `now` argument (seconds on the caller's clock: MPI_Wtime in
// src/mpi, real or simulated); nothing below src/mpi reads a clock. FakeClock is the tests'
// stand-in for such a clock: a number they set and advance.
#pragma once

namespace dla {

class FakeClock {
 public:
  explicit FakeClock(double t = 0) : t_(t) {}
  double now() const { return t_; }
  void set(double t) { t_ = t; }
  void advance(double dt) { t_ += dt; }

 private:
  double t_;
};

}  // namespace dla
