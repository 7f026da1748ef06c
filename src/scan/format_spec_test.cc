// Format specs, user regexes and per-file detection (scan/format_spec.cc). Expected values are written by hand from the documented rules.
#include <catch2/catch.hpp>
#include <string>

#include "scan/formats.h"

namespace dla {
namespace {

std::string detect(const std::string& text) { return std::string(detect_format(text.data(), text.size(), true).name()); }

std::string repeat(const std::string& line, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += line + "\n";
  return s;
}

}  // namespace

TEST_CASE("detect_format: most matching lines wins; ties by priority; thresholds", "[formats]") {
  CHECK(detect(repeat("[2025-10-29T00:00:00.000448] [INFO] x", 5)) == "bracket");  // ties with apache
  CHECK(detect(repeat("[Sun Dec 04 04:47:44 2005] [notice] x", 5)) == "apache");
  CHECK(detect(repeat("2015-10-18 18:01:47,978 INFO [main] x: y", 5)) == "log4j");
  CHECK(detect(repeat("Dec 10 06:55:46 LabSZ sshd[24200]: x", 5)) == "syslog");
  CHECK(detect(repeat(R"({"level":"info"})", 5)) == "json");
  CHECK(detect(repeat("03-17 16:13:38.811  1702  2395 D T: x", 5)) == "logcat");
  CHECK(detect(repeat("time=2023-01-01T12:00:00Z level=info msg=x", 5)) == "logfmt");
  CHECK(detect(repeat("I0117 12:00:00.123456    1234 server.go:42] x", 5)) == "glog");
  CHECK(detect(repeat("hello world", 5)) == "none");
  CHECK(detect("") == "none");
  // one log4j line in 20 lines of prose is under 10%: not the format
  CHECK(detect(repeat("just words", 19) + "2015-10-18 18:01:47,978 INFO x\n") == "none");
  CHECK(detect(repeat("just words", 8) + repeat("2015-10-18 18:01:47,978 INFO x", 2)) == "log4j");
  // bracket needs only one line (the assignment's rule)
  CHECK(detect(repeat("just words", 50) + "[x] [INFO] y\n") == "bracket");
  // more log4j lines than bracket lines: log4j; a tie too (header formats first)
  CHECK(detect(repeat("2015-10-18 18:01:47,978 INFO x", 3) + "a [ERROR] b\n") == "log4j");
  CHECK(detect(repeat("2015-10-18 18:01:47,978 INFO x: body [ERROR]", 3)) == "log4j");
  CHECK(detect(repeat("Dec 10 06:55:46 host app[1]: [INFO] started", 3)) == "syslog");
  // only the first kDetectLines lines are sampled
  CHECK(detect(repeat("hello", kDetectLines) + repeat("2015-10-18 18:01:47,978 INFO x", 50)) == "none");
  // a line cut by the end of the head (not at eof) is not judged
  const std::string cut = repeat("hello", 3) + "2015-10-18 18:01:47,978 INFO x";
  CHECK(std::string(detect_format(cut.data(), cut.size(), false).name()) == "none");
  CHECK(std::string(detect_format(cut.data(), cut.size(), true).name()) == "log4j");
}


TEST_CASE("parse_format_spec: names, regex with a named level group, errors", "[formats]") {
  auto a = parse_format_spec("auto");
  REQUIRE(a.ok());
  CHECK(a->automatic);
  for (auto n : builtin_format_names()) {
    auto s = parse_format_spec(n);
    REQUIRE(s.ok());
    CHECK_FALSE(s->automatic);
    CHECK(s->fixed.name() == n);
    CHECK(s->text == n);
  }
  CHECK(builtin_format_names().front() == "logcat");
  CHECK(builtin_format_names().back() == "none");
  auto bad = parse_format_spec("log5j");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == Code::kInvalid);
  CHECK(bad.error().find("unknown format 'log5j'") != std::string::npos);

  for (const char* p : {R"(regex:^\S+ \S+ (?<level>[A-Za-z]+) )", R"(regex:^\S+ \S+ (?P<level>[A-Za-z]+) )",
                        R"(regex:^(\S+) (?:\S+) ([(]?)(?<level>[A-Za-z]+)\b)"}) {
    INFO(p);
    auto r = parse_format_spec(p);
    REQUIRE(r.ok());
    CHECK(r->text == p);
    CHECK(r->fixed.name() == "regex");
    const std::string line = "2015-10-18 18:01:47,978 warning x ERROR";
    CHECK(classify_line(r->fixed, line.data(), line.size()) == level_id::kWarn);
    const std::string other = "2015-10-18 18:01:47,978 bogus x ERROR";
    CHECK(classify_line(r->fixed, other.data(), other.size()) == kUnleveled);
    CHECK(classify_line(r->fixed, "x", 1) == kNoMatch);
  }
  auto nogroup = parse_format_spec("regex:^(\\S+) (INFO|WARN)");
  REQUIRE_FALSE(nogroup.ok());
  CHECK(nogroup.error().find("group named level") != std::string::npos);
  auto other_name = parse_format_spec("regex:^(?<lvl>\\S+)");
  REQUIRE_FALSE(other_name.ok());
  auto broken = parse_format_spec("regex:^(?<level>[A-Z+");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().find("bad regex") == 0);
  auto twice = parse_format_spec("regex:(?<level>a)(?<level>b)");
  REQUIRE_FALSE(twice.ok());
}


}  // namespace dla
