#include "base/levels.h"

#include <algorithm>
#include <charconv>

namespace dla {

bool valid_level_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'; });
}

std::uint64_t& Counts::operator[](std::string_view name) {
  auto it = level.find(name);
  if (it == level.end()) it = level.emplace(std::string(name), 0).first;
  return it->second;
}

std::uint64_t Counts::get(std::string_view name) const {
  auto it = level.find(name);
  return it == level.end() ? 0 : it->second;
}

Counts& Counts::operator+=(const Counts& o) {
  for (const auto& [name, n] : o.level)
    if (n != 0) (*this)[name] += n;
  lines += o.lines;
  return *this;
}

Counts& Counts::operator-=(const Counts& o) {
  for (const auto& [name, n] : o.level) {
    auto it = level.find(name);
    if (it == level.end()) continue;
    it->second -= std::min(it->second, n);
    if (it->second == 0) level.erase(it);
  }
  lines -= std::min(lines, o.lines);
  return *this;
}

bool operator==(const Counts& a, const Counts& b) {
  if (a.lines != b.lines) return false;
  auto nonzero_in = [](const Counts& x, const Counts& y) {
    return std::all_of(x.level.begin(), x.level.end(),
                       [&](const auto& kv) { return kv.second == 0 || y.get(kv.first) == kv.second; });
  };
  return nonzero_in(a, b) && nonzero_in(b, a);
}

std::uint64_t Counts::leveled() const {
  std::uint64_t n = 0;
  for (const auto& kv : level) n = kv.second > ~n ? ~std::uint64_t{0} : n + kv.second;  // saturates
  return n;
}

std::vector<std::string> report_levels(const Counts& c) {
  std::vector<std::string> names(kLevelNames.begin(), kLevelNames.end());
  for (const auto& [name, n] : c.level)
    if (n != 0 && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json counts_json(const Counts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& name : report_levels(c)) j[name] = c.get(name);
  return j;
}

Result<Counts> counts_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Error{"counts are not a JSON object", Code::kCorruption};
  Counts c;
  for (const auto& [key, v] : j.items()) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 && !v.is_number_unsigned()) return Error{"count of '" + key + "' is not a non-negative integer", Code::kCorruption};
    const auto n = v.get<std::uint64_t>();
    if (key == "lines") {
      c.lines = n;
    } else if (valid_level_name(key)) {
      if (n != 0) c[key] = n;
    } else {
      return Error{"'" + key + "' is not a level name", Code::kCorruption};
    }
  }
  return c;
}

std::string counts_to_wire(const Counts& c) {
  std::string s = std::to_string(c.lines);
  for (const auto& [name, n] : c.level)
    if (n != 0) s += ' ' + name + '=' + std::to_string(n);
  return s;
}

namespace {
bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

Result<Counts> counts_from_wire(std::string_view text) {
  const Error bad{"malformed counts '" + std::string(text.substr(0, 80)) + "'", Code::kCorruption};
  Counts c;
  std::size_t pos = text.find(' ');
  if (!parse_u64(text.substr(0, pos), &c.lines)) return bad;
  std::uint64_t sum = 0;
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 1, end = text.find(' ', start);
    const std::string_view item = text.substr(start, end == std::string_view::npos ? end : end - start);
    const std::size_t eq = item.find('=');
    std::uint64_t n = 0;
    if (eq == std::string_view::npos || !valid_level_name(item.substr(0, eq)) || !parse_u64(item.substr(eq + 1), &n) ||
        n == 0 || c.level.count(item.substr(0, eq)) != 0)
      return bad;
    c[item.substr(0, eq)] = n;
    if (n > c.lines - sum) return bad;
    sum += n;
    pos = end;
  }
  return c;
}

}  // namespace dla
