// The builtin header parsers (one function per format, hand-written: no regex on these paths)
// and the per-line counting loop. See formats.h for each format's rule.
#include "scan/formats.h"

#include <algorithm>
#include <cstring>

#include "scan/format_parsers.h"
#include "scan/scanner.h"

namespace dla {
namespace {

// Character classes, one table load per byte in the header loops.
enum : unsigned char { kSpace = 1, kDigit = 2, kUpper = 4, kLower = 8, kUpperWord = 16 /* A-Z or _ */ };
struct CharClass {
  unsigned char v[256] = {};
  constexpr CharClass() {
    v[static_cast<unsigned char>(' ')] = v[static_cast<unsigned char>('\t')] = v[static_cast<unsigned char>('\r')] = kSpace;
    for (int c = '0'; c <= '9'; ++c) v[c] = kDigit;
    for (int c = 'A'; c <= 'Z'; ++c) v[c] = kUpper | kUpperWord;
    for (int c = 'a'; c <= 'z'; ++c) v[c] = kLower;
    v[static_cast<unsigned char>('_')] = kUpperWord;
  }
};
constexpr CharClass kClass{};
inline unsigned char cls(char c) { return kClass.v[static_cast<unsigned char>(c)]; }

inline bool is_space(char c) { return cls(c) & kSpace; }
inline bool is_digit(char c) { return cls(c) & kDigit; }
inline bool is_upper(char c) { return cls(c) & kUpper; }
inline bool is_lower(char c) { return cls(c) & kLower; }
inline bool is_alpha(char c) { return cls(c) & (kUpper | kLower); }

// Whitespace-separated tokens of [p, end).
struct Tokens {
  const char* p;
  const char* end;
  // The next token as [b, e); false at the end.
  bool next(const char*& b, const char*& e) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) return false;
    b = p;
    while (p < end && !is_space(*p)) ++p;
    e = p;
    return true;
  }
  // Whether the token after the current one is exactly "-".
  bool next_is_dash() const {
    const char* q = p;
    while (q < end && is_space(*q)) ++q;
    return q < end && *q == '-' && (q + 1 == end || is_space(q[1]));
  }
};

// [b, q) letters starting with an upper-case one: UPPER or Title case?
bool upper_or_title(const char* b, const char* q) {
  bool all_upper = true, rest_lower = true;
  for (const char* r = b + 1; r < q; ++r) {
    all_upper &= is_upper(*r);
    rest_lower &= is_lower(*r);
  }
  return all_upper || rest_lower;
}

// Whether the token after p (skipping spaces) is exactly "-".
bool dash_follows(const char* p, const char* end) {
  while (p < end && is_space(*p)) ++p;
  return p < end && *p == '-' && (p + 1 == end || is_space(p[1]));
}

// Syslog severities 0..7.
constexpr int kSyslogSeverity[8] = {level_id::kEmergency, level_id::kAlert, level_id::kCritical, level_id::kError,
                                    level_id::kWarn,      level_id::kNotice, level_id::kInfo,    level_id::kDebug};

}  // namespace

namespace parsers {

// One pass per token: is it a level (letters in UPPER/Title case, then the token's end, ':' or a
// final ','), else may it stand in a header (formats.h, log4j)?
int log4j(const char* s, std::size_t n) {
  const char* p = s;
  const char* end = s + n;
  for (int i = 0; i < 12; ++i) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) return kNoMatch;
    const char* b = p;
    while (p < end && is_alpha(*p)) ++p;
    const char* q = p;  // end of the leading letters
    if (q - b >= 3 && is_upper(*b)) {
      const char c = q < end ? *q : ' ';
      if ((is_space(c) || c == ':' || (c == ',' && (q + 1 == end || is_space(q[1])))) && upper_or_title(b, q)) {
        const int id = normalise_level(std::string_view(b, static_cast<std::size_t>(q - b)));
        if (id >= 0) return id;
      }
    }
    unsigned any = 0, all = 0xFF;  // classes of some / of every byte of the token
    for (p = b; p < end; ++p) {
      const unsigned k = cls(*p);
      if (k & kSpace) break;
      any |= k;
      all &= k;
    }
    if (p[-1] == ':') return kNoMatch;  // `prog[pid]:`, `Component:`: the message starts next
    const bool upper_word = (all & kUpperWord) && p - b >= 2;
    const bool field = *b == '[' || *b == '(' || (any & kDigit) || !(any & (kDigit | kUpper | kLower)) || upper_word ||
                       dash_follows(p, end);
    if (!field) return kNoMatch;
  }
  return kNoMatch;
}

