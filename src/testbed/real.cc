#include "testbed/real.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "base/trace.h"
#include "testbed/scenario_json.h"

namespace dla::scen {
namespace {

using nlohmann::json;

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

double get_number(const json& j, const char* key, double def) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : def;
}

// Index of a host by name (hostfile order), -1 if unknown.
int host_index(const Scenario& s, const std::string& name) {
  for (std::size_t i = 0; i < s.platform.hosts.size(); ++i)
    if (s.platform.hosts[i].name == name) return static_cast<int>(i);
  return -1;
}

// tc's rate for bytes/s: "NNNbps" (tc: bps = bytes per second).
std::string tc_rate(double bytes_per_s) { return std::to_string(std::max<long long>(1, std::llround(bytes_per_s))) + "bps"; }

// The faults of kind crash and host-off become dla-lab commands; hang and exit stay injected by the
// program itself (the real program has the same code path as the simulated one).
void plan_faults(const Scenario& s, const std::string& lab, LabPlan& p) {
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    LabAction a;
    a.at = f.at;
    a.fault = static_cast<int>(i);
    if (f.kind == Fault::Crash && f.rank == 0) {
      a.args = {"kill-rank", lab, "0"};
      a.what = "crash of the master (rank 0)";
    } else if (f.kind == Fault::Crash) {
      a.args = {"kill-rank", lab, std::to_string(f.rank)};
      a.resolve = {"rank-pid", lab, std::to_string(f.rank)};
      a.fallback_only = true;
      a.what = "crash rank " + std::to_string(f.rank) + " (SIGKILL from outside)";
    } else if (f.kind == Fault::HostOff) {
      const int h = host_index(s, f.host);
      a.args = {"kill-host", lab, lab_host(h)};  // (after the SIGKILLs: whatever is left)
      a.resolve = {"pids", lab, lab_host(h)};
      a.what = "host " + f.host + " off (every process of " + lab_host(h) + " SIGKILLed, its Open MPI daemon too)";
      if (f.duration >= 0)
        p.notes.push_back(f.host + " back on after " + num(f.duration) + " s: nothing restarts on it, as in the simulation");
    } else {
      p.notes.push_back(std::string(f.kind == Fault::Hang ? "hang" : "exit") + " of rank " + std::to_string(f.rank) + " at " +
                        num(f.at) + " s: injected by the program itself (--inject-crash), as in the simulation");
      continue;
    }
    p.actions.push_back(a);
  }
}

// A slowdown changes the host's CPU quota (and back after its duration); below the smallest quota
// the host is frozen instead (a stall).
// A slowdown to `speed` of a host whose full quota is `full`: the quota it gets (0 = frozen, below
// the smallest quota and under 1 %: a stall).
double slowed_cores(double full, double speed, const Calibration& c) {
  const double cores = full * speed;
  if (cores >= c.min_cores) return cores;
  return speed < 0.01 ? 0 : c.min_cores;
}

// `s`: the scenario as written (its slowdowns' speeds are fractions of the host's peak).
void plan_slowdowns(const Scenario& s, const Calibration& c, const std::string& lab, LabPlan& p) {
  for (const auto& sd : s.slowdowns) {
    const int h = host_index(s, sd.host);
    const double full = p.host_cores[static_cast<std::size_t>(h)];
    const double cores = slowed_cores(full, sd.speed, c);
    LabAction a, back;
    a.at = sd.at;
    back.at = sd.at + sd.duration;
    if (cores > 0) {
      a.args = {"speed", lab, lab_host(h), num(cores)};
      a.what = sd.host + " slowed to " + num(sd.speed) + ": " + num(cores) + " core";
      if (cores > full * sd.speed * 1.001) a.what += " (the smallest quota: " + num(cores / full) + " of its speed)";
      back.args = {"speed", lab, lab_host(h), num(full)};
      back.what = sd.host + " back to full speed";
    } else {
      a.args = {"freeze", lab, lab_host(h)};
      a.what = sd.host + " frozen (speed " + num(sd.speed) + ": a stall; the smallest quota is " + num(c.min_cores) + " core)";
      back.args = {"thaw", lab, lab_host(h)};
      back.what = sd.host + " thawed";
      p.notes.push_back(a.what);
    }
    p.actions.push_back(a);
    if (sd.duration >= 0) p.actions.push_back(back);
  }
}

