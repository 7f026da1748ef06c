// scenario.h: materialising a scenario: size distributions, generated logs, fault profiles, the
// platform XML and hostfile, and the run directory's input. Every file goes through the Env.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>

#include "testbed/scenario.h"
#include "testbed/scenario_json.h"

namespace dla::scen {

using detail::Bad;
using detail::fmt_num;
using detail::Obj;
using detail::under_root;
using nlohmann::json;

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

Status write_sized_logs(const std::string& dir, const std::vector<std::uint64_t>& sizes, std::uint64_t seed, Env& env) {
  if (auto s = make_dirs(env, dir); !s) return s;
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
    if (auto st = write_file(env, path, buf, WriteMode::kTruncate, /*sync=*/false); !st) return st;
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

namespace {

// The latency of any link must not drop below its base value (see parse_net_change).
Status check_no_latency_drop(const Scenario& s, std::map<std::string, double>& lat) {
  for (const auto& n : s.network)
    if (n.latency >= 0 && n.latency < lat[n.link])
      return Error{"network: the latency of " + n.link + " would drop below its base " + xml_num(lat[n.link]) + " s (latencies may only rise)"};
  return OkStatus();
}

// A generated star platform (SimGrid "Cluster" zone) with its profiles, and its hostfile.
Status generated_platform(const Scenario& s, std::map<std::string, std::string>& out) {
  std::map<std::string, double> lat, bw;
  for (const auto& h : s.platform.hosts) {
    lat["link-" + h.name] = s.platform.latency;
    bw["link-" + h.name] = s.platform.bandwidth;
  }
  if (auto st = check_no_latency_drop(s, lat); !st) return st;
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
  for (auto& f : pr.files) out[f.first] = f.second;
  std::string hosts;
  for (const auto& h : s.platform.hosts) hosts += h.name + "\n";
  out["hostfile"] = hosts;
  out["platform.xml"] = x.str();
  return OkStatus();
}

// Base latency/bandwidth of the links that change, read from their tags in a platform file.
Status link_bases(const Scenario& s, const std::string& xml, std::map<std::string, double>& lat,
                  std::map<std::string, double>& bw) {
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
  return OkStatus();
}

// Adds the profile attributes to the <host>/<link> tags (`kind`) of a platform file's XML.
Status inject_profiles(const Scenario& s, std::string& xml, const char* kind,
                       const std::map<std::string, std::map<std::string, std::string>>& attrs) {
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
}

// A platform file from the repository with the scenario's profiles injected, and its hostfile.
Status file_platform(const Scenario& s, const std::string& repo_root, Env& env, std::map<std::string, std::string>& out) {
  auto text = read_file(env, under_root(repo_root, s.platform.file));
  if (!text) return Error{"cannot read " + s.platform.file};
  std::string xml = std::move(*text);
  std::map<std::string, double> lat, bw;
  if (auto st = link_bases(s, xml, lat, bw); !st) return st;
  if (auto st = check_no_latency_drop(s, lat); !st) return st;
  Profiles pr = make_profiles(s, lat, bw);
  if (auto st = inject_profiles(s, xml, "host", pr.host_attrs); !st) return st;
  if (auto st = inject_profiles(s, xml, "link", pr.link_attrs); !st) return st;
  for (auto& f : pr.files) out[f.first] = f.second;
  auto hosts = read_file(env, under_root(repo_root, s.platform.hostfile));
  if (!hosts) return Error{"cannot read " + s.platform.hostfile};
  out["hostfile"] = *hosts;
  out["platform.xml"] = xml;
  return OkStatus();
}

}  // namespace

Result<std::map<std::string, std::string>> platform_files(const Scenario& s, const std::string& repo_root, Env& env) {
  std::map<std::string, std::string> out;
  Status st = s.platform.generated ? generated_platform(s, out) : file_platform(s, repo_root, env, out);
  if (!st) return Error{st.error()};
  return out;
}

namespace {

// What a generated input is: the cache key of its directory and the content of its `.stamp`.
std::string input_stamp(const InputSpec& in) {
  std::ostringstream stamp;
  if (in.kind == InputSpec::Lines) {
    const auto& g = in.gen;
    stamp << "lines files=" << g.files << " lines=" << g.lines << " skew=" << fmt_num(g.skew) << " seed=" << g.seed
          << " mixed=" << g.mixed << "\n";
  } else {
    stamp << "sizes seed=" << in.seed << " n=" << in.sizes.size();
    std::uint64_t h = 1469598103934665603ull;
    for (auto v : in.sizes) h = (h ^ v) * 1099511628211ull;
    stamp << " hash=" << h << "\n";
  }
  return stamp.str();
}

// Where a generated input goes: run_dir/input, or input_cache/<hash of its stamp>.
std::string input_home(const std::string& stamp, const std::string& run_dir, const std::string& input_cache) {
  if (input_cache.empty()) return run_dir + "/input";
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : stamp) h = (h ^ c) * 1099511628211ull;
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return input_cache + "/" + hex;
}

// Regenerates the input in `dir` (a stale *.log would change the input, so old ones go first);
// the stamp is written last, so an interrupted generation is redone next time.
Status generate_input(const InputSpec& in, const std::string& dir, const std::string& stamp, Env& env) {
  env.remove_file(dir + "/.stamp");  // missing is fine
  if (auto names = env.list_dir(dir))
    for (const auto& n : *names)
      if (n.size() > 4 && n.substr(n.size() - 4) == ".log") env.remove_file(dir + "/" + n);
  if (in.kind == InputSpec::Lines) {
    auto r = generate_logs(dir, in.gen, env);
    if (!r) return Error{r.error()};
  } else {
    if (auto st = write_sized_logs(dir, in.sizes, in.seed, env); !st) return Error{st.error()};
  }
  return write_file(env, dir + "/.stamp", stamp, WriteMode::kTruncate, /*sync=*/false);
}

}  // namespace

Result<Materialized> materialize(const Scenario& s, const std::string& run_dir, const std::string& repo_root,
                                 const std::string& input_cache, Env& env) {
  Materialized m;
  if (auto st = make_dirs(env, run_dir); !st) return Error{st.error()};
  auto pf = platform_files(s, repo_root, env);
  if (!pf) return Error{pf.error()};
  for (const auto& [name, text] : *pf)
    if (auto st = write_file(env, run_dir + "/" + name, text, WriteMode::kTruncate, false); !st) return Error{st.error()};
  m.files = *pf;
  m.platform_xml = "platform.xml";
  m.hostfile = "hostfile";
  if (is_dir(env, kSmpiTmpdir)) m.smpi_tmpdir = kSmpiTmpdir;
  if (s.input.kind == InputSpec::Dir) {
    const std::string d = under_root(repo_root, s.input.dir);
    auto real = env.real_path(d);
    m.input_dir = real ? *real : d;
    return m;
  }
  if (s.follow.on) {  // the run writes into its input: its own copy, never the shared cache
    const std::string g = growth_text(s.follow.growth);
    if (auto st = write_file(env, join_path(run_dir, kGrowthFile), g, WriteMode::kTruncate, false); !st) return Error{st.error()};
    m.files[kGrowthFile] = g;
  }
  const std::string stamp = input_stamp(s.input);
  const std::string base = input_home(stamp, run_dir, s.follow.on ? "" : input_cache);
  if (auto st = make_dirs(env, base); !st) return Error{st.error()};
  auto real = env.real_path(base);
  m.input_dir = real ? *real : base;
  auto old = read_file(env, m.input_dir + "/.stamp");
  if (old && *old == stamp) return m;
  if (auto st = generate_input(s.input, m.input_dir, stamp, env); !st) return Error{st.error()};
  return m;
}

}  // namespace dla::scen
