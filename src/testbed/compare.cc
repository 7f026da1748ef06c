#include "testbed/compare.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "base/trace.h"
#include "sched/policy.h"
#include "testbed/bound.h"

namespace dla::scen {
namespace {

using nlohmann::json;

std::string fmt(double v, const char* f) {
  if (v < 0) return "-";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string num_or_dash(long long v) { return v < 0 ? "-" : std::to_string(v); }

// The directory-name form of a label ("steal+speculate" stays readable; '/' cannot appear).
std::string dir_label(std::string l) {
  for (char& c : l)
    if (c == '/' || c == ' ') c = '_';
  return l;
}

json option_value(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && end && *end == 0) return d;
  return v;  // a word (detector, policy) or a unit string ("500ms")
}

// The largest piece a policy cannot cut: a splitting policy (guided) cuts never-handed-out tasks
// down to its floor (sched's PolicyTraits::split_floor), so its bound may only assume pieces of that
// size; every other policy runs the analyser's tasks whole (0: the largest task).
std::uint64_t largest_unit(const Scenario& s, const std::string& policy) {
  auto c = split_policy(policy.empty() ? s.options.policy : policy);
  if (!c) return 0;
  auto p = make_policy(c->policy);
  if (!p || p->traits().split_k <= 0) return 0;
  return std::max<std::uint64_t>(p->traits().split_floor, 1);
}

}  // namespace

std::vector<std::string> all_policy_names() {
  std::vector<std::string> out = known_policies();
  for (const auto& p : known_policies())
    if (p != "static") out.push_back(p + "+speculate");
  return out;
}

Result<RunMetrics> evaluate_one(const Scenario& s, const std::string& policy, const std::string& label,
                                const RunPaths& paths, const EvalRequest& req, const SpawnFn& spawn, Env& env) {
  if (s.follow.on) return Error{s.name + ": a follow scenario (no policies, no makespan): use `run`"};
  if (s.store.on) return Error{s.name + ": a store scenario (its policy is locality; K is compared by tools/make-store-report): use `run`"};
  RunRequest rq;
  rq.run_dir = paths.runs + "/" + req.runs_subdir + "/" + s.name + "-" + dir_label(label);
  rq.policy = policy;
  rq.echo = req.echo;
  if (auto st = make_dirs(env, paths.runs + "/" + req.runs_subdir); !st) return Error{st.error()};
  auto rr = run_scenario(s, paths, rq, spawn, env);
  if (!rr) return Error{rr.error()};
  auto bound = work_bound(s, rr->task_bytes, largest_unit(s, policy));
  auto trace = Trace::parse(rr->trace_text);
  const std::string shown = policy.empty() ? s.options.policy + (s.options.speculate ? "+speculate" : "") : policy;
  RunMetrics m = evaluate_run(s, shown, rr->result, rr->base, trace ? *trace : Trace(), bound ? bound->value : -1);
  m.bound_time_varying = bound && bound->time_varying;
  m.run_problems = rr->run_problems;
  if (!trace && s.expect.result != "none") m.run_problems.push_back("the trace does not parse: " + trace.error());
  m.run_ok = m.run_problems.empty();
  if (req.progress)
    *req.progress << "  ran " << s.name << " " << label << ": makespan " << fmt(m.makespan, "%.3f") << " s, real "
                  << fmt(rr->real_s, "%.2f") << " s" << (m.run_ok && m.counts_ok ? "" : "  (PROBLEM)") << std::endl;
  return m;
}

Result<std::vector<RunMetrics>> compare_policies(const Scenario& s, const std::vector<std::string>& policies,
                                                 const RunPaths& paths, const EvalRequest& req, const SpawnFn& spawn,
                                                 Env& env) {
  std::vector<RunMetrics> out;
  for (const auto& p : policies) {
    if (auto c = split_policy(p); !c) return Error{c.error()};
    auto m = evaluate_one(s, p, p, paths, req, spawn, env);
    if (!m) return Error{m.error()};
    out.push_back(*m);
  }
  return out;
}

std::vector<std::string> compare_problems(const std::vector<RunMetrics>& runs) {
  std::vector<std::string> p;
  for (const auto& m : runs) {
    for (const auto& x : m.run_problems) p.push_back(m.scenario + " " + m.policy + ": " + x);
    for (const auto& x : m.count_problems) p.push_back(m.scenario + " " + m.policy + ": COUNTS WRONG: " + x);
  }
  return p;
}

std::string compare_table(const std::vector<RunMetrics>& runs) {
  std::ostringstream t;
  char line[400];
  const char* head = "%-24s %-16s %9s %9s %6s %5s %9s %8s %6s %6s %6s %5s %9s %s\n";
  std::snprintf(line, sizeof line, head, "scenario", "policy", "makespan", "bound", "ratio", "reas", "spec/won", "wastedMB",
                "steals", "msgs", "failed", "false", "detect_s", "counts");
  t << line << std::string(128, '-') << "\n";
  for (const auto& m : runs) {
    const std::string spec = std::to_string(m.spec_copies) + "/" + std::to_string(m.spec_won);
    std::snprintf(line, sizeof line, head, m.scenario.c_str(), m.policy.c_str(), fmt(m.makespan, "%.3f").c_str(),
                  (fmt(m.lower_bound, "%.3f") + (m.bound_time_varying ? "*" : "")).c_str(), fmt(m.ratio, "%.3f").c_str(),
                  num_or_dash(m.reassigned).c_str(), spec.c_str(), fmt(static_cast<double>(m.wasted_bytes) / 1e6, "%.2f").c_str(),
                  std::to_string(m.steals).c_str(), num_or_dash(m.messages).c_str(), std::to_string(m.failures).c_str(),
                  std::to_string(m.false_suspicions).c_str(), fmt(m.detection_max, "%.3f").c_str(),
                  !m.run_ok ? "RUN FAILED" : m.counts_ok ? "ok" : "MISMATCH");
    t << line;
  }
  return t.str();
}

std::string compare_legend() {
  return "makespan: simulated s to the last result.  bound: max(total work / workers' capacity, largest task / fastest\n"
         "  worker), capacity integrated over time (* = slowdowns or faults change it during the run; testbed/bound.h);\n"
         "  for guided the largest piece it cannot cut (its split floor) instead of the largest task.\n"
         "ratio: makespan / bound.  reas: tasks reassigned after a failure.  spec/won: speculative copies started / whose\n"
         "  result won.  wastedMB: bytes scanned for nothing (duplicate results, cancelled copies' progress).  steals:\n"
         "  tasks stolen.  msgs: MPI messages sent.  failed: ranks declared failed; false: of those, ranks no fault had hit.\n"
         "detect_s: worst time from a fault to its detection.  counts: equal to base_log_analyser's (and the scenario's\n"
         "  exact counts).  Definitions: src/testbed/metrics.h.\n";
}

json compare_json(const std::vector<RunMetrics>& runs) {
  json a = json::array();
  for (const auto& m : runs) a.push_back(metrics_json(m));
  return a;
}

// ---- sweep ----

Result<Scenario> with_option(const Scenario& s, const std::string& option, const std::string& value,
                             const std::string& repo_root, std::string* note, Env& env) {
  std::string key = option;
  for (char& c : key)
    if (c == '-') c = '_';
  json doc = s.document;
  if (!doc.is_object()) return Error{s.name + ": no scenario document to vary"};
  doc["options"][key] = option_value(value);
  note->clear();
  if (key == "timeout" && doc["options"][key].is_number()) {
    const double t = doc["options"][key].get<double>();
    if (s.options.heartbeat >= t) {
      doc["options"]["heartbeat"] = t / 2;
      *note = "heartbeat " + fmt(t / 2, "%g") + " s (must be < timeout)";
    }
  }
  auto r = parse_scenario(doc, s.name, repo_root, env);
  if (!r) return Error{"--" + option + " " + value + ": " + r.error()};
  r->path = s.path;
  return r;
}

std::string sweep_table(const std::string& option, const std::vector<SweepPoint>& points) {
  std::ostringstream t;
  char line[300];
  const char* head = "%-14s %10s %10s %6s %6s %6s %5s %9s %9s %s\n";
  std::snprintf(line, sizeof line, head, option.c_str(), "detect_max", "detect_avg", "undet", "false", "failed", "reas",
                "makespan", "counts", "note");
  t << line << std::string(100, '-') << "\n";
  for (const auto& p : points) {
    const auto& m = p.m;
    std::snprintf(line, sizeof line, head, p.value.c_str(), fmt(m.detection_max, "%.3f").c_str(),
                  fmt(m.detection_mean, "%.3f").c_str(), std::to_string(m.undetected).c_str(),
                  std::to_string(m.false_suspicions).c_str(), std::to_string(m.failures).c_str(),
                  num_or_dash(m.reassigned).c_str(), fmt(m.makespan, "%.3f").c_str(),
                  !m.run_ok ? "RUN FAILED" : m.counts_ok ? "ok" : "MISMATCH", p.note.c_str());
    t << line;
  }
  return t.str();
}

json sweep_json(const std::string& option, const std::vector<SweepPoint>& points) {
  json a = json::array();
  for (const auto& p : points) {
    json o = metrics_json(p.m);
    o["option"] = option;
    o["value"] = option_value(p.value);
    if (!p.note.empty()) o["note"] = p.note;
    a.push_back(o);
  }
  return a;
}

}  // namespace dla::scen
