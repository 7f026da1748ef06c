// Log levels and per-level counts: the value every part of dla passes around.
//
// The set of levels is open: a scanner reports whatever normalised level names it finds (DEBUG,
// INFO, FATAL, NOTICE, ...; scan/formats.h owns the normalisation table). The assignment's four
// levels are named by the Level enum for the code and reports that always show them.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dla {

// The assignment's levels, alphabetical on purpose: every report prints levels in name order.
enum class Level : int { Debug = 0, Error = 1, Info = 2, Warn = 3 };
inline constexpr int kNumLevels = 4;
inline constexpr std::array<std::string_view, kNumLevels> kLevelNames = {"DEBUG", "ERROR", "INFO", "WARN"};

// A level name as reports, checkpoints and messages carry it: 1 to 32 characters of A-Z, 0-9 and
// '_', starting with a letter. Anything else is not a level (scanners count such lines unleveled).
bool valid_level_name(std::string_view name);

struct Counts {
  // Normalised level name -> lines with that level. Entries may be 0; == ignores them.
  std::map<std::string, std::uint64_t, std::less<>> level;
  std::uint64_t lines = 0;  // every line, with or without a level

  std::uint64_t& operator[](std::string_view name);
  std::uint64_t get(std::string_view name) const;  // 0 when absent
  std::uint64_t& operator[](Level l) { return (*this)[kLevelNames[static_cast<int>(l)]]; }
  std::uint64_t operator[](Level l) const { return get(kLevelNames[static_cast<int>(l)]); }

  Counts& operator+=(const Counts& o);
  // Subtracts o (which must be part of *this: every count of o <= ours); entries reaching 0 go.
  Counts& operator-=(const Counts& o);
  friend Counts operator+(Counts a, const Counts& b) { return a += b; }
  friend bool operator==(const Counts& a, const Counts& b);
  friend bool operator!=(const Counts& a, const Counts& b) { return !(a == b); }

  std::uint64_t leveled() const;                             // lines that carry a level
  std::uint64_t unleveled() const {  // lines without one (0 if the counts do not add up)
    const std::uint64_t l = leveled();
    return lines > l ? lines - l : 0;
  }
};

// The names a report shows, in name order: the assignment's four always, then every other level
// with a non-zero count.
std::vector<std::string> report_levels(const Counts& c);

// {"DEBUG": n, "ERROR": n, "INFO": n, "WARN": n, <other non-zero levels>}: report_levels' names.
// Unleveled lines are not a level: callers that show them add "unleveled" beside "counts".
nlohmann::json counts_json(const Counts& c);
// Inverse of counts_json (missing levels are 0); "lines" is read when present. Keys that are not
// valid level names and values that are not unsigned integers are an error (kCorruption).
Result<Counts> counts_from_json(const nlohmann::json& j);

// Compact text for messages: "LINES NAME=n NAME=n ..." (non-zero levels, name order), e.g.
// "5 ERROR=2 INFO=3". counts_from_wire is strict: anything else is an error (kCorruption), and so
// is a level total above the line count.
std::string counts_to_wire(const Counts& c);
Result<Counts> counts_from_wire(std::string_view text);

}  // namespace dla
