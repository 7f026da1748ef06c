// scenario.h: units of measure (durations, speeds, bandwidths, sizes) and Scenario::host_of.
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "testbed/scenario.h"

namespace dla::scen {
namespace {

using nlohmann::json;

Result<double> parse_with_units(const json& v, double number_scale, const std::vector<std::pair<std::string, double>>& units,
                                const char* what) {
  if (v.is_number()) {
    double d = v.get<double>() * number_scale;
    if (!std::isfinite(d) || d < 0) return Error{std::string("must be a non-negative ") + what};
    return d;
  }
  if (!v.is_string()) return Error{std::string("must be a number or a string with a unit (") + what + ")"};
  const std::string s = v.get<std::string>();
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno) return Error{"'" + s + "' is not a " + what};
  std::string u(end);
  while (!u.empty() && u.front() == ' ') u.erase(0, 1);
  for (const auto& [name, scale] : units) {
    if (u == name) {
      d *= scale;
      if (!std::isfinite(d) || d < 0) return Error{"'" + s + "' must be a non-negative " + what};
      return d;
    }
  }
  std::string list;
  for (const auto& p : units) list += (list.empty() ? "" : ", ") + p.first;
  return Error{"'" + s + "': unknown unit '" + u + "' for a " + what + " (use " + list + ")"};
}

}  // namespace

const HostSpec& Scenario::host_of(int rank) const {
  return platform.hosts[static_cast<std::size_t>(rank) % platform.hosts.size()];
}

// ---- units ----

Result<double> parse_duration(const json& v) {
  return parse_with_units(v, 1, {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"min", 60}}, "duration");
}
Result<double> parse_speed(const json& v) {
  return parse_with_units(v, 1e9,
                          {{"f", 1}, {"kf", 1e3}, {"Mf", 1e6}, {"Gf", 1e9}, {"Tf", 1e12}, {"flops", 1}, {"Gflops", 1e9}},
                          "speed");
}
Result<double> parse_bandwidth(const json& v) {
  return parse_with_units(v, 1,
                          {{"Bps", 1}, {"kBps", 1e3}, {"KBps", 1e3}, {"MBps", 1e6}, {"GBps", 1e9}, {"TBps", 1e12},
                           {"KiBps", 1024.0}, {"MiBps", 1048576.0}, {"GiBps", 1073741824.0},
                           {"bps", 0.125}, {"kbps", 125}, {"Mbps", 125e3}, {"Gbps", 125e6}},
                          "bandwidth");
}
Result<std::uint64_t> parse_size(const json& v) {
  if (v.is_number_integer()) {
    if (v.get<long long>() < 0) return Error{"a size must be >= 0"};
    return v.get<std::uint64_t>();
  }
  auto r = parse_with_units(v, 1, {{"B", 1}, {"", 1}, {"kB", 1e3}, {"KB", 1e3}, {"KiB", 1024.0}, {"MB", 1e6},
                                   {"MiB", 1048576.0}, {"GB", 1e9}, {"GiB", 1073741824.0}},
                            "size");
  if (!r) return Error{r.error()};
  return static_cast<std::uint64_t>(std::llround(*r));
}

}  // namespace dla::scen