constexpr double kSmallBurstBelow = 64 << 10;  // bytes/s

// sh -c: the tbf of dla-lab's `link rate` (both veth ends of host i) with a one-packet burst, or
// removed (`rate` empty).
std::vector<std::string> shape_argv(const std::string& lab, int i, const std::string& rate) {
  const std::string n = std::to_string(i + 1), sw = lab + "-sw", s_if = lab + "-s" + n, h_ns = lab + "-h" + n;
  const std::string q = rate.empty() ? " root 2>/dev/null; true" : " root tbf rate " + rate + " burst 1600 latency 60s";
  const std::string op = rate.empty() ? "del" : "replace";
  return {"sh", "-c", "ip netns exec " + sw + " tc qdisc " + op + " dev " + s_if + q + " && ip netns exec " + h_ns +
                          " tc qdisc " + op + " dev " + h_ns + q};
}

// Bandwidth changes become the host link's rate (tc tbf), or the same with a small burst under
// kSmallBurstBelow; latency
// changes cannot be made here (no netem).
void plan_network(const Scenario& s, const std::string& lab, LabPlan& p) {
  for (const auto& n : s.network) {
    const std::string prefix = "link-";
    const std::string host = n.link.rfind(prefix, 0) == 0 ? n.link.substr(prefix.size()) : n.link;
    const int h = host_index(s, host);
    if (n.latency >= 0)
      p.not_reproduced.push_back("latency of " + n.link + " to " + num(n.latency) + " s at " + num(n.at) +
                                 " s (no netem qdisc in this kernel)");
    if (n.bandwidth < 0) continue;
    if (h < 0) {
      p.not_reproduced.push_back("bandwidth of " + n.link + " at " + num(n.at) + " s (not a host's own link)");
      continue;
    }
    // dla-lab's `link rate` lets a 32 KB burst through at full speed: this program's messages are a
    // few hundred bytes, so under kSmallBurstBelow it would slow none of them. There the same tbf is
    // set with a burst of one packet (tc in the lab's namespaces, both ways, as dla-lab does).
    LabAction a, back;
    a.at = n.at;
    back.at = n.at + n.duration;
    if (n.bandwidth < kSmallBurstBelow) {
      a.raw = back.raw = true;
      a.args = shape_argv(lab, h, tc_rate(n.bandwidth));
      back.args = shape_argv(lab, h, "");
      a.what = host + "'s link at " + num(n.bandwidth) + " B/s (tc tbf, burst of one packet)";
    } else {
      a.args = {"link", lab, lab_host(h), "rate", tc_rate(n.bandwidth)};
      back.args = {"link", lab, lab_host(h), "rate", "off"};
      a.what = host + "'s link at " + num(n.bandwidth) + " B/s (tc tbf)";
    }
    back.what = host + "'s link back to full rate";
    p.actions.push_back(a);
    if (n.duration >= 0) p.actions.push_back(back);
  }
}

}  // namespace

