#include "testbed/scenario.h"

#include "scan/discovery.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <dirent.h>
#include <sys/stat.h>

namespace dla::scen {
namespace {

using nlohmann::json;

// Internal: validation errors travel as exceptions inside the parser and leave it as Error values.
struct Bad {
  std::string msg;
};

std::string limit_reason() {
  return " (the testbed's bound, set for a 2-core, 24 GB machine: see kMaxRanks in testbed/scenario.h)";
}

std::string fmt_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// A JSON object being read: remembers which keys were used, so that unknown ones are errors.
class Obj {
 public:
  Obj(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw Bad{path_ + ": must be an object"};
  }
  bool has(const std::string& k) const { return j_.contains(k); }
  const json& get(const std::string& k) {
    used_.insert(k);
    return j_.at(k);
  }
  std::string at(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }
  const std::string& path() const { return path_; }

  double num(const std::string& k, double def, double lo, double hi) {
    if (!has(k)) return def;
    const json& v = get(k);
    if (!v.is_number()) throw Bad{at(k) + ": must be a number"};
    double d = v.get<double>();
    if (!(d >= lo && d <= hi)) throw Bad{at(k) + ": " + fmt_num(d) + " is out of range [" + fmt_num(lo) + ", " + fmt_num(hi) + "]"};
    return d;
  }
  int integer(const std::string& k, int def, int lo, int hi) {
    if (!has(k)) return def;
    const json& v = get(k);
    if (!v.is_number_integer()) throw Bad{at(k) + ": must be an integer"};
    auto d = v.get<long long>();
    if (d < lo || d > hi) throw Bad{at(k) + ": " + std::to_string(d) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"};
    return static_cast<int>(d);
  }
  std::string str(const std::string& k, const std::string& def) {
    if (!has(k)) return def;
    const json& v = get(k);
    if (!v.is_string()) throw Bad{at(k) + ": must be a string"};
    return v.get<std::string>();
  }
  bool boolean(const std::string& k, bool def) {
    if (!has(k)) return def;
    const json& v = get(k);
    if (!v.is_boolean()) throw Bad{at(k) + ": must be true or false"};
    return v.get<bool>();
  }
  template <class F>
  auto unit(const std::string& k, F parse, double def, double lo, double hi) -> double {
    if (!has(k)) return def;
    auto r = parse(get(k));
    if (!r) throw Bad{at(k) + ": " + r.error()};
    double d = *r;
    if (!(d >= lo && d <= hi)) throw Bad{at(k) + ": " + fmt_num(d) + " is out of range [" + fmt_num(lo) + ", " + fmt_num(hi) + "]"};
    return d;
  }
  // Unknown keys are errors; the message lists the known ones.
  void done(const std::vector<std::string>& allowed) const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (used_.count(it.key())) continue;
      if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Bad{at(it.key()) + ": unknown key (known: " + list + ")"};
    }
  }

 private:
  const json& j_;
  std::string path_;
  std::set<std::string> used_;
};

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

std::string read_text(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  *ok = static_cast<bool>(f);
  std::ostringstream ss;
  if (f) ss << f.rdbuf();
  return ss.str();
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}


Status write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Error{"cannot write " + path + ": " + std::strerror(errno)};
  f << text;
  f.flush();
  if (!f) return Error{"cannot write " + path};
  return OkStatus();
}

std::string join_path(const std::string& root, const std::string& p) {
  if (p.empty() || p[0] == '/' || root.empty()) return p;
  return root + "/" + p;
}

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

