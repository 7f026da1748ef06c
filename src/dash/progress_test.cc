#include "dash/progress.h"

#include <catch2/catch.hpp>

#include "dash/dash_test_util.h"

using namespace dla::dash;

using testing::W;

TEST_CASE("dash progress: the line says bytes, rate, ETA, workers alive, tasks") {
  DashState s;
  s.bytes_total = 2'000'000;
  s.bytes_done = 500'000;
  s.bytes_running = 500'000;
  s.rate = 250'000;
  s.eta = 4;
  s.tasks_total = 8;
  s.tasks_done = 2;
  s.failures = 1;
  s.workers = {W(1, "busy"), W(2, "failed"), W(3, "idle")};
  REQUIRE(progress_line(s) == "dla  50.0%  1.0 MB / 2.0 MB  250.0 KB/s  ETA 4s  workers 2/3  tasks 2/8  failed 1");
  s.finished = true;
  REQUIRE(progress_line(s).find("ETA done") != std::string::npos);
}

TEST_CASE("dash progress: printed at most every interval, cleared at the end") {
  ProgressPrinter p(0.5);
  DashState s;
  REQUIRE(p.finish().empty());  // nothing shown: nothing to clear
  const auto a = p.update(s, 10.0);
  REQUIRE(a.rfind("\r", 0) == 0);
  REQUIRE(a.find("\x1b[K") != std::string::npos);
  REQUIRE(p.update(s, 10.2).empty());
  REQUIRE_FALSE(p.update(s, 10.6).empty());
  REQUIRE(p.finish() == "\r\x1b[K");
}

TEST_CASE("dash progress: human bytes") {
  REQUIRE(human_bytes(999) == "999 B");
  REQUIRE(human_bytes(1500) == "1.5 KB");
  REQUIRE(human_bytes(2.5e9) == "2.5 GB");
}
