// Format specs (--format), user regexes, per-file detection and the per-line counting loop.
// See formats.h.
#include <algorithm>
#include <cstring>
#include <regex>

#include "scan/format_parsers.h"
#include "scan/formats.h"
#include "scan/scanner.h"

namespace dla {

struct CompiledRegex {
  std::regex re;
  std::size_t group = 0;  // the `level` group's number
};

namespace {

using LineFn = int (*)(const char*, std::size_t);

// The builtin formats in priority order. Adding a format: a parser in formats.cc, one entry here
// (and in FormatId), a test in formats_test.cc.
struct Builtin {
  FormatId id;
  std::string_view name;
  LineFn fn;
  std::size_t head;  // bytes of the line's start that decide its level
  LineFn detect;     // what counts as a matching line in detection (nullptr: fn)
};
constexpr std::size_t kRegexHead = 1024;
const Builtin kBuiltins[] = {
    {FormatId::kLogcat, "logcat", parsers::logcat, 256, nullptr}, {FormatId::kJson, "json", parsers::json, 4096, nullptr},
    {FormatId::kLogfmt, "logfmt", parsers::logfmt, 1024, nullptr}, {FormatId::kGlog, "glog", parsers::glog, 256, nullptr},
    {FormatId::kLog4j, "log4j", parsers::log4j, 512, nullptr},    {FormatId::kSyslog, "syslog", parsers::syslog, 256, nullptr},
    {FormatId::kBracket, "bracket", parsers::bracket, 0, nullptr}, {FormatId::kApache, "apache", parsers::apache, 512, parsers::apache_detect},
};

const Builtin* builtin(FormatId id) {
  for (const Builtin& b : kBuiltins)
    if (b.id == id) return &b;
  return nullptr;
}

int regex_level(const CompiledRegex& rx, const char* line, std::size_t len) {
  std::cmatch m;
  if (!std::regex_search(line, line + std::min(len, kRegexHead), m, rx.re)) return kNoMatch;
  if (!m[rx.group].matched) return kUnleveled;
  const int id = normalise_level(std::string_view(m[rx.group].first, static_cast<std::size_t>(m[rx.group].length())));
  return id >= 0 ? id : kUnleveled;
}

// Rewrites (?<name>...) and (?P<name>...) to plain groups; returns the level group's number (0:
// none). Counts capture groups the way ECMAScript does: every '(' not followed by '?', outside
// character classes and not escaped.
Result<std::size_t> rewrite_named_groups(std::string& pat) {
  std::string out;
  std::size_t group = 0, level = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    const char c = pat[i];
    if (c == '\\' && i + 1 < pat.size()) {
      out += c;
      out += pat[++i];
      continue;
    }
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pat.size() && pat[i + 1] == ']') out += pat[i++];  // "[]...]": ']' first is literal
    } else if (c == '(') {
      const bool named = pat.compare(i, 3, "(?<") == 0 && i + 3 < pat.size() && pat[i + 3] != '=' && pat[i + 3] != '!';
      const bool py = pat.compare(i, 4, "(?P<") == 0;
      if (named || py) {
        const std::size_t start = i + (py ? 4 : 3), close = pat.find('>', start);
        if (close == std::string::npos) return Error{"bad regex: unterminated group name", Code::kInvalid};
        ++group;
        if (pat.compare(start, close - start, "level") == 0) {
          if (level) return Error{"bad regex: two groups named level", Code::kInvalid};
          level = group;
        }
        out += '(';
        i = close;
        continue;
      }
      if (i + 1 >= pat.size() || pat[i + 1] != '?') ++group;
    }
    out += c;
  }
  pat = out;
  return level;
}

Result<FormatSpec> parse_regex(std::string_view text) {
  std::string pat(text);
  auto level = rewrite_named_groups(pat);
  if (!level) return level.err();
  auto rx = std::make_shared<CompiledRegex>();
  try {
    rx->re = std::regex(pat, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Error{std::string("bad regex: ") + e.what(), Code::kInvalid};
  }
  if (*level == 0)
    return Error{"regex format needs a group named level, e.g. regex:^\\S+ (?<level>[A-Z]+) ", Code::kInvalid};
  rx->group = *level;
  FormatSpec spec;
  spec.automatic = false;
  spec.fixed.id = FormatId::kRegex;
  spec.fixed.regex = std::move(rx);
  spec.text = "regex:" + std::string(text);
  return spec;
}

template <LineFn Fn>
void count_with(const char* data, std::size_t size, std::size_t head, LevelTally& t) {
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* eol = nl ? nl : end;
    t.add_line(Fn(p, std::min(static_cast<std::size_t>(eol - p), head)));
    p = nl ? nl + 1 : end;
  }
}

std::uint64_t count_newlines(const char* data, std::size_t size) {
  return static_cast<std::uint64_t>(std::count(data, data + size, '\n')) + (size > 0 && data[size - 1] != '\n');
}

}  // namespace

