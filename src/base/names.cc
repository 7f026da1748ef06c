#include "base/names.h"

namespace dla {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, unsigned char b) {
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 if the byte there does not
// start one (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  return n;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string escape_name(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      append_hex(out, c);
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(raw, i);
    const bool c1_control = n == 2 && c == 0xc2 && static_cast<unsigned char>(raw[i + 1]) < 0xa0;
    if (n == 0 || c1_control) {
      for (std::size_t k = 0; k < (n == 0 ? 1 : n); ++k) append_hex(out, static_cast<unsigned char>(raw[i + k]));
      i += n == 0 ? 1 : n;
      continue;
    }
    out.append(raw.substr(i, n));
    i += n;
  }
  return out;
}

Result<std::string> unescape_name(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      out += escaped[i];
      continue;
    }
    if (i + 1 < escaped.size() && escaped[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    const int h = i + 3 < escaped.size() && escaped[i + 1] == 'x' ? hex_value(escaped[i + 2]) : -1;
    const int l = h >= 0 ? hex_value(escaped[i + 3]) : -1;
    if (l < 0) {
      return Error{"bad escape in name at offset " + std::to_string(i) + ": \"" +
                   escape_name(escaped.substr(i, 4)) + "\" (expected \\\\ or \\xHH)"};
    }
    out += static_cast<char>(h * 16 + l);
    i += 3;
  }
  return out;
}

}  // namespace dla
