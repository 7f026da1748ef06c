// Deterministic log generator (the assignment's generate_logs.py, in C++ and seeded).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"

namespace dla {

struct GenOptions {
  int files = 10;
  std::uint64_t lines = 5000;      // lines per file on average
  std::uint64_t seed = 42;
  double skew = 0;                 // file i (1-based) gets lines ∝ 1/i^skew; 0 = all equal
  bool mixed = false;              // also lines with no level, [WARNING], levels in the message, CRLF
  std::string prefix = "node";     // file names: <prefix><i>.log
};

// Line count of each file (sums to files * lines, deterministic).
std::vector<std::uint64_t> gen_line_counts(const GenOptions& o);

// Writes the files into `dir` (created if missing) through `env`. Returns the paths written.
Result<std::vector<std::string>> generate_logs(const std::string& dir, const GenOptions& o, Env& env = *Env::posix());

// Small, portable, seedable PRNG (splitmix64): same stream on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  std::uint64_t s_;
};

}  // namespace dla
