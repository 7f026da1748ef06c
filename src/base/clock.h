// Time enters src/core only through this interface: the MPI layer passes MPI_Wtime (real or
// simulated), tests pass a FakeClock. Nothing in src/core reads the wall clock for protocol decisions.
#pragma once

namespace dla {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now() const = 0;  // seconds, monotonic, arbitrary origin
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(double t = 0) : t_(t) {}
  double now() const override { return t_; }
  void set(double t) { t_ = t; }
  void advance(double dt) { t_ += dt; }

 private:
  double t_;
};

}  // namespace dla