// The text of a bracketed group, after its last ':' and trimmed.
int group_level(const char* b, const char* e, bool need_lower) {
  for (const char* q = e; q > b; --q)
    if (q[-1] == ':') {
      b = q;
      break;
    }
  while (b < e && is_space(*b)) ++b;
  while (e > b && is_space(e[-1])) --e;
  if (need_lower && std::none_of(b, e, is_lower)) return -1;
  return normalise_level(std::string_view(b, static_cast<std::size_t>(e - b)));
}

int apache_impl(const char* s, std::size_t n, bool need_lower) {
  const char* p = s;
  const char* end = s + n;
  bool seen_group = false;
  for (int i = 0; i < 6; ++i) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) return kNoMatch;
    if (*p == '[') {
      const char* c = static_cast<const char*>(std::memchr(p + 1, ']', static_cast<std::size_t>(end - p - 1)));
      if (!c) return kNoMatch;
      const int id = group_level(p + 1, c, need_lower);
      if (id >= 0) return id;
      p = c + 1;
      seen_group = true;
      continue;
    }
    bool digit = false;
    for (; p < end && !is_space(*p); ++p) digit |= is_digit(*p);
    if (seen_group || !digit) return kNoMatch;
  }
  return kNoMatch;
}

int apache(const char* s, std::size_t n) { return apache_impl(s, n, false); }
int apache_detect(const char* s, std::size_t n) { return apache_impl(s, n, true); }

// Skips spaces, then a token of digits and the separators in `seps` (at least one separator when
// need_sep); false if the token holds anything else.
bool number_token(const char*& p, const char* end, char sep1, char sep2, bool need_sep) {
  while (p < end && is_space(*p)) ++p;
  const char* b = p;
  bool sep = false;
  for (; p < end && !is_space(*p); ++p) {
    const char c = *p;
    if (is_digit(c)) continue;
    if (c != sep1 && c != sep2) return false;
    sep = true;
  }
  return p > b && (sep || !need_sep);
}

// "MM-DD HH:MM:SS.mmm  PID  TID L " exactly (logcat -v threadtime's usual shape), else kNoMatch
// (and the general parser decides).
int logcat_threadtime(const char* s, std::size_t n) {
  if (n < 26 || s[2] != '-' || s[5] != ' ' || s[8] != ':' || s[11] != ':' || s[14] != '.' || !is_space(s[18]))
    return kNoMatch;
  for (int i : {0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 17})
    if (!is_digit(s[i])) return kNoMatch;
  const char* p = s + 18;
  const char* end = s + n;
  for (int k = 0; k < 2; ++k) {  // pid, tid
    while (p < end && *p == ' ') ++p;
    const char* b = p;
    while (p < end && is_digit(*p)) ++p;
    if (p == b || p == end || *p != ' ') return kNoMatch;
  }
  ++p;
  if (end - p < 2 || p[1] != ' ') return kNoMatch;
  const int id = logcat_level(*p);
  return id >= 0 ? id : kNoMatch;
}

int logcat(const char* s, std::size_t n) {
  if (n >= 2 && s[1] == '/') {  // -v brief: "D/Tag( 123): msg"
    const int id = logcat_level(s[0]);
    return id >= 0 ? id : kNoMatch;
  }
  const char* p = s;
  const char* end = s + n;
  const int fast = logcat_threadtime(s, n);  // the common shape, without the general token loop
  if (fast != kNoMatch) return fast;
  if (!number_token(p, end, '-', '-', true) || !number_token(p, end, ':', '.', true)) return kNoMatch;
  int numbers = 0;
  for (;;) {
    const char* b = p;
    if (number_token(p, end, '0', '0', false)) {  // (digits only)
      if (++numbers > 3) return kNoMatch;
      continue;
    }
    p = b;
    while (p < end && is_space(*p)) ++p;
    if (numbers < 2 || end - p < 2 || !is_space(p[1])) return kNoMatch;  // one letter, then a space
    const int id = logcat_level(*p);
    return id >= 0 ? id : kNoMatch;
  }
}

