#include "store/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define DLA_CRC32C_X86 1
#endif

namespace dla {
namespace detail {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

const Tables& tables() {
  static const Tables t = make_tables();
  return t;
}

}  // namespace

std::uint32_t crc32c_portable(std::uint32_t crc, const char* data, std::size_t n) {
  const Tables& t = tables();
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  while (n >= 8) {  // slicing-by-8 (byte order made explicit: no endianness assumption)
    const std::uint32_t lo = c ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][p[4]] ^ t[2][p[5]] ^
        t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return ~c;
}

#ifdef DLA_CRC32C_X86
bool crc32c_hardware_available() {
  static const bool has = [] {
    __builtin_cpu_init();  // (harmless if done; needed if we run before libgcc's constructor)
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return has;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_hardware(std::uint32_t crc, const char* data, std::size_t n) {
  std::uint32_t c = ~crc;
#if defined(__x86_64__)
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, data, 8);
    c64 = _mm_crc32_u64(c64, v);
    data += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
#endif
  while (n--) c = _mm_crc32_u8(c, static_cast<unsigned char>(*data++));
  return ~c;
}
#else
bool crc32c_hardware_available() { return false; }
std::uint32_t crc32c_hardware(std::uint32_t crc, const char* data, std::size_t n) { return crc32c_portable(crc, data, n); }
#endif

}  // namespace detail

std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t n) {
  return detail::crc32c_hardware_available() ? detail::crc32c_hardware(crc, data, n) : detail::crc32c_portable(crc, data, n);
}

}  // namespace dla
