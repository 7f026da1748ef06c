// dla_scenario: the simulation testbed's runner (issue 5). No MPI here: it writes the material of a
// scenario (core/scenario.h), starts smpirun on distributed_log_analyser_smpi, checks the result
// against base_log_analyser and the scenario's expectations, and compares the event trace and the
// output with the golden files in traces/. Usage: dla_scenario --help; format: scenarios/README.md.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scan/discovery.h"
#include "obs/gantt.h"
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
  run-all                 the same for every scenarios/*/scenario.json
  check SCENARIO...       validate only (and print what the scenario contains)
  materialize SCENARIO -o DIR
                          write platform, hostfile, profiles and input into DIR; print the command
  compare [SCENARIO...]   run each scenario once per policy and print a table: makespan, lower bound,
                          ratio, tasks reassigned, messages (default: every scenario not tagged large)
  timeline TRACE -o OUT.svg [--title T]
                          Gantt chart (SVG) of any event trace, simulated or real
  summary TRACE...        per rank: tasks, bytes, busy time, lost and duplicate runs; failures and
                          reassignments (the structure of a run: compare a real trace with its replay)
  replay TRACE -o DIR     turn a real run's trace into a scenario (DIR/scenario.json) that replays its
                          per-task costs and failure times in simulation

Options
  --update-golden         run: accept this run's trace and output as the new goldens
  --force                 with --update-golden: even if expectations fail; replay: overwrite DIR
  --repeat N              run: run each scenario N times and require byte-identical results (default 1)
  --no-golden             run: do not compare with goldens
  --paje                  run: also write a Paje trace (run.paje in the run dir, for ViTE)
  --policy P              run: override the scenario's policy (implies --no-golden)
  --policies A,B          compare: policies to compare (default static,dynamic)
  --tag T / --skip-tag T  run-all, compare: only scenarios with / without tag T (repeatable)
  --runs DIR              where run dirs go (default REPO/traces/runs)
  --repo DIR              repository root (default $DLA_SRC, else found upwards from here)
  --build DIR             build dir with distributed_log_analyser_smpi and base_log_analyser
                          (default $DLA_BUILD, else the directory of this program)
  -o PATH                 output file or directory
  --title T               timeline: title
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
  std::vector<std::string> policies = {"static", "dynamic"}, tags, skip_tags;
  double timeout = -1, heartbeat = -1;
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

// A run directory is ours only if it carries this marker (written when we create it): the tool
// never cleans a directory it did not make, whatever --runs or the scenario name point at.
constexpr const char* kRunMarker = ".dla-scenario-run";
void claim_run_dir(const std::string& d) {
  auto l = fs().lstat(d);
  if (l && l->type == dla::FileStat::Type::kSymlink) die(d + " is a symbolic link: refusing to run (and clean) there");
  if (l && !l->directory()) die(d + " exists and is not a directory");
  if (l && !dla::is_regular_file(fs(), d + "/" + kRunMarker)) {
    auto names = fs().list_dir(d);
    if (!names || !names->empty())
      die(d + " exists and was not made by dla-scenario (no " + kRunMarker + " in it): refusing to clean it; "
              "choose another --runs or remove it yourself");
  }
  mkdirs(d);
  if (!write_file(d + "/" + kRunMarker, "made by dla-scenario run: its contents are replaced by the next run\n"))
    die("cannot write " + d + "/" + kRunMarker);
}
std::string quote(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    bool plain = !a.empty() && a.find_first_of(" \t'\"$\\*?;&|<>()") == std::string::npos;
    s += (s.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return s;
}

// Runs argv (PATH lookup) in `cwd`, stdout/stderr into files, killed (its whole process group)
// after `limit` seconds. Returns rc, whether it was killed, and the texts.
sc::RunOutput run_process(const std::vector<std::string>& argv, const std::string& cwd, const std::string& out_path,
                          const std::string& err_path, double limit, double* real_seconds) {
  sc::RunOutput r;
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::chdir(cwd.c_str()) != 0) _exit(126);
    int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    ::dup2(o, 1);
    ::dup2(e, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    std::fprintf(stderr, "error: cannot run %s: %s\n", a[0], std::strerror(errno));
    _exit(127);
  }
  ::setpgid(pid, pid);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (el > limit) {
      ::kill(-pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::seconds(2));
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (real_seconds) *real_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.stdout_text = read_file(cwd + "/" + out_path);
  r.stderr_text = read_file(cwd + "/" + err_path);
  return r;
}

struct Env {
  std::string repo, build, runs;
};

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
  std::vector<std::string> out;
  const std::string root = env.repo + "/scenarios";
  if (auto names = fs().list_dir(root))
    for (const auto& n : *names)
      if (n[0] != '.' && is_file(root + "/" + n + "/scenario.json")) out.push_back(root + "/" + n);
  std::sort(out.begin(), out.end());
  std::vector<std::string> kept;
  for (const auto& p : out) {
    auto s = sc::load_scenario(p, env.repo);
    if (!s) die(s.error());
    auto has = [&](const std::string& t) { return std::find(s->tags.begin(), s->tags.end(), t) != s->tags.end(); };
    bool ok = true;
    for (const auto& t : a.tags) ok = ok && has(t);
    for (const auto& t : a.skip_tags) ok = ok && !has(t);
    if (ok) kept.push_back(p);
  }
  return kept;
}

sc::Scenario load_or_die(const std::string& p, const Env& env) {
  auto s = sc::load_scenario(p, env.repo);
  if (!s) die(s.error());
  return *s;
}

// Whether the program binary contains an option name (feature detection without running it).
bool program_knows(const std::string& program, const std::string& option) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(program);
  if (it == cache.end()) it = cache.emplace(program, read_file(program)).first;
  return it->second.find(option) != std::string::npos;
}

struct RunResult {
  bool ok = false;
  std::vector<std::string> failures;
  json result;
  std::string trace_text, out_text;
  double real_s = 0;
  std::string run_dir;
  std::vector<std::uint64_t> task_bytes;
};

// One simulation of `s` in `run_dir`.
RunResult run_once(const sc::Scenario& s, const Env& env, const std::string& run_dir, const std::string& policy,
                   bool paje, bool verbose) {
  RunResult rr;
  rr.run_dir = run_dir;
  const std::string program = env.build + "/distributed_log_analyser_smpi";
  const std::string base_prog = env.build + "/base_log_analyser";
  if (!is_file(program)) die(program + " not found: build the target distributed_log_analyser_smpi (or pass --build)");
  if (!is_file(base_prog)) die(base_prog + " not found: build the target base_log_analyser (or pass --build)");
  claim_run_dir(run_dir);
  for (const char* old : {"run.trace", "stdout.txt", "stderr.txt", "result.json", "run.paje"}) fs().remove_file(run_dir + "/" + old);
  dla::remove_tree(fs(), run_dir + "/checkpoints");  // never resume from an earlier run
  // Generated inputs live in a cache shared by all runs of the same input (RUNS/.inputs/<hash>).
  dla::remove_tree(fs(), run_dir + "/input");
  auto m = sc::materialize(s, run_dir, env.repo, env.runs + "/.inputs");
  if (!m) die(s.name + ": " + m.error());
  // The program always sees "input" (a symlink), so its outputs do not depend on paths.
  if (auto l = fs().symlink(m->input_dir, run_dir + "/input"); !l) die(l.error());
  m->input_dir = "input";
  // Tasks, for the lower bound.
  auto files = dla::discover_logs(run_dir + "/input");
  if (!files) die(s.name + ": " + files.error());
  for (const auto& t : dla::make_tasks(*files, s.options.split_bytes)) rr.task_bytes.push_back(t.bytes());
  // Independent count.
  double unused = 0;
  auto base = run_process({base_prog, "--json", "input"}, run_dir, "base.json", "base.err", 600, &unused);
  json base_json;
  try {
    base_json = json::parse(base.stdout_text);
  } catch (const std::exception&) {
    die(s.name + ": base_log_analyser failed on the input (rc " + std::to_string(base.rc) + ")");
  }
  // Checkpoints (helper D) are on by default once the program knows them: a scenario without
  // "checkpoint": true turns them off, so runs never write or read checkpoint state.
  sc::Scenario s2 = s;
  if (!s.options.checkpoint && program_knows(program, "no-checkpoint")) s2.options.extra_args.insert(s2.options.extra_args.begin(), "--no-checkpoint");
  auto argv = sc::smpirun_argv(s2, *m, program, "run.trace", paje, policy);
  write_file(run_dir + "/command.txt", "cd " + run_dir + " && " + quote(argv) + "\n");
  if (verbose) std::cout << "  $ cd " << run_dir << " && " << quote(argv) << std::endl;
  auto r = run_process(argv, run_dir, "stdout.txt", "stderr.txt", s.time_limit, &rr.real_s);
  // An "exit" fault makes smpirun return 1 (the actor called exit(1)); an expected INCOMPLETE run
  // returns the master's 3. Anything else non-zero is a failure.
  bool has_exit_fault = false;
  for (const auto& f : s.faults) has_exit_fault |= f.kind == sc::Fault::Exit;
  if (!r.timed_out && ((r.rc == 1 && has_exit_fault) || (r.rc == 3 && s.expect.result != "OK"))) r.rc = 0;
  // stdout.txt keeps the program's output only (smpirun's epilogue goes to stdout.raw.txt).
  write_file(run_dir + "/stdout.raw.txt", r.stdout_text);
  r.stdout_text = sc::strip_smpirun_lines(r.stdout_text, program);
  write_file(run_dir + "/stdout.txt", r.stdout_text);
  const bool master_dies = s.expect.result == "none";
  rr.failures = sc::run_failures(r, !master_dies);
  rr.out_text = r.stdout_text;
  bool tok = false;
  rr.trace_text = read_file(run_dir + "/run.trace", &tok);
  if (!tok && !master_dies) rr.failures.push_back("no trace written (run.trace)");
  auto res = sc::extract_result_json(r.stdout_text);
  if (master_dies) {
    // Nothing to check in a result: the run must just end by itself (no deadlock, no hang).
  } else if (!res) {
    rr.failures.push_back(res.error());
  } else {
    rr.result = *res;
    write_file(run_dir + "/result.json", rr.result.dump(2) + "\n");
    auto trace = dla::Trace::parse(rr.trace_text);
    if (!trace) rr.failures.push_back(trace.error());
    else
      for (auto& f : sc::check_expectations(s, rr.result, base_json, *trace)) rr.failures.push_back(f);
  }
  if (!rr.failures.empty()) {
    // The reason is usually at the end of smpirun's log (SimGrid dies there, e.g. out of memory):
    // show it on stderr, not only in run_dir/stderr.txt.
    std::istringstream es(r.stderr_text);
    std::vector<std::string> tail;
    for (std::string l; std::getline(es, l);) {
      if (l.empty()) continue;
      tail.push_back(l);
      if (tail.size() > 10) tail.erase(tail.begin());
    }
    std::cerr << s.name << ": the run failed; last lines of " << run_dir << "/stderr.txt:" << std::endl;
    for (const auto& l : tail) std::cerr << "  " << l << std::endl;
    for (std::size_t i = tail.size() > 6 ? tail.size() - 6 : 0; i < tail.size(); ++i) rr.failures.push_back("  stderr: " + tail[i]);
  }
  rr.ok = rr.failures.empty();
  return rr;
}

std::string fmt(double v, const char* f = "%.3f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

int cmd_run(const Args& a, const Env& env, std::vector<std::string> paths) {
  if (paths.empty()) die("run: name at least one scenario (or use run-all)");
  const bool golden = !a.no_golden && a.policy.empty();
  int failed = 0;
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);
    const std::string gtrace = env.repo + "/traces/" + s.name + ".trace", gout = env.repo + "/traces/" + s.name + ".out";
    std::vector<std::string> problems;
    RunResult first;
    for (int rep = 1; rep <= a.repeat; ++rep) {
      const std::string dir = env.runs + "/" + s.name + (rep > 1 ? "~" + std::to_string(rep) : "");
      RunResult rr = run_once(s, env, dir, a.policy, a.paje, a.verbose);
      std::cout << (rr.ok ? "  ran " : "  RUN FAILED ") << s.name << (a.repeat > 1 ? " #" + std::to_string(rep) : "")
                << ": simulated makespan " << (rr.result.contains("makespan_s") ? fmt(rr.result["makespan_s"].get<double>(), "%.6f") : "?")
                << " s, real " << fmt(rr.real_s, "%.2f") << " s, trace " << std::count(rr.trace_text.begin(), rr.trace_text.end(), '\n')
                << " lines  (" << dir << ")" << std::endl;
      for (const auto& f : rr.failures) problems.push_back((a.repeat > 1 ? "run " + std::to_string(rep) + ": " : "") + f);
      if (rep == 1) {
        first = rr;
      } else {
        auto dt = sc::first_difference(first.trace_text, rr.trace_text);
        if (!dt.empty()) problems.push_back("NOT DETERMINISTIC: trace of run " + std::to_string(rep) + " differs from run 1: " + dt);
        auto dout = sc::first_difference(first.out_text, rr.out_text);
        if (!dout.empty()) problems.push_back("NOT DETERMINISTIC: output of run " + std::to_string(rep) + " differs from run 1: " + dout);
      }
    }
    if (golden) {
      if (a.update_golden) {
        if (!problems.empty() && !a.force) {
          problems.push_back("goldens NOT updated (the run failed; --force to accept anyway)");
        } else {
          mkdirs(env.repo + "/traces");
          write_file(gtrace, first.trace_text);
          write_file(gout, first.out_text);
          std::cout << "  updated " << gtrace << " and " << gout << std::endl;
        }
      } else {
        bool ok1 = false, ok2 = false;
        const std::string et = read_file(gtrace, &ok1), eo = read_file(gout, &ok2);
        if (!ok1 || !ok2) {
          problems.push_back("no golden " + std::string(!ok1 ? gtrace : gout) + " (run with --update-golden to create it)");
        } else {
          auto dt = sc::first_difference(et, first.trace_text);
          if (!dt.empty()) problems.push_back("trace differs from golden " + gtrace + ": " + dt + "  [diff " + gtrace + " " + first.run_dir + "/run.trace]");
          auto dout = sc::first_difference(eo, first.out_text);
          if (!dout.empty()) problems.push_back("output differs from golden " + gout + ": " + dout + "  [diff " + gout + " " + first.run_dir + "/stdout.txt]");
        }
      }
    }
    if (problems.empty()) {
      std::cout << "PASS " << s.name << (golden ? (a.update_golden ? " (golden updated)" : " (matches golden)") : "") << std::endl;
    } else {
      ++failed;
      std::cout << "FAIL " << s.name << std::endl;
      for (const auto& pr : problems) std::cout << "    " << pr << std::endl;
    }
  }
  std::cout << (failed ? "FAILED: " : "OK: ") << paths.size() - static_cast<std::size_t>(failed) << "/" << paths.size()
            << " scenario(s) passed" << std::endl;
  if (failed && golden && !a.update_golden)
    std::cout << "If a trace or output changed ON PURPOSE (the analyser's behaviour or output format changed), accept it with\n"
                 "  tools/dla-scenario run scenarios/NAME --repeat 2 --update-golden\n"
                 "then review `git diff traces/` and commit the goldens with the change." << std::endl;
  return failed ? 2 : 0;
}

int cmd_check(const Env& env, const std::vector<std::string>& paths) {
  if (paths.empty()) die("check: name at least one scenario");
  for (const auto& p : paths) {
    auto s = load_or_die(p, env);
    std::uint64_t bytes = 0, n = 0;
    if (s.input.kind == sc::InputSpec::Sizes)
      for (auto b : s.input.sizes) bytes += b, ++n;
    std::cout << "OK " << s.name << ": " << s.ranks << " ranks on " << s.platform.hosts.size() << " hosts ("
              << (s.platform.generated ? "generated" : s.platform.file) << "), input "
              << (s.input.kind == sc::InputSpec::Dir ? s.input.dir
                  : s.input.kind == sc::InputSpec::Lines ? std::to_string(s.input.gen.files) + " generated files x " + std::to_string(s.input.gen.lines) + " lines"
                                                         : std::to_string(n) + " generated files, " + std::to_string(bytes) + " bytes")
              << ", policy " << s.options.policy << ", " << s.faults.size() << " fault(s), " << s.slowdowns.size()
              << " slowdown(s), " << s.network.size() << " network change(s)" << std::endl;
  }
  return 0;
}

int cmd_materialize(const Args& a, const Env& env) {
  if (a.pos.size() != 1 || a.out.empty()) die("materialize: one SCENARIO and -o DIR");
  auto s = load_or_die(a.pos[0], env);
  auto m = sc::materialize(s, a.out, env.repo);
  if (!m) die(m.error());
  const std::string program = env.build + "/distributed_log_analyser_smpi";
  if (!s.options.checkpoint && program_knows(program, "no-checkpoint")) s.options.extra_args.insert(s.options.extra_args.begin(), "--no-checkpoint");
  auto argv = sc::smpirun_argv(s, *m, program, "run.trace", a.paje);
  std::cout << "cd " << abspath(a.out) << " && " << quote(argv) << std::endl;
  return 0;
}

int cmd_compare(const Args& a, const Env& env, std::vector<std::string> paths) {
  std::ostringstream t;
  char line[512];
  std::snprintf(line, sizeof line, "%-26s %-8s %12s %12s %7s %10s %9s %7s %s\n", "scenario", "policy", "makespan_s", "lower_bnd_s",
                "ratio", "reassigned", "messages", "failed", "counts");
  t << line << std::string(108, '-') << "\n";
  std::cout << t.str() << std::flush;
  int bad = 0;
  for (const auto& p : paths) {
    const auto s = load_or_die(p, env);
    for (const auto& pol : a.policies) {
      const std::string dir = env.runs + "/compare/" + s.name + "-" + pol;
      RunResult rr = run_once(s, env, dir, pol, false, a.verbose);
      auto lb = sc::lower_bound(s, rr.task_bytes);
      const double mk = rr.result.is_object() ? rr.result.value("makespan_s", -1.0) : -1.0;  // none if the master died
      bool counts_ok = true;
      std::string why;
      for (const auto& f : rr.failures)
        if (f.rfind("count", 0) == 0 || f.rfind("lines", 0) == 0) counts_ok = false;
      std::string failed = rr.result.is_object() ? "[]" : "-";
      if (rr.result.contains("failed_workers")) failed = rr.result["failed_workers"].dump();
      if (s.expect.result == "none") counts_ok = true;  // no result to count: the master dies
      std::snprintf(line, sizeof line, "%-26s %-8s %12s %12s %7s %10s %9s %7s %s\n", s.name.c_str(), pol.c_str(),
                    mk >= 0 ? fmt(mk, "%.6f").c_str() : "(no result)",
                    lb ? fmt(*lb, "%.6f").c_str() : "n/a", lb && *lb > 0 && mk >= 0 ? fmt(mk / *lb, "%.3f").c_str() : "n/a",
                    rr.result.contains("tasks_reassigned") ? rr.result["tasks_reassigned"].dump().c_str() : "?",
                    rr.result.contains("messages_sent") ? rr.result["messages_sent"].dump().c_str() : "?", failed.c_str(),
                    s.expect.result == "none" ? "-" : counts_ok ? "= base" : "MISMATCH");
      t << line;
      std::cout << line << std::flush;
      if (!counts_ok) ++bad;
      if (!rr.ok && a.verbose)
        for (const auto& f : rr.failures) std::cout << "    note: " << f << std::endl;
    }
  }
  if (!a.out.empty()) {
    std::ostringstream full;
    full << "# dla_scenario compare: makespan (simulated s) per scenario and policy.\n"
         << "# lower_bnd = max(total work / sum of worker speeds, largest task / fastest worker) at peak speeds;\n"
         << "# ratio = makespan / lower_bnd (1 = perfect; crashes, slowdowns and timeouts make it larger).\n"
         << "# reassigned = tasks handed out again after a failure; messages = MPI messages sent (master + workers).\n"
         << t.str();
    if (!write_file(a.out, full.str())) die("cannot write " + a.out);
    std::cout << "wrote " << a.out << std::endl;
  }
  return bad ? 2 : 0;
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
    auto m = dla::build_gantt(*t);
    struct Row {
      int done = 0, lost = 0, dup = 0;
      std::uint64_t bytes = 0;
      double busy = 0;
    };
    std::vector<Row> rows(static_cast<std::size_t>(std::max(m.ranks, 1)));
    double last_result = 0;
    for (const auto& b : m.bars) {
      auto& r = rows[static_cast<std::size_t>(b.rank)];
      r.busy += b.end - b.begin;
      if (b.outcome == dla::GanttBar::Done) {
        ++r.done;
        r.bytes += b.bytes;
        last_result = std::max(last_result, b.end);
      }
      if (b.outcome == dla::GanttBar::Lost) ++r.lost;
      if (b.outcome == dla::GanttBar::Duplicate) ++r.dup;
    }
    std::cout << "== " << path << "\n";
    for (const auto& c : dla::scen::trace_comments(read_file(path))) std::cout << "# " << c << "\n";
    char line[200];
    std::snprintf(line, sizeof line, "%6s %7s %12s %9s %6s %6s\n", "rank", "tasks", "bytes", "busy_s", "lost", "dup");
    std::cout << line;
    int tasks = 0;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      std::snprintf(line, sizeof line, "%6zu %7d %12llu %9.3f %6d %6d\n", r, rows[r].done, static_cast<unsigned long long>(rows[r].bytes),
                    rows[r].busy, rows[r].lost, rows[r].dup);
      std::cout << line;
      tasks += rows[r].done;
    }
    std::string failures;
    int reassigns = 0;
    for (const auto& k : m.marks) {
      if (k.event == "timeout") failures += " " + std::to_string(k.rank) + "@" + fmt(k.time, "%.3f");
      if (k.event == "reassign") ++reassigns;
    }
    std::cout << "tasks " << tasks << ", last result at " << fmt(last_result, "%.3f") << " s, failures:" << (failures.empty() ? " none" : failures)
              << ", reassignments " << reassigns << "\n";
  }
  return 0;
}

int cmd_replay(const Args& a, const Env& env) {
  if (a.pos.size() != 1 || a.out.empty()) die("replay: one TRACE and -o DIR (e.g. scenarios/my-incident)");
  bool ok = false;
  const std::string text = read_file(a.pos[0], &ok);
  if (!ok) die("cannot read trace " + a.pos[0]);
  auto t = dla::Trace::parse(text);
  if (!t) die(a.pos[0] + ": " + t.error());
  sc::ReplayOptions o;
  auto sp = sc::parse_speed(json(a.speed));
  if (!sp || *sp <= 0) die("--speed: " + (sp ? std::string("must be > 0") : sp.error()));
  o.speed = *sp;
  o.policy = a.policy;
  o.timeout = a.timeout;
  o.heartbeat = a.heartbeat;
  auto j = sc::replay_scenario(*t, sc::trace_comments(text), o);
  if (!j) die(j.error());
  const std::string file = a.out + "/scenario.json";
  if (is_file(file) && !a.force) die(file + " exists (--force to overwrite)");
  mkdirs(a.out);
  // Validate what we wrote, exactly as `run` will read it.
  auto name = a.out.substr(a.out.find_last_of('/') == std::string::npos ? 0 : a.out.find_last_of('/') + 1);
  auto s = sc::parse_scenario(*j, name, env.repo);
  if (!s) die("internal: the replay scenario does not validate: " + s.error());
  if (!write_file(file, j->dump(2) + "\n")) die("cannot write " + file);
  write_file(a.out + "/real.trace", text);
  std::cout << "wrote " << file << " (" << (*j)["input"]["sizes"].size() << " tasks, " << (*j)["faults"].size()
            << " fault(s), flops_per_byte " << (*j)["options"]["flops_per_byte"].get<double>() << ") and the source trace "
            << a.out << "/real.trace" << std::endl;
  return 0;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::cerr << kUsage;
    return 1;
  }
  a.cmd = argv[1];
  if (dla::wants_version(argc, argv)) {
    std::cout << dla::version_line("dla_scenario") << std::endl;
    return 0;
  }
  if (a.cmd == "-h" || a.cmd == "--help" || a.cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto to_double = [](const std::string& opt, const std::string& v) {
    auto d = sc::parse_duration(json(v));
    if (!d) {
      char* end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (end && *end == 0 && x >= 0) return x;
      die(opt + ": " + d.error());
    }
    return *d;
  };
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--update-golden") a.update_golden = true;
    else if (s == "--force") a.force = true;
    else if (s == "--no-golden") a.no_golden = true;
    else if (s == "--paje") a.paje = true;
    else if (s == "-v" || s == "--verbose") a.verbose = true;
    else if (s == "--repeat") {
      const std::string v = need(i);
      a.repeat = std::atoi(v.c_str());
      if (a.repeat < 1 || a.repeat > 100) die("--repeat: 1..100");
    } else if (s == "--policy") a.policy = need(i);
    else if (s == "--policies") a.policies = split_commas(need(i));
    else if (s == "--tag") a.tags.push_back(need(i));
    else if (s == "--skip-tag") a.skip_tags.push_back(need(i));
    else if (s == "--runs") a.runs = need(i);
    else if (s == "--repo") a.repo = need(i);
    else if (s == "--build") a.build = need(i);
    else if (s == "-o" || s == "--output") a.out = need(i);
    else if (s == "--title") a.title = need(i);
    else if (s == "--speed") a.speed = need(i);
    else if (s == "--timeout") a.timeout = to_double(s, need(i));
    else if (s == "--heartbeat") a.heartbeat = to_double(s, need(i));
    else if (s == "-h" || s == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!s.empty() && s[0] == '-') die("unknown option " + s + " (see --help)");
    else a.pos.push_back(s);
  }
  if (a.cmd == "timeline") return cmd_timeline(a);
  if (a.cmd == "summary") return cmd_summary(a);
  if (a.policies.empty()) die("--policies: give at least one");
  for (const auto& p : a.policies)
    if (p != "static" && p != "dynamic") die("--policies: unknown policy '" + p + "' (known: static, dynamic)");
  if (!a.policy.empty() && a.policy != "static" && a.policy != "dynamic") die("--policy: unknown policy '" + a.policy + "'");
  Env env = find_env(a);
  if (a.cmd == "run") return cmd_run(a, env, a.pos);
  if (a.cmd == "run-all") {
    if (!a.pos.empty()) die("run-all takes no scenario names (use run)");
    return cmd_run(a, env, all_scenarios(env, a));
  }
  if (a.cmd == "check") return cmd_check(env, a.pos.empty() ? all_scenarios(env, a) : a.pos);
  if (a.cmd == "materialize") return cmd_materialize(a, env);
  if (a.cmd == "compare") {
    Args b = a;
    if (b.pos.empty() && b.tags.empty() && b.skip_tags.empty()) b.skip_tags.push_back("large");
    return cmd_compare(b, env, b.pos.empty() ? all_scenarios(env, b) : b.pos);
  }
  if (a.cmd == "replay") return cmd_replay(a, env);
  die("unknown command '" + a.cmd + "' (see --help)");
}