PlatformSpec parse_platform(Obj& o, const std::string& repo_root, std::uint64_t* seed_used) {
  PlatformSpec p;
  if (o.has("file")) {
    p.file = o.str("file", "");
    p.hostfile = o.str("hostfile", "");
    if (p.hostfile.empty()) {
      // platforms/x.xml -> platforms/x.hosts
      std::string base = p.file;
      if (base.size() > 4 && base.substr(base.size() - 4) == ".xml") base.resize(base.size() - 4);
      p.hostfile = base + ".hosts";
    }
    o.done({"file", "hostfile"});
    bool ok = false;
    const std::string xml = read_text(join_path(repo_root, p.file), &ok);
    if (!ok) throw Bad{o.at("file") + ": cannot read " + p.file};
    const std::string hf = read_text(join_path(repo_root, p.hostfile), &ok);
    if (!ok) throw Bad{o.at("hostfile") + ": cannot read " + p.hostfile};
    auto declared = hosts_in_xml(xml);
    std::istringstream hs(hf);
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
  p.generated = true;
  if (!o.has("hosts")) throw Bad{o.path() + ": needs either \"file\" (a platform in platforms/) or \"hosts\" (a generated platform)"};
  const int n = o.integer("hosts", 0, 1, 100000);
  const std::string prefix = o.str("prefix", "node-");
  if (prefix.empty() || prefix.find_first_of("<>\"'& ") != std::string::npos) throw Bad{o.at("prefix") + ": must be a plain non-empty name"};
  const int cores = o.integer("cores", 1, 1, 1024);
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

InputSpec parse_input(Obj& o, const std::string& repo_root) {
  InputSpec in;
  int kinds = o.has("dir") + o.has("lines") + o.has("size") + o.has("sizes");
  if (kinds != 1)
    throw Bad{o.path() + ": give exactly one of \"dir\" (existing logs), \"lines\" (generated by line count), "
              "\"size\" (generated by size distribution), \"sizes\" (explicit file sizes)"};
  if (o.has("dir")) {
    in.kind = InputSpec::Dir;
    in.dir = o.str("dir", "");
    if (!is_dir(join_path(repo_root, in.dir))) throw Bad{o.at("dir") + ": " + in.dir + " is not a directory"};
    o.done({"dir"});
    return in;
  }
  if (o.has("lines")) {
    in.kind = InputSpec::Lines;
    in.gen.files = o.integer("files", 10, 1, kMaxFiles);
    in.gen.lines = static_cast<std::uint64_t>(o.integer("lines", 5000, 0, 100000000));
    in.gen.skew = o.num("skew", 0, 0, 10);
    in.gen.seed = static_cast<std::uint64_t>(o.integer("seed", 42, 0, 2147483647));
    in.gen.mixed = o.boolean("mixed", false);
    o.done({"files", "lines", "skew", "seed", "mixed"});
    if (static_cast<double>(in.gen.files) * static_cast<double>(in.gen.lines) > 2e8)
      throw Bad{o.path() + ": files * lines is over 200 million lines: too big for a scenario"};
    return in;
  }
  in.kind = InputSpec::Sizes;
  in.seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 2147483647));
  if (o.has("sizes")) {
    const json& v = o.get("sizes");
    if (!v.is_array() || v.empty()) throw Bad{o.at("sizes") + ": must be a non-empty list of file sizes"};
    if (v.size() > static_cast<std::size_t>(kMaxFiles)) throw Bad{o.at("sizes") + ": at most " + std::to_string(kMaxFiles) + " files"};
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto r = parse_size(v[i]);
      if (!r) throw Bad{o.at("sizes") + "[" + std::to_string(i) + "]: " + r.error()};
      in.sizes.push_back(*r);
    }
    o.done({"sizes", "seed"});
  } else {
    const int files = o.integer("files", 10, 1, kMaxFiles);
    auto r = draw_sizes(o.get("size"), files, in.seed);
    if (!r) throw Bad{o.at("size") + ": " + r.error()};
    in.sizes = std::move(*r);
    o.done({"files", "size", "seed"});
  }
  double total = 0;
  for (auto s : in.sizes) total += static_cast<double>(s);
  if (total > 4e9) throw Bad{o.path() + ": the generated input would be over 4 GB"};
  return in;
}

const std::vector<std::string> kPolicies = {"dynamic", "static"};

ProgramOptions parse_options(Obj& o) {
  ProgramOptions p;
  p.policy = o.str("policy", p.policy);
  p.timeout = o.unit("timeout", parse_duration, p.timeout, 1e-6, 1e6);
  p.heartbeat = o.unit("heartbeat", parse_duration, p.heartbeat, 1e-6, 1e6);
  p.master_timeout = o.unit("master_timeout", parse_duration, p.master_timeout, 1e-6, 1e6);
  p.poll = o.unit("poll", parse_duration, -1, 1e-7, 10);
  if (o.has("split_bytes")) {
    auto r = parse_size(o.get("split_bytes"));
    if (!r) throw Bad{o.at("split_bytes") + ": " + r.error()};
    p.split_bytes = *r;
  }
  p.flops_per_byte = o.num("flops_per_byte", p.flops_per_byte, 1e-9, 1e12);
  if (p.flops_per_byte <= 0) throw Bad{o.at("flops_per_byte") + ": must be > 0"};
  p.throttle = o.unit("throttle", parse_bandwidth, 0, 0, 1e15);
  if (o.has("slow")) {
    const json& v = o.get("slow");
    if (!v.is_array()) throw Bad{o.at("slow") + ": must be a list of {\"rank\": R, \"factor\": F}"};
    for (std::size_t i = 0; i < v.size(); ++i) {
      Obj s(v[i], o.at("slow") + "[" + std::to_string(i) + "]");
      SlowRank r;
      if (!s.has("rank") || !s.has("factor")) throw Bad{s.path() + ": needs rank and factor"};
      r.rank = s.integer("rank", 0, 0, 1000000);
      r.factor = s.num("factor", 1, 1e-3, 1e6);
      s.done({"rank", "factor"});
      p.slow.push_back(r);
    }
  }
  p.checkpoint = o.boolean("checkpoint", false);
  p.checkpoint_every = o.integer("checkpoint_every", p.checkpoint_every, 1, 1000000);
  p.checkpoint_interval = o.unit("checkpoint_interval", parse_duration, 0, 0, 1e6);
  if (!p.checkpoint && (o.has("checkpoint_every") || o.has("checkpoint_interval")))
    throw Bad{o.at("checkpoint_every") + ": checkpoint_every/checkpoint_interval need \"checkpoint\": true"};
  if (o.has("extra_args")) {
    const json& v = o.get("extra_args");
    if (!v.is_array()) throw Bad{o.at("extra_args") + ": must be a list of strings"};
    for (const auto& a : v) {
      if (!a.is_string()) throw Bad{o.at("extra_args") + ": must be a list of strings"};
      p.extra_args.push_back(a.get<std::string>());
    }
  }
  o.done({"policy", "timeout", "heartbeat", "master_timeout", "poll", "split_bytes", "flops_per_byte", "throttle", "slow",
          "checkpoint", "checkpoint_every", "checkpoint_interval", "extra_args"});
  if (std::find(kPolicies.begin(), kPolicies.end(), p.policy) == kPolicies.end())
    throw Bad{o.at("policy") + ": unknown policy '" + p.policy + "' (known: dynamic, static)"};
  if (p.heartbeat >= p.timeout)
    throw Bad{o.at("heartbeat") + ": the heartbeat (" + fmt_num(p.heartbeat) + " s) must be shorter than the timeout (" +
              fmt_num(p.timeout) + " s), or every busy worker is declared failed"};
  return p;
}