// "Mmm dd hh:mm:ss" (day space padded or not) at p.
bool bsd_time(const char* p, const char* end) {
  static const char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (end - p < 15) return false;
  bool month = false;
  for (int m = 0; m < 12 && !month; ++m) month = std::memcmp(p, kMonths + 3 * m, 3) == 0;
  if (!month || p[3] != ' ') return false;
  p += 4;
  if (*p == ' ') ++p;
  if (!is_digit(*p)) return false;
  if (is_digit(p[1])) ++p;
  ++p;
  if (end - p < 9 || *p != ' ') return false;
  return is_digit(p[1]) && is_digit(p[2]) && p[3] == ':' && is_digit(p[4]) && is_digit(p[5]) && p[6] == ':' &&
         is_digit(p[7]) && is_digit(p[8]);
}

// "<PRI>": severity PRI % 8, or -1.
int syslog_pri(const char* s, std::size_t n) {
  if (n < 3 || s[0] != '<') return -1;
  int pri = 0;
  std::size_t i = 1;
  for (; i < n && i <= 3 && is_digit(s[i]); ++i) pri = pri * 10 + (s[i] - '0');
  if (i == 1 || i >= n || s[i] != '>' || pri > 191) return -1;
  return kSyslogSeverity[pri % 8];
}

int syslog(const char* s, std::size_t n) {
  const int pri = syslog_pri(s, n);
  if (pri >= 0) return pri;
  Tokens t{s, s + n};
  const char* b;
  const char* e;
  for (int skipped = 0; skipped <= 4; ++skipped) {
    while (t.p < t.end && is_space(*t.p)) ++t.p;
    if (bsd_time(t.p, t.end)) return kUnleveled;
    if (!t.next(b, e) || *b == '[') return kNoMatch;  // `[Sun Dec 04 04:47:44 2005]` is Apache's
    // ISO timestamp, host, tag ending in ':' (rsyslog's high-precision format)
    if (skipped == 0 && e - b >= 19 && is_digit(b[0]) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':') {
      if (t.next(b, e) && t.next(b, e) && e[-1] == ':') return kUnleveled;
      return kNoMatch;
    }
  }
  return kNoMatch;
}

// ---- json ----------------------------------------------------------------------------------

// Skips a JSON string at p ('"'); false if it does not end before `end`.
bool skip_string(const char*& p, const char* end) {
  for (++p; p < end; ++p) {
    if (*p == '\\') ++p;
    else if (*p == '"') {
      ++p;
      return true;
    }
  }
  return false;
}

// Skips one JSON value (object, array, string or literal) at p.
bool skip_value(const char*& p, const char* end) {
  int depth = 0;
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      if (!skip_string(p, end)) return false;
      if (depth == 0) return true;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (depth == 0) return true;  // the end of the enclosing object
      if (--depth == 0) {
        ++p;
        return true;
      }
    } else if (depth == 0 && (c == ',' || is_space(c))) {
      return true;
    }
    ++p;
  }
  return false;
}

bool level_key(std::string_view k) {
  static constexpr std::string_view kKeys[] = {"level", "lvl", "severity", "loglevel", "log_level", "log.level",
                                               "levelname", "severitytext"};
  if (k.size() > 12) return false;
  char low[12];
  for (std::size_t i = 0; i < k.size(); ++i) low[i] = is_upper(k[i]) ? static_cast<char>(k[i] - 'A' + 'a') : k[i];
  const std::string_view l(low, k.size());
  for (auto key : kKeys)
    if (key == l) return true;
  return false;
}

// A level key's value at p: a level name in a string, or a number (syslog 0-7, pino 10..60).
int json_value_level(const char* p, const char* end) {
  if (p < end && *p == '"') {
    const char* q = static_cast<const char*>(std::memchr(p + 1, '"', static_cast<std::size_t>(end - p - 1)));
    const int id = q ? normalise_level(std::string_view(p + 1, static_cast<std::size_t>(q - p - 1))) : -1;
    return id >= 0 ? id : kUnleveled;
  }
  int v = 0, digits = 0;
  for (; p < end && is_digit(*p) && digits < 3; ++p, ++digits) v = v * 10 + (*p - '0');
  if (digits == 0 || (p < end && (is_digit(*p) || *p == '.'))) return kUnleveled;
  if (v <= 7) return kSyslogSeverity[v];
  static constexpr int kPino[6] = {level_id::kTrace, level_id::kDebug, level_id::kInfo,
                                   level_id::kWarn,  level_id::kError, level_id::kFatal};
  return v % 10 == 0 && v >= 10 && v <= 60 ? kPino[v / 10 - 1] : kUnleveled;
}

