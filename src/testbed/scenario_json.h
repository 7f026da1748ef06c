// Internal to src/testbed (not part of the public scenario.h): the strict JSON reader the scenario
// parser, the platform parser and the size distributions share. A value that is missing, of the wrong type, out of
// range or unknown throws Bad, which the public entry points turn into an Error naming the JSON path.
#pragma once
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"
#include "testbed/scenario.h"

namespace dla::scen::detail {

using nlohmann::json;

// Internal: validation errors travel as exceptions inside the parser and leave it as Error values.
struct Bad {
  std::string msg;
};

inline std::string limit_reason() {
  return " (the testbed's bound, set for a 2-core, 24 GB machine: see kMaxRanks in testbed/scenario.h)";
}

inline std::string fmt_num(double v) {
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

// A path named in a scenario: relative to the repository root unless absolute (or no root given).
inline std::string under_root(const std::string& root, const std::string& p) {
  if (p.empty() || p[0] == '/' || root.empty()) return p;
  return join_path(root, p);
}

// The "platform" object (scenario_platform.cc). `seed_used`: the speed_range seed, if any.
PlatformSpec parse_platform(Obj& o, const std::string& repo_root, std::uint64_t* seed_used, Env& env);
// The "follow" object (scenario_follow.cc); `s`: the scenario parsed so far (ranks, input, faults).
FollowSpec parse_follow(Obj& o, const Scenario& s);
// The "store" object (scenario_store.cc); `s`: the scenario parsed so far (ranks, faults, expect).
StoreSpec parse_store(Obj& o, const Scenario& s);

}  // namespace dla::scen::detail