std::string_view LogFormat::name() const {
  if (id == FormatId::kNone) return "none";
  if (id == FormatId::kRegex) return "regex";
  const Builtin* b = builtin(id);
  return b ? b->name : "?";
}

const std::vector<std::string_view>& builtin_format_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const Builtin& b : kBuiltins) v.push_back(b.name);
    v.push_back("none");
    return v;
  }();
  return names;
}

Result<FormatSpec> parse_format_spec(std::string_view text) {
  if (text == "auto") return FormatSpec{};
  if (text.substr(0, 6) == "regex:") return parse_regex(text.substr(6));
  FormatSpec spec;
  spec.automatic = false;
  spec.text = std::string(text);
  if (text == "none") {
    spec.fixed.id = FormatId::kNone;
    return spec;
  }
  for (const Builtin& b : kBuiltins)
    if (b.name == text) {
      spec.fixed.id = b.id;
      return spec;
    }
  std::string known = "auto";
  for (auto n : builtin_format_names()) known += ", " + std::string(n);
  return Error{"unknown format '" + std::string(text) + "' (known: " + known + ", regex:PATTERN)", Code::kInvalid};
}

std::size_t head_bytes(const LogFormat& f) {
  if (f.id == FormatId::kRegex) return kRegexHead;
  const Builtin* b = builtin(f.id);
  return b ? b->head : 0;
}

int classify_line(const LogFormat& f, const char* line, std::size_t len) {
  if (f.id == FormatId::kRegex) return regex_level(*f.regex, line, len);
  const Builtin* b = builtin(f.id);
  if (!b) return kNoMatch;
  return b->fn(line, b->head ? std::min(len, b->head) : len);
}

void count_lines(const LogFormat& f, const char* data, std::size_t size, LevelTally& out) {
  switch (f.id) {
    case FormatId::kBracket: return count_with<parsers::bracket>(data, size, ~std::size_t{0}, out);
    case FormatId::kLogcat: return count_with<parsers::logcat>(data, size, head_bytes(f), out);
    case FormatId::kJson: return count_with<parsers::json>(data, size, head_bytes(f), out);
    case FormatId::kLogfmt: return count_with<parsers::logfmt>(data, size, head_bytes(f), out);
    case FormatId::kGlog: return count_with<parsers::glog>(data, size, head_bytes(f), out);
    case FormatId::kApache: return count_with<parsers::apache>(data, size, head_bytes(f), out);
    case FormatId::kLog4j: return count_with<parsers::log4j>(data, size, head_bytes(f), out);
    case FormatId::kSyslog: return count_with<parsers::syslog>(data, size, head_bytes(f), out);
    case FormatId::kNone: out.lines += count_newlines(data, size); return;
    case FormatId::kRegex: break;
  }
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* eol = nl ? nl : end;
    out.add_line(regex_level(*f.regex, p, static_cast<std::size_t>(eol - p)));
    p = nl ? nl + 1 : end;
  }
}

LogFormat detect_format(const char* head, std::size_t n, bool at_eof) {
  constexpr std::size_t kB = sizeof kBuiltins / sizeof kBuiltins[0];
  std::size_t hits[kB] = {};
  std::size_t lines = 0, nonempty = 0;
  const char* p = head;
  const char* end = head + n;
  while (p < end && lines < static_cast<std::size_t>(kDetectLines)) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!nl && !at_eof && lines > 0) break;  // a line cut by the head's end is not judged
    const char* eol = nl ? nl : end;
    ++lines;
    const std::size_t len = static_cast<std::size_t>(eol - p);
    if (std::any_of(p, eol, [](char c) { return c != ' ' && c != '\t' && c != '\r'; })) {
      ++nonempty;
      for (std::size_t i = 0; i < kB; ++i)
        hits[i] += (kBuiltins[i].detect ? kBuiltins[i].detect : kBuiltins[i].fn)(
                       p, kBuiltins[i].head ? std::min(len, kBuiltins[i].head) : len) != kNoMatch;
    }
    p = nl ? nl + 1 : end;
  }
  // Bracket needs one line; the others 10% of the non-empty lines (formats.h).
  const std::size_t need = std::max<std::size_t>(1, (nonempty + 9) / 10);
  int best = -1;
  for (std::size_t i = 0; i < kB; ++i) {
    const std::size_t min_hits = kBuiltins[i].id == FormatId::kBracket ? 1 : need;
    if (hits[i] >= min_hits && (best < 0 || hits[i] > hits[best])) best = static_cast<int>(i);
  }
  LogFormat f;
  f.id = best < 0 ? FormatId::kNone : kBuiltins[best].id;
  return f;
}

void count_lines(const LogFormat& f, const char* data, std::size_t size, Counts& out) {
  if (f.id == FormatId::kBracket) {
    out += scan_buffer(data, size);  // the vectorised scanner
    return;
  }
  LevelTally t;
  count_lines(f, data, size, t);
  add_tally(out, t);
}

}  // namespace dla
