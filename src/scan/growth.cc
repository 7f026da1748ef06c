// growth.h: the scripted growth of a followed directory.
#include "scan/growth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "scan/loggen.h"

namespace dla {
namespace {

constexpr const char* kKinds[] = {"append", "create", "rotate", "truncate", "crash", "copy"};
constexpr const char* kGrowthLevels[] = {"DEBUG", "INFO", "WARN", "ERROR"};
constexpr std::uint64_t kMaxStepLines = 10000000;

bool has_file(GrowthStep::Kind k) { return k != GrowthStep::kCrash; }
bool has_lines(GrowthStep::Kind k) { return k == GrowthStep::kAppend || k == GrowthStep::kCreate; }

// The shortest of %.15g .. %.17g that reads back as v (2.2, not 2.2000000000000002).
std::string num(double v) {
  char b[32];
  for (int p = 15; p <= 17; ++p) {
    std::snprintf(b, sizeof b, "%.*g", p, v);
    if (std::strtod(b, nullptr) == v) break;
  }
  return b;
}

// One text line -> a step; `n`: its line number for the error.
Result<GrowthStep> parse_step_line(const std::string& line, int n) {
  std::istringstream in(line);
  std::string at, kind, a, b, extra;
  in >> at >> kind >> a >> b >> extra;
  const std::string where = "growth line " + std::to_string(n) + ": ";
  GrowthStep s;
  char* end = nullptr;
  s.at = std::strtod(at.c_str(), &end);
  if (at.empty() || *end || !std::isfinite(s.at)) return Error{where + "bad time '" + at + "'"};
  auto k = std::find(std::begin(kKinds), std::end(kKinds), kind);
  if (k == std::end(kKinds)) return Error{where + "unknown step '" + kind + "'"};
  s.kind = static_cast<GrowthStep::Kind>(k - std::begin(kKinds));
  const bool two = has_lines(s.kind) || s.kind == GrowthStep::kRotate || s.kind == GrowthStep::kCopy;
  if (a.empty() || (two && b.empty()) || (!two && !b.empty()) || !extra.empty())
    return Error{where + "'" + kind + "' takes " + (two ? "two arguments" : "one argument")};
  if (s.kind == GrowthStep::kCrash) {
    s.rank = std::atoi(a.c_str());
    if (a != std::to_string(s.rank)) return Error{where + "bad rank '" + a + "'"};
  } else {
    s.file = a;
  }
  if (s.kind == GrowthStep::kRotate || s.kind == GrowthStep::kCopy) s.to = b;
  if (has_lines(s.kind)) {
    if (b.find_first_not_of("0123456789") != std::string::npos || b.size() > 9) return Error{where + "bad line count '" + b + "'"};
    s.lines = std::stoull(b);
  }
  if (auto st = check_growth_step(s); !st) return Error{where + st.error()};
  return s;
}

}  // namespace

bool valid_growth_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find_first_of("/ \t\r\n") == std::string::npos;
}

Status check_growth_step(const GrowthStep& s) {
  if (!(s.at >= 0) || s.at > 1e6) return Error{"time must be within [0, 1e6] s"};
  if (has_file(s.kind) && !valid_growth_name(s.file)) return Error{"bad file name '" + s.file + "' (no '/', no spaces)"};
  if ((s.kind == GrowthStep::kRotate || s.kind == GrowthStep::kCopy) && (!valid_growth_name(s.to) || s.to == s.file))
    return Error{std::string(kKinds[s.kind]) + ": bad target name '" + s.to + "'"};
  if (has_lines(s.kind) && (s.lines == 0 || s.lines > kMaxStepLines)) return Error{"lines must be within [1, 10000000]"};
  if (s.kind == GrowthStep::kCrash && s.rank < 1) return Error{"crash: a worker rank (>= 1)"};
  return OkStatus();
}

Result<std::vector<GrowthStep>> parse_growth_text(const std::string& text) {
  std::vector<GrowthStep> steps;
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto s = parse_step_line(line, n);
    if (!s) return s.err();
    steps.push_back(*s);
  }
  std::stable_sort(steps.begin(), steps.end(), [](const GrowthStep& x, const GrowthStep& y) { return x.at < y.at; });
  return steps;
}

std::string growth_step_words(const GrowthStep& s) {
  std::string out = std::string(kKinds[s.kind]) + " ";
  if (s.kind == GrowthStep::kCrash) out += std::to_string(s.rank);
  else out += s.file;
  if (s.kind == GrowthStep::kRotate || s.kind == GrowthStep::kCopy) out += " " + s.to;
  if (has_lines(s.kind)) out += " " + std::to_string(s.lines);
  return out;
}

std::string growth_text(const std::vector<GrowthStep>& steps) {
  std::string out = "# dla growth script: AT KIND ARGS (scan/growth.h)\n";
  for (const auto& s : steps) out += num(s.at) + " " + growth_step_words(s) + "\n";
  return out;
}

GrowthLines growth_lines(const GrowthStep& s, std::size_t index, std::uint64_t seed) {
  GrowthLines g;
  if (!has_lines(s.kind)) return g;
  SplitMix64 rng(seed * 0x100000001B3ull + index + 1);
  const auto base_us = static_cast<std::uint64_t>(s.at * 1e6);
  for (std::uint64_t k = 0; k < s.lines; ++k) {
    const char* lvl = kGrowthLevels[rng.below(4)];
    const std::uint64_t us = base_us + k;
    char line[160];
    std::snprintf(line, sizeof line, "[2026-01-01T%02llu:%02llu:%02llu.%06llu] [%s] growth %s step %zu line %llu\n",
                  static_cast<unsigned long long>(us / 3600000000ull % 24), static_cast<unsigned long long>(us / 60000000ull % 60),
                  static_cast<unsigned long long>(us / 1000000ull % 60), static_cast<unsigned long long>(us % 1000000ull), lvl,
                  s.file.c_str(), index, static_cast<unsigned long long>(k));
    g.text += line;
    ++g.counts[lvl];
    ++g.counts.lines;
  }
  return g;
}

Status apply_growth_step(Env& env, const std::string& dir, const GrowthStep& s, std::size_t index, std::uint64_t seed) {
  const std::string path = join_path(dir, s.file);
  switch (s.kind) {
    case GrowthStep::kCreate:
      if (env.lstat(path)) return Error{"create: " + s.file + " exists already"};
      [[fallthrough]];
    case GrowthStep::kAppend:
      return write_file(env, path, growth_lines(s, index, seed).text, WriteMode::kAppend, /*sync=*/false);
    case GrowthStep::kRotate:
      if (env.lstat(join_path(dir, s.to))) return Error{"rotate: " + s.to + " exists already (never overwritten)"};
      return env.rename(path, join_path(dir, s.to));
    case GrowthStep::kCopy: {
      auto text = read_file(env, path);
      if (!text) return Error{"copy: " + text.error()};
      return write_file(env, join_path(dir, s.to), *text, WriteMode::kCreateExclusive, /*sync=*/false);
    }
    case GrowthStep::kTruncate:
      if (!env.lstat(path)) return Error{"truncate: no " + s.file};
      return write_file(env, path, "", WriteMode::kTruncate, /*sync=*/false);
    case GrowthStep::kCrash: return OkStatus();
  }
  return OkStatus();
}

Counts expected_growth_counts(const std::vector<GrowthStep>& steps, std::uint64_t seed) {
  Counts c;
  for (std::size_t i = 0; i < steps.size(); ++i) c += growth_lines(steps[i], i, seed).counts;
  return c;
}

}  // namespace dla
