// The builtin format parsers line by line, the normalisation table and detection. Expected levels
// are written by hand from each format's documentation, not computed by the code under test.
#include <catch2/catch.hpp>
#include <string>

#include "scan/format_parsers.h"
#include "scan/formats.h"

namespace dla {
namespace {

std::string level_of(int (*fn)(const char*, std::size_t), const std::string& line) {
  const int id = fn(line.data(), line.size());
  if (id == kNoMatch) return "nomatch";
  if (id == kUnleveled) return "unleveled";
  return std::string(kLevelIdNames[static_cast<std::size_t>(id)]);
}

std::string detect(const std::string& text) { return std::string(detect_format(text.data(), text.size(), true).name()); }

std::string repeat(const std::string& line, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += line + "\n";
  return s;
}

}  // namespace

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

TEST_CASE("log4j: a bare level in the header, never a body word", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::log4j, s); };
  CHECK(l("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1") == "INFO");
  CHECK(l("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: x") == "INFO");
  // Hadoop: a WARN line whose message says ERROR
  CHECK(l("2015-10-18 18:10:56,339 WARN [LeaseRenewer:msrabi@msra-sa-41:9000] org.apache.hadoop.hdfs.LeaseRenewer: "
          "Failed to renew lease ERROR") == "WARN");
  CHECK(l("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered") == "INFO");
  CHECK(l("2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send") == "WARN");
  CHECK(l("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack") == "INFO");
  CHECK(l("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL "
          "FATAL data TLB error interrupt") == "FATAL");
  CHECK(l("nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 WARNING nova.compute [req-1] x") == "WARN");
  CHECK(l("WARNING:root:disk almost full") == "WARN");
  CHECK(l("2023-01-01 12:00:00,123 - my.module - ERROR - it broke") == "ERROR");
  CHECK(l("12:00:00.123 [main] DEBUG com.foo.Bar - starting") == "DEBUG");
  // not a level: lowercase bare word, a word of the message, a header that ended
  CHECK(l("2015-10-18 18:01:47,978 info something") == "nomatch");
  CHECK(l("The ERROR was here") == "nomatch");
  CHECK(l("Dec 10 06:55:46 LabSZ sshd[24200]: ERROR invalid user") == "nomatch");
  CHECK(l("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579") == "nomatch");
  CHECK(l("2015-10-18 18:01:47,978 main: ERROR x") == "nomatch");
  CHECK(l("2015-10-18 18:01:47,978 NOTALEVEL x") == "nomatch");  // an UPPER word passes, then prose
  CHECK(l("") == "nomatch");
}

TEST_CASE("apache: a bracketed level in any case at the line start", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::apache, s); };
  CHECK(l("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok") == "NOTICE");
  CHECK(l("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6") == "ERROR");
  CHECK(l("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] x") == "ERROR");
  CHECK(l("2023/01/02 10:00:00 [warn] 12#0: *1 upstream") == "WARN");
  CHECK(l("[2025-10-29T00:00:00.000448] [WARNING] Request processed") == "WARN");
  CHECK(l("[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open [error]") == "nomatch");
  CHECK(l("[x] plain text [error]") == "nomatch");
  CHECK(l("[unclosed error") == "nomatch");
}

TEST_CASE("logcat: one priority letter after pid and tid", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::logcat, s); };
  CHECK(l("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs") == "DEBUG");
  CHECK(l("03-17 16:13:38.811  1702  2395 V Tag: x") == "VERBOSE");
  CHECK(l("03-17 16:13:38.811  1000  1702  2395 E Tag: x") == "ERROR");  // with a uid column
  CHECK(l("2023-03-17 16:13:38.811  1702  2395 W Tag: x") == "WARN");
  CHECK(l("I/ActivityManager(  585): Start proc") == "INFO");
  CHECK(l("03-17 16:13:38.811  1702  2395 X Tag: x") == "nomatch");
  CHECK(l("03-17 16:13:38.811  1702 D Tag: only one number") == "nomatch");
  CHECK(l("03-17 16:13:38.811  1702  2395 Debug Tag: x") == "nomatch");
}

TEST_CASE("syslog: no level, except a <PRI>", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::syslog, s); };
  CHECK(l("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster ERROR") == "unleveled");
  CHECK(l("Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: x") == "unleveled");
  CHECK(l("- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: x") == "unleveled");
  CHECK(l("2023-01-01T12:00:00.123456+00:00 host app[1]: msg") == "unleveled");
  CHECK(l("<34>Oct 11 22:14:15 mymachine su: 'su root' failed") == "CRITICAL");  // 34 % 8 = 2
  CHECK(l("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - msg") == "NOTICE");
  CHECK(l("<192>Oct 11 x") == "nomatch");
  CHECK(l("Foo 10 06:55:46 x") == "nomatch");
  CHECK(l("081109 203615 148 INFO dfs") == "nomatch");
}

TEST_CASE("json: a top-level level key only", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::json, s); };
  CHECK(l(R"({"time":"2023-01-01","level":"warning","msg":"x"})") == "WARN");
  CHECK(l(R"({"severity":"ERROR","message":"x"})") == "ERROR");
  CHECK(l(R"(  {"lvl" : "info"})") == "INFO");
  CHECK(l(R"({"Level":"Debug"})") == "DEBUG");
  CHECK(l(R"({"level":30,"msg":"pino"})") == "INFO");
  CHECK(l(R"({"level":60})") == "FATAL");
  CHECK(l(R"({"level":3,"short_message":"gelf"})") == "ERROR");  // syslog severity 3
  CHECK(l(R"({"level":35})") == "unleveled");
  CHECK(l(R"({"ctx":{"level":"error"},"msg":"nested does not count"})") == "unleveled");
  CHECK(l(R"({"msg":"level: ERROR \" \"level\":\"error\"","a":[1,{"level":"x"}]})") == "unleveled");
  CHECK(l(R"({"msg":"x","level":"loud"})") == "unleveled");
  CHECK(l(R"({"msg":"x"})") == "unleveled");
  CHECK(l(R"({"msg":"x", "level": "fatal"})") == "FATAL");
  CHECK(l("not json") == "nomatch");
  CHECK(l("[1,2]") == "nomatch");
}

TEST_CASE("bracket (per line): the assignment's first token anywhere", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::bracket, s); };
  CHECK(l("[x] [WARNING] w") == "WARN");
  CHECK(l("plain [debug] [INFO] [ERROR]") == "INFO");
  CHECK(l("[INFO") == "nomatch");
  CHECK(l("[notice] x") == "nomatch");
}

TEST_CASE("detect_format: most matching lines wins; ties by priority; thresholds", "[formats]") {
  CHECK(detect(repeat("[2025-10-29T00:00:00.000448] [INFO] x", 5)) == "bracket");  // ties with apache
  CHECK(detect(repeat("[Sun Dec 04 04:47:44 2005] [notice] x", 5)) == "apache");
  CHECK(detect(repeat("2015-10-18 18:01:47,978 INFO [main] x: y", 5)) == "log4j");
  CHECK(detect(repeat("Dec 10 06:55:46 LabSZ sshd[24200]: x", 5)) == "syslog");
  CHECK(detect(repeat(R"({"level":"info"})", 5)) == "json");
  CHECK(detect(repeat("03-17 16:13:38.811  1702  2395 D T: x", 5)) == "logcat");
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