int json(const char* s, std::size_t n) {
  const char* p = s;
  const char* end = s + n;
  while (p < end && is_space(*p)) ++p;
  if (p == end || *p != '{') return kNoMatch;
  ++p;
  for (;;) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) return kUnleveled;  // longer than the head: an object all the same
    if (*p == '}') return kUnleveled;
    if (*p != '"') return kNoMatch;
    const char* kb = p + 1;
    if (!skip_string(p, end)) return kUnleveled;
    const std::string_view key(kb, static_cast<std::size_t>(p - 1 - kb));
    while (p < end && is_space(*p)) ++p;
    if (p == end || *p != ':') return p == end ? kUnleveled : kNoMatch;
    ++p;
    while (p < end && is_space(*p)) ++p;
    if (level_key(key)) return json_value_level(p, end);
    if (!skip_value(p, end)) return kUnleveled;
    while (p < end && is_space(*p)) ++p;
    if (p < end && *p == ',') ++p;
    else if (p < end && *p == '}') return kUnleveled;
    else if (p < end) return kNoMatch;
  }
}

// ---- logfmt (key=value pairs) -----------------------------------------------------------------

int logfmt(const char* s, std::size_t n) {
  const char* p = s;
  const char* end = s + n;
  for (int i = 0; i < 16; ++i) {
    while (p < end && is_space(*p)) ++p;
    const char* kb = p;
    while (p < end && (is_alpha(*p) || is_digit(*p) || *p == '_' || *p == '.' || *p == '-' || *p == '@')) ++p;
    if (p == kb || p == end || *p != '=') return i == 0 ? kNoMatch : kUnleveled;  // the pairs ended
    const std::string_view key(kb, static_cast<std::size_t>(p - kb));
    const char* vb = ++p;
    const char* ve;
    if (p < end && *p == '"') {
      vb = ++p;
      while (p < end && *p != '"') p += *p == '\\' ? 2 : 1;
      ve = std::min(p, end);
      if (p < end) ++p;
    } else {
      while (p < end && !is_space(*p)) ++p;
      ve = p;
    }
    if (level_key(key)) {
      const int id = normalise_level(std::string_view(vb, static_cast<std::size_t>(ve - vb)));
      return id >= 0 ? id : kUnleveled;
    }
  }
  return kUnleveled;
}

// ---- glog / klog ---------------------------------------------------------------------------------

// "Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg", L one of I W E F.
int glog(const char* s, std::size_t n) {
  static constexpr int kLevel[4] = {level_id::kInfo, level_id::kWarn, level_id::kError, level_id::kFatal};
  const char* kLetters = "IWEF";
  const char* l = n >= 22 ? static_cast<const char*>(std::memchr(kLetters, s[0], 4)) : nullptr;
  if (!l || s[5] != ' ' || s[8] != ':' || s[11] != ':' || s[14] != '.') return kNoMatch;
  for (int i : {1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 15})
    if (!is_digit(s[i])) return kNoMatch;
  const char* p = s + 15;
  const char* end = s + std::min<std::size_t>(n, 256);
  while (p < end && is_digit(*p)) ++p;
  while (p < end && *p == ' ') ++p;
  const char* tb = p;
  while (p < end && is_digit(*p)) ++p;  // thread id
  if (p == tb || p == end || *p != ' ') return kNoMatch;
  const char* fb = ++p;  // file:line]
  while (p < end && !is_space(*p)) ++p;
  if (p - fb < 4 || p[-1] != ']' || !std::memchr(fb, ':', static_cast<std::size_t>(p - fb))) return kNoMatch;
  return kLevel[l - kLetters];
}

// ---- bracket (the assignment's rule, per line: detection and tests) --------------------------

int bracket(const char* s, std::size_t n) {
  const char* end = s + n;
  for (const char* p = s; p < end;) {
    p = static_cast<const char*>(std::memchr(p, '[', static_cast<std::size_t>(end - p)));
    if (!p) return kNoMatch;
    const std::size_t left = static_cast<std::size_t>(end - p);
    auto is = [&](const char* tok, std::size_t len) { return left >= len && std::memcmp(p, tok, len) == 0; };
    if (is("[DEBUG]", 7)) return level_id::kDebug;
    if (is("[ERROR]", 7)) return level_id::kError;
    if (is("[INFO]", 6)) return level_id::kInfo;
    if (is("[WARN]", 6) || is("[WARNING]", 9)) return level_id::kWarn;
    ++p;
  }
  return kNoMatch;
}

}  // namespace parsers
}  // namespace dla
