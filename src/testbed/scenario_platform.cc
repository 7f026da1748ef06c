// scenario.h: the "platform" part of a scenario: a platform file with its hostfile (hosts and
// speeds read from the XML), or a generated star of hosts with their speeds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

#include "testbed/scenario.h"
#include "testbed/scenario_json.h"

namespace dla::scen::detail {
namespace {

// Hosts declared in a platform file: <host id="X" speed="Y" [core="N"]> and <cluster prefix=...
// radical="a-b,c" suffix=... speed=... [core=N]>. Enough for our platforms; others give speed 0.
std::map<std::string, HostSpec> hosts_in_xml(const std::string& xml) {
  std::map<std::string, HostSpec> out;
  auto attr = [](const std::string& tag, const std::string& name) -> std::string {
    std::regex re("\\b" + name + "\\s*=\\s*[\"']([^\"']*)[\"']");
    std::smatch m;
    if (std::regex_search(tag, m, re)) return m[1];
    return "";
  };
  auto speed_of = [](const std::string& s) -> double {
    auto r = parse_speed(json(s));
    return r ? *r : 0;
  };
  std::regex tag_re("<(host|cluster)\\b[^>]*>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag_re); it != std::sregex_iterator(); ++it) {
    const std::string tag = (*it)[0];
    const std::string kind = (*it)[1];
    const std::string cores_s = attr(tag, "core");
    const int cores = cores_s.empty() ? 1 : std::max(1, std::atoi(cores_s.c_str()));
    const double speed = speed_of(attr(tag, "speed"));
    if (kind == "host") {
      HostSpec h{attr(tag, "id"), speed, cores};
      if (!h.name.empty()) out[h.name] = h;
    } else {
      const std::string prefix = attr(tag, "prefix"), suffix = attr(tag, "suffix"), radical = attr(tag, "radical");
      std::stringstream rs(radical);
      std::string part;
      while (std::getline(rs, part, ',')) {
        int a = 0, b = 0;
        if (std::sscanf(part.c_str(), "%d-%d", &a, &b) == 2) {
        } else if (std::sscanf(part.c_str(), "%d", &a) == 1) {
          b = a;
        } else {
          continue;
        }
        for (int i = a; i <= b; ++i) out[prefix + std::to_string(i) + suffix] = HostSpec{prefix + std::to_string(i) + suffix, speed, cores};
      }
    }
  }
  return out;
}

// ---- the parser -------------------------------------------------------------------------------

// A platform file and its hostfile (paths relative to the repository root): the hosts the hostfile
// lists, with the speeds the XML declares.
PlatformSpec parse_file_platform(Obj& o, const std::string& repo_root, Env& env) {
  PlatformSpec p;
  p.file = o.str("file", "");
  p.hostfile = o.str("hostfile", "");
  if (p.hostfile.empty()) {
    // platforms/x.xml -> platforms/x.hosts
    std::string base = p.file;
    if (base.size() > 4 && base.substr(base.size() - 4) == ".xml") base.resize(base.size() - 4);
    p.hostfile = base + ".hosts";
  }
  o.done({"file", "hostfile"});
  auto xml = read_file(env, under_root(repo_root, p.file));
  if (!xml) throw Bad{o.at("file") + ": cannot read " + p.file};
  auto hf = read_file(env, under_root(repo_root, p.hostfile));
  if (!hf) throw Bad{o.at("hostfile") + ": cannot read " + p.hostfile};
  auto declared = hosts_in_xml(*xml);
  std::istringstream hs(*hf);
  for (std::string line; std::getline(hs, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    int count = 1;
    if (colon != std::string::npos) {
      count = std::max(1, std::atoi(line.c_str() + colon + 1));
      line.resize(colon);
    }
    auto it = declared.find(line);
    if (it == declared.end()) throw Bad{o.at("hostfile") + ": host '" + line + "' is not declared in " + p.file};
    for (int i = 0; i < count; ++i) p.hosts.push_back(it->second);
  }
  if (p.hosts.empty()) throw Bad{o.at("hostfile") + ": " + p.hostfile + " lists no host"};
  return p;
}

// The host speeds of a generated platform: one of "speeds" (a list, repeated), "speed" or
// "speed_range" (log-uniform, seeded); 1 Gf when none is given.
std::vector<double> parse_host_speeds(Obj& o, int n, std::uint64_t* seed_used) {
  std::vector<double> speeds;
  int given = 0;
  if (o.has("speeds")) {
    ++given;
    const json& v = o.get("speeds");
    if (!v.is_array()) throw Bad{o.at("speeds") + ": must be a list of speeds (one per host, or a pattern repeated)"};
    if (v.empty()) throw Bad{o.at("speeds") + ": must not be empty"};
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto r = parse_speed(v[i]);
      if (!r) throw Bad{o.at("speeds") + "[" + std::to_string(i) + "]: " + r.error()};
      if (*r <= 0) throw Bad{o.at("speeds") + "[" + std::to_string(i) + "]: a host speed must be > 0"};
      speeds.push_back(*r);
    }
    if (static_cast<int>(speeds.size()) > n) throw Bad{o.at("speeds") + ": " + std::to_string(speeds.size()) + " speeds for " + std::to_string(n) + " hosts"};
  }
  if (o.has("speed")) {
    ++given;
    speeds = {o.unit("speed", parse_speed, 1e9, 1, 1e18)};
  }
  if (o.has("speed_range")) {
    ++given;
    const json& v = o.get("speed_range");
    if (!v.is_array() || v.size() != 2) throw Bad{o.at("speed_range") + ": must be [min, max]"};
    auto lo = parse_speed(v[0]), hi = parse_speed(v[1]);
    if (!lo || !hi) throw Bad{o.at("speed_range") + ": " + (lo ? hi.error() : lo.error())};
    if (!(*lo > 0 && *hi >= *lo)) throw Bad{o.at("speed_range") + ": need 0 < min <= max"};
    const std::uint64_t seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 2147483647));
    *seed_used = seed;
    SplitMix64 rng(seed * 7919 + 17);
    // Log-uniform: as many hosts 2x faster as 2x slower than the geometric middle.
    for (int i = 0; i < n; ++i) speeds.push_back(*lo * std::pow(*hi / *lo, rng.uniform()));
  } else if (o.has("seed")) {
    throw Bad{o.at("seed") + ": only meaningful with speed_range"};
  }
  if (given > 1) throw Bad{o.path() + ": give one of speeds, speed, speed_range"};
  if (speeds.empty()) speeds = {1e9};
  return speeds;
}

}  // namespace

