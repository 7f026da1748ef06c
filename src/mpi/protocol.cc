#include "mpi/protocol.h"

#include <charconv>

#include "base/names.h"

namespace dla::mpi::proto {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

// Lines of a payload; the last line ends with '\n' too (an empty payload has no line).
Result<std::vector<std::string_view>> lines_of(std::string_view text) {
  if (text.empty()) return std::vector<std::string_view>{};
  if (text.back() != '\n') return Error{"protocol: message does not end with a newline", Code::kCorruption};
  text.remove_suffix(1);
  return split(text, '\n');
}

template <class T>
bool number(std::string_view s, T* v) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Error bad(const char* what) { return Error{std::string("protocol: malformed ") + what, Code::kCorruption}; }

bool unescape(std::string_view s, std::string* out) {
  auto r = unescape_name(s);
  if (!r) return false;
  *out = std::move(*r);
  return true;
}

const char* kind_name(ResultMsg::Kind k) {
  switch (k) {
    case ResultMsg::Ok: return "ok";
    case ResultMsg::Err: return "err";
    case ResultMsg::Cancelled: return "cancel";
  }
  return "?";
}

bool parse_kind(std::string_view s, ResultMsg::Kind* k) {
  if (s == "ok") *k = ResultMsg::Ok;
  else if (s == "err") *k = ResultMsg::Err;
  else if (s == "cancel") *k = ResultMsg::Cancelled;
  else return false;
  return true;
}

}  // namespace

std::string counts_field(const Counts& c) { return counts_to_wire(c); }

Result<Counts> parse_counts_field(std::string_view s) {
  auto c = counts_from_wire(s);
  if (!c) return Error{"protocol: malformed counts: " + c.error(), Code::kCorruption};
  return c;
}

std::string encode_plan(const Plan& p) {
  if (!p.error.empty()) return "error\t" + escape_name(p.error) + "\n";
  return "plan\t" + escape_name(p.format) + "\n";
}

Result<Plan> decode_plan(std::string_view text) {
  auto lines = lines_of(text);
  if (!lines || lines->size() != 1) return bad("plan");
  const auto f = split((*lines)[0], '\t');
  Plan p;
  if (f.size() != 2 || (f[0] != "plan" && f[0] != "error")) return bad("plan");
  if (!unescape(f[1], f[0] == "plan" ? &p.format : &p.error)) return bad("plan");
  if (f[0] == "error" && p.error.empty()) p.error = "the master could not start";
  return p;
}

std::string encode_assign(const Assignment& a) {
  std::string s = "assign\t" + std::to_string(a.refill) + (a.answer ? "\t1\n" : "\t0\n");
  for (const auto& t : a.tasks) {
    s += std::to_string(t.id) + '\t' + std::to_string(t.offset) + '\t' + std::to_string(t.length) + '\t' +
         std::to_string(t.size) + '\t' + std::to_string(t.attempt) + '\t' + escape_name(t.path) + '\t' +
         escape_name(t.name);
    if (t.block >= 0) {
      std::string hs;
      for (int h : t.holders) hs += (hs.empty() ? "" : ",") + std::to_string(h);
      s += '\t' + std::to_string(t.block) + '\t' + std::to_string(t.crc) + '\t' + hs + '\t' + escape_name(t.format);
    }
    s += '\n';
  }
  return s;
}

namespace {

// The --store fields of an ASSIGN task line: block crc holders format.
bool store_fields(const std::vector<std::string_view>& f, TaskMsg* t) {
  if (!number(f[7], &t->block) || t->block < 0 || !number(f[8], &t->crc) || !unescape(f[10], &t->format)) return false;
  if (f[9].empty()) return true;
  for (auto h : split(f[9], ',')) {
    int r = 0;
    if (!number(h, &r) || r < 0) return false;
    t->holders.push_back(r);
  }
  return true;
}

}  // namespace

