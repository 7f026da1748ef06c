#include "sched/master_log.h"

#include <charconv>
#include <climits>

#include "base/names.h"

namespace dla {
namespace {

const char* kind_name(LogEntry::Kind k) {
  switch (k) {
    case LogEntry::Done: return "done";
    case LogEntry::Error: return "error";
    case LogEntry::Split: return "split";
    case LogEntry::Failed: return "failed";
  }
  return "?";
}

void put(std::string& o, std::uint64_t v) {
  o += '\t';
  o += std::to_string(v);
}
// (a negative id is written as such, and decode_log refuses it: the scheduler never logs one)
void put(std::string& o, int v) {
  o += '\t';
  o += std::to_string(v);
}
void put_text(std::string& o, std::string_view s) {
  o += '\t';
  o += escape_name(s);
}

void encode_one(std::string& o, const LogEntry& e) {
  o += kind_name(e.kind);
  switch (e.kind) {
    case LogEntry::Done:
    case LogEntry::Error:
      put(o, e.task), put(o, e.file), put(o, e.offset), put(o, e.length), put(o, e.worker);
      if (e.kind == LogEntry::Done) {
        put_text(o, counts_to_wire(e.counts));
        put_text(o, e.format);
      } else {
        put_text(o, e.error);
      }
      break;
    case LogEntry::Split:
      put(o, e.task), put(o, e.from), put(o, e.file), put(o, e.offset), put(o, e.length);
      break;
    case LogEntry::Failed:
      put(o, e.worker);
      break;
  }
}

// Canonical decimal: digits only, no leading zero (except "0" itself), no overflow.
bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}
bool parse_int(std::string_view s, int* out) {
  std::uint64_t v = 0;
  if (!parse_u64(s, &v) || v > static_cast<std::uint64_t>(INT_MAX)) return false;
  *out = static_cast<int>(v);
  return true;
}
// An escaped field, unescaped; only the form escape_name itself writes is accepted.
bool parse_text(std::string_view s, std::string* out) {
  auto r = unescape_name(s);
  if (!r.ok() || escape_name(*r) != s) return false;
  *out = std::move(*r);
  return true;
}
bool parse_counts(std::string_view s, Counts* out) {
  auto r = counts_from_wire(s);
  if (!r.ok() || counts_to_wire(*r) != s) return false;
  *out = std::move(*r);
  return true;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> f;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    f.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return f;
    start = tab + 1;
  }
}

bool range_fields(const std::vector<std::string_view>& f, std::size_t at, LogEntry* e) {
  return parse_u64(f[at], &e->offset) && parse_u64(f[at + 1], &e->length) && e->offset + e->length >= e->offset;
}

bool decode_one(std::string_view line, LogEntry* e) {
  const auto f = split_tabs(line);
  if (f[0] == "done" && f.size() == 8) {
    e->kind = LogEntry::Done;
    return parse_int(f[1], &e->task) && parse_int(f[2], &e->file) && range_fields(f, 3, e) &&
           parse_int(f[5], &e->worker) && parse_counts(f[6], &e->counts) && parse_text(f[7], &e->format);
  }
  if (f[0] == "error" && f.size() == 7) {
    e->kind = LogEntry::Error;
    return parse_int(f[1], &e->task) && parse_int(f[2], &e->file) && range_fields(f, 3, e) &&
           parse_int(f[5], &e->worker) && parse_text(f[6], &e->error);
  }
  if (f[0] == "split" && f.size() == 6) {
    e->kind = LogEntry::Split;
    return parse_int(f[1], &e->task) && parse_int(f[2], &e->from) && parse_int(f[3], &e->file) && range_fields(f, 4, e);
  }
  if (f[0] == "failed" && f.size() == 2) {
    e->kind = LogEntry::Failed;
    return parse_int(f[1], &e->worker);
  }
  return false;
}

}  // namespace

bool operator==(const LogEntry& a, const LogEntry& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case LogEntry::Done:
      return a.task == b.task && a.file == b.file && a.offset == b.offset && a.length == b.length &&
             a.worker == b.worker && a.counts == b.counts && a.format == b.format;
    case LogEntry::Error:
      return a.task == b.task && a.file == b.file && a.offset == b.offset && a.length == b.length &&
             a.worker == b.worker && a.error == b.error;
    case LogEntry::Split:
      return a.task == b.task && a.from == b.from && a.file == b.file && a.offset == b.offset && a.length == b.length;
    case LogEntry::Failed:
      return a.worker == b.worker;
  }
  return false;
}

std::string encode_log(const std::vector<LogEntry>& entries) {
  std::string o;
  for (const auto& e : entries) {
    encode_one(o, e);
    o += '\n';
  }
  return o;
}

Result<std::vector<LogEntry>> decode_log(std::string_view text) {
  std::vector<LogEntry> out;
  std::size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      return Error{"master log line " + std::to_string(line_no) + ": no final newline", Code::kCorruption};
    const std::string_view line = text.substr(pos, nl - pos);
    LogEntry e;
    if (!decode_one(line, &e))
      return Error{"master log line " + std::to_string(line_no) + ": malformed '" +
                       printable(line.substr(0, 80)) + "'",
                   Code::kCorruption};
    out.push_back(std::move(e));
    pos = nl + 1;
  }
  return out;
}

std::string describe(const LogEntry& e) {
  std::string o;
  encode_one(o, e);
  for (char& c : o)
    if (c == '\t') c = ' ';
  return o;
}

}  // namespace dla
