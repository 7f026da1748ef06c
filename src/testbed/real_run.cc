// run_real (testbed/real.h): one scenario on a lab of real hosts, end to end.
#include <algorithm>
#include <sstream>

#include "base/trace.h"
#include "testbed/real.h"

namespace dla::scen {
namespace {

using nlohmann::json;

constexpr const char* kClockStartLine = "dla: run clock started";  // src/mpi/distributed.h kClockStartLine

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) last = l;
  return last;
}

RunOutput spawn_and_read(const SpawnFn& spawn, const ProcessSpec& spec, Env& env) {
  double unused = 0;
  RunOutput r = spawn(spec, &unused);
  auto out = read_file(env, join_path(spec.cwd, spec.stdout_file));
  auto err = read_file(env, join_path(spec.cwd, spec.stderr_file));
  r.stdout_text = out ? *out : std::string();
  r.stderr_text = err ? *err : std::string();
  return r;
}

std::vector<std::string> with_tool(const std::string& tool, const std::vector<std::string>& args) {
  std::vector<std::string> a = {tool};
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

// The scenario without its timing expectations (real time is not simulated time: those are
// reported, not failed).
Scenario without_timing(const Scenario& s) {
  Scenario t = s;
  t.expect.makespan_max = t.expect.makespan_min = t.expect.detection_max = -1;
  t.expect.silences.clear();
  return t;
}

SupervisedSpec supervised_spec(const Scenario& s, const LabPlan& p, const RealRequest& req) {
  SupervisedSpec sp;
  sp.main = {with_tool(req.lab_tool, p.mpirun_args), req.run_dir, "stdout.txt", "stderr.txt", s.time_limit};
  sp.start_line = kClockStartLine;
  for (std::size_t i = 0; i < p.actions.size(); ++i) {
    const std::string n = "fault-" + std::to_string(i + 1);
    const LabAction& a = p.actions[i];
    TimedCommand t;
    t.at = a.at;
    t.spec = {a.raw ? a.args : with_tool(req.lab_tool, a.args), req.run_dir, n + ".out", n + ".err", 30};
    if (!a.resolve.empty()) {
      t.resolve = {with_tool(req.lab_tool, a.resolve), req.run_dir, n + ".pids", n + ".pids.err", 30};
      t.signal = 9;
      t.fallback_only = a.fallback_only;
    }
    sp.commands.push_back(t);
  }
  return sp;
}

// Failures of the run itself and of the fault commands; fills `as_run` with the real fault times.
void check_supervision(const SupervisedOutput& so, const LabPlan& p, const RealRequest& req, RealResult& out, Env& env) {
  if (!so.started) out.run.failures.push_back(std::string("the run's clock never started (no '") + kClockStartLine + "' on stderr)");
  for (std::size_t i = 0; i < p.actions.size(); ++i) {
    const LabAction& a = p.actions[i];
    const double at = i < so.ran_at.size() ? so.ran_at[i] : -1;
    if (at < 0) {
      out.timing.push_back("not applied (the run had ended): " + a.what);
      continue;
    }
    if (a.fault >= 0) out.as_run.faults[static_cast<std::size_t>(a.fault)].at = at;
    if (i < so.rcs.size() && so.rcs[i] != 0) {
      auto err = read_file(env, join_path(req.run_dir, "fault-" + std::to_string(i + 1) + ".err"));
      out.run.failures.push_back("fault command failed (rc " + std::to_string(so.rcs[i]) + "): " + a.what + ": " +
                                 last_line(err ? *err : ""));
    }
  }
}

// The run's output checked: RESULT line, counts (exact), result, failed workers; timing apart.
void check_real_output(const Scenario& s, RunOutput r, bool ended_by_grace, const json& base, RealResult& out, Env& env) {
  RunResult& rr = out.run;
  const std::string last = last_line(r.stdout_text);
  const bool has_result = last.rfind("RESULT ", 0) == 0;
  // dla-lab mpirun exits as tools/dla-mpirun: 0 OK, 3 INCOMPLETE; ended after its RESULT line: fine.
  if (!r.timed_out && has_result && (r.rc == 0 || ended_by_grace || (r.rc == 3 && s.expect.result != "OK"))) r.rc = 0;
  if (!r.timed_out && !has_result && s.expect.result == "none" && r.rc == 4) r.rc = 0;  // dla-mpirun: no RESULT line
  for (auto f : run_failures(r, s.expect.result != "none")) {
    if (f.rfind("smpirun ", 0) == 0) f = "the lab's mpirun " + f.substr(8);  // (run_failures speaks of smpirun)
    rr.failures.push_back(f);
  }
  rr.run_problems = rr.failures;
  rr.out_text = r.stdout_text;
  rr.base = base;
  auto trace_text = read_file(env, rr.run_dir + "/run.trace");
  rr.trace_text = trace_text ? *trace_text : std::string();
  if (s.expect.result == "none") return;
  if (!trace_text) rr.failures.push_back("no trace written (run.trace)");
  auto res = extract_result_json(r.stdout_text);
  if (!res) {
    rr.failures.push_back(res.error());
    return;
  }
  rr.result = *res;
  write_file(env, rr.run_dir + "/result.json", rr.result.dump(2) + "\n", WriteMode::kTruncate, false);
  auto trace = Trace::parse(rr.trace_text);
  if (!trace) {
    rr.failures.push_back(trace.error());
    return;
  }
  const auto hard = check_expectations(without_timing(out.as_run), rr.result, base, *trace);
  for (const auto& f : hard) rr.failures.push_back(f);
  for (const auto& f : check_expectations(out.as_run, rr.result, base, *trace))
    if (std::find(hard.begin(), hard.end(), f) == hard.end()) out.timing.push_back(f);
}

// Up, the supervised run, down (always). Open MPI's start-up across the lab sometimes hangs with no
// output at all (seen under load: nothing on stdout or stderr for 120 s): the run is then ended at
// start_limit and made again once on a fresh lab, and the real result says so.
Result<SupervisedOutput> run_on_lab(const LabPlan& plan, const SupervisedSpec& sp, const RealRequest& req, const SpawnFn& spawn,
                                    const SuperviseFn& supervise, RealResult& out, Env& env) {
  SupervisedOutput so;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto up = spawn_and_read(spawn, {with_tool(req.lab_tool, plan.up_args), req.run_dir, "lab-up.out", "lab-up.err", 120}, env);
    if (up.rc != 0) {
      spawn_and_read(spawn, {with_tool(req.lab_tool, plan.down_args), req.run_dir, "lab-down.out", "lab-down.err", 120}, env);
      return Error{"dla-lab up failed (rc " + std::to_string(up.rc) + "): " + last_line(up.stderr_text)};
    }
    so = supervise(sp, &out.run.real_s);
    auto down = spawn_and_read(spawn, {with_tool(req.lab_tool, plan.down_args), req.run_dir, "lab-down.out", "lab-down.err", 120}, env);
    if (down.rc != 0) out.run.failures.push_back("dla-lab down failed (rc " + std::to_string(down.rc) + "): " + last_line(down.stderr_text));
    if (!so.start_hung) break;
    out.timing.push_back("attempt " + std::to_string(attempt) + ": Open MPI start-up hung (no clock start within " +
                         std::to_string(static_cast<int>(sp.start_limit)) + " s)" + (attempt == 1 ? ": run again on a fresh lab" : ""));
    if (req.echo) *req.echo << "  " << out.timing.back() << std::endl;
  }
  return so;
}

}  // namespace

