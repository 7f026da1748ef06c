// dla_scenario: the simulation testbed's command line (issue 5). No MPI here: the runner
// (testbed/runner.h) writes the material of a scenario (testbed/scenario.h), starts smpirun on
// distributed_log_analyser_smpi through run_process below, checks the result against
// base_log_analyser and the scenario's expectations, and compares the event trace and the output
// with the golden files in traces/. Usage: dla_scenario --help; format: scenarios/README.md.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dash/replay.h"
#include "dash/server.h"
#include "apps/process_runner.h"
#include "scan/discovery.h"
#include "scan/gzip_file.h"
#include "obs/gantt.h"
#include "testbed/compare.h"
#include "testbed/real.h"
#include "testbed/runner.h"
#include "testbed/suite.h"
#include "testbed/summary.h"
#include "testbed/scenario.h"
#include "base/env.h"
#include "base/trace.h"
#include "base/version.h"

namespace {

using nlohmann::json;
namespace sc = dla::scen;

const char* kUsage = R"(Usage: dla_scenario COMMAND [options]

Commands
  run SCENARIO...         run each scenario (a folder scenarios/NAME or its scenario.json) under
                          smpirun, check its expectations, compare trace and output with the goldens
                          traces/NAME.trace and traces/NAME.out
  run --real SCENARIO...  run each scenario on a lab of real hosts (tools/dla-lab, real Open MPI, real
                          time; needs root): CPU quotas from the host speeds, faults applied from outside
                          at their times, the ones the lab cannot make named; counts must be exact
  validate SCENARIO...    the calibrated simulation and the real run side by side: makespan, detection
                          latency, reassignments, tasks per worker, relative errors (--json: one object each)
  run-all                 the same for every scenarios/*/scenario.json
  check SCENARIO...       validate only (and print what the scenario contains)
  materialize SCENARIO -o DIR
                          write platform, hostfile, profiles and input into DIR; print the command
  compare [SCENARIO...]   run each scenario once per policy and print per policy: makespan, lower bound,
                          ratio, tasks reassigned, speculative copies, wasted bytes, steals, messages,
                          false suspicions, detection latency (default: every scenario not tagged large, follow or store);
                          fails (exit 2) when a run's counts are not the expected ones
  sweep SCENARIO --OPTION V1,V2,...
                          run the scenario once per value of one option (e.g. --timeout 0.5,1,2,3,5 or
                          --phi-threshold 4,8,12) and print detection latency against false failures
  timeline TRACE -o OUT.svg [--title T]
                          Gantt chart (SVG) of any event trace, simulated or real
  summary TRACE...        per rank: tasks, bytes, busy time, lost and duplicate runs; failures and
                          reassignments (the structure of a run: compare a real trace with its replay)
  replay TRACE -o DIR     turn a real run's trace into a scenario (DIR/scenario.json) that replays its
                          per-task costs and failure times in simulation
  dashboard TRACE [--port P] [--listen ADDR]
                          serve the live dashboard's page for a finished run (real or simulated, .gz
                          too) with a time slider, on http://127.0.0.1:P/ (default 8080) until Ctrl+C

Options
  --calibration FILE      run --real, validate: the lab's calibration (default REPO/platforms/lab-calibration.json,
                          made by tools/calibrate-lab)
  --lab-tool PATH         run --real, validate: the lab CLI (default $DLA_LAB_TOOL, else REPO/tools/dla-lab)
  --update-golden         run: accept this run's trace and output as the new goldens
  --force                 with --update-golden: even if expectations fail; replay: overwrite DIR
  --repeat N              run: run each scenario N times and require byte-identical results (default 1)
  --no-golden             run: do not compare with goldens
  --paje                  run: also write a Paje trace (run.paje in the run dir, for ViTE)
  --policy P              run, sweep: override the scenario's policy (run: implies --no-golden);
                          P is static|dynamic|lpt|guided|steal, the dynamic ones also as P+speculate
  --policies A,B          compare: policies to compare (default: all of them and the +speculate variants
                          the program knows)
  --json                  compare, sweep: print a JSON array (one object per run) instead of the table
  --chart FILE.svg        compare: also draw the table as a bar chart (makespan per policy, lower bound)
  --set OPTION=VALUE      compare, sweep: change one of the scenario's options first (repeatable), e.g.
                          sweep scenarios/jittery-network --set detector=fixed --timeout 0.5,1,2,3,5
  --tag T / --skip-tag T  run-all, compare: only scenarios with / without tag T (repeatable)
  --runs DIR              where run dirs go (default REPO/traces/runs)
  --repo DIR              repository root (default $DLA_SRC, else found upwards from here)
  --build DIR             build dir with distributed_log_analyser_smpi and base_log_analyser
                          (default $DLA_BUILD, else the directory of this program)
  -o PATH                 output file or directory
  --title T               timeline: title
  --port P, --listen ADDR dashboard: port (0: any free one, printed) and address (default 127.0.0.1)
  --speed S               replay: host speed (default 1Gf)
  --timeout SEC, --heartbeat SEC   replay: options of the replay scenario (default: from the trace)
  -v, --verbose           print the smpirun command lines
  --version               print the version (git describe at build time) and exit
Exit status: 0 all passed, 1 bad usage or bad scenario, 2 some run failed.
)";

struct Args {
  std::string cmd;
  std::vector<std::string> pos;
  bool update_golden = false, force = false, no_golden = false, paje = false, verbose = false;
  int repeat = 1;
  std::string policy, runs, repo, build, out, title, speed = "1Gf";
  std::vector<std::string> policies, tags, skip_tags;
  double timeout = -1, heartbeat = -1;
  bool json = false, real = false;
  std::string chart, calibration, lab_tool;
  std::vector<std::string> sets;           // compare, sweep: --set OPTION=VALUE, applied to each scenario first
  std::string port = "8080", listen = "127.0.0.1";  // dashboard
  std::string sweep_option;                // sweep: the option varied ("timeout", "phi-threshold", ...)
  std::vector<std::string> sweep_values;
};

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "error: " << msg << std::endl;
  std::exit(1);
}

// The file system, through the project's Env (base/env.h): no second copy of its helpers here.
dla::Env& fs() { return *dla::Env::posix(); }
bool is_file(const std::string& p) { return dla::is_regular_file(fs(), p); }
std::string read_file(const std::string& p, bool* ok = nullptr) {
  auto r = dla::read_file(fs(), p);
  if (ok) *ok = r.ok();
  return r ? *r : std::string();
}
bool write_file(const std::string& p, const std::string& text) {
  return dla::write_file(fs(), p, text, dla::WriteMode::kTruncate, false).ok();
}
std::string abspath(const std::string& p) {
  auto r = fs().real_path(p);
  return r ? *r : p;
}
void mkdirs(const std::string& d) {
  if (auto s = dla::make_dirs(fs(), d); !s) die(s.error());
}

// Processes are started and timed in apps/process_runner.h: the testbed layer is pure.
using dla::apps::run_process;
using dla::apps::supervise;

using Env = sc::RunPaths;

Env find_env(const Args& a) {
  Env e;
  e.repo = a.repo;
  if (e.repo.empty() && std::getenv("DLA_SRC")) e.repo = std::getenv("DLA_SRC");
  if (e.repo.empty()) {
    std::string d = abspath(".");
    for (;;) {
      if (dla::is_dir(fs(), d + "/scenarios") && is_file(d + "/CMakeLists.txt")) {
        e.repo = d;
        break;
      }
      if (d == "/" || d.empty()) break;
      d = dla::parent_dir(d);
      if (d.empty()) d = "/";
    }
  }
  if (e.repo.empty()) die("cannot find the repository root (a directory with scenarios/ and CMakeLists.txt): pass --repo");
  e.repo = abspath(e.repo);
  e.build = a.build;
  if (e.build.empty() && std::getenv("DLA_BUILD")) e.build = std::getenv("DLA_BUILD");
  if (e.build.empty()) e.build = dla::parent_dir(abspath("/proc/self/exe"));
  e.build = abspath(e.build);
  e.runs = a.runs.empty() ? e.repo + "/traces/runs" : a.runs;
  mkdirs(e.runs);
  e.runs = abspath(e.runs);
  return e;
}

// Every scenarios/*/scenario.json, sorted by name, filtered by tags.
std::vector<std::string> all_scenarios(const Env& env, const Args& a) {
  auto r = sc::list_scenarios(env.repo, a.tags, a.skip_tags, fs());
  if (!r) die(r.error());
  return *r;
}

sc::Scenario load_or_die(const std::string& p, const Env& env) {
  auto s = sc::load_scenario(p, env.repo);
  if (!s) die(s.error());
  return *s;
}


int cmd_run(const Args& a, const Env& env, std::vector<std::string> paths) {
  if (paths.empty()) die("run: name at least one scenario (or use run-all)");
  sc::CheckRequest req;
  req.repeat = a.repeat;
  req.policy = a.policy;
  req.paje = a.paje;
  req.golden = !a.no_golden && a.policy.empty();
  req.update_golden = a.update_golden;
  req.force = a.force;
  req.echo = a.verbose ? &std::cout : nullptr;
  int failed = 0;
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);
    auto problems = sc::check_scenario(s, env, req, run_process, std::cout, std::cerr, fs());
    if (!problems) die(problems.error());
    if (problems->empty()) {
      std::cout << "PASS " << s.name << (req.golden ? (a.update_golden ? " (golden updated)" : " (matches golden)") : "") << std::endl;
    } else {
      ++failed;
      std::cout << "FAIL " << s.name << std::endl;
      for (const auto& pr : *problems) std::cout << "    " << pr << std::endl;
    }
  }
  std::cout << (failed ? "FAILED: " : "OK: ") << paths.size() - static_cast<std::size_t>(failed) << "/" << paths.size()
            << " scenario(s) passed" << std::endl;
  if (failed && req.golden && !a.update_golden)
    std::cout << "If a trace or output changed ON PURPOSE (the analyser's behaviour or output format changed), accept it with\n"
                 "  tools/dla-scenario run scenarios/NAME --repeat 2 --update-golden\n"
                 "then review `git diff traces/` and commit the goldens with the change." << std::endl;
  return failed ? 2 : 0;
}

