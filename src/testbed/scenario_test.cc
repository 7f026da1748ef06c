#include "testbed/scenario.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>

using nlohmann::json;
namespace sc = dla::scen;

namespace {

json base_doc() {
  return json::parse(R"({
    "platform": {"hosts": 4, "speeds": [1, 4, 1, 0.25]},
    "input": {"files": 3, "lines": 10, "seed": 1},
    "options": {"timeout": 3, "heartbeat": 0.5}
  })");
}

sc::Scenario parse_ok(const json& j) {
  auto r = sc::parse_scenario(j, "t", "/nonexistent");
  INFO((r.ok() ? std::string() : r.error()));
  REQUIRE(r.ok());
  return *r;
}

std::string parse_err(const json& j) {
  auto r = sc::parse_scenario(j, "t", "/nonexistent");
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::string tmpdir() {
  char tmpl[] = "/tmp/dla_scen_test_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

void write(const std::string& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

}  // namespace

TEST_CASE("scenario units: durations, speeds, bandwidths, sizes") {
  CHECK(*sc::parse_duration(json("50us")) == Approx(50e-6));
  CHECK(*sc::parse_duration(json("10ms")) == Approx(0.01));
  CHECK(*sc::parse_duration(json(2.5)) == Approx(2.5));
  CHECK(*sc::parse_speed(json(0.25)) == Approx(0.25e9));  // numbers are Gf
  CHECK(*sc::parse_speed(json("250Mf")) == Approx(250e6));
  CHECK(*sc::parse_bandwidth(json("1.25GBps")) == Approx(1.25e9));
  CHECK(*sc::parse_bandwidth(json("1Gbps")) == Approx(125e6));
  CHECK(*sc::parse_size(json("64KiB")) == 65536u);
  CHECK(*sc::parse_size(json(1000)) == 1000u);
  auto bad = sc::parse_duration(json("3 parsecs"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("unknown unit 'parsecs'") != std::string::npos);
  CHECK_FALSE(sc::parse_duration(json(-1)).ok());
  CHECK_FALSE(sc::parse_speed(json(true)).ok());
}

TEST_CASE("scenario: a generated platform, rank placement and defaults") {
  auto s = parse_ok(base_doc());
  CHECK(s.ranks == 4);
  REQUIRE(s.platform.hosts.size() == 4);
  CHECK(s.platform.hosts[1].name == "node-1");
  CHECK(s.platform.hosts[1].speed == Approx(4e9));
  CHECK(s.host_of(5).name == "node-1");  // round-robin over the hostfile
  CHECK(s.options.policy == "dynamic");
  CHECK(s.expect.counts_match_base);
  CHECK(s.expect.result == "OK");

  auto j = base_doc();
  j["platform"] = {{"hosts", 6}, {"speeds", {1, 2}}};  // a pattern repeats
  auto s2 = parse_ok(j);
  CHECK(s2.platform.hosts[4].speed == Approx(1e9));
  CHECK(s2.platform.hosts[5].speed == Approx(2e9));

  j["platform"] = {{"hosts", 50}, {"speed_range", {0.25, 4}}, {"seed", 7}};
  auto a = parse_ok(j), b = parse_ok(j);
  for (int i = 0; i < 50; ++i) {
    CHECK(a.platform.hosts[i].speed == b.platform.hosts[i].speed);  // drawn deterministically
    CHECK(a.platform.hosts[i].speed >= 0.25e9);
    CHECK(a.platform.hosts[i].speed <= 4e9);
  }
}

TEST_CASE("scenario: unknown keys and impossible values are errors naming the path") {
  auto j = base_doc();
  j["platfrom"] = 1;
  CHECK(parse_err(j).find("platfrom: unknown key") != std::string::npos);

  j = base_doc();
  j["faults"] = json::array({{{"rank", 2}, {"at", 1.0}, {"when", 3}}});
  CHECK(parse_err(j).find("faults[0].when: unknown key") != std::string::npos);

  j = base_doc();
  j["faults"] = json::array({{{"rank", 9}, {"at", 1.0}}});
  CHECK(parse_err(j).find("rank 9 does not exist") != std::string::npos);

  j = base_doc();
  j["faults"] = json::array({{{"rank", 1}, {"at", -1.0}}});
  CHECK(parse_err(j).find("faults[0].at") != std::string::npos);

  j = base_doc();
  j["faults"] = json::array({{{"rank", 1}, {"at", 1.0}, {"kind", "explode"}}});
  CHECK(parse_err(j).find("unknown fault 'explode'") != std::string::npos);

  j = base_doc();
  j["options"]["heartbeat"] = 5;
  CHECK(parse_err(j).find("must be shorter than the timeout") != std::string::npos);

  j = base_doc();
  j["options"]["policy"] = "psychic";
  CHECK(parse_err(j).find("unknown policy 'psychic'") != std::string::npos);

  j = base_doc();
  j["platform"]["speeds"] = {1, 2, 3, 4, 5};
  CHECK(parse_err(j).find("5 speeds for 4 hosts") != std::string::npos);

  j = base_doc();
  j["slowdowns"] = json::array({{{"host", "node-9"}, {"at", 1}, {"speed", 0.5}}});
  CHECK(parse_err(j).find("no host 'node-9'") != std::string::npos);

  j = base_doc();
  j["slowdowns"] = json::array({{{"host", "node-1"}, {"at", 1}, {"speed", 2}}});
  CHECK(parse_err(j).find("slowdowns[0].speed") != std::string::npos);

  j = base_doc();
  j["input"] = {{"files", 3}};
  CHECK(parse_err(j).find("give exactly one of") != std::string::npos);

  j = base_doc();
  j["input"] = {{"dir", "no/such/dir"}};
  CHECK(parse_err(j).find("is not a directory") != std::string::npos);

  j = base_doc();
  j["expect"] = {{"failed_workers", {0}}};  // the master is not a worker
  CHECK(parse_err(j).find("expect.failed_workers") != std::string::npos);

  j = base_doc();
  j["ranks"] = 1;
  CHECK(parse_err(j).find("ranks") != std::string::npos);
}

TEST_CASE("scenario: a master crash is its host switched off") {
  auto j = base_doc();
  j["faults"] = json::array({{{"master", true}, {"at", 2.0}}});
  j["expect"] = {{"result", "none"}};
  auto s = parse_ok(j);
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].kind == sc::Fault::HostOff);
  CHECK(s.faults[0].host == "node-0");
  CHECK(s.expect.result == "none");
  auto pf = sc::platform_files(s, "/nonexistent");
  REQUIRE(pf.ok());
  CHECK(pf->at("state-node-0.prof") == "0 1\n2.000000000 0\n");
  j["faults"] = json::array({{{"master", true}, {"at", 2.0}, {"kind", "hang"}}});
  CHECK(parse_err(j).find("the master can only crash") != std::string::npos);
  j["faults"] = json::array({{{"rank", 0}, {"at", 2.0}}});
  CHECK(parse_err(j).find("rank 0 is the master") != std::string::npos);
  sc::RunOutput r;
  r.stdout_text = "";
  CHECK(sc::run_failures(r, false).empty());
  r.stdout_text = "RESULT OK files=1/1\n";
  CHECK(sc::run_failures(r, false).size() == 1);
}

TEST_CASE("scenario: latencies may only rise (SimGrid 3.32 freezes messages otherwise)") {
  auto j = base_doc();
  j["network"] = json::array({{{"host", "node-1"}, {"at", 1}, {"latency", "1s"}, {"duration", 2}}});
  CHECK(parse_err(j).find("a latency change cannot end") != std::string::npos);
  j["network"] = json::array({{{"host", "node-1"}, {"at", 1}, {"latency", "1s"}}, {{"host", "node-1"}, {"at", 2}, {"latency", "0.5s"}}});
  CHECK(parse_err(j).find("decreases at 2 s") != std::string::npos);
  j["network"] = json::array({{{"host", "node-1"}, {"at", 1}, {"latency", "1us"}}});  // below the 50 us base
  auto s = parse_ok(j);
  auto pf = sc::platform_files(s, "/nonexistent");
  REQUIRE_FALSE(pf.ok());
  CHECK(pf.error().find("would drop below its base") != std::string::npos);
  j["network"] = json::array({{{"host", "node-1"}, {"at", 1}, {"bandwidth", "64Bps"}, {"duration", 2}}});
  parse_ok(j);  // bandwidth spikes may end
}

TEST_CASE("scenario: generated platform XML carries the profiles") {
  auto j = base_doc();
  j["faults"] = json::array({{{"host", "node-2"}, {"at", 2.0}, {"kind", "host-off"}}, {{"rank", 3}, {"at", 1.5}}});
  j["slowdowns"] = json::array({{{"rank", 1}, {"at", 1.2}, {"speed", 0.05}, {"duration", 1}}});
  j["network"] = json::array({{{"host", "node-3"}, {"at", 1}, {"latency", "1.5s"}}});
  auto s = parse_ok(j);
  auto pf = sc::platform_files(s, "/nonexistent");
  REQUIRE(pf.ok());
  const auto& f = *pf;
  const std::string& xml = f.at("platform.xml");
  CHECK(xml.find("routing=\"Cluster\"") != std::string::npos);
  CHECK(xml.find("<host id=\"node-2\" speed=\"1000000000f\" state_file=\"state-node-2.prof\"/>") != std::string::npos);
  CHECK(xml.find("<host id=\"node-1\" speed=\"4000000000f\" speed_file=\"speed-node-1.prof\"/>") != std::string::npos);
  CHECK(xml.find("latency_file=\"latency-link-node-3.prof\"") != std::string::npos);
  CHECK(xml.find("<host_link id=\"node-3\" up=\"link-node-3\" down=\"link-node-3\"/>") != std::string::npos);
  CHECK(f.at("state-node-2.prof") == "0 1\n2.000000000 0\n");
  CHECK(f.at("speed-node-1.prof") == "0 1\n1.200000000 0.05\n2.200000000 1\n");
  CHECK(f.at("latency-link-node-3.prof") == "0 5e-05\n1.000000000 1.5\n");
  CHECK(f.at("hostfile") == "node-0\nnode-1\nnode-2\nnode-3\n");
  // Rank faults are program options, host faults are profiles.
  sc::Materialized m;
  m.platform_xml = "platform.xml";
  m.hostfile = "hostfile";
  m.input_dir = "input";
  auto argv = sc::smpirun_argv(s, m, "/x/prog_smpi", "run.trace", false);
  std::string all;
  for (const auto& a : argv) all += a + " ";
  CHECK(all.find("smpirun -platform platform.xml -hostfile hostfile -np 4 --cfg=smpi/simulate-computation:no "
                 "--cfg=smpi/grow-injected-times:no --cfg=smpi/iprobe:1e-6 --cfg=smpi/async-small-thresh:65536 "
                 "--cfg=smpi/test:1e-6 --cfg=smpi/wtime:0") == 0);
  CHECK(all.find("--inject-crash 3@1.5:kill") != std::string::npos);
  CHECK(all.find("node-2") == std::string::npos);
  CHECK(all.find("--trace run.trace --json --quiet input") != std::string::npos);
  // SMPI's per-rank copies of the program go to a tmpfs when there is one: through the environment.
  m.smpi_tmpdir = "/dev/shm";
  auto with_tmp = sc::smpirun_argv(s, m, "/x/prog_smpi", "run.trace", false);
  REQUIRE(with_tmp.size() == argv.size() + 2);
  CHECK(with_tmp[0] == "env");
  CHECK(with_tmp[1] == "TMPDIR=/dev/shm");
  CHECK(std::vector<std::string>(with_tmp.begin() + 2, with_tmp.end()) == argv);
}

TEST_CASE("scenario: a platform file gets profiles injected, a cluster tag cannot") {
  const std::string d = tmpdir();
  write(d + "/p.xml",
        "<platform version=\"4.1\"><zone id=\"z\" routing=\"Floyd\">\n"
        "<host id=\"a\" speed=\"2Gf\"/>\n<host id=\"b\" speed=\"500Mf\" core=\"2\"/>\n"
        "<link id=\"l\" bandwidth=\"1GBps\" latency=\"10us\"/>\n</zone></platform>\n");
  write(d + "/p.hosts", "a\nb\n");
  write(d + "/c.xml", "<platform version=\"4.1\"><cluster id=\"c\" prefix=\"n-\" radical=\"0-3\" suffix=\"\" speed=\"1Gf\" bw=\"1GBps\" lat=\"1us\"/></platform>\n");
  write(d + "/c.hosts", "n-0\nn-1\nn-2\nn-3\n");
  auto j = base_doc();
  j["platform"] = {{"file", "p.xml"}};  // hostfile defaults to p.hosts
  j["slowdowns"] = json::array({{{"host", "b"}, {"at", 1}, {"speed", 0.5}}});
  j["network"] = json::array({{{"link", "l"}, {"at", 2}, {"latency", "1s"}}});
  auto r = sc::parse_scenario(j, "t", d);
  REQUIRE(r.ok());
  CHECK(r->ranks == 2);
  CHECK(r->platform.hosts[0].speed == Approx(2e9));
  CHECK(r->platform.hosts[1].cores == 2);
  auto pf = sc::platform_files(*r, d);
  REQUIRE(pf.ok());
  CHECK(pf->at("platform.xml").find("<host id=\"b\" speed=\"500Mf\" core=\"2\" speed_file=\"speed-b.prof\"/>") != std::string::npos);
  CHECK(pf->at("platform.xml").find("latency=\"10us\" latency_file=\"latency-l.prof\"/>") != std::string::npos);
  CHECK(pf->at("latency-l.prof") == "0 1e-05\n2.000000000 1\n");
  // Lower bound: one worker (rank 1 on b: 0.5 Gf, 2 cores but one worker rank).
  auto lb = sc::lower_bound(*r, {1000000000, 500000000});
  REQUIRE(lb.ok());
  CHECK(*lb == Approx(5.0));  // 0.5e9 flops in the first second, then b runs at half: 1e9 / 0.25e9

  j["platform"] = {{"file", "c.xml"}};
  j["slowdowns"] = json::array({{{"host", "n-1"}, {"at", 1}, {"speed", 0.5}}});
  j.erase("network");
  auto c = sc::parse_scenario(j, "t", d);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().find("a <cluster> tag cannot take profiles") != std::string::npos);
  j.erase("slowdowns");
  auto c2 = sc::parse_scenario(j, "t", d);
  REQUIRE(c2.ok());
  CHECK(c2->platform.hosts.size() == 4);
  CHECK(c2->platform.hosts[3].speed == Approx(1e9));
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("scenario: lower bound = max(total work / sum of worker speeds, largest task / fastest)") {
  auto s = parse_ok(base_doc());  // workers: 4 Gf, 1 Gf, 0.25 Gf (rank 0 is the master)
  auto lb = sc::lower_bound(s, {100, 100, 400});
  REQUIRE(lb.ok());
  CHECK(*lb == Approx(600 / 5.25e9));
  lb = sc::lower_bound(s, {4000, 10, 10});
  CHECK(*lb == Approx(4000 / 4e9));  // the largest task dominates
  auto j = base_doc();
  j["options"]["flops_per_byte"] = 10;
  CHECK(*sc::lower_bound(parse_ok(j), {4000, 10, 10}) == Approx(40000 / 4e9));
}

TEST_CASE("scenario: profiles are sorted and a change at 0 replaces the base") {
  CHECK(sc::profile_text(1, {{3, 0.5}, {1, 0.25}}) == "0 1\n1.000000000 0.25\n3.000000000 0.5\n");
  CHECK(sc::profile_text(1, {{0, 0.5}}) == "0 0.5\n");
}

TEST_CASE("scenario: generated sized inputs are exact and deterministic") {
  const std::string d = tmpdir();
  std::vector<std::uint64_t> sizes = {0, 1, 2, 7, 100, 4096, 100000};
  REQUIRE(sc::write_sized_logs(d, sizes, 5).ok());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    struct stat st;
    char name[64];
    std::snprintf(name, sizeof name, "/t%05zu.log", i + 1);
    REQUIRE(::stat((d + name).c_str(), &st) == 0);
    CHECK(static_cast<std::uint64_t>(st.st_size) == sizes[i]);
  }
  auto a = sc::draw_sizes(json::parse(R"({"dist":"uniform","min":1000,"max":2000})"), 100, 9);
  auto b = sc::draw_sizes(json::parse(R"({"dist":"uniform","min":1000,"max":2000})"), 100, 9);
  REQUIRE(a.ok());
  CHECK(*a == *b);
  for (auto x : *a) {
    CHECK(x >= 1000);
    CHECK(x <= 2000);
  }
  auto p = sc::draw_sizes(json::parse(R"({"dist":"pareto","min":"1KiB","alpha":1.2,"max":"1MiB"})"), 200, 1);
  REQUIRE(p.ok());
  for (auto x : *p) CHECK((x >= 1024 && x <= 1048576));
  auto bad = sc::draw_sizes(json::parse(R"({"dist":"gaussian"})"), 3, 1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("unknown distribution 'gaussian'") != std::string::npos);
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("scenario: result JSON extraction and run failures") {
  const std::string out = "Found 3 files\n{\n  \"result\": \"OK\",\n  \"makespan_s\": 1.5\n}\nRESULT OK files=3/3\n";
  auto j = sc::extract_result_json(out);
  REQUIRE(j.ok());
  CHECK((*j)["makespan_s"].get<double>() == 1.5);
  CHECK_FALSE(sc::extract_result_json("no json\n").ok());

  sc::RunOutput r;
  r.stdout_text = out;
  CHECK(sc::run_failures(r).empty());
  r.rc = 134;
  CHECK(sc::run_failures(r).size() == 1);
  r.rc = 0;
  r.stderr_text = "[11.7] Oops! Deadlock detected, some activities...";
  CHECK(sc::run_failures(r).size() == 1);
  r.stderr_text = "Actor pid=3 is gone??";
  CHECK(sc::run_failures(r).size() == 1);
  r.stderr_text.clear();
  r.stdout_text = "{\n}\n";
  CHECK(sc::run_failures(r).size() == 1);  // no RESULT line
  r.stdout_text = out + "Execution failed with code 1.\n";  // smpirun's own line after an exit fault
  r.rc = 0;
  CHECK(sc::run_failures(r).empty());
  CHECK(sc::strip_smpirun_lines(out + "/b/prog_smpi --cfg=smpi/privatization:1 platform.xml\nExecution failed with code 1.\n",
                                "/b/prog_smpi") == out);
  r.stdout_text = "RESULT ERROR bad dir\n";
  CHECK(sc::run_failures(r).size() == 1);
}

TEST_CASE("scenario: expectations against the result, the base count and the trace") {
  auto j = base_doc();
  j["faults"] = json::array({{{"rank", 2}, {"at", 1.0}}});
  j["expect"] = {{"failed_workers", {2}}, {"makespan_max", 5}, {"detection_max", 3.5}, {"reassigned_min", 1}};
  auto s = parse_ok(j);
  json base = {{"counts", {{"DEBUG", 1}, {"ERROR", 2}, {"INFO", 3}, {"WARN", 4}}}, {"lines", 10}};
  json res = {{"counts", {{"DEBUG", 1}, {"ERROR", 2}, {"INFO", 3}, {"WARN", 4}}}, {"lines", 10}, {"result", "OK"},
              {"failed_workers", {2}}, {"makespan_s", 4.0}, {"tasks_reassigned", 1}};
  auto t = dla::Trace::parse("1.000000 2 crash -1 0 kill\n4.200000 2 timeout 5 0\n");
  REQUIRE(t.ok());
  CHECK(sc::check_expectations(s, res, base, *t).empty());

  auto late = dla::Trace::parse("4.600000 2 timeout 5 0\n");
  auto f = sc::check_expectations(s, res, base, *late);
  REQUIRE(f.size() == 1);
  CHECK(f[0].find("detected 3.6 s after its fault > detection_max 3.5 s") != std::string::npos);
  f = sc::check_expectations(s, res, base, dla::Trace());
  REQUIRE(f.size() == 1);
  CHECK(f[0].find("has no timeout event") != std::string::npos);

  json wrong = res;
  wrong["counts"]["WARN"] = 5;
  wrong["failed_workers"] = {2, 3};
  wrong["makespan_s"] = 6.0;
  wrong["tasks_reassigned"] = 0;
  wrong["result"] = "INCOMPLETE";
  f = sc::check_expectations(s, wrong, base, *t);
  CHECK(f.size() == 5);
}

TEST_CASE("scenario: longest silence of a rank") {
  auto t = dla::Trace::parse("0.0 2 assign 0 1\n0.5 2 heartbeat 0 1\n2.9 2 heartbeat 0 2\n3.0 3 result 1 1\n3.1 2 result 0 3\n"
                             "3.2 2 stop -1 0\n9.0 2 duplicate 0 3\n");
  REQUIRE(t.ok());
  CHECK(sc::longest_silence(*t, 2) == Approx(2.4));  // not the 5.8 s after its stop
  auto j = base_doc();
  j["expect"] = {{"counts", "any"}, {"result", "any"}, {"silence", {{{"rank", 2}, {"min", 2.5}}}}};
  auto s = parse_ok(j);
  auto f = sc::check_expectations(s, json::object(), json::object(), *t);
  REQUIRE(f.size() == 1);
  CHECK(f[0].find("longest silence 2.4 s < silence min 2.5 s") != std::string::npos);
  j["expect"]["silence"] = {{{"rank", 2}, {"min", 2}, {"max", 3}}};
  CHECK(sc::check_expectations(parse_ok(j), json::object(), json::object(), *t).empty());
  j["expect"]["silence"] = {{{"rank", 2}}};
  CHECK(parse_err(j).find("give min and/or max") != std::string::npos);
}

TEST_CASE("scenario: first difference of golden and run") {
  CHECK(sc::first_difference("a\nb\n", "a\nb\n").empty());
  CHECK(sc::first_difference("a\nb\nc\n", "a\nX\nc\n") == "line 2: expected 'b', got 'X' (1 of 3 lines differ)");
  CHECK(sc::first_difference("a\n", "a\nb\n").find("expected end of file, got 'b'") != std::string::npos);
}

TEST_CASE("scenario: replay of a real trace reproduces task costs and crash times") {
  const std::string text =
      "# dla-trace 1 distributed_log_analyser\n"
      "# policy=static workers=2 files=3 tasks=3 timeout=2 heartbeat=0.25 split_bytes=0 simulated=0\n"
      "0.010000 1 assign 0 100 a.log\n0.010000 1 start 0 100 a.log\n"
      "0.011000 2 assign 1 100 b.log\n0.012000 2 start 1 100 b.log\n"
      "1.010000 1 result 0 100 a.log\n1.010000 1 assign 2 100 c.log\n1.020000 1 start 2 100 c.log\n"
      "1.500000 2 heartbeat 1 50\n"
      "3.520000 1 result 2 100 c.log\n"
      "3.600000 2 timeout 1 0 silent 2.1s\n3.600000 1 reassign 1 100 b.log\n4.000000 1 start 1 100 b.log\n6.000000 1 result 1 100 b.log\n";
  auto t = dla::Trace::parse(text);
  REQUIRE(t.ok());
  sc::ReplayOptions o;
  o.max_file_bytes = 1000;
  auto j = sc::replay_scenario(*t, sc::trace_comments(text), o);
  REQUIRE(j.ok());
  auto sizes = (*j)["input"]["sizes"];
  REQUIRE(sizes.size() == 3);
  const double fpb = (*j)["options"]["flops_per_byte"].get<double>();
  auto cost = [&](int i) { return sizes[i].get<double>() * fpb / 1e9; };
  CHECK(cost(0) == Approx(1.0).margin(0.003));
  CHECK(cost(1) == Approx(2.0).margin(0.003));  // the successful run on rank 1 (4.0 -> 6.0)
  CHECK(cost(2) == Approx(2.5).margin(0.003));
  CHECK(sizes[2].get<int>() == 1000);  // the longest task is max_file_bytes
  REQUIRE((*j)["faults"].size() == 1);
  CHECK((*j)["faults"][0]["rank"] == 2);
  CHECK((*j)["faults"][0]["at"].get<double>() == Approx(1.5));  // last sign of life
  CHECK((*j)["options"]["policy"] == "static");
  CHECK((*j)["options"]["timeout"].get<double>() == Approx(2));
  CHECK((*j)["options"]["heartbeat"].get<double>() == Approx(0.25));
  CHECK((*j)["platform"]["hosts"] == 3);
  auto s = sc::parse_scenario(*j, "replay", "/nonexistent");
  INFO((s.ok() ? std::string() : s.error()));
  CHECK(s.ok());
}

TEST_CASE("scenario: names that would move the run directory are refused", "[scenario]") {
  for (const char* bad : {"..", ".", "", ".hidden", "a/b", "../x"}) {
    INFO("name '" << bad << "'");
    auto r = sc::parse_scenario(base_doc(), bad, "/nonexistent");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("cannot name a run directory") != std::string::npos);
  }
  CHECK(sc::check_scenario_name("homogeneous-8").ok());
  // `dla-scenario run some/dir/..` used to run in RUNS/.. (outside --runs) and clean it.
  const std::string d = tmpdir();
  REQUIRE(::mkdir((d + "/some").c_str(), 0755) == 0);
  { std::ofstream(d + "/scenario.json") << base_doc().dump(); }
  auto r = sc::load_scenario(d + "/some/..", "/nonexistent");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("'..'") != std::string::npos);
  std::remove((d + "/scenario.json").c_str());
  ::rmdir((d + "/some").c_str());
  ::rmdir(d.c_str());
}

TEST_CASE("scenario: limits this machine can simulate are checked, with one line saying which", "[scenario]") {
  json j = base_doc();
  j["ranks"] = 100000;
  std::string e = parse_err(j);
  CHECK(e.find("ranks: 100000 ranks: at most 4096") != std::string::npos);
  CHECK(e.find('\n') == std::string::npos);
  j = base_doc();
  j["platform"] = json::parse(R"({"hosts": 5000})");
  CHECK(parse_err(j).find("5000 hosts: at most 4096") != std::string::npos);
  j = base_doc();
  j["ranks_per_host"] = 2000;
  CHECK(parse_err(j).find("8000 ranks: at most 4096") != std::string::npos);
  j = base_doc();
  j["input"] = json::parse(R"({"files": 200000, "lines": 1})");
  CHECK(parse_err(j).find("out of range [1, 100000]") != std::string::npos);
  j = base_doc();
  j["ranks"] = 4096;
  CHECK(parse_ok(j).ranks == 4096);
}
