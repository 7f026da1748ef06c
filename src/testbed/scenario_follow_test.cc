// Unit tests for the follow scenarios (scenario_follow.cc): parsing the "follow" object, the
// program's options, and the RESULT check against totals computed from the script.
#include <catch2/catch.hpp>

#include "testbed/scenario.h"

using nlohmann::json;
namespace sc = dla::scen;

namespace {

json doc() {
  return json::parse(R"({
    "platform": {"hosts": 4, "speed": 1},
    "input": {"files": 2, "lines": 100, "seed": 1},
    "follow": {"for": 5, "seed": 3, "growth": [
      {"at": 2.0, "rotate": "node1.log", "to": "node1.log.1"},
      {"at": 0.5, "file": "node1.log", "append_lines": 40},
      {"at": 3, "truncate": "node2.log"},
      {"at": "3.5s", "create": "c.log", "append_lines": 10}]},
    "faults": [{"rank": 2, "at": 1.5, "kind": "crash"}]
  })");
}

sc::Scenario parse_ok(const json& j) {
  auto s = sc::parse_scenario(j, "f", "");
  INFO((s ? "" : s.error()));
  REQUIRE(s.ok());
  return *s;
}

std::string parse_error(const json& j) {
  auto s = sc::parse_scenario(j, "f", "");
  REQUIRE_FALSE(s.ok());
  return s.error();
}

const json kBase = json::parse(R"({"counts": {"DEBUG": 10, "ERROR": 20, "INFO": 30, "WARN": 40}, "lines": 100})");

}  // namespace

TEST_CASE("follow scenario: steps parsed, sorted by time, crash faults become crash steps") {
  auto s = parse_ok(doc());
  REQUIRE(s.follow.on);
  CHECK(s.follow.for_s == 5);
  REQUIRE(s.follow.growth.size() == 5);
  using K = dla::GrowthStep;
  CHECK(s.follow.growth[0].kind == K::kAppend);
  CHECK(s.follow.growth[0].lines == 40);
  CHECK(s.follow.growth[1].kind == K::kCrash);
  CHECK(s.follow.growth[1].rank == 2);
  CHECK(s.follow.growth[2].kind == K::kRotate);
  CHECK(s.follow.growth[3].kind == K::kTruncate);
  CHECK(s.follow.growth[4].kind == K::kCreate);
  CHECK(s.follow.growth[4].at == 3.5);
}

TEST_CASE("follow scenario: bad documents are errors naming the JSON path") {
  auto j = doc();
  j["follow"]["growth"][1]["at"] = 5;
  CHECK(parse_error(j).find("follow.growth[1].at") != std::string::npos);  // not before the end
  j = doc();
  j["follow"]["growth"][1].erase("append_lines");
  CHECK(parse_error(j).find("append_lines") != std::string::npos);
  j = doc();
  j["follow"]["growth"][0]["truncate"] = "x.log";  // two kinds
  CHECK(parse_error(j).find("exactly one") != std::string::npos);
  j = doc();
  j["follow"]["growth"][1]["file"] = "../x.log";
  CHECK(parse_error(j).find("bad file name") != std::string::npos);
  j = doc();
  j["follow"]["grow"] = 1;
  CHECK(parse_error(j).find("unknown key") != std::string::npos);
  j = doc();
  j["follow"].erase("for");
  CHECK(parse_error(j).find("follow.for") != std::string::npos);
  j = doc();
  j["faults"][0]["kind"] = "hang";
  CHECK(parse_error(j).find("crash faults") != std::string::npos);
}

TEST_CASE("follow scenario: the program runs --follow with the growth script") {
  auto s = parse_ok(doc());
  auto a = sc::program_args(s, "input", "run.trace");
  const std::vector<std::string> head = {"--follow", "input", "--follow-for", "5", "--sim-growth", "growth.txt", "--sim-growth-seed", "3"};
  REQUIRE(a.size() >= head.size());
  CHECK(std::vector<std::string>(a.begin(), a.begin() + head.size()) == head);
}

TEST_CASE("follow scenario: expected totals are the initial counts plus every line written") {
  auto s = parse_ok(doc());
  auto c = sc::follow_expected_counts(s, kBase);
  CHECK(c.lines == 150);
  const auto g = dla::expected_growth_counts(s.follow.growth, 3);
  CHECK(g.lines == 50);
  CHECK(c.get("DEBUG") == 10 + g.get("DEBUG"));
  CHECK(c.get("WARN") == 40 + g.get("WARN"));
}

TEST_CASE("follow scenario: the RESULT line is checked against those totals and the crashed ranks") {
  auto s = parse_ok(doc());
  const auto c = sc::follow_expected_counts(s, kBase);
  auto line = [&](std::uint64_t lines, const std::string& failed) {
    return "[Follow] ...\nRESULT OK DEBUG=" + std::to_string(c.get("DEBUG")) + " ERROR=" + std::to_string(c.get("ERROR")) +
           " INFO=" + std::to_string(c.get("INFO")) + " WARN=" + std::to_string(c.get("WARN")) + " lines=" + std::to_string(lines) +
           " files=3/3 " + failed + "\n";
  };
  CHECK(sc::follow_failures(s, line(150, "failed_workers=1 failed=2"), kBase).empty());
  CHECK(sc::follow_failures(s, line(149, "failed_workers=1 failed=2"), kBase).size() == 1);  // a line lost
  CHECK(sc::follow_failures(s, line(150, "failed_workers=0"), kBase).size() == 1);           // the crash unseen
  CHECK(sc::follow_failures(s, line(150, "failed_workers=1 failed=3"), kBase).size() == 1);
  CHECK(sc::follow_failures(s, "no result\n", kBase).size() == 1);
  std::string incomplete = line(150, "failed_workers=1 failed=2");
  incomplete.replace(incomplete.find("RESULT OK"), 9, "RESULT INCOMPLETE");
  CHECK(sc::follow_failures(s, incomplete, kBase).size() == 1);
}
