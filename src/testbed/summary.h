// The structure of a run, from its event trace alone: per rank the tasks done, bytes, busy time,
// lost and duplicate runs; the failures and reassignments. Comparable between a real run and its
// simulated replay (`dla-scenario summary`), where only the times differ.
#pragma once
#include <string>
#include <vector>

#include "base/trace.h"

namespace dla::scen {

// The summary as printed: "== NAME", the trace's comment lines, a table per rank, and the line
// "tasks N, last result at T s, failures: R@T ..., reassignments K".
std::string trace_summary(const std::string& name, const Trace& t, const std::vector<std::string>& comments);

}  // namespace dla::scen