const HostSpec* find_host(const Scenario& s, const std::string& name) {
  for (const auto& h : s.platform.hosts)
    if (h.name == name) return &h;
  return nullptr;
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

// ---- loading ----

Status check_scenario_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
    return Error{"scenario name '" + name + "' cannot name a run directory: it must be non-empty, without '/' and not start with '.' (name the scenario's folder or file, e.g. scenarios/NAME)"};
  return OkStatus();
}

Result<Scenario> parse_scenario(const json& j, const std::string& name, const std::string& repo_root) {
  if (auto ok = check_scenario_name(name); !ok) return ok.err();
  Scenario s;
  s.name = name;
  try {
    Obj o(j, "");
    s.description = o.str("description", "");
    if (o.has("tags")) {
      const json& t = o.get("tags");
      if (!t.is_array()) throw Bad{"tags: must be a list of strings"};
      for (const auto& x : t) {
        if (!x.is_string()) throw Bad{"tags: must be a list of strings"};
        s.tags.push_back(x.get<std::string>());
      }
    }
    if (!o.has("platform")) throw Bad{"platform: missing (a platform file or a generated one)"};
    std::uint64_t seed = 0;
    {
      Obj p(o.get("platform"), "platform");
      s.platform = parse_platform(p, repo_root, &seed);
    }
    const int hosts = static_cast<int>(s.platform.hosts.size());
    if (hosts > kMaxRanks) throw Bad{"platform: " + std::to_string(hosts) + " hosts: at most " + std::to_string(kMaxRanks) + limit_reason()};
    s.ranks_per_host = o.integer("ranks_per_host", 1, 1, kMaxRanks);
    if (!o.has("ranks") && hosts * s.ranks_per_host > kMaxRanks)
      throw Bad{"ranks_per_host: " + std::to_string(hosts * s.ranks_per_host) + " ranks: at most " + std::to_string(kMaxRanks) + limit_reason()};
    if (o.has("ranks")) {
      const json& r = o.get("ranks");
      if (r.is_number_integer() && r.get<long long>() > kMaxRanks)
        throw Bad{"ranks: " + std::to_string(r.get<long long>()) + " ranks: at most " + std::to_string(kMaxRanks) + limit_reason()};
    }
    s.ranks = o.integer("ranks", hosts * s.ranks_per_host, 2, kMaxRanks);
    if (o.has("ranks") && o.has("ranks_per_host")) throw Bad{"ranks: give ranks or ranks_per_host, not both"};
    if (s.ranks < 2) throw Bad{"ranks: at least 2 ranks (a master and a worker)"};
    if (!o.has("input")) throw Bad{"input: missing (\"dir\", or a generated set)"};
    {
      Obj in(o.get("input"), "input");
      s.input = parse_input(in, repo_root);
    }
    if (o.has("options")) {
      Obj op(o.get("options"), "options");
      s.options = parse_options(op);
    }
    for (const auto& sr : s.options.slow)
      if (sr.rank >= s.ranks) throw Bad{"options.slow: rank " + std::to_string(sr.rank) + " does not exist (" + std::to_string(s.ranks) + " ranks)"};
    if (o.has("faults")) {
      const json& v = o.get("faults");
      if (!v.is_array()) throw Bad{"faults: must be a list"};
      for (std::size_t i = 0; i < v.size(); ++i) {
        Obj f(v[i], "faults[" + std::to_string(i) + "]");
        Fault x;
        const std::string kind = f.str("kind", "crash");
        if (kind == "crash") x.kind = Fault::Crash;
        else if (kind == "hang") x.kind = Fault::Hang;
        else if (kind == "exit") x.kind = Fault::Exit;
        else if (kind == "host-off") x.kind = Fault::HostOff;
        else throw Bad{f.at("kind") + ": unknown fault '" + kind + "' (known: crash, hang, exit, host-off)"};
        if (!f.has("at")) throw Bad{f.path() + ": needs \"at\" (seconds of simulated time)"};
        x.at = f.unit("at", parse_duration, 0, 0, 1e6);
        const int who = f.has("rank") + f.has("host") + f.has("master");
        if (who != 1) throw Bad{f.path() + ": give exactly one of rank, host, master"};
        if (f.has("master")) {
          if (!f.boolean("master", false)) throw Bad{f.at("master") + ": write \"master\": true or name a rank"};
          // The analyser injects crashes into workers only: a master crash is its host going off.
          if (x.kind == Fault::Hang || x.kind == Fault::Exit)
            throw Bad{f.at("kind") + ": the master can only crash (its host is switched off); hang/exit are for workers"};
          x.kind = Fault::HostOff;
          x.rank = 0;
        }
        if (f.has("rank")) {
          x.rank = f.integer("rank", -1, 0, 1000000);
          if (x.rank == 0 && x.kind != Fault::HostOff)
            throw Bad{f.at("rank") + ": rank 0 is the master: write \"master\": true (its host is switched off)"};
          if (x.rank >= s.ranks) throw Bad{f.at("rank") + ": rank " + std::to_string(x.rank) + " does not exist (" + std::to_string(s.ranks) + " ranks)"};
        }
        if (f.has("host")) {
          x.host = f.str("host", "");
          if (!find_host(s, x.host)) throw Bad{f.at("host") + ": no host '" + x.host + "' in the platform's hostfile"};
          if (x.kind != Fault::HostOff) throw Bad{f.at("host") + ": a host fault has kind \"host-off\""};
        } else if (x.kind == Fault::HostOff) {
          if (x.rank < 0) throw Bad{f.path() + ": a host-off fault needs host, rank or master"};
          x.host = s.host_of(x.rank).name;  // the host of that rank goes off
        }
        x.duration = f.unit("duration", parse_duration, -1, 1e-9, 1e6);
        if (f.has("duration") && x.kind != Fault::HostOff) throw Bad{f.at("duration") + ": only a host-off fault can end"};
        f.done({"kind", "at", "rank", "host", "master", "duration"});
        s.faults.push_back(x);
      }
    }
    if (o.has("slowdowns")) {
      const json& v = o.get("slowdowns");
      if (!v.is_array()) throw Bad{"slowdowns: must be a list"};
      for (std::size_t i = 0; i < v.size(); ++i) {
        Obj f(v[i], "slowdowns[" + std::to_string(i) + "]");
        Slowdown x;
        if (f.has("host") == f.has("rank")) throw Bad{f.path() + ": give host or rank"};
        if (f.has("rank")) {
          int r = f.integer("rank", 0, 0, 1000000);
          if (r >= s.ranks) throw Bad{f.at("rank") + ": rank " + std::to_string(r) + " does not exist"};
          x.host = s.host_of(r).name;
        } else {
          x.host = f.str("host", "");
          if (!find_host(s, x.host)) throw Bad{f.at("host") + ": no host '" + x.host + "' in the platform's hostfile"};
        }
        if (!f.has("at") || !f.has("speed")) throw Bad{f.path() + ": needs at and speed (fraction of the host's peak)"};
        x.at = f.unit("at", parse_duration, 0, 0, 1e6);
        x.speed = f.num("speed", 1, 1e-6, 1);
        x.duration = f.unit("duration", parse_duration, -1, 1e-9, 1e6);
        f.done({"host", "rank", "at", "speed", "duration"});
        s.slowdowns.push_back(x);
      }
    }
    if (o.has("network")) {
      const json& v = o.get("network");
      if (!v.is_array()) throw Bad{"network: must be a list"};
      for (std::size_t i = 0; i < v.size(); ++i) {
        Obj f(v[i], "network[" + std::to_string(i) + "]");
        NetChange x;
        if (f.has("link") == f.has("host")) throw Bad{f.path() + ": give link (an id in the platform) or host (its own link, generated platforms)"};
        if (f.has("host")) {
          const std::string h = f.str("host", "");
          if (!find_host(s, h)) throw Bad{f.at("host") + ": no host '" + h + "' in the platform's hostfile"};
          if (!s.platform.generated) throw Bad{f.at("host") + ": only generated platforms have a link per host; name the link"};
          x.link = "link-" + h;
        } else {
          x.link = f.str("link", "");
        }
        if (!f.has("at")) throw Bad{f.path() + ": needs at"};
        x.at = f.unit("at", parse_duration, 0, 0, 1e6);
        x.duration = f.unit("duration", parse_duration, -1, 1e-9, 1e6);
        x.latency = f.unit("latency", parse_duration, -1, 0, 1e6);
        x.bandwidth = f.unit("bandwidth", parse_bandwidth, -1, 1, 1e15);
        if (x.latency < 0 && x.bandwidth < 0) throw Bad{f.path() + ": give latency and/or bandwidth"};
        if (x.latency >= 0 && x.duration > 0)
          throw Bad{f.path() + ": a latency change cannot end (\"duration\"): SimGrid 3.32 freezes forever a message that "
                    "is in its latency phase when a link's latency decreases. Leave the latency raised, or model a "
                    "temporary delay with a bandwidth drop (\"bandwidth\" + \"duration\")"};
        f.done({"link", "host", "at", "duration", "latency", "bandwidth"});
        s.network.push_back(x);
      }
    }
    {
      // Latency may only rise over time on a link (see the duration check above for why).
      std::map<std::string, std::vector<std::pair<double, double>>> lat;
      for (const auto& n : s.network)
        if (n.latency >= 0) lat[n.link].push_back({n.at, n.latency});
      for (auto& [link, ch] : lat) {
        std::stable_sort(ch.begin(), ch.end());
        for (std::size_t i = 0; i + 1 < ch.size(); ++i)
          if (ch[i + 1].second < ch[i].second)
            throw Bad{"network: the latency of " + link + " decreases at " + fmt_num(ch[i + 1].first) +
                      " s: SimGrid 3.32 freezes a message in its latency phase when a latency decreases; latencies may only rise"};
      }
    }
    if (o.has("expect")) {
      Obj e(o.get("expect"), "expect");
      auto& x = s.expect;
      const std::string counts = e.str("counts", "base");
      if (counts == "base") x.counts_match_base = true;
      else if (counts == "any") x.counts_match_base = false;
      else throw Bad{e.at("counts") + ": \"base\" (equal to base_log_analyser) or \"any\""};
      x.result = e.str("result", "OK");
      if (x.result != "OK" && x.result != "INCOMPLETE" && x.result != "any" && x.result != "none")
        throw Bad{e.at("result") + ": OK, INCOMPLETE, none (the master dies: no RESULT line) or any"};
      if (x.result == "any") x.result.clear();
      if (e.has("failed_workers")) {
        const json& v = e.get("failed_workers");
        if (!v.is_array()) throw Bad{e.at("failed_workers") + ": must be a list of ranks"};
        std::vector<int> w;
        for (const auto& r : v) {
          if (!r.is_number_integer() || r.get<int>() < 1 || r.get<int>() >= s.ranks)
            throw Bad{e.at("failed_workers") + ": ranks are 1.." + std::to_string(s.ranks - 1)};
          w.push_back(r.get<int>());
        }
        std::sort(w.begin(), w.end());
        x.failed_workers = w;
      }
      x.makespan_max = e.unit("makespan_max", parse_duration, -1, 0, 1e9);
      x.makespan_min = e.unit("makespan_min", parse_duration, -1, 0, 1e9);
      if (x.makespan_max >= 0 && x.makespan_min > x.makespan_max) throw Bad{"expect.makespan_min: larger than makespan_max"};
      x.detection_max = e.unit("detection_max", parse_duration, -1, 0, 1e9);
      x.reassigned_min = e.integer("reassigned_min", -1, 0, 100000000);
      x.reassigned_max = e.integer("reassigned_max", -1, 0, 100000000);
      if (e.has("silence")) {
        const json& v = e.get("silence");
        if (!v.is_array()) throw Bad{e.at("silence") + ": must be a list of {\"rank\": R, \"min\": S, \"max\": S}"};
        for (std::size_t i = 0; i < v.size(); ++i) {
          Obj q(v[i], e.at("silence") + "[" + std::to_string(i) + "]");
          Expectations::Silence x;
          if (!q.has("rank")) throw Bad{q.path() + ": needs rank"};
          x.rank = q.integer("rank", 1, 1, s.ranks - 1);
          x.min = q.unit("min", parse_duration, -1, 0, 1e9);
          x.max = q.unit("max", parse_duration, -1, 0, 1e9);
          if (x.min < 0 && x.max < 0) throw Bad{q.path() + ": give min and/or max"};
          if (x.max >= 0 && x.min > x.max) throw Bad{q.path() + ": min > max"};
          q.done({"rank", "min", "max"});
          s.expect.silences.push_back(x);
        }
      }
      e.done({"counts", "result", "failed_workers", "makespan_max", "makespan_min", "detection_max", "reassigned_min",
              "reassigned_max", "silence"});
    }
    s.time_limit = o.unit("time_limit", parse_duration, s.time_limit, 1, 3600);
    o.done({"description", "tags", "platform", "ranks_per_host", "ranks", "input", "options", "faults", "slowdowns",
            "network", "expect", "time_limit", "comment"});
    // Profiles need the element in the XML: generated platforms always have them; for a file,
    // the host/link must be declared one by one (a <cluster> tag cannot carry profiles).
    if (!s.platform.generated) {
      bool ok = false;
      const std::string xml = read_text(join_path(repo_root, s.platform.file), &ok);
      auto need = [&](const std::string& kind, const std::string& id, const std::string& where) {
        std::regex re("<" + kind + "\\b[^>]*\\bid\\s*=\\s*[\"']" + std::regex_replace(id, std::regex("[.^$|()\\[\\]{}*+?\\\\]"), "\\$&") + "[\"']");
        if (!std::regex_search(xml, re))
          throw Bad{where + ": " + s.platform.file + " has no <" + kind + " id=\"" + id + "\"> (a <cluster> tag cannot take profiles: use a generated platform)"};
      };
      for (std::size_t i = 0; i < s.faults.size(); ++i)
        if (s.faults[i].kind == Fault::HostOff) need("host", s.faults[i].host, "faults[" + std::to_string(i) + "]");
      for (std::size_t i = 0; i < s.slowdowns.size(); ++i) need("host", s.slowdowns[i].host, "slowdowns[" + std::to_string(i) + "]");
      for (std::size_t i = 0; i < s.network.size(); ++i) need("link", s.network[i].link, "network[" + std::to_string(i) + "]");
    } else {
      for (std::size_t i = 0; i < s.network.size(); ++i) {
        const auto& l = s.network[i].link;
        if (l.rfind("link-", 0) != 0 || !find_host(s, l.substr(5)))
          throw Bad{"network[" + std::to_string(i) + "].link: a generated platform has the links link-<host> only, not '" + l + "'"};
      }
    }
  } catch (const Bad& b) {
    return Error{b.msg};
  } catch (const json::exception& e) {
    return Error{std::string("bad scenario: ") + e.what()};
  }
  return s;
}

