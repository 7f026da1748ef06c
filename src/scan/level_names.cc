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

namespace {

// Up to 8 letters, upper-cased, packed little-endian; 0 if a byte is not a letter.
std::uint64_t pack_upper(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    const unsigned char u = c & 0xDF;  // ASCII letters to upper case
    if (u < 'A' || u > 'Z') return 0;
    v |= std::uint64_t{u} << (8 * i);
  }
  return v;
}

// Open-addressed hash of every spelling of at most 8 letters (key: pack_upper of it).
struct SpellingTable {
  static constexpr int kSlots = 128;
  std::uint64_t key[kSlots] = {};
  signed char id[kSlots] = {};
  static unsigned slot(std::uint64_t k) { return static_cast<unsigned>((k * 0x9E3779B97F4A7C15ull) >> 57); }
  void add(std::string_view s, int i) {
    if (s.size() > 8) return;
    const std::uint64_t k = pack_upper(s.data(), s.size());
    unsigned h = slot(k);
    while (key[h] != 0) h = (h + 1) % kSlots;
    key[h] = k;
    id[h] = static_cast<signed char>(i);
  }
  SpellingTable() {
    for (int i = 0; i < kNumLevelIds; ++i) add(kLevelIdNames[static_cast<std::size_t>(i)], i);
    for (const Alias& a : kAliases) add(a.spelling, a.id);
  }
  int find(std::uint64_t k) const {
    for (unsigned h = slot(k);; h = (h + 1) % kSlots) {
      if (key[h] == k) return id[h];
      if (key[h] == 0) return -1;
    }
  }
};
const SpellingTable kTable;

}  // namespace

int normalise_level(std::string_view token) {
  const std::size_t n = token.size();
  if (n < 3 || n > kMaxSpelling) return -1;
  if (n <= 8) {
    const std::uint64_t k = pack_upper(token.data(), n);
    return k ? kTable.find(k) : -1;
  }
  char up[kMaxSpelling];  // the long spellings: EMERGENCY, INFORMATION, INFORMATIONAL
  for (std::size_t i = 0; i < n; ++i) {
    const char c = static_cast<char>(token[i] & 0xDF);
    if (c < 'A' || c > 'Z') return -1;
    up[i] = c;
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
  for (std::size_t i = 0; i < kLevelIdNames.size(); ++i)
    if (t.n[i] != 0) c[kLevelIdNames[i]] += t.n[i];
  c.lines += t.lines;
}

}  // namespace dla
