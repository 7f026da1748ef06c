// Unit tests for core/report: the printed result block and its JSON twin.
#include "obs/report.h"

#include <catch2/catch.hpp>

namespace {
dla::Counts sample() {
  dla::Counts c;
  c[dla::Level::Debug] = 89;
  c[dla::Level::Error] = 18;
  c[dla::Level::Info] = 152;
  c[dla::Level::Warn] = 43;
  c.lines = 302;
  return c;
}
}  // namespace

TEST_CASE("format_results: the assignment's block, levels in alphabetical order, footer between rules", "[report]") {
  const std::string expected =
      "=================================================\n"
      "ANALYSIS RESULTS\n"
      "=================================================\n"
      "DEBUG: 89\n"
      "ERROR: 18\n"
      "INFO: 152\n"
      "WARN: 43\n"
      "=================================================\n"
      "Total time: 0.35s\n"
      "Speedup: 2.3x\n"
      "=================================================\n";
  CHECK(dla::format_results(sample(), {{"Total time", "0.35s"}, {"Speedup", "2.3x"}}) == expected);
}

TEST_CASE("format_results: no footer means no second rule; zero counts are printed", "[report]") {
  const std::string expected =
      "=================================================\n"
      "ANALYSIS RESULTS\n"
      "=================================================\n"
      "DEBUG: 0\n"
      "ERROR: 0\n"
      "INFO: 0\n"
      "WARN: 0\n"
      "=================================================\n";
  CHECK(dla::format_results(dla::Counts{}, {}) == expected);
  CHECK(std::string(dla::kRule).size() == 49);
}

TEST_CASE("unleveled lines and levels beyond the seed four are shown", "[report]") {
  dla::Counts c = sample();
  c["FATAL"] = 2;
  c.lines = 310;
  const std::string block = dla::format_results(c, {});
  CHECK(block.find("ERROR: 18\nFATAL: 2\nINFO: 152\n") != std::string::npos);
  CHECK(block.find("WARN: 43\nUNLEVELED: 6\n=") != std::string::npos);
  dla::ResultLine r;
  r.counts = c;
  r.files_processed = r.files_total = 1;
  CHECK(dla::format_result_line(r) == "RESULT OK DEBUG=89 ERROR=18 FATAL=2 INFO=152 WARN=43 unleveled=6 lines=310 files=1/1 failed_workers=0");
}

TEST_CASE("counts_json and counts_from_json", "[report]") {
  auto j = dla::counts_json(sample());
  CHECK(j.dump() == R"({"DEBUG":89,"ERROR":18,"INFO":152,"WARN":43})");
  auto back = *dla::counts_from_json(j);
  auto want = sample();
  want.lines = 0;
  CHECK(back == want);
  CHECK(back.lines == 0);  // counts_json carries no "lines"
  auto with_lines = *dla::counts_from_json(nlohmann::json{{"INFO", 5}, {"lines", 9}});
  CHECK(with_lines[dla::Level::Info] == 5);
  CHECK(with_lines[dla::Level::Debug] == 0);
  CHECK(with_lines[dla::Level::Warn] == 0);
  CHECK(with_lines.lines == 9);
  // uint64 values beyond 2^53 survive the round trip
  dla::Counts big;
  big[dla::Level::Error] = (1ull << 60) + 1;
  CHECK((*dla::counts_from_json(dla::counts_json(big)))[dla::Level::Error] == (1ull << 60) + 1);
}

TEST_CASE("format_seconds: two decimals and an s", "[report]") {
  CHECK(dla::format_seconds(0) == "0.00s");
  CHECK(dla::format_seconds(0.354) == "0.35s");
  CHECK(dla::format_seconds(2) == "2.00s");
  CHECK(dla::format_seconds(12.3456) == "12.35s");
  CHECK(dla::format_seconds(1234.5) == "1234.50s");
}

TEST_CASE("format_result_line: counts first, then files and failed workers", "[report]") {
  dla::ResultLine r;
  r.counts = sample();
  r.files_processed = 9;
  r.files_total = 9;
  CHECK(dla::format_result_line(r) == "RESULT OK DEBUG=89 ERROR=18 INFO=152 WARN=43 lines=302 files=9/9 failed_workers=0");
  r.verdict = "INCOMPLETE";
  r.files_processed = 7;
  r.unreadable = 2;
  r.failed_workers = {2, 5};
  CHECK(dla::format_result_line(r) ==
        "RESULT INCOMPLETE DEBUG=89 ERROR=18 INFO=152 WARN=43 lines=302 files=7/9 unreadable=2 failed_workers=2 failed=2,5");
}

TEST_CASE("format_result_line: 1,000 failed ranks cut nothing off", "[report]") {
  dla::ResultLine r;
  r.counts = sample();
  r.counts[dla::Level::Warn] = 18446744073709551615ull;  // widest count
  r.files_processed = r.files_total = 123456;
  std::string list;
  for (int w = 1; w <= 1000; ++w) {
    r.failed_workers.push_back(w + 100000);
    list += (w > 1 ? "," : "") + std::to_string(w + 100000);
  }
  const std::string line = dla::format_result_line(r);
  CHECK(line.rfind("RESULT OK DEBUG=89 ERROR=18 INFO=152 WARN=18446744073709551615 lines=302 files=123456/123456 "
                   "failed_workers=1000 failed=", 0) == 0);
  CHECK(line.size() > 7000);
  CHECK(line.substr(line.size() - list.size()) == list);  // the whole list, to the last rank
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("format_per_file: seed four and every found level as columns, numbers right-aligned", "[report]") {
  dla::Counts a;
  a["INFO"] = 3;
  a["FATAL"] = 1;
  a.lines = 5;
  dla::Counts b;
  b.lines = 12;
  const std::vector<dla::FileRow> rows{{"a.log", "log4j", a}, {"dir/b.log.gz", "syslog", b}};
  const std::string expected =
      "FILE          FORMAT  LINES  DEBUG  ERROR  FATAL  INFO  WARN  UNLEVELED\n"
      "a.log         log4j       5      0      0      1     3     0          1\n"
      "dir/b.log.gz  syslog     12      0      0      0     0     0         12\n";
  CHECK(dla::format_per_file(rows) == expected);
  const auto j = dla::per_file_json(rows);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["file"] == "a.log");
  CHECK(j[0]["format"] == "log4j");
  CHECK(j[0]["counts"]["FATAL"] == 1);
  CHECK(j[0]["counts"]["DEBUG"] == 0);
  CHECK(j[0]["unleveled"] == 1);
  CHECK(j[1]["lines"] == 12);
  CHECK(j[1]["unleveled"] == 12);
  CHECK(dla::format_per_file({}) == "FILE  FORMAT  LINES  DEBUG  ERROR  INFO  WARN  UNLEVELED\n");
}
