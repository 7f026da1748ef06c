// Level names: the ONE normalisation table every format uses, and a small fixed-size tally the
// scanners count into (a plain array indexed by a canonical level id: no map in the hot loop).
//
// Canonical names (alphabetical; the id is the index):
//   ALERT ASSERT CONFIG CRITICAL DEBUG EMERGENCY ERROR FAILURE FATAL FINE FINER FINEST INFO NOTICE
//   PANIC SEVERE TRACE VERBOSE WARN
// Spellings accepted (case-insensitive; what a format accepts as a token is up to the format):
//   every canonical name itself, and
//   WARNING, WRN -> WARN          ERR, ERRO -> ERROR      CRIT, CRT -> CRITICAL
//   EMERG -> EMERGENCY            INFORMATION, INFORMATIONAL, INF -> INFO
//   DBG -> DEBUG                  TRC -> TRACE            VRB -> VERBOSE      FTL -> FATAL
// (3-letter forms: Serilog's and Go's short names.) Android logcat's one-letter priorities are not
// in this table: only the logcat format reads them (logcat_level). Anything else is not a level:
// a line whose header holds another word is unleveled, never guessed.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "base/levels.h"

namespace dla {

inline constexpr int kNumLevelIds = 19;
inline constexpr std::array<std::string_view, kNumLevelIds> kLevelIdNames = {
    "ALERT", "ASSERT", "CONFIG", "CRITICAL", "DEBUG", "EMERGENCY", "ERROR", "FAILURE", "FATAL", "FINE",
    "FINER", "FINEST", "INFO", "NOTICE", "PANIC", "SEVERE", "TRACE", "VERBOSE", "WARN"};
namespace level_id {
inline constexpr int kAlert = 0, kAssert = 1, kCritical = 3, kDebug = 4, kEmergency = 5, kError = 6, kFatal = 8,
                     kInfo = 12, kNotice = 13, kTrace = 16, kVerbose = 17, kWarn = 18;
}

// The canonical id of a level spelling (case-insensitive), or -1 when it is not a level name.
int normalise_level(std::string_view token);
// Android logcat priority letter (V D I W E F A, upper case only) -> id, or -1.
int logcat_level(char letter);

// Lines per canonical level, plus all lines. Cheap to copy and add; converted to Counts once per
// scanned piece.
struct LevelTally {
  std::array<std::uint64_t, kNumLevelIds> n{};
  std::uint64_t lines = 0;
  void add_line(int id) {
    ++lines;
    if (id >= 0) ++n[static_cast<std::size_t>(id)];
  }
  LevelTally& operator+=(const LevelTally& o) {
    for (int i = 0; i < kNumLevelIds; ++i) n[i] += o.n[i];
    lines += o.lines;
    return *this;
  }
  std::uint64_t leveled() const {
    std::uint64_t s = 0;
    for (auto v : n) s += v;
    return s;
  }
};

// Adds a tally to Counts (every nonzero level by its canonical name).
void add_tally(Counts& c, const LevelTally& t);

}  // namespace dla
