#include <catch2/catch.hpp>

#include "dash/server.h"

using dla::dash::dashboard_page;

TEST_CASE("dash page: one self-contained document, nothing fetched from elsewhere") {
  const std::string& p = dashboard_page();
  REQUIRE(p.rfind("<!DOCTYPE html>", 0) == 0);
  REQUIRE(p.find("</html>") != std::string::npos);
  REQUIRE(p.find("http://") == std::string::npos);
  REQUIRE(p.find("https://") == std::string::npos);
  REQUIRE(p.find("<script src") == std::string::npos);
  REQUIRE(p.find("<link") == std::string::npos);
  // What the browser test reads.
  for (const char* id : {"id=\"workers\"", "id=\"counts\"", "id=\"events\"", "id=\"gantt\"", "id=\"slider\"", "api/stream", "api/state"})
    REQUIRE(p.find(id) != std::string::npos);
  REQUIRE(p.size() < 100000);
}