Result<Scenario> load_scenario(const std::string& path, const std::string& repo_root) {
  std::string file = path;
  std::string name;
  if (is_dir(path)) {
    std::string d = path;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    file = d + "/scenario.json";
    name = d.substr(d.find_last_of('/') == std::string::npos ? 0 : d.find_last_of('/') + 1);
  } else {
    // scenarios/NAME/scenario.json -> NAME; other.json -> other
    auto slash = path.find_last_of('/');
    std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (base == "scenario.json" && slash != std::string::npos) {
      std::string d = path.substr(0, slash);
      name = d.substr(d.find_last_of('/') == std::string::npos ? 0 : d.find_last_of('/') + 1);
    } else {
      name = base.size() > 5 && base.substr(base.size() - 5) == ".json" ? base.substr(0, base.size() - 5) : base;
    }
  }
  bool ok = false;
  const std::string text = read_text(file, &ok);
  if (!ok) return Error{"cannot read scenario " + file + ": " + std::strerror(errno)};
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error{file + ": not valid JSON: " + e.what()};
  }
  auto s = parse_scenario(j, name, repo_root);
  if (!s) return Error{file + ": " + s.error()};
  s->path = file;
  return s;
}

// ---- materialisation ----

Result<std::vector<std::uint64_t>> draw_sizes(const json& spec, int files, std::uint64_t seed) {
  std::vector<std::uint64_t> out;
  try {
    Obj o(spec, "size");
    const std::string dist = o.str("dist", "");
    SplitMix64 rng(seed * 2654435761u + 99);
    auto sz = [&](const char* k) -> double {
      if (!o.has(k)) throw Bad{std::string("distribution '") + dist + "' needs " + k};
      auto r = parse_size(o.get(k));
      if (!r) throw Bad{std::string(k) + ": " + r.error()};
      return static_cast<double>(*r);
    };
    if (dist == "fixed") {
      double b = sz("bytes");
      out.assign(static_cast<std::size_t>(files), static_cast<std::uint64_t>(b));
      o.done({"dist", "bytes"});
    } else if (dist == "uniform") {
      double lo = sz("min"), hi = sz("max");
      if (hi < lo) throw Bad{"max < min"};
      for (int i = 0; i < files; ++i) out.push_back(static_cast<std::uint64_t>(lo + (hi - lo) * rng.uniform()));
      o.done({"dist", "min", "max"});
    } else if (dist == "lognormal") {
      double med = sz("median");
      double sigma = o.num("sigma", 1, 0, 5);
      for (int i = 0; i < files; ++i) {
        // Box-Muller from two uniforms (deterministic, no <random> distribution differences).
        double u1 = std::max(rng.uniform(), 1e-300), u2 = rng.uniform();
        double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
        out.push_back(static_cast<std::uint64_t>(med * std::exp(sigma * z)));
      }
      o.done({"dist", "median", "sigma"});
    } else if (dist == "pareto") {
      double lo = sz("min");
      double alpha = o.num("alpha", 1.5, 0.1, 100);
      double cap = o.has("max") ? sz("max") : lo * 1e4;
      for (int i = 0; i < files; ++i) {
        double u = std::max(1.0 - rng.uniform(), 1e-12);
        out.push_back(static_cast<std::uint64_t>(std::min(cap, lo / std::pow(u, 1.0 / alpha))));
      }
      o.done({"dist", "min", "alpha", "max"});
    } else {
      throw Bad{"dist: unknown distribution '" + dist + "' (known: fixed, uniform, lognormal, pareto)"};
    }
  } catch (const Bad& b) {
    return Error{b.msg};
  }
  return out;
}

