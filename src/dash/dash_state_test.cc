#include "dash/dash_state.h"

#include <catch2/catch.hpp>

#include "dash/dash_test_util.h"
#include <sstream>

using namespace dla;
using namespace dla::dash;

namespace {

using testing::W;

DashState sample() {
  DashState s;
  s.seq = 7;
  s.time = 12.5;
  s.workers = {W(1, "busy", 3, "a.log"), W(2, "failed"), W(3, "idle")};
  s.workers[0].progress = 0.5;
  s.workers[0].rate = 1000;
  s.tasks_total = 10;
  s.tasks_done = 5;
  s.tasks_running = 1;
  s.queue_length = 4;
  s.bytes_total = 1000;
  s.bytes_done = 500;
  s.counts[Level::Info] = 30;
  s.counts[Level::Error] = 2;
  s.counts["FATAL"] = 1;
  s.counts.lines = 40;
  s.failures = 1;
  s.events.push_back({4.0, "failure", 2, -1, "silent"});
  return s;
}

}  // namespace

TEST_CASE("dash: JSON of a snapshot carries workers, counts, queue, events") {
  const auto j = to_json(sample());
  REQUIRE(j["seq"] == 7);
  REQUIRE(j["workers"].size() == 3);
  REQUIRE(j["workers"][1]["state"] == "failed");
  REQUIRE(j["workers_alive"] == 2);
  REQUIRE(j["counts"]["INFO"] == 30);
  REQUIRE(j["counts"]["FATAL"] == 1);
  REQUIRE(j["counts"]["DEBUG"] == 0);  // the assignment's four always
  REQUIRE(j["unleveled"] == 40 - 33);
  REQUIRE(j["queue"]["length"] == 4);
  REQUIRE(j["events"][0]["kind"] == "failure");
  REQUIRE(j["tasks"]["done"] == 5);
  // Round trip through text: valid JSON.
  REQUIRE(nlohmann::json::parse(j.dump()) == j);
}

TEST_CASE("dash: JSON never holds NaN or infinity") {
  DashState s = sample();
  s.eta = std::numeric_limits<double>::infinity();
  s.rate = std::numeric_limits<double>::quiet_NaN();
  const std::string text = to_json(s).dump();
  REQUIRE(text.find("inf") == std::string::npos);
  REQUIRE(text.find("NaN") == std::string::npos);
  REQUIRE(nlohmann::json::parse(text)["eta"] == -1.0);
}

TEST_CASE("dash: Prometheus text: HELP/TYPE per metric, one sample per line, workers by state") {
  const std::string m = metrics_text(sample());
  REQUIRE(m.find("dla_lines_total{level=\"INFO\"} 30\n") != std::string::npos);
  REQUIRE(m.find("dla_lines_total{level=\"FATAL\"} 1\n") != std::string::npos);
  REQUIRE(m.find("dla_lines_total{level=\"unleveled\"} 7\n") != std::string::npos);
  REQUIRE(m.find("dla_workers{state=\"failed\"} 1\n") != std::string::npos);
  REQUIRE(m.find("dla_workers{state=\"busy\"} 1\n") != std::string::npos);
  REQUIRE(m.find("dla_workers{state=\"suspected\"} 0\n") != std::string::npos);
  REQUIRE(m.find("dla_bytes_done 500\n") != std::string::npos);
  REQUIRE(m.find("dla_tasks{state=\"queued\"} 4\n") != std::string::npos);
  // Every non-comment line is "name{labels} value" or "name value".
  std::istringstream in(m);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    REQUIRE(line.rfind("dla_", 0) == 0);
    const auto sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    REQUIRE_NOTHROW(std::stod(line.substr(sp + 1)));
    ++samples;
  }
  REQUIRE(samples > 15);
}

TEST_CASE("dash: rate history stays bounded and covers the whole run") {
  RateHistory h(1.0, 16);
  std::uint64_t bytes = 0;
  for (int t = 0; t <= 10000; ++t) {
    h.observe(t, bytes, bytes / 10);
    bytes += 100;  // 100 B/s
  }
  REQUIRE(h.points().size() < 16);
  REQUIRE(h.points().back().time >= 9000);
  REQUIRE(h.points().front().time < 2000);
  REQUIRE(h.step() > 500);
  REQUIRE(h.current_rate() == Approx(100));
}

TEST_CASE("dash: rate history: a point per step, the rate of that step") {
  RateHistory h(1.0);
  h.observe(0, 0, 0);
  h.observe(0.5, 100, 1);  // not a step yet
  REQUIRE(h.points().empty());
  h.observe(1.0, 300, 3);
  REQUIRE(h.points().size() == 1);
  REQUIRE(h.current_rate() == Approx(300));
  h.observe(3.0, 500, 5);
  REQUIRE(h.current_rate() == Approx(100));
}

TEST_CASE("dash: durations for people") {
  REQUIRE(format_duration(-1) == "?");
  REQUIRE(format_duration(12.4) == "12s");
  REQUIRE(format_duration(185) == "3m05s");
  REQUIRE(format_duration(3720) == "1h02m");
}
