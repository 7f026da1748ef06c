#include "testbed/summary.h"

#include <catch2/catch.hpp>

TEST_CASE("summary: tasks, bytes and failures per rank") {
  auto t = dla::Trace::parse(
      "0.0 1 assign 0 100\n0.0 2 assign 1 200\n1.0 1 result 0 100\n1.0 1 assign 2 50\n"
      "3.5 2 timeout 1 0\n3.5 1 reassign 1 200\n4.0 1 result 2 50\n5.0 1 result 1 200\n");
  REQUIRE(t.ok());
  auto s = dla::scen::trace_summary("x.trace", *t, {"policy=dynamic"});
  CHECK(s.find("== x.trace\n# policy=dynamic\n") == 0);
  CHECK(s.find("     1       3          350") != std::string::npos);
  CHECK(s.find("tasks 3, last result at 5.000 s, failures: 2@3.500, reassignments 1") != std::string::npos);
}
