// The builtin format parsers (formats.cc), line by line. Expected levels
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

}  // namespace

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

TEST_CASE("logfmt: the level key of key=value pairs", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::logfmt, s); };
  CHECK(l("time=2023-01-01T12:00:00Z level=warning msg=\"disk ERROR\"") == "WARN");
  CHECK(l("ts=1 lvl=info caller=main.go:12 msg=started") == "INFO");
  CHECK(l("time=\"2023-01-01 12:00\" level=\"error\" msg=x") == "ERROR");
  CHECK(l("time=1 msg=\"level=error\" other=2") == "unleveled");
  CHECK(l("time=1 level=loud") == "unleveled");
  CHECK(l("time=1 msg=hello world level=error") == "unleveled");  // the pairs ended at "world"
  CHECK(l("hello level=error") == "nomatch");
  CHECK(l("2015-10-18 18:01:47,978 INFO x") == "nomatch");
}

TEST_CASE("glog: Google glog / klog letter and date", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::glog, s); };
  CHECK(l("I0117 12:00:00.123456    1234 server.go:42] started ERROR") == "INFO");
  CHECK(l("W1231 23:59:59.000001 7 a.cc:1] x") == "WARN");
  CHECK(l("E0117 12:00:00.123456    1234 server.go:42] x") == "ERROR");
  CHECK(l("F0117 12:00:00.123456    1234 server.go:42] x") == "FATAL");
  CHECK(l("D0117 12:00:00.123456    1234 server.go:42] x") == "nomatch");
  CHECK(l("I0117 12:00:00.123456    1234 server.go x") == "nomatch");
  CHECK(l("I0117 12:00:00 x") == "nomatch");
}

TEST_CASE("bracket (per line): the assignment's first token anywhere", "[formats]") {
  auto l = [](const std::string& s) { return level_of(parsers::bracket, s); };
  CHECK(l("[x] [WARNING] w") == "WARN");
  CHECK(l("plain [debug] [INFO] [ERROR]") == "INFO");
  CHECK(l("[INFO") == "nomatch");
  CHECK(l("[notice] x") == "nomatch");
}

}  // namespace dla