Status write_sized_logs(const std::string& dir, const std::vector<std::uint64_t>& sizes, std::uint64_t seed) {
  if (auto s = make_dirs(dir); !s) return s;
  static const char* const kLv[] = {"INFO", "WARN", "ERROR", "DEBUG"};
  static const char* const kMsg[] = {"Connection established", "Request processed", "Cache miss", "Disk read failed",
                                     "Network timeout", "Authentication failed"};
  const int width = std::max<int>(5, static_cast<int>(std::to_string(sizes.size()).size()));
  std::string buf;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    std::string num = std::to_string(i + 1);
    if (static_cast<int>(num.size()) < width) num.insert(0, static_cast<std::size_t>(width) - num.size(), '0');
    const std::string path = dir + "/t" + num + ".log";
    SplitMix64 rng(seed * 1000003u + i);
    buf.clear();
    const std::uint64_t target = sizes[i];
    std::uint64_t n = 0;
    while (buf.size() < target) {
      char line[160];
      int len = std::snprintf(line, sizeof line, "[2025-10-29T00:00:%02d.%06u] [%s] %s #%llu\n", static_cast<int>(n % 60),
                              static_cast<unsigned>(rng.below(1000000)), kLv[rng.below(4)], kMsg[rng.below(6)],
                              static_cast<unsigned long long>(n));
      ++n;
      const std::uint64_t left = target - buf.size();
      if (static_cast<std::uint64_t>(len) <= left) {
        // Do not leave a remainder too short for a level-less filler line of its own.
        if (left - static_cast<std::uint64_t>(len) == 0 || left - static_cast<std::uint64_t>(len) >= 2) {
          buf.append(line, static_cast<std::size_t>(len));
          continue;
        }
      }
      // Filler: a line without a level, padded to the exact size (ends with '\n' when possible).
      std::string fill(static_cast<std::size_t>(left), '.');
      fill.back() = '\n';
      buf += fill;
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return Error{"cannot write " + path + ": " + std::strerror(errno)};
    f << buf;
    if (!f.flush()) return Error{"cannot write " + path};
  }
  return OkStatus();
}

