// The level-name table (scan/level_names.h) and the tally. Expected values are written by hand from the documented rules.
#include <catch2/catch.hpp>
#include <string>

#include "scan/formats.h"

namespace dla {

TEST_CASE("normalise_level: the one table", "[formats]") {
  const std::pair<const char*, const char*> cases[] = {
      {"WARNING", "WARN"},  {"warn", "WARN"},       {"Warning", "WARN"},         {"ERR", "ERROR"},
      {"error", "ERROR"},   {"CRIT", "CRITICAL"},   {"EMERG", "EMERGENCY"},      {"INFORMATION", "INFO"},
      {"notice", "NOTICE"}, {"FATAL", "FATAL"},     {"SEVERE", "SEVERE"},        {"TRACE", "TRACE"},
      {"INF", "INFO"},      {"WRN", "WARN"},        {"DBG", "DEBUG"},            {"informational", "INFO"},
      {"Verbose", "VERBOSE"}, {"FAILURE", "FAILURE"}, {"panic", "PANIC"},        {"alert", "ALERT"}};
  for (auto [in, out] : cases) {
    INFO(in);
    const int id = normalise_level(in);
    REQUIRE(id >= 0);
    CHECK(kLevelIdNames[static_cast<std::size_t>(id)] == out);
  }
  for (const char* no : {"", "IN", "INFOO", "main", "WARN1", "W", "E", "ERROR:", "Information2", "INFORMATIONALX"})
    CHECK(normalise_level(no) == -1);
  CHECK(kLevelIdNames[static_cast<std::size_t>(logcat_level('V'))] == "VERBOSE");
  CHECK(kLevelIdNames[static_cast<std::size_t>(logcat_level('A'))] == "ASSERT");
  CHECK(kLevelIdNames[static_cast<std::size_t>(logcat_level('F'))] == "FATAL");
  CHECK(logcat_level('v') == -1);
  CHECK(logcat_level('S') == -1);
}


TEST_CASE("LevelTally: lines, leveled, add_tally by canonical name", "[formats]") {
  LevelTally t;
  t.add_line(level_id::kFatal);
  t.add_line(level_id::kInfo);
  t.add_line(kUnleveled);
  t.add_line(kNoMatch);
  CHECK(t.lines == 4);
  CHECK(t.leveled() == 2);
  Counts c;
  c.lines = 1;
  c["INFO"] = 1;
  add_tally(c, t);
  CHECK(c.lines == 5);
  CHECK(c.get("INFO") == 2);
  CHECK(c.get("FATAL") == 1);
  CHECK(c.unleveled() == 2);
}

}  // namespace dla