Result<Calibration> parse_calibration(const json& j) {
  if (!j.is_object()) return Error{"calibration: expected a JSON object"};
  Calibration c;
  c.document = j;
  auto f = j.find("workload_format");
  if (f == j.end() || !f->is_string() || f->get<std::string>().empty()) return Error{"calibration: workload_format missing"};
  c.workload_format = f->get<std::string>();
  c.scan_rate = get_number(j, "scan_rate", 0);
  if (!(c.scan_rate > 0)) return Error{"calibration: scan_rate (bytes/s on one core) must be > 0"};
  if (auto r = j.find("scan_rate_by_quota"); r != j.end()) {
    if (!r->is_array()) return Error{"calibration: scan_rate_by_quota: a list of [quota, bytes/s per core]"};
    for (const auto& x : *r) {
      if (!x.is_array() || x.size() != 2 || !x[0].is_number() || !x[1].is_number() || !(x[0].get<double>() > 0) ||
          !(x[1].get<double>() > 0))
        return Error{"calibration: scan_rate_by_quota: each entry [quota > 0, bytes/s per core > 0]"};
      c.rate_by_quota.emplace_back(x[0].get<double>(), x[1].get<double>());
    }
    std::sort(c.rate_by_quota.begin(), c.rate_by_quota.end());
  }
  c.cores_per_gf = get_number(j, "cores_per_gf", c.cores_per_gf);
  c.max_cores = get_number(j, "max_cores", c.max_cores);
  c.min_cores = get_number(j, "min_cores", c.min_cores);
  c.master_cores = get_number(j, "master_cores", c.master_cores);
  c.link_latency = get_number(j, "link_latency", -1);
  c.link_bandwidth = get_number(j, "link_bandwidth", -1);
  if (c.cores_per_gf < 0 || !(c.max_cores > 0) || !(c.min_cores > 0) || c.master_cores < 0)
    return Error{"calibration: cores_per_gf must be >= 0 (0 = auto), max_cores and min_cores > 0"};
  return c;
}

double Calibration::rate_at(double q) const {
  const auto& t = rate_by_quota;
  if (t.empty()) return scan_rate;
  if (q <= t.front().first) return t.front().second;
  if (q >= t.back().first) return t.back().second;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (q <= t[i].first) {
      const double f = (q - t[i - 1].first) / (t[i].first - t[i - 1].first);
      return t[i - 1].second + f * (t[i].second - t[i - 1].second);
    }
  return t.back().second;
}

Result<Calibration> load_calibration(const std::string& path, Env& env) {
  auto text = read_file(env, path);
  if (!text) return Error{"cannot read calibration " + path + ": " + text.error() + " (make one with tools/calibrate-lab)"};
  try {
    auto c = parse_calibration(json::parse(*text));
    if (!c) return Error{path + ": " + c.error()};
    return c;
  } catch (const std::exception& e) {
    return Error{path + ": " + e.what()};
  }
}

Result<double> lab_scale(const Scenario& s, const Calibration& c) {
  if (!s.platform.generated) return Error{s.name + ": a real run needs a generated platform (host speeds)"};
  if (s.ranks > static_cast<int>(s.platform.hosts.size()))
    return Error{s.name + ": a real run places one rank per host (tools/dla-lab fills a host's slots in order, "
                 "the simulation deals ranks round-robin: the same rank would be on another host)"};
  // auto (0): the scenario's own time scale, flops_per_byte / host speed = seconds per byte on the lab
  const double want = c.cores_per_gf > 0 ? c.cores_per_gf : 1e9 / (c.scan_rate * s.options.flops_per_byte);
  double sum = 0;
  for (std::size_t i = 0; i < s.platform.hosts.size(); ++i) {
    const double gf = s.platform.hosts[i].speed / 1e9;
    sum += i == 0 ? std::max(gf, c.master_cores / want) : gf;
  }
  return std::min(want, c.max_cores / sum);
}

Result<std::vector<double>> lab_host_cores(const Scenario& s, const Calibration& c) {
  auto scale = lab_scale(s, c);
  if (!scale) return scale.err();
  std::vector<double> cores;
  for (const auto& h : s.platform.hosts) cores.push_back(std::max(c.min_cores, h.speed / 1e9 * *scale));
  if (!cores.empty()) cores[0] = std::max(cores[0], std::min(c.master_cores, c.max_cores / 2));
  return cores;
}

