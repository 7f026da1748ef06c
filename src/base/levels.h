// Log levels and per-level counts: the value every part of dla passes around.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dla {

// Alphabetical order on purpose: it is the order of every printed report.
enum class Level : int { Debug = 0, Error = 1, Info = 2, Warn = 3 };
inline constexpr int kNumLevels = 4;
inline constexpr std::array<std::string_view, kNumLevels> kLevelNames = {"DEBUG", "ERROR", "INFO", "WARN"};

struct Counts {
  std::array<std::uint64_t, kNumLevels> level{};  // lines per level
  std::uint64_t lines = 0;                          // all lines, with or without a level

  std::uint64_t& operator[](Level l) { return level[static_cast<int>(l)]; }
  std::uint64_t operator[](Level l) const { return level[static_cast<int>(l)]; }
  Counts& operator+=(const Counts& o) {
    for (int i = 0; i < kNumLevels; ++i) level[i] += o.level[i];
    lines += o.lines;
    return *this;
  }
  friend Counts operator+(Counts a, const Counts& b) { return a += b; }
  friend bool operator==(const Counts& a, const Counts& b) { return a.level == b.level && a.lines == b.lines; }
  friend bool operator!=(const Counts& a, const Counts& b) { return !(a == b); }
  std::uint64_t leveled() const { return level[0] + level[1] + level[2] + level[3]; }
};

// {"DEBUG": n, "ERROR": n, "INFO": n, "WARN": n}
nlohmann::json counts_json(const Counts& c);
// Inverse of counts_json (missing levels are 0); "lines" is read when present.
Counts counts_from_json(const nlohmann::json& j);

}  // namespace dla
