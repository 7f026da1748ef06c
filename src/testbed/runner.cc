#include "testbed/runner.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "base/trace.h"
#include "scan/discovery.h"
#include "scan/gzip_file.h"
#include "testbed/store_run.h"

namespace dla::scen {
namespace {

using nlohmann::json;

Status write_text(Env& env, const std::string& path, const std::string& text) {
  return write_file(env, path, text, WriteMode::kTruncate, /*sync=*/false);
}

// A fresh run directory: ours, without the outputs, checkpoints and input of an earlier run.
Status prepare_run_dir(const std::string& run_dir, Env& env) {
  if (auto st = claim_run_dir(run_dir, env); !st) return st;
  for (const char* old : {"run.trace", "stdout.txt", "stderr.txt", "result.json", "run.paje"})
    env.remove_file(join_path(run_dir, old));
  remove_tree(env, run_dir + "/checkpoints");  // never resume from an earlier run
  // Generated inputs live in a cache shared by all runs of the same input (RUNS/.inputs/<hash>).
  return remove_tree(env, run_dir + "/input");
}

// Materialises `s` into the run directory; the program always sees "input" (a symlink), so its
// outputs do not depend on paths. Fills rr.task_bytes.
Result<Materialized> set_up_run(const Scenario& s, const RunPaths& paths, const std::string& run_dir, RunResult& rr,
                                Env& env) {
  auto m = materialize(s, run_dir, paths.repo, paths.runs + "/.inputs", env);
  if (!m) return Error{s.name + ": " + m.error()};
  // A follow scenario's input is run_dir/input itself (materialize: never the shared cache).
  if (!s.follow.on)
    if (auto l = env.symlink(m->input_dir, run_dir + "/input"); !l) return Error{l.error()};
  m->input_dir = "input";
  auto files = discover_logs(run_dir + "/input", env);
  if (!files) return Error{s.name + ": " + files.error()};
  for (const auto& t : make_tasks(*files, s.options.split_bytes)) rr.task_bytes.push_back(t.bytes());
  return m;
}

// The independent count: base_log_analyser --json on the same input.
Result<json> count_with_base(const Scenario& s, const std::string& base_prog, const std::string& run_dir,
                             const SpawnFn& spawn, Env& env) {
  double unused = 0;
  auto base = run_and_read(spawn, {{base_prog, "--json", "input"}, run_dir, "base.json", "base.err", 600}, &unused, env);
  try {
    return json::parse(base.stdout_text);
  } catch (const std::exception&) {
    return Error{s.name + ": base_log_analyser failed on the input (rc " + std::to_string(base.rc) + ")"};
  }
}

}  // namespace

RunOutput run_and_read(const SpawnFn& spawn, const ProcessSpec& spec, double* real_seconds, Env& env) {
  RunOutput r = spawn(spec, real_seconds);
  auto out = read_file(env, join_path(spec.cwd, spec.stdout_file));
  auto err = read_file(env, join_path(spec.cwd, spec.stderr_file));
  r.stdout_text = out ? *out : std::string();
  r.stderr_text = err ? *err : std::string();
  return r;
}

// The reason of a failed run is usually at the end of smpirun's log (SimGrid dies there, e.g. out
// of memory): keep its last lines, and the last few among the failures.
void note_stderr_tail(const std::string& stderr_text, RunResult& rr) {
  std::istringstream es(stderr_text);
  for (std::string l; std::getline(es, l);) {
    if (l.empty()) continue;
    rr.stderr_tail.push_back(l);
    if (rr.stderr_tail.size() > 10) rr.stderr_tail.erase(rr.stderr_tail.begin());
  }
  const auto& tail = rr.stderr_tail;
  for (std::size_t i = tail.size() > 6 ? tail.size() - 6 : 0; i < tail.size(); ++i) rr.failures.push_back("  stderr: " + tail[i]);
}

void check_run(const Scenario& s, RunOutput& r, const std::string& program, const json& base_json, RunResult& rr,
               Env& env) {
  const std::string& run_dir = rr.run_dir;
  // An "exit" fault makes smpirun return 1 (the actor called exit(1)); an expected INCOMPLETE run
  // returns the master's 3. Anything else non-zero is a failure.
  bool has_exit_fault = false;
  for (const auto& f : s.faults) has_exit_fault |= f.kind == Fault::Exit;
  if (!r.timed_out && ((r.rc == 1 && has_exit_fault) || (r.rc == 3 && s.expect.result != "OK"))) r.rc = 0;
  // stdout.txt keeps the program's output only (smpirun's epilogue goes to stdout.raw.txt).
  write_text(env, run_dir + "/stdout.raw.txt", r.stdout_text);
  r.stdout_text = strip_smpirun_lines(r.stdout_text, program);
  write_text(env, run_dir + "/stdout.txt", r.stdout_text);
  const bool master_dies = s.expect.result == "none";
  rr.failures = run_failures(r, !master_dies);
  rr.out_text = r.stdout_text;
  auto trace_text = read_file(env, run_dir + "/run.trace");
  rr.trace_text = trace_text ? *trace_text : std::string();
  if (!trace_text && !master_dies && !s.follow.on) rr.failures.push_back("no trace written (run.trace)");
  rr.run_problems = rr.failures;
  rr.base = base_json;
  if (s.follow.on) {  // no trace, no JSON: the RESULT line against the script's totals
    rr.trace_text = kFollowTraceNote;
    write_text(env, run_dir + "/run.trace", rr.trace_text);  // so that run.trace compares like any run's
    for (auto& f : follow_failures(s, r.stdout_text, base_json)) rr.failures.push_back(f);
    return;
  }
  auto res = extract_result_json(r.stdout_text);
  if (master_dies) return;  // nothing to check in a result: the run must just end by itself
  if (!res) {
    rr.failures.push_back(res.error());
    return;
  }
  rr.result = *res;
  write_text(env, run_dir + "/result.json", rr.result.dump(2) + "\n");
  auto trace = Trace::parse(rr.trace_text);
  if (!trace) rr.failures.push_back(trace.error());
  else
    for (auto& f : check_expectations(s, rr.result, base_json, *trace)) rr.failures.push_back(f);
}

Status claim_run_dir(const std::string& d, Env& env) {
  auto l = env.lstat(d);
  if (l && l->type == FileStat::Type::kSymlink) return Error{d + " is a symbolic link: refusing to run (and clean) there"};
  if (l && !l->directory()) return Error{d + " exists and is not a directory"};
  if (l && !is_regular_file(env, join_path(d, kRunMarker))) {
    auto names = env.list_dir(d);
    if (!names || !names->empty())
      return Error{d + " exists and was not made by dla-scenario (no " + kRunMarker + " in it): refusing to clean it; "
                   "choose another --runs or remove it yourself"};
  }
  if (auto st = make_dirs(env, d); !st) return st;
  if (!write_text(env, join_path(d, kRunMarker), "made by dla-scenario run: its contents are replaced by the next run\n"))
    return Error{"cannot write " + join_path(d, kRunMarker)};
  return OkStatus();
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    bool plain = !a.empty() && a.find_first_of(" \t'\"$\\*?;&|<>()") == std::string::npos;
    s += (s.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return s;
}

bool program_knows(const std::string& program, const std::string& option, Env& env) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(program);
  if (it == cache.end()) {
    auto text = read_file(env, program);
    it = cache.emplace(program, text ? *text : std::string()).first;
  }
  return it->second.find(option) != std::string::npos;
}

Scenario with_run_defaults(const Scenario& s, const std::string& program, Env& env) {
  Scenario out = s;
  if (!s.options.checkpoint && program_knows(program, "no-checkpoint", env))
    out.options.extra_args.insert(out.options.extra_args.begin(), "--no-checkpoint");
  return out;
}

Result<RunSetup> set_up_scenario_run(const Scenario& s, const RunPaths& paths, const std::string& run_dir,
                                     const SpawnFn& spawn, RunResult& rr, Env& env) {
  const std::string base_prog = paths.build + "/base_log_analyser";
  if (!is_regular_file(env, base_prog)) return Error{base_prog + " not found: build the target base_log_analyser (or pass --build)"};
  rr.run_dir = run_dir;
  if (auto st = prepare_run_dir(run_dir, env); !st) return Error{st.error()};
  auto m = set_up_run(s, paths, run_dir, rr, env);
  if (!m) return Error{m.error()};
  auto base_json = count_with_base(s, base_prog, run_dir, spawn, env);
  if (!base_json) return Error{base_json.error()};
  return RunSetup{*m, *base_json};
}

Result<RunResult> run_scenario(const Scenario& s, const RunPaths& paths, const RunRequest& req, const SpawnFn& spawn,
                               Env& env) {
  if (s.store.on) return run_store_scenario(s, paths, req, spawn, env);  // several programs in turn
  RunResult rr;
  rr.run_dir = req.run_dir;
  const std::string program = paths.build + "/distributed_log_analyser_smpi";
  const std::string base_prog = paths.build + "/base_log_analyser";
  if (!is_regular_file(env, program)) return Error{program + " not found: build the target distributed_log_analyser_smpi (or pass --build)"};
  if (!is_regular_file(env, base_prog)) return Error{base_prog + " not found: build the target base_log_analyser (or pass --build)"};
  auto setup = set_up_scenario_run(s, paths, req.run_dir, spawn, rr, env);
  if (!setup) return Error{setup.error()};
  const Materialized* m = &setup->m;
  const json* base_json = &setup->base;
  auto argv = smpirun_argv(with_run_defaults(s, program, env), *m, program, "run.trace", req.paje, req.policy);
  write_text(env, req.run_dir + "/command.txt", "cd " + req.run_dir + " && " + shell_quote(argv) + "\n");
  if (req.echo) *req.echo << "  $ cd " << req.run_dir << " && " << shell_quote(argv) << std::endl;
  auto r = run_and_read(spawn, {argv, req.run_dir, "stdout.txt", "stderr.txt", s.time_limit}, &rr.real_s, env);
  check_run(s, r, program, *base_json, rr, env);
  if (!rr.failures.empty()) note_stderr_tail(r.stderr_text, rr);
  rr.ok = rr.failures.empty();
  return rr;
}

std::vector<std::string> compare_repeat(const RunResult& first, const RunResult& again, int rep) {
  std::vector<std::string> problems;
  auto dt = first_difference(first.trace_text, again.trace_text);
  if (!dt.empty()) problems.push_back("NOT DETERMINISTIC: trace of run " + std::to_string(rep) + " differs from run 1: " + dt);
  auto dout = first_difference(first.out_text, again.out_text);
  if (!dout.empty()) problems.push_back("NOT DETERMINISTIC: output of run " + std::to_string(rep) + " differs from run 1: " + dout);
  return problems;
}

std::vector<std::string> compare_with_goldens(const std::string& repo, const std::string& name, const RunResult& first,
                                              Env& env) {
  std::string gtrace = repo + "/traces/" + name + ".trace";
  const std::string gout = repo + "/traces/" + name + ".out";
  auto et = read_file(env, gtrace);
  if (!et && et.code() == Code::kNotFound && env.stat(gtrace + ".gz")) {
    gtrace += ".gz";  // a large golden is kept compressed (update_goldens)
    et = read_gzip_file(env, gtrace);
  }
  auto eo = read_file(env, gout);
  if (!et || !eo) return {"no golden " + std::string(!et ? gtrace : gout) + " (run with --update-golden to create it)"};
  std::vector<std::string> problems;
  auto dt = first_difference(*et, first.trace_text);
  if (!dt.empty()) problems.push_back("trace differs from golden " + gtrace + ": " + dt + "  [diff " + gtrace + " " + first.run_dir + "/run.trace]");
  auto dout = first_difference(*eo, first.out_text);
  if (!dout.empty()) problems.push_back("output differs from golden " + gout + ": " + dout + "  [diff " + gout + " " + first.run_dir + "/stdout.txt]");
  return problems;
}

Status update_goldens(const std::string& repo, const std::string& name, const RunResult& first, Env& env) {
  if (auto st = make_dirs(env, repo + "/traces"); !st) return st;
  // A trace over 2 MB is kept gzip'd (NAME.trace.gz, ~8x smaller): compare_with_goldens reads either.
  constexpr std::size_t kCompressAbove = 2u << 20;
  if (first.trace_text.size() > kCompressAbove) {
    auto gz = gzip_text(first.trace_text);
    if (!gz) return gz.err();
    if (auto st = write_file_atomic(env, repo + "/traces/" + name + ".trace.gz", *gz); !st) return st;
  } else if (auto st = write_file_atomic(env, repo + "/traces/" + name + ".trace", first.trace_text); !st) {
    return st;
  }
  return write_file_atomic(env, repo + "/traces/" + name + ".out", first.out_text);
}

}  // namespace dla::scen
