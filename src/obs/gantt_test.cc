#include "obs/gantt.h"

#include <catch2/catch.hpp>

namespace {

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const char* kTrace =
    "# dla-trace 1 test\n"
    "0.000000 1 assign 0 100 a.log\n"
    "0.100000 1 start 0 100 a.log\n"
    "0.000000 2 assign 1 200 b.log\n"
    "0.050000 2 start 1 200 b.log\n"
    "1.000000 1 result 0 100 a.log\n"
    "1.000000 1 assign 2 300 c.log\n"
    "1.500000 2 crash -1 0 kill\n"
    "4.000000 2 timeout 1 0 silent 3s\n"
    "4.010000 1 reassign 1 200 b.log\n"
    "4.500000 3 assign 2 300 c.log\n"
    "5.000000 1 result 1 200 b.log\n"
    "5.200000 3 duplicate 2 300 c.log\n"
    "5.300000 0 checkpoint -1 0\n"
    "5.400000 1 stop -1 0\n";

}  // namespace

TEST_CASE("gantt: bars from assign/start to result, lost at a timeout, duplicates, open bars") {
  auto t = dla::Trace::parse(kTrace);
  REQUIRE(t.ok());
  auto m = dla::build_gantt(*t);
  CHECK(m.ranks == 4);
  CHECK(m.end == Approx(5.4));
  REQUIRE(m.bars.size() == 5);
  // rank 1 task 0: begins at its start (0.1), not the assign (0.0)
  CHECK(m.bars[0].rank == 1);
  CHECK(m.bars[0].begin == Approx(0.1));
  CHECK(m.bars[0].end == Approx(1.0));
  CHECK(m.bars[0].outcome == dla::GanttBar::Done);
  // rank 2 task 1: lost when rank 2 is declared failed
  CHECK(m.bars[1].rank == 2);
  CHECK(m.bars[1].outcome == dla::GanttBar::Lost);
  CHECK(m.bars[1].end == Approx(4.0));
  // rank 1 task 2: assigned, never finished -> open to the end
  CHECK(m.bars[2].task == 2);
  CHECK(m.bars[2].outcome == dla::GanttBar::Open);
  CHECK(m.bars[2].end == Approx(5.4));
  // rank 1 task 1: the reassigned copy, done
  CHECK(m.bars[3].task == 1);
  CHECK(m.bars[3].begin == Approx(4.01));
  CHECK(m.bars[3].outcome == dla::GanttBar::Done);
  // rank 3 task 2: duplicate
  CHECK(m.bars[4].outcome == dla::GanttBar::Duplicate);
  int timeouts = 0, crashes = 0, reassigns = 0, checkpoints = 0, stops = 0;
  for (const auto& k : m.marks) {
    timeouts += k.event == "timeout";
    crashes += k.event == "crash";
    reassigns += k.event == "reassign";
    checkpoints += k.event == "checkpoint";
    stops += k.event == "stop";
  }
  CHECK(timeouts == 1);
  CHECK(crashes == 1);
  CHECK(reassigns == 1);
  CHECK(checkpoints == 1);
  CHECK(stops == 1);
}

TEST_CASE("gantt: the SVG shows every bar and mark, escaped title") {
  auto t = dla::Trace::parse(kTrace);
  REQUIRE(t.ok());
  dla::GanttOptions o;
  o.title = "a <b> & c";
  const std::string svg = dla::render_gantt_svg(dla::build_gantt(*t), o);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>\n") == svg.size() - 7);
  CHECK(svg.find("a &lt;b&gt; &amp; c") != std::string::npos);
  CHECK(count(svg, "class=\"task done\"") == 2);
  CHECK(count(svg, "class=\"task lost\"") == 1);
  CHECK(count(svg, "class=\"task duplicate\"") == 1);
  CHECK(count(svg, "class=\"task open\"") == 1);
  CHECK(count(svg, "class=\"timeout\"") == 1);
  CHECK(count(svg, "class=\"failure\"") == 1);
  CHECK(count(svg, "class=\"crash\"") == 1);
  CHECK(count(svg, "class=\"reassign\"") == 1);
  CHECK(count(svg, "class=\"checkpoint\"") == 1);
  CHECK(svg.find("4 ranks, 2 task results, 1 lost, 1 duplicates, 0 late, 1 failures detected, 1 reassignments") != std::string::npos);
  CHECK(count(svg, "<svg") == 1);
}