Result<RealResult> run_real(const Scenario& s, const Calibration& c, const RunPaths& paths, const RealRequest& req,
                            const SpawnFn& spawn, const SuperviseFn& supervise, Env& env) {
  const std::string program = paths.build + "/distributed_log_analyser";
  if (!is_regular_file(env, program)) return Error{program + " not found: build the target distributed_log_analyser"};
  auto twin = calibrated_scenario(s, c);
  if (!twin) return twin.err();
  RealResult out;
  out.as_run = *twin;
  auto setup = set_up_scenario_run(*twin, paths, req.run_dir, spawn, out.run, env);
  if (!setup) return setup.err();
  auto plan = plan_lab(s, with_run_defaults(*twin, program, env), c, req.lab, program, "run.trace");
  if (!plan) return plan.err();
  out.plan = *plan;
  const std::string desc = describe_plan(*plan);
  write_file(env, req.run_dir + "/lab-plan.txt", desc, WriteMode::kTruncate, false);
  if (req.echo) *req.echo << desc << std::flush;
  const SupervisedSpec sp = supervised_spec(*twin, *plan, req);
  write_file(env, req.run_dir + "/command.txt", "cd " + req.run_dir + " && " + shell_quote(sp.main.argv) + "\n",
             WriteMode::kTruncate, false);
  auto so = run_on_lab(*plan, sp, req, spawn, supervise, out, env);
  if (!so) return so.err();
  auto o = read_file(env, req.run_dir + "/stdout.txt");
  auto e = read_file(env, req.run_dir + "/stderr.txt");
  so->out.stdout_text = o ? *o : std::string();
  so->out.stderr_text = e ? *e : std::string();
  check_supervision(*so, *plan, req, out, env);
  check_real_output(*twin, so->out, so->ended_by_grace, setup->base, out, env);
  out.run.ok = out.run.failures.empty();
  return out;
}

Result<Validation> validate_scenario(const Scenario& s, const Calibration& c, const RunPaths& paths, const RealRequest& req,
                                     const SpawnFn& spawn, const SuperviseFn& supervise, Env& env) {
  auto twin = calibrated_scenario(s, c);
  if (!twin) return twin.err();
  RunRequest sr;
  sr.run_dir = paths.runs + "/" + s.name + ".twin";
  sr.echo = req.echo;
  auto sim = run_scenario(without_timing(*twin), paths, sr, spawn, env);
  if (!sim) return sim.err();
  auto real = run_real(s, c, paths, req, spawn, supervise, env);
  if (!real) return real.err();
  Validation v;
  v.scenario = s.name;
  auto metrics = [&](const Scenario& sc, const RunResult& r, RunMetrics& m, std::vector<int>& tasks) {
    auto t = Trace::parse(r.trace_text);
    const Trace trace = t ? *t : Trace();
    m = evaluate_run(sc, sc.options.policy, r.result, r.base, trace, -1);
    m.run_ok = r.run_problems.empty();
    tasks = tasks_per_rank(trace, sc.ranks);
  };
  metrics(*twin, *sim, v.sim, v.tasks_sim);
  metrics(real->as_run, real->run, v.real, v.tasks_real);
  v.sim_ok = sim->ok;
  v.real_ok = real->run.ok;
  for (const auto& f : sim->failures) v.problems.push_back("sim: " + f);
  for (const auto& f : real->run.failures) v.problems.push_back("real: " + f);
  v.not_reproduced = real->plan.not_reproduced;
  v.timing = real->timing;
  v.real_wall_s = real->run.real_s;
  return v;
}

}  // namespace dla::scen
