#include "testbed/suite.h"

#include <algorithm>

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
  return s.name + ": " + std::to_string(s.ranks) + " ranks on " + std::to_string(s.platform.hosts.size()) + " hosts (" +
         (s.platform.generated ? "generated" : s.platform.file) + "), input " + input + ", policy " + s.options.policy +
         (s.options.speculate ? "+speculate" : "") + ", " + std::to_string(s.faults.size()) + " fault(s), " +
         std::to_string(s.slowdowns.size()) + " slowdown(s), " + std::to_string(s.network.size()) + " network change(s)";
}

}  // namespace dla::scen