// ---- real runs (issue 12) ----
sc::Calibration calibration_or_die(const Args& a, const Env& env) {
  auto c = sc::load_calibration(a.calibration.empty() ? env.repo + "/platforms/lab-calibration.json" : a.calibration);
  if (!c) die(c.error());
  return *c;
}

sc::RealRequest real_request(const Args& a, const Env& env, const sc::Scenario& s, std::ostream* echo) {
  sc::RealRequest r;
  r.run_dir = env.runs + "/" + s.name + ".real";
  r.lab_tool = a.lab_tool;
  if (r.lab_tool.empty() && std::getenv("DLA_LAB_TOOL")) r.lab_tool = std::getenv("DLA_LAB_TOOL");
  if (r.lab_tool.empty()) r.lab_tool = env.repo + "/tools/dla-lab";
  r.lab = "dla-r" + std::to_string(::getpid() % 10000);  // short: interface names hold 15 characters
  r.echo = echo;
  return r;
}

int cmd_real(const Args& a, const Env& env, const std::vector<std::string>& paths) {
  if (paths.empty()) die("run --real: name at least one scenario");
  const auto c = calibration_or_die(a, env);
  dla::apps::install_interrupt_handler();  // Ctrl+C: the job ends, the lab is still taken down
  int failed = 0;
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);
    std::cout << "REAL " << s.name << std::endl;
    auto r = sc::run_real(s, c, env, real_request(a, env, s, &std::cout), run_process, supervise, fs());
    if (!r) die(r.error());
    const auto& rr = r->run;
    const double mk = rr.result.is_object() && rr.result.contains("makespan_s") ? rr.result["makespan_s"].get<double>() : -1;
    std::cout << "  makespan " << mk << " s (wall " << rr.real_s << " s), trace " << rr.run_dir << "/run.trace" << std::endl;
    for (const auto& t : r->timing) std::cout << "  timing (real time, not a failure): " << t << std::endl;
    if (dla::apps::g_interrupted) die("interrupted (the lab was taken down)");
    std::cout << (rr.ok ? "PASS " : "FAIL ") << s.name << " (real)" << std::endl;
    for (const auto& f : rr.failures) std::cout << "    " << f << std::endl;
    failed += rr.ok ? 0 : 1;
  }
  return failed ? 2 : 0;
}

