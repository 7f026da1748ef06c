#include "stream/follow_wire.h"

#include <sstream>

#include "base/names.h"

namespace dla::stream {
namespace {

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (true) {
    const std::size_t j = line.find('\t', i);
    out.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) return out;
    i = j + 1;
  }
}

bool num(const std::string& s, std::uint64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *v = x;
  return true;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

Error bad(const std::string& what, const std::string& line) { return Error{"follow message: bad " + what + ": " + escape_name(line), Code::kCorruption}; }

Result<Order> decode_order(const std::string& l) {
  const auto f = fields(l);
  Order o;
  std::uint64_t ending = 0;
  if (f.size() == 3 && f[0] == "E" && num(f[1], &o.key) && num(f[2], &o.epoch)) {
    o.kind = Order::kEnd;
    return o;
  }
  if (f.size() != 10 || f[0] != "F" || !num(f[1], &o.key) || !num(f[2], &o.epoch) || !num(f[3], &ending) ||
      !num(f[5], &o.pos.dev) || !num(f[6], &o.pos.ino) || !num(f[8], &o.pos.offset))
    return bad("order", l);
  auto name = unescape_name(f[4]);
  auto fp = from_hex(f[7]);
  if (!name || !fp) return bad("order", l);
  o.ending = ending != 0;
  o.name = *name;
  o.pos.fp = *fp;
  o.pos.format = f[9];
  return o;
}

Result<Report> decode_report(const std::string& l) {
  const auto f = fields(l);
  Report r;
  if (f.size() == 1 && f[0] == "Z") {
    r.kind = Report::kDone;
    return r;
  }
  if (f.size() < 3 || !num(f[1], &r.key) || !num(f[2], &r.epoch)) return bad("report", l);
  std::uint64_t lost = 0;
  if (f[0] == "T" && f.size() == 4 && num(f[3], &r.end)) {
    r.kind = Report::kTruncated;
    return r;
  }
  if (f[0] == "X" && f.size() == 4 && num(f[3], &lost)) {
    r.kind = Report::kEnded;
    r.lost = lost != 0;
    return r;
  }
  if (f[0] != "D" || f.size() != 8 || !num(f[3], &r.from) || !num(f[4], &r.to)) return bad("report", l);
  auto fp = from_hex(f[5]);
  auto c = counts_from_wire(f[7]);
  if (!fp || !c) return bad("report", l);
  r.fp = *fp;
  r.format = f[6];
  r.counts = *c;
  return r;
}

}  // namespace

std::string encode_orders(const std::vector<Order>& orders) {
  std::string o;
  for (const auto& x : orders) {
    if (x.kind == Order::kEnd) {
      o += "E\t" + std::to_string(x.key) + "\t" + std::to_string(x.epoch) + "\n";
      continue;
    }
    o += "F\t" + std::to_string(x.key) + "\t" + std::to_string(x.epoch) + "\t" + (x.ending ? "1" : "0") + "\t" + escape_name(x.name) +
         "\t" + std::to_string(x.pos.dev) + "\t" + std::to_string(x.pos.ino) + "\t" + to_hex(x.pos.fp) + "\t" +
         std::to_string(x.pos.offset) + "\t" + x.pos.format + "\n";
  }
  return o;
}

Result<std::vector<Order>> decode_orders(const std::string& text) {
  std::vector<Order> out;
  for (const auto& l : lines_of(text)) {
    auto o = decode_order(l);
    if (!o) return o.err();
    out.push_back(std::move(*o));
  }
  return out;
}

std::string encode_reports(const std::vector<Report>& reports) {
  std::string o;
  for (const auto& r : reports) {
    const std::string head = "\t" + std::to_string(r.key) + "\t" + std::to_string(r.epoch) + "\t";
    switch (r.kind) {
      case Report::kDone: o += "Z\n"; break;
      case Report::kTruncated: o += "T" + head + std::to_string(r.end) + "\n"; break;
      case Report::kEnded: o += "X" + head + (r.lost ? "1" : "0") + "\n"; break;
      case Report::kDelta:
        o += "D" + head + std::to_string(r.from) + "\t" + std::to_string(r.to) + "\t" + to_hex(r.fp) + "\t" + r.format + "\t" +
             counts_to_wire(r.counts) + "\n";
        break;
    }
  }
  return o;
}

Result<std::vector<Report>> decode_reports(const std::string& text) {
  std::vector<Report> out;
  for (const auto& l : lines_of(text)) {
    auto r = decode_report(l);
    if (!r) return r.err();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace dla::stream
