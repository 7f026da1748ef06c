// Unit tests for base/names: escaping file names for messages, RESULT lines and JSON.
#include "base/names.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using dla::escape_name;
using dla::unescape_name;

TEST_CASE("escape_name: plain and UTF-8 names are unchanged", "[names]") {
  CHECK(escape_name("app-01.log") == "app-01.log");
  CHECK(escape_name("dir with space/x.log") == "dir with space/x.log");
  CHECK(escape_name("journal-\xc3\xa9t\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x93\x9c.log") ==
        "journal-\xc3\xa9t\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x93\x9c.log");
  CHECK(escape_name("") == "");
}

TEST_CASE("escape_name: control characters, backslash and invalid UTF-8 become escapes", "[names]") {
  CHECK(escape_name("a\nRESULT OK fake.log") == "a\\x0aRESULT OK fake.log");
  CHECK(escape_name("\xff.log") == "\\xff.log");
  CHECK(escape_name("tab\there\r\x1b[31m\x7f") == "tab\\x09here\\x0d\\x1b[31m\\x7f");
  CHECK(escape_name("back\\slash") == "back\\\\slash");
  CHECK(escape_name(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(escape_name("\xc2\x9b" "csi") == "\\xc2\\x9bcsi");         // C1 control (CSI)
  CHECK(escape_name("\xc0\xaf") == "\\xc0\\xaf");                  // overlong '/'
  CHECK(escape_name("\xed\xa0\x80") == "\\xed\\xa0\\x80");         // surrogate
  CHECK(escape_name("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80"); // beyond U+10FFFF
  CHECK(escape_name("\xe2\x82") == "\\xe2\\x82");                  // truncated sequence
  CHECK(escape_name("\x80x") == "\\x80x");                         // stray continuation
}

TEST_CASE("escape_name: output is one line that JSON can dump", "[names]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string e = escape_name(all + all);
  CHECK(e.find('\n') == std::string::npos);
  CHECK(e.find('\r') == std::string::npos);
  CHECK_NOTHROW(nlohmann::json(e).dump());
}

TEST_CASE("unescape_name inverts escape_name for every byte string", "[names]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& raw : {all, std::string("a\\xff"), std::string("\\\\x41"), std::string("\xf0\x9f\x93\x9c\xff")}) {
    auto back = unescape_name(escape_name(raw));
    REQUIRE(back.ok());
    CHECK(*back == raw);
  }
}

TEST_CASE("unescape_name rejects malformed escapes with a message", "[names]") {
  for (const char* bad : {"\\", "x\\", "\\q", "\\x", "\\x4", "\\xg0", "\\n"}) {
    auto r = unescape_name(bad);
    CHECK_FALSE(r.ok());
    if (!r.ok()) CHECK(r.error().find("bad escape") != std::string::npos);
  }
  CHECK(*unescape_name("\\x4A\\x4a") == "JJ");
}