int cmd_validate(const Args& a, const Env& env, const std::vector<std::string>& paths) {
  if (paths.empty()) die("validate: name at least one scenario");
  const auto c = calibration_or_die(a, env);
  dla::apps::install_interrupt_handler();
  std::vector<sc::Validation> all;
  json arr = json::array();
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);
    std::cerr << "validate " << s.name << " ..." << std::endl;
    auto v = sc::validate_scenario(s, c, env, real_request(a, env, s, a.verbose ? &std::cerr : nullptr), run_process, supervise, fs());
    if (!v) die(v.error());
    if (dla::apps::g_interrupted) die("interrupted (the lab was taken down)");
    all.push_back(*v);
    arr.push_back(sc::validation_json(*v));
  }
  if (a.json) std::cout << (arr.size() == 1 ? arr[0] : arr).dump(2) << std::endl;
  else std::cout << sc::validation_table(all);
  for (const auto& v : all)
    if (!v.sim_ok || !v.real_ok) return 2;
  return 0;
}

int cmd_check(const Env& env, const std::vector<std::string>& paths) {
  if (paths.empty()) die("check: name at least one scenario");
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);  // before printing anything: a bad file gives one error line
    std::cout << "OK " << sc::describe_scenario(s) << std::endl;
  }
  return 0;
}