std::string profile_text(double base, std::vector<std::pair<double, double>> changes) {
  std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  char buf[96];
  std::snprintf(buf, sizeof buf, "0 %.12g\n", base);
  out += buf;
  for (const auto& [t, v] : changes) {
    if (t <= 0) {  // a change at 0 replaces the base value
      out.clear();
      std::snprintf(buf, sizeof buf, "0 %.12g\n", v);
      out += buf;
      continue;
    }
    std::snprintf(buf, sizeof buf, "%.9f %.12g\n", t, v);
    out += buf;
  }
  return out;
}

namespace {

std::string xml_num(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e18) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

// Per host / link: the profile files it needs (attribute name -> file name) and their contents.
struct Profiles {
  std::map<std::string, std::map<std::string, std::string>> host_attrs, link_attrs;
  std::map<std::string, std::string> files;
};

Profiles make_profiles(const Scenario& s, const std::map<std::string, double>& link_latency,
                       const std::map<std::string, double>& link_bandwidth) {
  Profiles p;
  std::map<std::string, std::vector<std::pair<double, double>>> state, speed, lat, bw;
  for (const auto& f : s.faults) {
    if (f.kind != Fault::HostOff) continue;
    state[f.host].push_back({f.at, 0});
    if (f.duration > 0) state[f.host].push_back({f.at + f.duration, 1});
  }
  for (const auto& d : s.slowdowns) {
    speed[d.host].push_back({d.at, d.speed});
    if (d.duration > 0) speed[d.host].push_back({d.at + d.duration, 1});
  }
  for (const auto& n : s.network) {
    if (n.latency >= 0) {
      lat[n.link].push_back({n.at, n.latency});
      if (n.duration > 0) lat[n.link].push_back({n.at + n.duration, link_latency.at(n.link)});
    }
    if (n.bandwidth >= 0) {
      bw[n.link].push_back({n.at, n.bandwidth});
      if (n.duration > 0) bw[n.link].push_back({n.at + n.duration, link_bandwidth.at(n.link)});
    }
  }
  auto emit = [&](auto& table, auto& attrs, const char* attr, const char* tag, auto base_of) {
    for (auto& [id, ch] : table) {
      const std::string file = std::string(tag) + "-" + id + ".prof";
      p.files[file] = profile_text(base_of(id), ch);
      attrs[id][attr] = file;
    }
  };
  emit(state, p.host_attrs, "state_file", "state", [](const std::string&) { return 1.0; });
  emit(speed, p.host_attrs, "speed_file", "speed", [](const std::string&) { return 1.0; });
  emit(lat, p.link_attrs, "latency_file", "latency", [&](const std::string& id) { return link_latency.at(id); });
  emit(bw, p.link_attrs, "bandwidth_file", "bandwidth", [&](const std::string& id) { return link_bandwidth.at(id); });
  return p;
}

std::string attrs_text(const std::map<std::string, std::string>& a) {
  std::string out;
  for (const auto& [k, v] : a) out += " " + k + "=\"" + v + "\"";
  return out;
}

std::string header_comment(const Scenario& s) {
  return "<!-- generated by dla_scenario from " + s.name + "/scenario.json: do not edit -->\n";
}

}  // namespace

