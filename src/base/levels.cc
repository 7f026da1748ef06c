#include "base/levels.h"

namespace dla {

nlohmann::json counts_json(const Counts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < kNumLevels; ++i) j[std::string(kLevelNames[i])] = c.level[i];
  return j;
}

Counts counts_from_json(const nlohmann::json& j) {
  Counts c;
  for (int i = 0; i < kNumLevels; ++i) c.level[i] = j.value(std::string(kLevelNames[i]), std::uint64_t{0});
  c.lines = j.value("lines", std::uint64_t{0});
  return c;
}

}  // namespace dla