int cmd_materialize(const Args& a, const Env& env) {
  if (a.pos.size() != 1 || a.out.empty()) die("materialize: one SCENARIO and -o DIR");
  auto s = load_or_die(a.pos[0], env);
  auto m = sc::materialize(s, a.out, env.repo);
  if (!m) die(m.error());
  const std::string program = env.build + "/distributed_log_analyser_smpi";
  auto argv = sc::smpirun_argv(sc::with_run_defaults(s, program, fs()), *m, program, "run.trace", a.paje);
  std::cout << "cd " << abspath(a.out) << " && " << sc::shell_quote(argv) << std::endl;
  return 0;
}

// The scenario with every --set OPTION=VALUE applied (checked like the scenario file itself).
sc::Scenario load_with_sets(const std::string& path, const Args& a, const Env& env) {
  sc::Scenario s = load_or_die(path, env);
  for (const auto& kv : a.sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) die("--set: OPTION=VALUE, e.g. --set detector=fixed (got '" + kv + "')");
    std::string note;
    auto r = sc::with_option(s, kv.substr(0, eq), kv.substr(eq + 1), env.repo, &note, fs());
    if (!r) die(r.error());
    if (!note.empty()) std::cerr << "note: " << s.name << ": " << note << std::endl;
    s = *r;
  }
  return s;
}

// The policies `compare` runs by default: all of them, or only static and dynamic when the program
// predates the others (no --speculate in it).
std::vector<std::string> default_policies(const Env& env) {
  if (sc::program_knows(env.build + "/distributed_log_analyser_smpi", "--speculate", fs())) return sc::all_policy_names();
  std::cerr << "note: this distributed_log_analyser_smpi knows only --policy static|dynamic" << std::endl;
  return {"static", "dynamic"};
}

