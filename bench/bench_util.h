// Helpers shared by the C++ benchmarks in bench/ (not part of any program).
#pragma once
#include <chrono>
#include <functional>

namespace dla::bench {

// Wall-clock seconds `f` takes (steady clock; benchmarks only: the layers below mpi take time as a
// parameter).
inline double seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dla::bench
