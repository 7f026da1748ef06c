// The scenario suite as a whole: which scenarios a repository holds (filtered by tags), and the
// one-line description `dla-scenario check` prints of each.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "testbed/runner.h"
#include "testbed/scenario.h"

namespace dla::scen {

// Every REPO/scenarios/*/scenario.json folder, sorted by name, keeping those that carry every tag of
// `with` and none of `without`. An Error names the first scenario that does not load.
Result<std::vector<std::string>> list_scenarios(const std::string& repo, const std::vector<std::string>& with,
                                                const std::vector<std::string>& without, Env& env = *Env::posix());

// "NAME: R ranks on H hosts (generated), input ..., policy P, F fault(s), ..." (after "OK ").
std::string describe_scenario(const Scenario& s);

// `dla-scenario run`: runs `s` `repeat` times (run dirs RUNS/NAME, RUNS/NAME~2, ...), one progress line
// per run on `out` (a failed run's stderr tail on `err`), requires the repeats to be byte-identical,
// then compares run 1 with the goldens or (update_golden) makes it the goldens, refusing a failing
// run unless `force`. Returns the problems (empty = PASS); an Error when a run cannot be set up.
struct CheckRequest {
  int repeat = 1;
  std::string policy;  // "" = the scenario's
  bool paje = false, golden = true, update_golden = false, force = false;
  std::ostream* echo = nullptr;  // smpirun command lines
};
Result<std::vector<std::string>> check_scenario(const Scenario& s, const RunPaths& paths, const CheckRequest& req,
                                                const SpawnFn& spawn, std::ostream& out, std::ostream& err,
                                                Env& env = *Env::posix());

}  // namespace dla::scen