// Prints the problems of a comparison or sweep loudly; returns its exit status.
int report_problems(const std::vector<sc::RunMetrics>& runs) {
  auto problems = sc::compare_problems(runs);
  for (const auto& p : problems) std::cerr << "error: " << p << std::endl;
  return problems.empty() ? 0 : 2;
}

int cmd_compare(const Args& a, const Env& env, std::vector<std::string> paths) {
  const auto policies = a.policies.empty() ? default_policies(env) : a.policies;
  sc::EvalRequest req;
  req.echo = a.verbose ? &std::cerr : nullptr;
  req.progress = &std::cerr;
  std::vector<sc::RunMetrics> all;
  for (const auto& p : paths) {
    auto runs = sc::compare_policies(load_with_sets(p, a, env), policies, env, req, run_process, fs());
    if (!runs) die(runs.error());
    all.insert(all.end(), runs->begin(), runs->end());
  }
  const std::string table = sc::compare_table(all);
  if (a.json) std::cout << sc::compare_json(all).dump(2) << std::endl;
  else std::cout << table << "\n" << sc::compare_legend();
  if (!a.out.empty() && !write_file(a.out, table + "\n" + sc::compare_legend())) die("cannot write " + a.out);
  if (!a.chart.empty() && !write_file(a.chart, sc::compare_chart_svg(all, "dla-scenario compare"))) die("cannot write " + a.chart);
  return report_problems(all);
}

int cmd_sweep(const Args& a, const Env& env) {
  if (a.pos.size() != 1 || a.sweep_option.empty()) die("sweep: one SCENARIO and one --OPTION V1,V2,... (e.g. --timeout 0.5,1,2,3,5)");
  const auto s = load_with_sets(a.pos[0], a, env);
  sc::EvalRequest req;
  req.runs_subdir = "sweep";
  req.echo = a.verbose ? &std::cerr : nullptr;
  req.progress = &std::cerr;
  std::vector<sc::SweepPoint> points;
  std::vector<sc::RunMetrics> runs;
  for (const auto& v : a.sweep_values) {
    sc::SweepPoint pt;
    pt.value = v;
    auto sv = sc::with_option(s, a.sweep_option, v, env.repo, &pt.note, fs());
    if (!sv) die(sv.error());
    auto m = sc::evaluate_one(*sv, a.policy, a.sweep_option + "=" + v, env, req, run_process, fs());
    if (!m) die(m.error());
    pt.m = *m;
    points.push_back(pt);
    runs.push_back(*m);
  }
  const std::string table = sc::sweep_table(a.sweep_option, points);
  if (a.json) std::cout << sc::sweep_json(a.sweep_option, points).dump(2) << std::endl;
  else std::cout << table;
  if (!a.out.empty() && !write_file(a.out, table)) die("cannot write " + a.out);
  return report_problems(runs);
}

int cmd_timeline(const Args& a) {
  if (a.pos.size() != 1 || a.out.empty()) die("timeline: one TRACE and -o OUT.svg");
  auto t = dla::Trace::read(a.pos[0]);
  if (!t) die(t.error());
  dla::GanttOptions o;
  o.title = a.title.empty() ? a.pos[0] : a.title;
  auto m = dla::build_gantt(*t);
  if (!write_file(a.out, dla::render_gantt_svg(m, o))) die("cannot write " + a.out);
  std::cout << "wrote " << a.out << " (" << m.ranks << " ranks, " << m.bars.size() << " task bars, " << m.marks.size() << " marks)"
            << std::endl;
  return 0;
}

// Structure of a trace, comparable between a real run and a simulated one (times differ).
int cmd_summary(const Args& a) {
  if (a.pos.empty()) die("summary: one or more TRACE files");
  for (const auto& path : a.pos) {
    auto t = dla::Trace::read(path);
    if (!t) die(t.error());
    std::cout << sc::trace_summary(path, *t, sc::trace_comments(read_file(path)));
  }
  return 0;
}

