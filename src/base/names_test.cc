#include "base/names.h"

#include <catch2/catch.hpp>
#include <random>

namespace dla {

TEST_CASE("escape_name keeps printable ASCII and valid UTF-8, escapes the rest", "[names]") {
  CHECK(escape_name("node1.log") == "node1.log");
  CHECK(escape_name("caf\xc3\xa9.log") == "caf\xc3\xa9.log");
  CHECK(escape_name("\xff.log") == "\\xff.log");
  CHECK(escape_name("a\nb.log") == "a\\x0ab.log");
  CHECK(escape_name("back\\slash") == "back\\\\slash");
  CHECK(escape_name("\x7f") == "\\x7f");
  CHECK(escape_name("\xc3") == "\\xc3");              // truncated sequence
  CHECK(escape_name("\xc0\xaf") == "\\xc0\\xaf");     // overlong '/'
  CHECK(escape_name("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // surrogate
  CHECK(escape_name(std::string("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("unescape_name inverts escape_name and rejects malformed escapes", "[names]") {
  CHECK(*unescape_name("\\xff.log") == "\xff.log");
  CHECK(*unescape_name("a\\x0Ab") == "a\nb");
  CHECK_FALSE(unescape_name("a\\b").ok());
  CHECK_FALSE(unescape_name("a\\x4").ok());
  CHECK_FALSE(unescape_name("trailing\\").ok());
  std::mt19937 rng(12345);
  for (int t = 0; t < 5000; ++t) {
    std::string raw(rng() % 12, '\0');
    for (auto& c : raw) c = static_cast<char>(rng() % 256);
    const std::string e = escape_name(raw);
    for (unsigned char c : e) CHECK((c >= 0x20 && c != 0x7f));
    auto back = unescape_name(e);
    REQUIRE(back.ok());
    CHECK(*back == raw);
  }
}

TEST_CASE("escape_name_in escapes every occurrence of a raw name in a message", "[names]") {
  Error e{"cannot open /d/a\nb.log: No such file (/d/a\nb.log)", Code::kNotFound};
  Error x = escape_name_in(e, "/d/a\nb.log");
  CHECK(x.message == "cannot open /d/a\\x0ab.log: No such file (/d/a\\x0ab.log)");
  CHECK(x.code == Code::kNotFound);
  CHECK(escape_name_in(e, "plain").message == e.message);
}

}  // namespace dla

TEST_CASE("escape_name escapes C1 controls (a terminal would obey CSI) and round-trips them", "[names]") {
  const std::string csi = "a\xc2\x9b" "31mred.log";
  CHECK(dla::escape_name(csi) == "a\\xc2\\x9b31mred.log");
  CHECK(*dla::unescape_name(dla::escape_name(csi)) == csi);
  CHECK(dla::escape_name("caf\xc3\xa9.log") == "caf\xc3\xa9.log");  // U+00E9 stays
}

TEST_CASE("printable makes a message one safe line without escaping escaped names twice", "[names]") {
  const std::string name = "a\nb\xff.log";
  const std::string msg = "cannot open " + dla::escape_name(name) + ": gone";
  CHECK(dla::printable(msg) == msg);  // already safe: unchanged (no doubled backslash)
  CHECK(dla::printable("raw a\nb\xff\xc2\x9b end") == "raw a\\x0ab\\xff\\xc2\\x9b end");
  CHECK(dla::printable("C:\\dir") == "C:\\dir");
  CHECK(dla::printable("") == "");
}
