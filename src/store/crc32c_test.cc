// CRC-32C: the published check values (RFC 3720 B.4), and the hardware and portable paths agree
// on every length and alignment.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "store/crc32c.h"

namespace dla {
namespace {

std::uint32_t crc(const std::string& s) { return crc32c_extend(0, s.data(), s.size()); }

}  // namespace

TEST_CASE("crc32c: known values", "[store][crc]") {
  CHECK(crc("") == 0u);
  CHECK(crc("123456789") == 0xe3069283u);
  std::string zeros(32, '\0'), ones(32, '\xff'), inc(32, '\0'), dec(32, '\0');
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<char>(i);
    dec[i] = static_cast<char>(31 - i);
  }
  CHECK(crc(zeros) == 0x8a9136aau);  // RFC 3720 B.4 (there as the bytes aa 36 91 8a)
  CHECK(crc(ones) == 0x62a8ab43u);
  CHECK(crc(inc) == 0x46dd794eu);
  CHECK(crc(dec) == 0x113fdb5cu);
  CHECK(detail::crc32c_portable(0, "123456789", 9) == 0xe3069283u);
}

TEST_CASE("crc32c: hardware and portable agree, and extending equals one pass", "[store][crc]") {
  std::mt19937_64 rng(3 + Catch::rngSeed());
  std::string buf(5000, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (int round = 0; round < 300; ++round) {
    const std::size_t at = rng() % 64, n = rng() % (buf.size() - 64);
    const char* p = buf.data() + at;
    const std::uint32_t want = detail::crc32c_portable(0, p, n);
    if (detail::crc32c_hardware_available()) CHECK(detail::crc32c_hardware(0, p, n) == want);
    CHECK(crc32c_extend(0, p, n) == want);
    const std::size_t cut = n ? rng() % n : 0;
    CHECK(crc32c_extend(crc32c_extend(0, p, cut), p + cut, n - cut) == want);
    CHECK(detail::crc32c_portable(detail::crc32c_portable(0, p, cut), p + cut, n - cut) == want);
  }
  INFO("hardware crc32c on this CPU: " << detail::crc32c_hardware_available());
  SUCCEED();
}

}  // namespace dla
