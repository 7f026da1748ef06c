// Scripted growth of a followed directory (issue 13, item 5): the SMPI follow scenarios
// (testbed, scenarios/README.md "follow") make log files grow at scripted simulated times. The
// script is a list of steps; the follow master (mpi/follow_master.cc, --sim-growth, SMPI only)
// carries each out when the simulated clock reaches its time, and the testbed computes the
// totals the run must end with from the same script (expected_growth_counts: what was written,
// never what the program counted).
//
// Steps (times in simulated seconds since the master started):
//   append   FILE N   N generated lines appended to FILE (created when missing)
//   create   FILE N   the same, FILE must not exist yet (a new file appearing)
//   rotate   FILE TO  rename FILE to TO (rotation by rename; TO kept, read until its end)
//   copy     FILE TO  FILE's bytes copied to a new file TO (copytruncate's first half; TO must not exist)
//   truncate FILE     FILE emptied in place (copytruncate's second half, or a plain truncation)
//   crash    RANK     the worker RANK is killed (a fault in the middle of the growth)
// Text form (the file --sim-growth reads): one step a line, "AT KIND ARG [ARG]", '#' comments.
// Lines are "[TS] [LEVEL] growth FILE step S line K" with the level drawn from a SplitMix64 seeded
// by (seed, step index): deterministic, and the counts of every step known exactly.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/levels.h"
#include "base/status.h"

namespace dla {

struct GrowthStep {
  enum Kind { kAppend, kCreate, kRotate, kTruncate, kCrash, kCopy } kind = kAppend;
  double at = 0;
  std::string file;        // append, create, rotate, truncate
  std::string to;          // rotate, copy
  std::uint64_t lines = 0;  // append, create
  int rank = -1;           // crash
};

// A file name a step may use: non-empty, no '/', no whitespace, not "." or "..".
bool valid_growth_name(const std::string& name);
// Checks one step (kind-specific fields, at >= 0, lines <= 10 million); the error names the problem.
Status check_growth_step(const GrowthStep& s);

// Steps sorted by time (stable: equal times keep their order); text <-> steps.
Result<std::vector<GrowthStep>> parse_growth_text(const std::string& text);
std::string growth_text(const std::vector<GrowthStep>& steps);
// One step without its time: "append a.log 500", "rotate a.log a.log.1", "crash 2".
std::string growth_step_words(const GrowthStep& s);

// The lines step `index` appends (append/create; "" otherwise) and their counts.
struct GrowthLines {
  std::string text;
  Counts counts;
};
GrowthLines growth_lines(const GrowthStep& s, std::size_t index, std::uint64_t seed);

// Carries out step `index` in `dir` through `env` (crash steps: nothing here, the caller's).
Status apply_growth_step(Env& env, const std::string& dir, const GrowthStep& s, std::size_t index, std::uint64_t seed);

// Every line the script writes, counted by level: what a follower that saw every byte ever
// written must add to the initial input's counts (rotated files are kept, truncations come after
// the appends before them were read: the scenario's schedule must leave that time).
Counts expected_growth_counts(const std::vector<GrowthStep>& steps, std::uint64_t seed);

}  // namespace dla
