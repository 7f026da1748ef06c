#include "testbed/validate.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace dla::scen {
namespace {

using nlohmann::json;

std::string fmt(double v, const char* f) {
  if (v < 0 || std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string pct(double e) {
  if (std::isnan(e)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", e * 100);
  return b;
}

std::string tasks_text(const std::vector<int>& t) {
  std::string s;
  for (std::size_t r = 1; r < t.size(); ++r) s += (s.empty() ? "" : " ") + std::to_string(t[r]);
  return s.empty() ? "-" : s;
}

json opt_number(double v) { return v < 0 || std::isnan(v) ? json(nullptr) : json(v); }

}  // namespace

double relative_error(double sim, double real) {
  if (!(real > 0) || sim < 0) return std::numeric_limits<double>::quiet_NaN();
  return (sim - real) / real;
}

std::vector<int> tasks_per_rank(const Trace& t, int ranks) {
  std::vector<int> n(static_cast<std::size_t>(std::max(ranks, 0)), 0);
  for (const auto& e : t.events())
    if (e.event == "result" && e.rank >= 0 && e.rank < ranks) ++n[static_cast<std::size_t>(e.rank)];
  return n;
}

std::string validation_table(const std::vector<Validation>& vs) {
  std::ostringstream t;
  char line[600];
  const char* head = "%-22s %8s %8s %7s  %7s %7s %7s  %5s %5s  %-28s %-28s %s\n";
  std::snprintf(line, sizeof line, head, "scenario", "mk_sim", "mk_real", "mk_err", "det_sim", "det_rl", "det_err", "re_s", "re_r",
                "tasks/worker sim", "tasks/worker real", "checks");
  t << line << std::string(150, '-') << "\n";
  for (const auto& v : vs) {
    const std::string checks = v.sim_ok && v.real_ok ? "ok" : (!v.sim_ok ? "SIM FAILED " : "") + std::string(!v.real_ok ? "REAL FAILED" : "");
    std::snprintf(line, sizeof line, head, v.scenario.c_str(), fmt(v.sim.makespan, "%.3f").c_str(), fmt(v.real.makespan, "%.3f").c_str(),
                  pct(relative_error(v.sim.makespan, v.real.makespan)).c_str(), fmt(v.sim.detection_max, "%.3f").c_str(),
                  fmt(v.real.detection_max, "%.3f").c_str(), pct(relative_error(v.sim.detection_max, v.real.detection_max)).c_str(),
                  v.sim.reassigned < 0 ? "-" : std::to_string(v.sim.reassigned).c_str(),
                  v.real.reassigned < 0 ? "-" : std::to_string(v.real.reassigned).c_str(), tasks_text(v.tasks_sim).c_str(),
                  tasks_text(v.tasks_real).c_str(), checks.c_str());
    t << line;
    for (const auto& n : v.not_reproduced) t << "    not reproduced: " << n << "\n";
    for (const auto& p : v.problems) t << "    " << p << "\n";
    for (const auto& p : v.timing) t << "    real timing: " << p << "\n";
  }
  t << "mk: makespan (s; real: from the master's clock start, mpirun start-up excluded); det: worst fault-to-detection\n"
       "time (s); re: tasks reassigned; err = (sim - real) / real. Definitions: src/testbed/validate.h.\n";
  return t.str();
}

json validation_json(const Validation& v) {
  auto err = [](double s, double r) {
    const double e = relative_error(s, r);
    return std::isnan(e) ? json(nullptr) : json(e);
  };
  return {{"scenario", v.scenario},
          {"makespan_sim", opt_number(v.sim.makespan)},
          {"makespan_real", opt_number(v.real.makespan)},
          {"makespan_error", err(v.sim.makespan, v.real.makespan)},
          {"detection_sim", opt_number(v.sim.detection_max)},
          {"detection_real", opt_number(v.real.detection_max)},
          {"detection_error", err(v.sim.detection_max, v.real.detection_max)},
          {"reassigned_sim", v.sim.reassigned},
          {"reassigned_real", v.real.reassigned},
          {"failed_sim", v.sim.failures},
          {"failed_real", v.real.failures},
          {"tasks_per_rank_sim", v.tasks_sim},
          {"tasks_per_rank_real", v.tasks_real},
          {"counts_ok_sim", v.sim.counts_ok},
          {"counts_ok_real", v.real.counts_ok},
          {"sim_ok", v.sim_ok},
          {"real_ok", v.real_ok},
          {"real_wall_s", opt_number(v.real_wall_s)},
          {"problems", v.problems},
          {"not_reproduced", v.not_reproduced},
          {"timing", v.timing}};
}

}  // namespace dla::scen