Result<Assignment> decode_assign(std::string_view text) {
  auto lines = lines_of(text);
  if (!lines || lines->size() < 2) return bad("assignment");
  Assignment out;
  const auto head = split((*lines)[0], '\t');
  if (head.size() != 3 || head[0] != "assign" || !number(head[1], &out.refill) || out.refill < 0 ||
      (head[2] != "0" && head[2] != "1"))
    return bad("assignment");
  out.answer = head[2] == "1";
  out.tasks.reserve(lines->size() - 1);
  for (std::size_t i = 1; i < lines->size(); ++i) {
    const auto line = (*lines)[i];
    const auto f = split(line, '\t');
    TaskMsg t;
    if ((f.size() != 7 && f.size() != 11) || !number(f[0], &t.id) || !number(f[1], &t.offset) || !number(f[2], &t.length) ||
        !number(f[3], &t.size) || !number(f[4], &t.attempt) || !unescape(f[5], &t.path) || !unescape(f[6], &t.name) ||
        t.id < 0 || t.attempt < 1 || (f.size() == 11 && !store_fields(f, &t)))
      return bad("assignment");
    out.tasks.push_back(std::move(t));
  }
  return out;
}

std::string encode_results(const std::vector<ResultMsg>& results) {
  std::string s;
  for (const auto& r : results) {
    s += std::to_string(r.task) + '\t' + kind_name(r.kind) + '\t' + std::to_string(r.started_us) + '\t' +
         escape_name(r.format) + '\t';
    if (r.kind == ResultMsg::Ok) s += counts_field(r.counts);
    else if (r.kind == ResultMsg::Err) s += escape_name(r.error);
    if (r.store)
      s += '\t' + std::to_string(r.local_bytes) + ',' + std::to_string(r.remote_bytes) + ',' + std::to_string(r.repaired);
    s += '\n';
  }
  return s;
}

namespace {

// "local,remote,repaired" (--store).
bool store_stats(std::string_view s, ResultMsg* r) {
  const auto p = split(s, ',');
  r->store = true;
  return p.size() == 3 && number(p[0], &r->local_bytes) && number(p[1], &r->remote_bytes) && number(p[2], &r->repaired) &&
         r->repaired >= -1;
}

// The five RESULT fields f[0..4] of one line (and the --store stats, f[5]).
Result<ResultMsg> result_fields(const std::vector<std::string_view>& f) {
  ResultMsg r;
  if ((f.size() != 5 && f.size() != 6) || (f.size() == 6 && !store_stats(f[5], &r)) || !number(f[0], &r.task) || !parse_kind(f[1], &r.kind) || !number(f[2], &r.started_us) ||
      !unescape(f[3], &r.format))
    return bad("result");
  if (r.kind == ResultMsg::Ok) {
    auto c = parse_counts_field(f[4]);
    if (!c) return c.err();
    r.counts = std::move(*c);
  } else if (r.kind == ResultMsg::Err) {
    if (!unescape(f[4], &r.error)) return bad("result");
  } else if (!f[4].empty()) {
    return bad("result");
  }
  return r;
}

}  // namespace

Result<std::vector<ResultMsg>> decode_results(std::string_view text) {
  auto lines = lines_of(text);
  if (!lines || lines->empty()) return bad("result");
  std::vector<ResultMsg> out;
  out.reserve(lines->size());
  for (auto line : *lines) {
    auto r = result_fields(split(line, '\t'));
    if (!r) return r.err();
    out.push_back(std::move(*r));
  }
  return out;
}

std::string encode_rejoin(const Rejoin& r) {
  std::string s = "rejoin\t" + std::to_string(r.term) + '\t' + std::to_string(r.pid) + '\t' + escape_name(r.host) + '\n';
  for (const auto& k : r.results)
    s += std::to_string(k.offset) + '\t' + std::to_string(k.length) + '\t' + escape_name(k.name) + '\t' +
         encode_results({k.result});
  return s;
}

Result<Rejoin> decode_rejoin(std::string_view text) {
  auto lines = lines_of(text);
  if (!lines || lines->empty()) return bad("rejoin");
  Rejoin out;
  const auto head = split((*lines)[0], '\t');
  if (head.size() != 4 || head[0] != "rejoin" || !number(head[1], &out.term) || out.term < 1 ||
      !number(head[2], &out.pid) || !unescape(head[3], &out.host))
    return bad("rejoin");
  for (std::size_t i = 1; i < lines->size(); ++i) {
    auto f = split((*lines)[i], '\t');
    KeptResult k;
    if ((f.size() != 8 && f.size() != 9) || !number(f[0], &k.offset) || !number(f[1], &k.length) || !unescape(f[2], &k.name))
      return bad("rejoin");
    auto r = result_fields({f.begin() + 3, f.end()});
    if (!r || r->kind == ResultMsg::Cancelled || r->task < 0) return bad("rejoin");
    k.result = std::move(*r);
    out.results.push_back(std::move(k));
  }
  return out;
}

}  // namespace dla::mpi::proto
