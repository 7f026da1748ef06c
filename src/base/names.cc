#include "base/names.h"

namespace dla {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 if there is none (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF). ASCII is handled by the caller.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void put_hex(std::string& o, unsigned char c) {
  static const char* kDigits = "0123456789abcdef";
  o += "\\x";
  o += kDigits[c >> 4];
  o += kDigits[c & 15];
}

}  // namespace

std::string escape_name(std::string_view raw) {
  std::string o;
  o.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '\\') {
      o += "\\\\";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      put_hex(o, c);
      ++i;
    } else if (c < 0x80) {
      o += static_cast<char>(c);
      ++i;
    } else if (const std::size_t n = utf8_sequence(raw, i)) {
      if (n == 2 && c == 0xC2 && static_cast<unsigned char>(raw[i + 1]) < 0xA0) {
        put_hex(o, c);  // a C1 control (U+0080..U+009F, e.g. CSI): a terminal would obey it
        put_hex(o, static_cast<unsigned char>(raw[i + 1]));
      } else {
        o.append(raw.substr(i, n));
      }
      i += n;
    } else {
      put_hex(o, c);
      ++i;
    }
  }
  return o;
}

std::string printable(std::string_view message) {
  std::string o;
  o.reserve(message.size());
  std::size_t start = 0;
  for (std::size_t i = 0; i <= message.size(); ++i) {
    if (i < message.size() && message[i] != '\\') continue;
    o += escape_name(message.substr(start, i - start));  // the text between backslashes
    if (i < message.size()) o += '\\';
    start = i + 1;
  }
  return o;
}

Result<std::string> unescape_name(std::string_view escaped) {
  std::string o;
  o.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      o += escaped[i];
      continue;
    }
    if (i + 1 < escaped.size() && escaped[i + 1] == '\\') {
      o += '\\';
      ++i;
      continue;
    }
    if (i + 3 < escaped.size() && escaped[i + 1] == 'x' && hex_value(escaped[i + 2]) >= 0 && hex_value(escaped[i + 3]) >= 0) {
      o += static_cast<char>(hex_value(escaped[i + 2]) * 16 + hex_value(escaped[i + 3]));
      i += 3;
      continue;
    }
    return Error{"malformed escape in name \"" + std::string(escaped) + "\" at byte " + std::to_string(i), Code::kCorruption};
  }
  return o;
}

Error escape_name_in(Error e, const std::string& raw) {
  if (raw.empty()) return e;
  const std::string esc = escape_name(raw);
  if (esc == raw) return e;
  for (std::size_t at = 0; (at = e.message.find(raw, at)) != std::string::npos; at += esc.size())
    e.message.replace(at, raw.size(), esc);
  return e;
}

}  // namespace dla