Result<std::map<std::string, std::string>> platform_files(const Scenario& s, const std::string& repo_root) {
  std::map<std::string, std::string> out;
  std::map<std::string, double> lat, bw;
  std::string xml;
  if (s.platform.generated) {
    for (const auto& h : s.platform.hosts) {
      lat["link-" + h.name] = s.platform.latency;
      bw["link-" + h.name] = s.platform.bandwidth;
    }
    for (const auto& n : s.network)
      if (n.latency >= 0 && n.latency < lat[n.link])
        return Error{"network: the latency of " + n.link + " would drop below its base " + xml_num(lat[n.link]) + " s (latencies may only rise)"};
    Profiles pr = make_profiles(s, lat, bw);
    std::ostringstream x;
    x << "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n" << header_comment(s)
      << "<platform version=\"4.1\">\n  <zone id=\"" << s.name << "\" routing=\"Cluster\">\n";
    for (const auto& h : s.platform.hosts) {
      x << "    <host id=\"" << h.name << "\" speed=\"" << xml_num(h.speed) << "f\"";
      if (h.cores > 1) x << " core=\"" << h.cores << "\"";
      if (pr.host_attrs.count(h.name)) x << attrs_text(pr.host_attrs[h.name]);
      x << "/>\n";
    }
    for (const auto& h : s.platform.hosts) {
      const std::string id = "link-" + h.name;
      x << "    <link id=\"" << id << "\" bandwidth=\"" << xml_num(s.platform.bandwidth) << "Bps\" latency=\""
        << xml_num(s.platform.latency) << "s\"";
      if (pr.link_attrs.count(id)) x << attrs_text(pr.link_attrs[id]);
      x << "/>\n";
    }
    for (const auto& h : s.platform.hosts)
      x << "    <host_link id=\"" << h.name << "\" up=\"link-" << h.name << "\" down=\"link-" << h.name << "\"/>\n";
    x << "    <backbone id=\"backbone\" bandwidth=\"" << xml_num(s.platform.backbone_bandwidth) << "Bps\" latency=\""
      << xml_num(s.platform.backbone_latency) << "s\"/>\n  </zone>\n</platform>\n";
    xml = x.str();
    for (auto& f : pr.files) out[f.first] = f.second;
    std::string hosts;
    for (const auto& h : s.platform.hosts) hosts += h.name + "\n";
    out["hostfile"] = hosts;
  } else {
    bool ok = false;
    xml = read_text(join_path(repo_root, s.platform.file), &ok);
    if (!ok) return Error{"cannot read " + s.platform.file};
    // Base latency/bandwidth of links that change: read from their tags.
    for (const auto& n : s.network) {
      std::smatch m;
      std::regex re("<link\\b[^>]*\\bid\\s*=\\s*[\"']" + n.link + "[\"'][^>]*>");
      if (!std::regex_search(xml, m, re)) return Error{s.platform.file + ": no <link id=\"" + n.link + "\">"};
      const std::string tag = m[0];
      std::smatch a;
      if (std::regex_search(tag, a, std::regex("\\blatency\\s*=\\s*[\"']([^\"']*)[\"']"))) {
        auto r = parse_duration(json(std::string(a[1])));
        lat[n.link] = r ? *r : 0;
      } else {
        lat[n.link] = 0;
      }
      if (std::regex_search(tag, a, std::regex("\\bbandwidth\\s*=\\s*[\"']([^\"']*)[\"']"))) {
        auto r = parse_bandwidth(json(std::string(a[1])));
        bw[n.link] = r ? *r : 1e9;
      } else {
        bw[n.link] = 1e9;
      }
    }
    for (const auto& n : s.network)
      if (n.latency >= 0 && n.latency < lat[n.link])
        return Error{"network: the latency of " + n.link + " would drop below its base " + xml_num(lat[n.link]) + " s (latencies may only rise)"};
    Profiles pr = make_profiles(s, lat, bw);
    auto inject = [&](const char* kind, const std::map<std::string, std::map<std::string, std::string>>& attrs) -> Status {
      for (const auto& [id, a] : attrs) {
        std::regex re(std::string("(<") + kind + "\\b[^>]*\\bid\\s*=\\s*[\"']" + id + "[\"'][^>]*?)(/?>)");
        std::smatch m;
        if (!std::regex_search(xml, m, re)) return Error{s.platform.file + ": no <" + kind + " id=\"" + id + "\">"};
        for (const auto& kv : a)
          if (std::string(m[1]).find(kv.first) != std::string::npos)
            return Error{s.platform.file + ": <" + kind + " id=\"" + id + "\"> already has " + kv.first};
        xml = std::string(m.prefix()) + std::string(m[1]) + attrs_text(a) + std::string(m[2]) + std::string(m.suffix());
      }
      return OkStatus();
    };
    if (auto st = inject("host", pr.host_attrs); !st) return Error{st.error()};
    if (auto st = inject("link", pr.link_attrs); !st) return Error{st.error()};
    for (auto& f : pr.files) out[f.first] = f.second;
    bool hok = false;
    out["hostfile"] = read_text(join_path(repo_root, s.platform.hostfile), &hok);
    if (!hok) return Error{"cannot read " + s.platform.hostfile};
  }
  out["platform.xml"] = xml;
  return out;
}