int cmd_replay(const Args& a, const Env& env) {
  if (a.pos.size() != 1 || a.out.empty()) die("replay: one TRACE and -o DIR (e.g. scenarios/my-incident)");
  bool ok = false;
  const std::string text = read_file(a.pos[0], &ok);
  if (!ok) die("cannot read trace " + a.pos[0]);
  sc::ReplayOptions o;
  auto sp = sc::parse_speed(json(a.speed));
  if (!sp || *sp <= 0) die("--speed: " + (sp ? std::string("must be > 0") : sp.error()));
  o.speed = *sp;
  o.policy = a.policy;
  o.timeout = a.timeout;
  o.heartbeat = a.heartbeat;
  auto msg = sc::write_replay(text, a.pos[0], a.out, o, a.force, env.repo, fs());
  if (!msg) die(msg.error());
  std::cout << *msg << std::endl;
  return 0;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

double to_seconds(const std::string& opt, const std::string& v) {
  auto d = sc::parse_duration(json(v));
  if (d) return *d;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (end && *end == 0 && x >= 0) return x;
  die(opt + ": " + d.error());
}

// sweep: `--OPTION V1,V2,...` names the option it varies (any option of the scenario format).
bool take_sweep_option(Args& a, const std::string& s, const std::string& values) {
  if (a.cmd != "sweep" || s.rfind("--", 0) != 0 || s.size() < 3) return false;
  if (!a.sweep_option.empty()) die("sweep: vary one option at a time (" + a.sweep_option + " and " + s.substr(2) + ")");
  a.sweep_option = s.substr(2);
  a.sweep_values = split_commas(values);
  if (a.sweep_values.empty()) die(s + ": give values, e.g. " + s + " 1,2,3");
  return true;
}

// Options that take a value: stores it, or returns false for an unknown option.
bool take_valued(Args& a, const std::string& s, const std::string& v) {
  if (s == "--repeat") {
    a.repeat = std::atoi(v.c_str());
    if (a.repeat < 1 || a.repeat > 100) die("--repeat: 1..100");
  } else if (s == "--policy") a.policy = v;
  else if (s == "--policies") a.policies = split_commas(v);
  else if (s == "--tag") a.tags.push_back(v);
  else if (s == "--skip-tag") a.skip_tags.push_back(v);
  else if (s == "--runs") a.runs = v;
  else if (s == "--repo") a.repo = v;
  else if (s == "--build") a.build = v;
  else if (s == "-o" || s == "--output") a.out = v;
  else if (s == "--chart") a.chart = v;
  else if (s == "--set") a.sets.push_back(v);
  else if (s == "--title") a.title = v;
  else if (s == "--port") a.port = v;
  else if (s == "--listen") a.listen = v;
  else if (s == "--calibration") a.calibration = v;
  else if (s == "--lab-tool") a.lab_tool = v;
  else if (s == "--speed") a.speed = v;
  else if (take_sweep_option(a, s, v)) return true;
  else if (s == "--timeout") a.timeout = to_seconds(s, v);
  else if (s == "--heartbeat") a.heartbeat = to_seconds(s, v);
  else return false;
  return true;
}

Args parse_args(int argc, char** argv) {
  Args a;
  a.cmd = argv[1];
  static const std::vector<std::string> kValued = {"--repeat", "--policy", "--policies", "--tag", "--skip-tag", "--runs", "--repo",
                                                    "--build", "-o", "--output", "--chart", "--set", "--title", "--calibration", "--lab-tool", "--speed", "--timeout", "--heartbeat",
                                                    "--port", "--listen"};
  for (int i = 2; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--update-golden") a.update_golden = true;
    else if (s == "--force") a.force = true;
    else if (s == "--no-golden") a.no_golden = true;
    else if (s == "--paje") a.paje = true;
    else if (s == "--json") a.json = true;
    else if (s == "--real") a.real = true;
    else if (s == "-v" || s == "--verbose") a.verbose = true;
    else if (s == "-h" || s == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (!s.empty() && s[0] == '-') {
      const bool valued = std::find(kValued.begin(), kValued.end(), s) != kValued.end() || (a.cmd == "sweep" && s.rfind("--", 0) == 0);
      if (!valued) die("unknown option " + s + " (see --help)");
      if (i + 1 >= argc) die(s + " needs a value");
      if (!take_valued(a, s, argv[++i])) die("unknown option " + s + " (see --help)");
    } else a.pos.push_back(s);
  }
  return a;
}

void check_policies(const Args& a) {
  for (const auto& p : a.policies)
    if (auto c = sc::split_policy(p); !c) die("--policies: " + c.error());
  if (!a.policy.empty())
    if (auto c = sc::split_policy(a.policy); !c) die("--policy: " + c.error());
}

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

// The dashboard of a finished run (dash/replay.h), served until SIGINT/SIGTERM.
int cmd_dashboard(const Args& a) {
  if (a.pos.size() != 1) die("dashboard: one TRACE (e.g. traces/worker-crash.trace)");
  const std::string& path = a.pos[0];
  auto text = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0 ? dla::read_gzip_file(fs(), path) : dla::read_file(fs(), path);
  if (!text) die("cannot read trace " + path + ": " + text.error());
  auto replay = dla::dash::TraceReplay::from_text(*text);
  if (!replay) die(path + ": " + replay.error());
  auto listen = dla::dash::parse_listen(a.listen + ":" + a.port);
  if (!listen) die(listen.error());
  auto shared = std::make_shared<const dla::dash::TraceReplay>(std::move(*replay));
  dla::dash::SnapshotBox box;
  box.publish(std::make_shared<const dla::dash::DashState>(shared->state_at(shared->duration())));
  dla::dash::Server server(&box, *listen, [shared](double t) -> dla::Result<std::shared_ptr<const dla::dash::DashState>> {
    return std::shared_ptr<const dla::dash::DashState>(std::make_shared<dla::dash::DashState>(shared->state_at(t)));
  });
  if (auto st = server.start(); !st) die("dashboard: " + st.error());
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::cout << "dashboard of " << path << " (" << shared->duration() << " s): " << server.url() << "  (Ctrl+C to stop)" << std::endl;
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  return 0;
}

int dispatch(const Args& a) {
  if (a.cmd == "timeline") return cmd_timeline(a);
  if (a.cmd == "dashboard") return cmd_dashboard(a);
  if (a.cmd == "summary") return cmd_summary(a);
  check_policies(a);
  Env env = find_env(a);
  if (a.cmd == "run" && a.real) return cmd_real(a, env, a.pos);
  if (a.cmd == "run") return cmd_run(a, env, a.pos);
  if (a.cmd == "validate") return cmd_validate(a, env, a.pos);
  if (a.cmd == "run-all") {
    if (!a.pos.empty()) die("run-all takes no scenario names (use run)");
    return cmd_run(a, env, all_scenarios(env, a));
  }
  if (a.cmd == "check") return cmd_check(env, a.pos.empty() ? all_scenarios(env, a) : a.pos);
  if (a.cmd == "materialize") return cmd_materialize(a, env);
  if (a.cmd == "compare") {
    Args b = a;
    if (b.pos.empty() && b.tags.empty() && b.skip_tags.empty()) b.skip_tags = {"large", "follow", "store"};  // follow, store: nothing to compare
    return cmd_compare(b, env, b.pos.empty() ? all_scenarios(env, b) : b.pos);
  }
  if (a.cmd == "sweep") return cmd_sweep(a, env);
  if (a.cmd == "replay") return cmd_replay(a, env);
  die("unknown command '" + a.cmd + "' (see --help)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 1;
  }
  if (dla::wants_version(argc, argv)) {
    std::cout << dla::version_line("dla_scenario") << std::endl;
    return 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  return dispatch(parse_args(argc, argv));
}
