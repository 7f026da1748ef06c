// The scenario suite as a whole: which scenarios a repository holds (filtered by tags), and the
// one-line description `dla-scenario check` prints of each.
#pragma once
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "testbed/scenario.h"

namespace dla::scen {

// Every REPO/scenarios/*/scenario.json folder, sorted by name, keeping those that carry every tag of
// `with` and none of `without`. An Error names the first scenario that does not load.
Result<std::vector<std::string>> list_scenarios(const std::string& repo, const std::vector<std::string>& with,
                                                const std::vector<std::string>& without, Env& env = *Env::posix());

// "NAME: R ranks on H hosts (generated), input ..., policy P, F fault(s), ..." (after "OK ").
std::string describe_scenario(const Scenario& s);

}  // namespace dla::scen