Result<Scenario> calibrated_scenario(const Scenario& s, const Calibration& c) {
  if (s.follow.on) return Error{s.name + ": a follow scenario: its growth is carried out inside the simulation only (use `run`)"};
  if (s.store.on) return Error{s.name + ": a store scenario: not on the lab yet (tests/integration/store_failures.sh runs the store on real Open MPI)"};
  auto scale = lab_scale(s, c);
  if (!scale) return scale.err();
  auto cores = lab_host_cores(s, c);
  if (!cores) return cores.err();
  Scenario t = s;
  const double ref = c.rate_at(*scale) * *scale;  // bytes/s of a 1 Gf host's quota
  t.options.flops_per_byte = 1e9 / ref;
  // Each worker host as fast as its quota really scans.
  for (std::size_t i = 1; i < t.platform.hosts.size(); ++i) {
    const double q = (*cores)[i];
    t.platform.hosts[i].speed = c.rate_at(q) * q / ref * 1e9;
  }
  for (auto& sd : t.slowdowns) {
    const int h = host_index(s, sd.host);
    if (h < 0) continue;
    const double full = (*cores)[static_cast<std::size_t>(h)];
    const double got = slowed_cores(full, sd.speed, c);
    if (got > 0) sd.speed = c.rate_at(got) * got / (c.rate_at(full) * full);
  }
  t.options.extra_args.insert(t.options.extra_args.end(), {"--format", c.workload_format});
  if (c.link_latency >= 0) {  // host link + backbone + host link: the two host links carry it
    t.platform.latency = c.link_latency / 2;
    t.platform.backbone_latency = 0;
  }
  if (c.link_bandwidth > 0) t.platform.bandwidth = t.platform.backbone_bandwidth = c.link_bandwidth;
  return t;
}

std::string lab_host(int i) { return "h" + std::to_string(i + 1); }  // tools/dla-lab numbers hosts from 1

Result<LabPlan> plan_lab(const Scenario& s, const Scenario& twin, const Calibration& c, const std::string& lab,
                         const std::string& program, const std::string& trace_file) {
  LabPlan p;
  p.lab = lab;
  auto scale = lab_scale(s, c);  // (the scenario's: the twin's flops_per_byte is already calibrated)
  if (!scale) return scale.err();
  p.scale = *scale;
  auto cores = lab_host_cores(s, c);
  if (!cores) return cores.err();
  p.host_cores = *cores;
  std::string speeds;
  for (double x : p.host_cores) speeds += (speeds.empty() ? "" : ",") + num(x);
  p.up_args = {"up", std::to_string(twin.platform.hosts.size()), "--speeds", speeds, "--name", lab};
  p.down_args = {"down", lab};
  // The program's own options, minus the crashes the lab makes from outside.
  Scenario inject = twin;
  inject.faults.erase(std::remove_if(inject.faults.begin(), inject.faults.end(), [](const Fault& f) { return f.kind == Fault::Crash; }),
                      inject.faults.end());
  p.mpirun_args = {"mpirun", lab, "-np", std::to_string(twin.ranks), "--ranks-per-host", std::to_string(twin.ranks_per_host), "--",
                   program};
  for (const auto& a : program_args(inject, "input", trace_file)) p.mpirun_args.push_back(a);
  p.mpirun_args.insert(p.mpirun_args.end() - 1, "--announce-start");
  plan_faults(twin, lab, p);
  p.min_cores = c.min_cores;
  plan_slowdowns(s, c, lab, p);
  plan_network(twin, lab, p);
  std::stable_sort(p.actions.begin(), p.actions.end(), [](const LabAction& a, const LabAction& b) { return a.at < b.at; });
  return p;
}

std::string describe_plan(const LabPlan& p) {
  std::ostringstream o;
  o << "  lab " << p.lab << ": " << p.host_cores.size() << " hosts, " << num(p.scale) << " core per Gf, quotas";
  for (double x : p.host_cores) o << " " << num(x);
  o << "\n";
  for (const auto& a : p.actions) o << "  at " << num(a.at) << " s: " << a.what << "\n";
  for (const auto& n : p.notes) o << "  note: " << n << "\n";
  for (const auto& n : p.not_reproduced) o << "  NOT REPRODUCED: " << n << "\n";
  return o.str();
}

}  // namespace dla::scen
