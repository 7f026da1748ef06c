// The printed result block (the assignment's format) and its JSON twin. Used by every analyser so
// that their outputs compare line for line.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/levels.h"

namespace dla {

inline constexpr const char* kRule = "=================================================";

// "ANALYSIS RESULTS" block: the four levels in alphabetical order, then the footer lines
// ("Key: value") between rules, as in the assignment.
std::string format_results(const Counts& c, const std::vector<std::pair<std::string, std::string>>& footer);

// "%.2f" seconds, e.g. "0.35s".
std::string format_seconds(double s);

}  // namespace dla
