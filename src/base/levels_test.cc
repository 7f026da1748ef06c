#include "base/levels.h"

#include <catch2/catch.hpp>

using dla::Counts;
using dla::Level;

namespace {
Counts hadoop_like() {
  Counts c;
  c["INFO"] = 1040;
  c["WARN"] = 808;
  c["ERROR"] = 150;
  c["FATAL"] = 2;
  c.lines = 2003;
  return c;
}
}  // namespace

TEST_CASE("Counts: an open set of levels, the seed four by enum", "[levels]") {
  Counts c = hadoop_like();
  CHECK(c[Level::Info] == 1040);
  CHECK(c.get("FATAL") == 2);
  CHECK(c.get("NOTICE") == 0);
  CHECK(c.leveled() == 2000);
  CHECK(c.unleveled() == 3);
  Counts twice = c + c;
  CHECK(twice.get("FATAL") == 4);
  CHECK(twice.lines == 4006);
  twice -= c;
  CHECK(twice == c);
}

TEST_CASE("Counts equality ignores zero entries but not values", "[levels]") {
  Counts a = hadoop_like(), b = hadoop_like();
  b["TRACE"] = 0;
  CHECK(a == b);
  b["TRACE"] = 1;
  CHECK(a != b);
  b["TRACE"] = 0;
  b.lines += 1;
  CHECK(a != b);
}

TEST_CASE("valid_level_name: upper-case words only", "[levels]") {
  CHECK(dla::valid_level_name("WARN"));
  CHECK(dla::valid_level_name("LEVEL_2"));
  CHECK_FALSE(dla::valid_level_name(""));
  CHECK_FALSE(dla::valid_level_name("warn"));
  CHECK_FALSE(dla::valid_level_name("2WARN"));
  CHECK_FALSE(dla::valid_level_name("WA RN"));
  CHECK_FALSE(dla::valid_level_name("WA=RN"));
  CHECK_FALSE(dla::valid_level_name(std::string(33, 'A')));
}

TEST_CASE("report_levels: the seed four always, others when found, in name order", "[levels]") {
  CHECK(dla::report_levels(Counts{}) == std::vector<std::string>{"DEBUG", "ERROR", "INFO", "WARN"});
  CHECK(dla::report_levels(hadoop_like()) == std::vector<std::string>{"DEBUG", "ERROR", "FATAL", "INFO", "WARN"});
  CHECK(dla::counts_json(hadoop_like()).dump() == R"({"DEBUG":0,"ERROR":150,"FATAL":2,"INFO":1040,"WARN":808})");
}

TEST_CASE("counts_to_wire / counts_from_wire round trip and strictness", "[levels]") {
  const Counts c = hadoop_like();
  CHECK(dla::counts_to_wire(c) == "2003 ERROR=150 FATAL=2 INFO=1040 WARN=808");
  auto back = dla::counts_from_wire(dla::counts_to_wire(c));
  REQUIRE(back.ok());
  CHECK(*back == c);
  CHECK(dla::counts_from_wire("0").ok());
  CHECK((*dla::counts_from_wire("7")).unleveled() == 7);
  for (const char* bad : {"", " ", "x", "5 INFO", "5 INFO=", "5 INFO=x", "5 info=1", "5 INFO=1 INFO=2", "5 INFO=0",
                          "5 INFO=6", "5 INFO=3 WARN=3", "5  INFO=1", "5 INFO=1 ", "-1", "5 INFO=-1",
                          "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(dla::counts_from_wire(bad).ok());
  }
}

TEST_CASE("counts_from_json: open set, strict", "[levels]") {
  auto c = dla::counts_from_json(nlohmann::json{{"FATAL", 2}, {"lines", 9}});
  REQUIRE(c.ok());
  CHECK(c->get("FATAL") == 2);
  CHECK(c->lines == 9);
  CHECK_FALSE(dla::counts_from_json(nlohmann::json{{"fatal", 2}}).ok());
  CHECK_FALSE(dla::counts_from_json(nlohmann::json{{"INFO", -2}}).ok());
  CHECK_FALSE(dla::counts_from_json(nlohmann::json{{"INFO", "2"}}).ok());
  CHECK_FALSE(dla::counts_from_json(nlohmann::json::array()).ok());
}
