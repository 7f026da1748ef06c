// scenario.h, follow scenarios: the "follow" object, the program's options and the check of the
// final RESULT line against totals computed from the growth script (scan/growth.h).
#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "testbed/scenario.h"
#include "testbed/scenario_json.h"

namespace dla::scen {
namespace detail {
namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

// One element of "growth": {"at": T, then exactly one of "file" (+ "append_lines"), "create"
// (+ "append_lines"), "rotate" (+ "to"), "copy" (+ "to"), "truncate"}.
GrowthStep parse_growth_step(Obj& g, double for_s) {
  GrowthStep st;
  st.at = g.unit("at", parse_duration, -1, 0, 1e6);
  if (!g.has("at")) throw Bad{g.at("at") + ": missing"};
  if (st.at >= for_s) throw Bad{g.at("at") + ": " + fmt(st.at) + " s is not before the end (follow.for " + fmt(for_s) + " s)"};
  const int kinds = g.has("file") + g.has("create") + g.has("rotate") + g.has("truncate") + g.has("copy");
  if (kinds != 1) throw Bad{g.path() + ": give exactly one of \"file\" (append), \"create\", \"rotate\", \"copy\", \"truncate\""};
  if (g.has("file") || g.has("create")) {
    st.kind = g.has("file") ? GrowthStep::kAppend : GrowthStep::kCreate;
    st.file = g.str(g.has("file") ? "file" : "create", "");
    if (!g.has("append_lines")) throw Bad{g.at("append_lines") + ": missing"};
    st.lines = static_cast<std::uint64_t>(g.integer("append_lines", 0, 1, 10000000));
  } else if (g.has("rotate") || g.has("copy")) {
    st.kind = g.has("rotate") ? GrowthStep::kRotate : GrowthStep::kCopy;
    st.file = g.str(g.has("rotate") ? "rotate" : "copy", "");
    st.to = g.str("to", "");
  } else {
    st.kind = GrowthStep::kTruncate;
    st.file = g.str("truncate", "");
  }
  if (auto ok = check_growth_step(st); !ok) throw Bad{g.path() + ": " + ok.error()};
  g.done({"at", "file", "create", "append_lines", "rotate", "copy", "to", "truncate", "comment"});
  return st;
}

}  // namespace

FollowSpec parse_follow(Obj& o, const Scenario& s) {
  FollowSpec f;
  f.on = true;
  if (!o.has("for")) throw Bad{o.at("for") + ": missing (simulated seconds the run follows)"};
  f.for_s = o.unit("for", parse_duration, 0, 0.1, 3600);
  f.seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1 << 30));
  if (s.input.kind == InputSpec::Dir) throw Bad{o.path() + ": the input must be generated (the growth writes into it)"};
  if (!o.has("growth") || !o.get("growth").is_array()) throw Bad{o.at("growth") + ": missing (a list of steps)"};
  const auto& arr = o.get("growth");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Obj g(arr[i], o.at("growth") + "[" + std::to_string(i) + "]");
    f.growth.push_back(parse_growth_step(g, f.for_s));
  }
  for (const auto& fault : s.faults) {
    if (fault.kind != Fault::Crash || fault.rank < 1)
      throw Bad{"faults: a follow scenario takes crash faults of workers only (carried out as growth steps)"};
    if (fault.at >= f.for_s) throw Bad{"faults: a crash at " + fmt(fault.at) + " s is not before the end"};
    GrowthStep c;
    c.kind = GrowthStep::kCrash;
    c.at = fault.at;
    c.rank = fault.rank;
    f.growth.push_back(c);
  }
  o.done({"for", "seed", "growth", "comment"});
  // The program reads the script from its text form, sorted by time: the same order here.
  auto sorted = parse_growth_text(growth_text(f.growth));
  if (!sorted) throw Bad{o.path() + ": " + sorted.error()};
  f.growth = std::move(*sorted);
  return f;
}

}  // namespace detail

std::vector<std::string> follow_program_args(const Scenario& s, const std::string& input_dir) {
  const auto& o = s.options;
  std::vector<std::string> a = {"--follow", input_dir, "--follow-for", detail::fmt(s.follow.for_s), "--sim-growth", kGrowthFile,
                                "--sim-growth-seed", std::to_string(s.follow.seed), "--timeout", detail::fmt(o.timeout),
                                "--heartbeat", detail::fmt(o.heartbeat), "--master-timeout", detail::fmt(o.master_timeout)};
  a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
  return a;
}

Counts follow_expected_counts(const Scenario& s, const nlohmann::json& base) {
  Counts c;
  for (const char* l : {"DEBUG", "ERROR", "INFO", "WARN"}) {
    const auto& counts = base.contains("counts") ? base["counts"] : base;
    if (counts.contains(l) && counts[l].is_number_unsigned()) c[l] = counts[l].get<std::uint64_t>();
  }
  if (base.contains("lines") && base["lines"].is_number_unsigned()) c.lines = base["lines"].get<std::uint64_t>();
  return c + expected_growth_counts(s.follow.growth, s.follow.seed);
}

std::vector<std::string> follow_failures(const Scenario& s, const std::string& stdout_text, const nlohmann::json& base) {
  std::string result;
  std::istringstream in(stdout_text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("RESULT ", 0) == 0) result = l;
  if (result.empty()) return {"no RESULT line"};
  std::map<std::string, std::string> got;
  std::istringstream words(result.substr(7));
  std::string verdict, w;
  words >> verdict;
  while (words >> w)
    if (auto eq = w.find('='); eq != std::string::npos) got[w.substr(0, eq)] = w.substr(eq + 1);
  std::vector<std::string> bad;
  if (!s.expect.result.empty() && verdict != s.expect.result) bad.push_back("result " + verdict + ", expected " + s.expect.result);
  const Counts want = follow_expected_counts(s, base);
  auto check = [&](const std::string& key, std::uint64_t n) {
    if (got[key] != std::to_string(n))
      bad.push_back(key + "=" + got[key] + ", expected " + std::to_string(n) + " (initial input + every line the growth script wrote)");
  };
  for (const char* l : {"DEBUG", "ERROR", "INFO", "WARN"}) check(l, want.get(l));
  check("lines", want.lines);
  std::vector<int> crashed;
  for (const auto& g : s.follow.growth)
    if (g.kind == GrowthStep::kCrash) crashed.push_back(g.rank);
  std::sort(crashed.begin(), crashed.end());
  crashed.erase(std::unique(crashed.begin(), crashed.end()), crashed.end());
  const std::vector<int> failed = s.expect.failed_workers ? *s.expect.failed_workers : crashed;
  std::string list;
  for (int r : failed) list += (list.empty() ? "" : ",") + std::to_string(r);
  if (got["failed_workers"] != std::to_string(failed.size()) || (!failed.empty() && got["failed"] != list))
    bad.push_back("failed workers " + got["failed_workers"] + " (" + got["failed"] + "), expected " + std::to_string(failed.size()) +
                  " (" + list + ")");
  return bad;
}

}  // namespace dla::scen