Result<Materialized> materialize(const Scenario& s, const std::string& run_dir, const std::string& repo_root,
                                 const std::string& input_cache) {
  Materialized m;
  if (auto st = make_dirs(run_dir); !st) return Error{st.error()};
  auto pf = platform_files(s, repo_root);
  if (!pf) return Error{pf.error()};
  for (const auto& [name, text] : *pf)
    if (auto st = write_text(run_dir + "/" + name, text); !st) return Error{st.error()};
  m.files = *pf;
  m.platform_xml = "platform.xml";
  m.hostfile = "hostfile";
  // Input.
  if (s.input.kind == InputSpec::Dir) {
    std::string d = join_path(repo_root, s.input.dir);
    char buf[4096];
    if (::realpath(d.c_str(), buf)) d = buf;
    m.input_dir = d;
    return m;
  }
  std::ostringstream stamp;
  if (s.input.kind == InputSpec::Lines) {
    const auto& g = s.input.gen;
    stamp << "lines files=" << g.files << " lines=" << g.lines << " skew=" << fmt_num(g.skew) << " seed=" << g.seed
          << " mixed=" << g.mixed << "\n";
  } else {
    stamp << "sizes seed=" << s.input.seed << " n=" << s.input.sizes.size();
    std::uint64_t h = 1469598103934665603ull;
    for (auto v : s.input.sizes) h = (h ^ v) * 1099511628211ull;
    stamp << " hash=" << h << "\n";
  }
  std::string base = run_dir + "/input";
  if (!input_cache.empty()) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : stamp.str()) h = (h ^ c) * 1099511628211ull;
    char hex[32];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    base = input_cache + "/" + hex;
  }
  if (auto st = make_dirs(base); !st) return Error{st.error()};
  char buf[4096];
  m.input_dir = ::realpath(base.c_str(), buf) ? std::string(buf) : base;
  bool ok = false;
  if (read_text(m.input_dir + "/.stamp", &ok) == stamp.str() && ok) return m;
  // Fresh directory: remove old *.log files first (a stale file would change the input).
  if (is_dir(m.input_dir)) {
    std::remove((m.input_dir + "/.stamp").c_str());
    if (DIR* d = ::opendir(m.input_dir.c_str())) {
      std::vector<std::string> old;
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 4 && n.substr(n.size() - 4) == ".log") old.push_back(n);
      }
      ::closedir(d);
      for (const auto& n : old) std::remove((m.input_dir + "/" + n).c_str());
    }
  }
  if (s.input.kind == InputSpec::Lines) {
    auto r = generate_logs(m.input_dir, s.input.gen);
    if (!r) return Error{r.error()};
  } else {
    if (auto st = write_sized_logs(m.input_dir, s.input.sizes, s.input.seed); !st) return Error{st.error()};
  }
  if (auto st = write_text(m.input_dir + "/.stamp", stamp.str()); !st) return Error{st.error()};
  return m;
}

}  // namespace dla::scen