TEST_CASE("gantt: an empty trace still renders") {
  auto m = dla::build_gantt(dla::Trace());
  CHECK(m.bars.empty());
  const std::string svg = dla::render_gantt_svg(m, {});
  CHECK(svg.find("</svg>") != std::string::npos);
}

TEST_CASE("gantt: a result after the rank's timeout turns the lost bar into a late one") {
  auto t = dla::Trace::parse(
      "0.0 5 assign 7 100 x.log\n0.0 5 start 7 100 x.log\n3.9 5 timeout 7 0\n4.4 4 reassign 7 100 x.log\n"
      "5.3 5 result 7 100 x.log late\n5.4 4 duplicate 7 100 x.log\n");
  REQUIRE(t.ok());
  auto m = dla::build_gantt(*t);
  REQUIRE(m.bars.size() == 2);
  CHECK(m.bars[0].rank == 5);
  CHECK(m.bars[0].late);
  CHECK(m.bars[0].outcome == dla::GanttBar::Done);
  CHECK(m.bars[0].end == Approx(5.3));
  CHECK(m.bars[1].outcome == dla::GanttBar::Duplicate);
  CHECK_FALSE(m.bars[1].late);
  const std::string svg = dla::render_gantt_svg(m, {});
  CHECK(count(svg, "class=\"task late done\"") == 1);
  CHECK(count(svg, "class=\"task lost\"") == 0);
}

TEST_CASE("gantt: steals and speculative copies are marked, the losing copy hatched") {
  auto t = dla::Trace::parse(
      "0.0 1 assign 0 100\n0.0 2 assign 1 100\n0.1 1 assign 2 100\n0.5 3 steal 2 100 from 1\n0.6 3 start 2 100\n"
      "1.0 4 speculate 0 100\n1.5 4 result 0 100\n1.5 1 cancel 0 40\n2.0 2 result 1 100\n"
      "2.2 3 result 2 100\n2.5 5 speculate 1 100\n2.9 5 duplicate 1 100\n");
  REQUIRE(t.ok());
  auto m = dla::build_gantt(*t);
  REQUIRE(m.bars.size() == 6);
  CHECK(m.bars[2].moved);  // rank 1's queued copy of task 2, stolen by rank 3
  m.bars.erase(m.bars.begin() + 2);
  CHECK(m.bars[0].outcome == dla::GanttBar::Cancelled);  // rank 1's copy of task 0 lost
  CHECK(m.bars[0].lost_race);
  CHECK(m.bars[0].end == Approx(1.5));
  CHECK(m.bars[2].stolen);
  CHECK(m.bars[2].begin == Approx(0.6));  // from the thief's start
  CHECK(m.bars[3].speculative);
  CHECK_FALSE(m.bars[3].lost_race);  // the backup won
  CHECK(m.bars[4].lost_race);        // a backup that came second
  const auto svg = dla::render_gantt_svg(m, {});
  CHECK(count(svg, "class=\"steal\"") == 1);
  CHECK(count(svg, "class=\"speculate\"") == 2);
  CHECK(count(svg, "lost-race ") == 2);
  CHECK(count(svg, "<pattern id=\"lost-race\"") == 1);
  CHECK(svg.find("1 steals, 2 speculative copies") != std::string::npos);
  // a trace without them draws none of it
  auto plain = dla::render_gantt_svg(dla::build_gantt(*dla::Trace::parse(kTrace)), {});
  CHECK(plain.find("steal") == std::string::npos);
  CHECK(plain.find("pattern") == std::string::npos);
}
