#include "scan/level_names.h"

#include <cstring>

namespace dla {
namespace {

struct Alias {
  std::string_view spelling;
  int id;
};
// Other spellings of canonical names (see level_names.h); the canonical names match themselves.
constexpr Alias kAliases[] = {
    {"WARNING", level_id::kWarn},   {"WRN", level_id::kWarn},        {"ERR", level_id::kError},
    {"ERRO", level_id::kError},     {"CRIT", level_id::kCritical},   {"CRT", level_id::kCritical},
    {"EMERG", level_id::kEmergency}, {"INFORMATION", level_id::kInfo}, {"INFORMATIONAL", level_id::kInfo},
    {"INF", level_id::kInfo},       {"DBG", level_id::kDebug},       {"TRC", level_id::kTrace},
    {"VRB", level_id::kVerbose},    {"FTL", level_id::kFatal},
};
constexpr std::size_t kMaxSpelling = 13;  // INFORMATIONAL

}  // namespace

int normalise_level(std::string_view token) {
  const std::size_t n = token.size();
  if (n < 3 || n > kMaxSpelling) return -1;
  char up[kMaxSpelling];
  for (std::size_t i = 0; i < n; ++i) {
    const char c = token[i];
    if (c >= 'a' && c <= 'z') up[i] = static_cast<char>(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z') up[i] = c;
    else return -1;  // level names are letters only
  }
  const std::string_view u(up, n);
  for (int i = 0; i < kNumLevelIds; ++i)
    if (kLevelIdNames[static_cast<std::size_t>(i)] == u) return i;
  for (const Alias& a : kAliases)
    if (a.spelling == u) return a.id;
  return -1;
}

int logcat_level(char letter) {
  switch (letter) {
    case 'V': return level_id::kVerbose;
    case 'D': return level_id::kDebug;
    case 'I': return level_id::kInfo;
    case 'W': return level_id::kWarn;
    case 'E': return level_id::kError;
    case 'F': return level_id::kFatal;
    case 'A': return level_id::kAssert;
    default: return -1;
  }
}

void add_tally(Counts& c, const LevelTally& t) {
  // TEMP until the open-set Counts lands: only the seed four.
  c[Level::Debug] += t.n[level_id::kDebug];
  c[Level::Error] += t.n[level_id::kError];
  c[Level::Info] += t.n[level_id::kInfo];
  c[Level::Warn] += t.n[level_id::kWarn];
  c.lines += t.lines;
}

}  // namespace dla