PlatformSpec parse_platform(Obj& o, const std::string& repo_root, std::uint64_t* seed_used, Env& env) {
  if (o.has("file")) return parse_file_platform(o, repo_root, env);
  PlatformSpec p;
  p.generated = true;
  if (!o.has("hosts")) throw Bad{o.path() + ": needs either \"file\" (a platform in platforms/) or \"hosts\" (a generated platform)"};
  const int n = o.integer("hosts", 0, 1, 100000);
  const std::string prefix = o.str("prefix", "node-");
  if (prefix.empty() || prefix.find_first_of("<>\"'& ") != std::string::npos) throw Bad{o.at("prefix") + ": must be a plain non-empty name"};
  const int cores = o.integer("cores", 1, 1, 1024);
  const std::vector<double> speeds = parse_host_speeds(o, n, seed_used);
  for (int i = 0; i < n; ++i)
    p.hosts.push_back(HostSpec{prefix + std::to_string(i), speeds[static_cast<std::size_t>(i) % speeds.size()], cores});
  p.bandwidth = o.unit("bandwidth", parse_bandwidth, p.bandwidth, 1, 1e15);
  p.latency = o.unit("latency", parse_duration, p.latency, 0, 3600);
  p.backbone_bandwidth = o.unit("backbone_bandwidth", parse_bandwidth, p.backbone_bandwidth, 1, 1e15);
  p.backbone_latency = o.unit("backbone_latency", parse_duration, p.backbone_latency, 0, 3600);
  o.done({"hosts", "prefix", "cores", "speeds", "speed", "speed_range", "seed", "bandwidth", "latency",
          "backbone_bandwidth", "backbone_latency"});
  return p;
}

}  // namespace dla::scen::detail
