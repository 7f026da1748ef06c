#include "testbed/suite.h"

#include <algorithm>
#include <cstdio>

namespace dla::scen {

Result<std::vector<std::string>> list_scenarios(const std::string& repo, const std::vector<std::string>& with,
                                                const std::vector<std::string>& without, Env& env) {
  std::vector<std::string> all, kept;
  const std::string root = repo + "/scenarios";
  if (auto names = env.list_dir(root))
    for (const auto& n : *names)
      if (n[0] != '.' && is_regular_file(env, root + "/" + n + "/scenario.json")) all.push_back(root + "/" + n);
  std::sort(all.begin(), all.end());
  for (const auto& p : all) {
    auto s = load_scenario(p, repo, env);
    if (!s) return Error{s.error()};
    auto has = [&](const std::string& t) { return std::find(s->tags.begin(), s->tags.end(), t) != s->tags.end(); };
    bool ok = true;
    for (const auto& t : with) ok = ok && has(t);
    for (const auto& t : without) ok = ok && !has(t);
    if (ok) kept.push_back(p);
  }
  return kept;
}

std::string describe_scenario(const Scenario& s) {
  std::uint64_t bytes = 0, n = 0;
  if (s.input.kind == InputSpec::Sizes)
    for (auto b : s.input.sizes) bytes += b, ++n;
  const std::string input = s.input.kind == InputSpec::Dir ? s.input.dir
                            : s.input.kind == InputSpec::Lines
                                ? std::to_string(s.input.gen.files) + " generated files x " + std::to_string(s.input.gen.lines) + " lines"
                                : std::to_string(n) + " generated files, " + std::to_string(bytes) + " bytes";
  const bool policy_named = !s.store.on || (s.document.is_object() && s.document.contains("options") &&
                                             s.document["options"].is_object() && s.document["options"].contains("policy"));
  const std::string policy = policy_named ? s.options.policy + (s.options.speculate ? "+speculate" : "") : "the store default (locality)";
  const std::string store = s.store.on ? ", store K=" + std::to_string(s.store.replicas) + " in " + std::to_string(s.store.block_size) +
                                             "-byte blocks, " + std::to_string(s.store.corrupt.size()) + " corrupted replica(s)"
                                       : "";
  return s.name + ": " + std::to_string(s.ranks) + " ranks on " + std::to_string(s.platform.hosts.size()) + " hosts (" +
         (s.platform.generated ? "generated" : s.platform.file) + "), input " + input + store + ", policy " + policy +
         ", " + std::to_string(s.faults.size()) + " fault(s), " +
         std::to_string(s.slowdowns.size()) + " slowdown(s), " + std::to_string(s.network.size()) + " network change(s)";
}

namespace {

std::string fmt(double v, const char* f) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// One run of a repeat: its progress line, and the stderr tail of a failed one.
Result<RunResult> run_one(const Scenario& s, const RunPaths& paths, const CheckRequest& req, int rep, const SpawnFn& spawn,
                          std::ostream& out, std::ostream& err, Env& env) {
  RunRequest rq;
  rq.run_dir = paths.runs + "/" + s.name + (rep > 1 ? "~" + std::to_string(rep) : "");
  rq.policy = req.policy;
  rq.paje = req.paje;
  rq.echo = req.echo;
  auto rr = run_scenario(s, paths, rq, spawn, env);
  if (!rr) return rr;
  out << (rr->ok ? "  ran " : "  RUN FAILED ") << s.name << (req.repeat > 1 ? " #" + std::to_string(rep) : "")
      << ": simulated makespan " << (rr->result.contains("makespan_s") ? fmt(rr->result["makespan_s"].get<double>(), "%.6f") : "?")
      << " s, real " << fmt(rr->real_s, "%.2f") << " s, trace " << std::count(rr->trace_text.begin(), rr->trace_text.end(), '\n')
      << " lines  (" << rq.run_dir << ")" << std::endl;
  if (!rr->ok) {  // the reason on stderr too, not only in run_dir/stderr.txt
    err << s.name << ": the run failed; last lines of " << rq.run_dir << "/stderr.txt:" << std::endl;
    for (const auto& l : rr->stderr_tail) err << "  " << l << std::endl;
  }
  return rr;
}

}  // namespace

Result<std::vector<std::string>> check_scenario(const Scenario& s, const RunPaths& paths, const CheckRequest& req,
                                                const SpawnFn& spawn, std::ostream& out, std::ostream& err, Env& env) {
  std::vector<std::string> problems;
  RunResult first;
  for (int rep = 1; rep <= req.repeat; ++rep) {
    auto rr = run_one(s, paths, req, rep, spawn, out, err, env);
    if (!rr) return Error{rr.error()};
    for (const auto& f : rr->failures) problems.push_back((req.repeat > 1 ? "run " + std::to_string(rep) + ": " : "") + f);
    if (rep == 1) first = *rr;
    else
      for (auto& d : compare_repeat(first, *rr, rep)) problems.push_back(d);
  }
  if (!req.golden) return problems;
  if (!req.update_golden) {
    for (auto& p : compare_with_goldens(paths.repo, s.name, first, env)) problems.push_back(p);
    return problems;
  }
  if (!problems.empty() && !req.force) {
    problems.push_back("goldens NOT updated (the run failed; --force to accept anyway)");
    return problems;
  }
  if (auto st = update_goldens(paths.repo, s.name, first, env); !st) return Error{st.error()};
  out << "  updated " << paths.repo + "/traces/" + s.name + ".trace and " << paths.repo + "/traces/" + s.name + ".out" << std::endl;
  return problems;
}

}  // namespace dla::scen
