// scenario.h, second half: command lines, checking a finished run, replay (the lower bound: bound.cc).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "testbed/scenario.h"

namespace dla::scen {
namespace {

using nlohmann::json;

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

std::vector<std::string> determinism_flags() {
  return {"--cfg=smpi/simulate-computation:no", "--cfg=smpi/grow-injected-times:no", "--cfg=smpi/iprobe:1e-6",
          "--cfg=smpi/async-small-thresh:65536",
          // MPI_Test costs 1e-4 s of simulated time by default; the master tests every receive
          // (MPI_Irecv + MPI_Test, so a slow link cannot stall it), which would charge it ~0.1 ms
          // per message: a modelling artefact, pinned as small as iprobe's.
          "--cfg=smpi/test:1e-6",
          // MPI_Wtime costs 1e-8 s and yields to the simulator by default: the master reads the
          // clock on every loop and message, so large-1024 spent ~15 % of its CPU on those yields.
          // Nothing waits by spinning on the clock (every wait sleeps), so 0 is safe.
          "--cfg=smpi/wtime:0"};
}

const std::vector<std::string>& known_policies() {
  static const std::vector<std::string> p = {"static", "dynamic", "lpt", "guided", "steal"};
  return p;
}

Result<PolicyChoice> split_policy(const std::string& name) {
  PolicyChoice c;
  c.policy = name;
  const std::string suffix = "+speculate";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    c.policy = name.substr(0, name.size() - suffix.size());
    c.speculate = true;
  }
  const auto& k = known_policies();
  if (std::find(k.begin(), k.end(), c.policy) == k.end())
    return Error{"unknown policy '" + name + "' (known: static, dynamic, lpt, guided, steal; the dynamic ones also as NAME+speculate)"};
  if (c.speculate && c.policy == "static") return Error{"static+speculate: speculation needs a dynamic policy"};
  return c;
}

std::vector<std::string> program_args(const Scenario& s, const std::string& input_dir, const std::string& trace_file,
                                      const std::string& policy_override) {
  if (s.follow.on) return follow_program_args(s, input_dir);
  const auto& o = s.options;
  PolicyChoice pc{o.policy, o.speculate};
  if (!policy_override.empty())
    if (auto c = split_policy(policy_override)) pc = *c;  // checked by the caller; a bad one keeps the scenario's
  std::vector<std::string> a = {"--policy", pc.policy,
                                "--timeout", num(o.timeout), "--heartbeat", num(o.heartbeat),
                                "--master-timeout", num(o.master_timeout), "--flops-per-byte", num(o.flops_per_byte)};
  if (pc.speculate) a.push_back("--speculate");
  if (!o.detector.empty()) a.insert(a.end(), {"--detector", o.detector});
  if (o.phi_threshold > 0) a.insert(a.end(), {"--phi-threshold", num(o.phi_threshold)});
  if (o.poll > 0) a.insert(a.end(), {"--poll", num(o.poll)});
  if (o.split_bytes) a.insert(a.end(), {"--split-bytes", std::to_string(o.split_bytes)});
  if (o.throttle > 0) a.insert(a.end(), {"--throttle", num(o.throttle)});
  for (const auto& sl : o.slow) a.insert(a.end(), {"--inject-slow", std::to_string(sl.rank) + "@" + num(sl.factor)});
  for (const auto& f : s.faults) {
    const char* kind = f.kind == Fault::Crash ? "kill" : f.kind == Fault::Hang ? "hang" : f.kind == Fault::Exit ? "exit" : nullptr;
    if (!kind) continue;  // host-off: a state profile in the platform
    a.insert(a.end(), {"--inject-crash", std::to_string(f.rank) + "@" + num(f.at) + ":" + kind});
  }
  if (o.checkpoint) {
    a.insert(a.end(), {"--checkpoint-dir", "checkpoints", "--checkpoint-every", std::to_string(o.checkpoint_every), "--fresh"});
    if (o.checkpoint_interval > 0) a.insert(a.end(), {"--checkpoint-interval", num(o.checkpoint_interval)});
  }
  a.insert(a.end(), {"--trace", trace_file, "--json", "--quiet"});
  a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
  a.push_back(input_dir);
  return a;
}

std::vector<std::string> smpirun_argv(const Scenario& s, const Materialized& m, const std::string& program,
                                      const std::string& trace_file, bool paje, const std::string& policy_override) {
  return smpirun_command(s, m, program, program_args(s, m.input_dir, trace_file, policy_override), paje);
}

std::vector<std::string> smpirun_command(const Scenario& s, const Materialized& m, const std::string& program,
                                         const std::vector<std::string>& args, bool paje) {
  std::vector<std::string> a;
  if (!m.smpi_tmpdir.empty()) a = {"env", "TMPDIR=" + m.smpi_tmpdir};
  for (const auto& x : {std::string("smpirun"), std::string("-platform"), m.platform_xml, std::string("-hostfile"), m.hostfile,
                        std::string("-np"), std::to_string(s.ranks)})
    a.push_back(x);
  if (paje) a.insert(a.end(), {"-trace", "-trace-file", "run.paje"});
  for (const auto& f : determinism_flags()) a.push_back(f);
  a.push_back("--log=root.thres:warning");
  a.push_back(program);
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

std::string strip_smpirun_lines(const std::string& text, const std::string& program) {
  std::string out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("Execution failed with code ", 0) == 0) continue;
    if (!program.empty() && l.rfind(program + " --cfg=", 0) == 0) continue;
    out += l + "\n";
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

Result<json> extract_result_json(const std::string& text) {
  auto ls = lines_of(text);
  int close = -1;
  for (int i = static_cast<int>(ls.size()) - 1; i >= 0; --i)
    if (ls[static_cast<std::size_t>(i)] == "}") {
      close = i;
      break;
    }
  if (close < 0) return Error{"no JSON result in the program's output"};
  for (int i = close; i >= 0; --i) {
    if (ls[static_cast<std::size_t>(i)] != "{") continue;
    std::string block;
    for (int k = i; k <= close; ++k) block += ls[static_cast<std::size_t>(k)] + "\n";
    try {
      return json::parse(block);
    } catch (const json::exception& e) {
      return Error{std::string("the program's JSON result does not parse: ") + e.what()};
    }
  }
  return Error{"no JSON result in the program's output"};
}

std::vector<std::string> run_failures(const RunOutput& r, bool expect_result_line) {
  std::vector<std::string> f;
  if (r.timed_out) f.push_back("smpirun did not finish within the time limit (killed)");
  else if (r.rc != 0) f.push_back("smpirun exited with status " + std::to_string(r.rc));
  for (const char* pat : {"Deadlock detected", "is gone??"})
    if (r.stderr_text.find(pat) != std::string::npos || r.stdout_text.find(pat) != std::string::npos)
      f.push_back(std::string("the simulation reported \"") + pat + "\"");
  std::string last;  // the master's last line (smpirun itself may add "Execution failed with code N.")
  for (const auto& l : lines_of(r.stdout_text))
    if (!l.empty() && l.rfind("Execution failed with code ", 0) != 0) last = l;
  if (!expect_result_line) {
    if (r.stdout_text.find("RESULT ") != std::string::npos) f.push_back("a RESULT line, but the master was expected to die: '" + last + "'");
    return f;
  }
  if (last.rfind("RESULT ", 0) != 0) f.push_back("the master's last line is not a RESULT line: '" + last + "'");
  else if (last.rfind("RESULT ERROR", 0) == 0) f.push_back("the analyser rejected its input: " + last);
  return f;
}

std::vector<std::string> count_failures(const Scenario& s, const json& res, const json& base) {
  std::vector<std::string> f;
  const auto& e = s.expect;
  if (!e.counts_match_base && e.exact_counts.empty()) return f;
  if (!res.contains("counts") || !res["counts"].is_object()) return {"counts missing from the result"};
  auto got = [&](const std::string& k) -> long long {
    if (k == "lines") return res.contains("lines") && res["lines"].is_number() ? res["lines"].get<long long>() : -1;
    return res["counts"].contains(k) && res["counts"][k].is_number() ? res["counts"][k].get<long long>() : -1;
  };
  if (e.counts_match_base) {
    if (!base.contains("counts") || !base["counts"].is_object()) return {"counts missing from base_log_analyser's output"};
    // Every level either side reports must agree (the set of levels is open: a level one side lacks
    // counts as -1, so a missing or extra level is a difference too), and so must the line totals.
    std::set<std::string> keys = {"lines"};
    for (const auto& [k, v] : res["counts"].items()) keys.insert(k);
    for (const auto& [k, v] : base["counts"].items()) keys.insert(k);
    for (const auto& k : keys) {
      const long long want = k == "lines" ? base.value("lines", -1LL) : base["counts"].value(k, -1LL);
      if (got(k) != want)
        f.push_back((k == "lines" ? "lines" : "count " + k) + " = " + std::to_string(got(k)) + ", base_log_analyser says " + std::to_string(want));
    }
  }
  for (const auto& [k, want] : e.exact_counts)
    if (got(k) != static_cast<long long>(want))
      f.push_back((k == "lines" ? "lines" : "count " + k) + " = " + std::to_string(got(k)) + ", the scenario expects exactly " + std::to_string(want));
  return f;
}

std::vector<std::string> check_expectations(const Scenario& s, const json& res, const json& base, const Trace& trace) {
  std::vector<std::string> f;
  const auto& e = s.expect;
  auto get_num = [&](const char* k, double* out) {
    if (!res.contains(k) || !res[k].is_number()) {
      f.push_back(std::string("the result JSON has no number '") + k + "'");
      return false;
    }
    *out = res[k].get<double>();
    return true;
  };
  for (auto& x : count_failures(s, res, base)) f.push_back(x);
  if (!e.result.empty()) {
    std::string got = res.value("result", std::string("?"));
    if (got != e.result) f.push_back("result is " + got + ", expected " + e.result);
  }
  if (e.failed_workers) {
    std::vector<int> got;
    if (res.contains("failed_workers") && res["failed_workers"].is_array())
      for (const auto& r : res["failed_workers"]) got.push_back(r.get<int>());
    std::sort(got.begin(), got.end());
    if (got != *e.failed_workers) {
      auto show = [](const std::vector<int>& v) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
        return s + "]";
      };
      f.push_back("failed workers " + show(got) + ", expected " + show(*e.failed_workers));
    }
  }
  double mk = 0;
  if ((e.makespan_max >= 0 || e.makespan_min >= 0) && get_num("makespan_s", &mk)) {
    if (e.makespan_max >= 0 && mk > e.makespan_max) f.push_back("makespan " + num(mk) + " s > makespan_max " + num(e.makespan_max) + " s");
    if (e.makespan_min >= 0 && mk < e.makespan_min) f.push_back("makespan " + num(mk) + " s < makespan_min " + num(e.makespan_min) + " s");
  }
  double re = 0;
  if (e.reassigned_min >= 0 && get_num("tasks_reassigned", &re) && re < e.reassigned_min)
    f.push_back("tasks_reassigned " + num(re) + " < reassigned_min " + std::to_string(e.reassigned_min));
  if (e.reassigned_max >= 0 && get_num("tasks_reassigned", &re) && re > e.reassigned_max)
    f.push_back("tasks_reassigned " + num(re) + " > reassigned_max " + std::to_string(e.reassigned_max));
  for (const auto& q : e.silences) {
    const double g = longest_silence(trace, q.rank);
    if (q.min >= 0 && g < q.min) f.push_back("rank " + std::to_string(q.rank) + "'s longest silence " + num(g) + " s < silence min " + num(q.min) + " s");
    if (q.max >= 0 && g > q.max) f.push_back("rank " + std::to_string(q.rank) + "'s longest silence " + num(g) + " s > silence max " + num(q.max) + " s");
  }
  if (e.detection_max >= 0) {
    for (const auto& x : s.faults) {
      std::vector<int> ranks;
      if (x.kind == Fault::HostOff) {
        for (int r = 1; r < s.ranks; ++r)
          if (s.host_of(r).name == x.host) ranks.push_back(r);
      } else if (x.rank > 0) {
        ranks.push_back(x.rank);
      }
      for (int r : ranks) {
        double t = -1;
        for (const auto& ev : trace.events())
          if (ev.event == "timeout" && ev.rank == r && ev.time >= x.at) {
            t = ev.time;
            break;
          }
        if (t < 0) f.push_back("rank " + std::to_string(r) + " (fault at " + num(x.at) + " s) has no timeout event in the trace");
        else if (t - x.at > e.detection_max + 1e-9)
          f.push_back("rank " + std::to_string(r) + " detected " + num(t - x.at) + " s after its fault > detection_max " + num(e.detection_max) + " s");
      }
    }
  }
  return f;
}

double longest_silence(const Trace& t, int rank) {
  double prev = -1, gap = 0;
  for (const auto& e : t.events()) {
    if (e.rank != rank) continue;
    if (prev >= 0) gap = std::max(gap, e.time - prev);
    prev = e.time;
    if (e.event == "timeout" || e.event == "stop") break;
  }
  return gap;
}

std::string first_difference(const std::string& expected, const std::string& got) {
  if (expected == got) return "";
  auto a = lines_of(expected), b = lines_of(got);
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string* x = i < a.size() ? &a[i] : nullptr;
    const std::string* y = i < b.size() ? &b[i] : nullptr;
    if (x && y && *x == *y) continue;
    std::string msg = "line " + std::to_string(i + 1) + ": expected " + (x ? "'" + *x + "'" : "end of file") + ", got " +
                      (y ? "'" + *y + "'" : "end of file");
    std::size_t diff = 0;
    for (std::size_t k = i; k < n; ++k)
      if (k >= a.size() || k >= b.size() || a[k] != b[k]) ++diff;
    return msg + " (" + std::to_string(diff) + " of " + std::to_string(n) + " lines differ)";
  }
  return "the texts differ only in their final newline";
}

// ---- replay ----

std::vector<std::string> trace_comments(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(text))
    if (!l.empty() && l[0] == '#') out.push_back(l.size() > 2 ? l.substr(2) : "");
  return out;
}

namespace {

// "key=value" tokens in a trace's comment lines.
std::map<std::string, std::string> header_params(const std::vector<std::string>& header) {
  std::map<std::string, std::string> hdr;
  for (const auto& line : header) {
    std::istringstream in(line);
    for (std::string tok; in >> tok;) {
      auto eq = tok.find('=');
      if (eq != std::string::npos && eq > 0) hdr[tok.substr(0, eq)] = tok.substr(eq + 1);
    }
  }
  return hdr;
}

// Per task: duration of its first successful execution (start -> result on the same rank); -1
// for a task that never finished.
std::vector<double> measured_costs(const Trace& real, std::size_t ntasks) {
  std::vector<double> cost(ntasks, -1);
  std::map<std::pair<int, int>, double> began;  // (rank, task) -> start or assign time
  for (const auto& e : real.events()) {
    if (e.task < 0) continue;
    const auto key = std::make_pair(e.rank, e.task);
    if (e.event == "assign") {
      began[key] = e.time;
    } else if (e.event == "start") {
      began[key] = e.time;
    } else if (e.event == "result" && cost[static_cast<std::size_t>(e.task)] < 0) {
      auto it = began.find(key);
      if (it != began.end()) cost[static_cast<std::size_t>(e.task)] = std::max(0.0, e.time - it->second);
    }
  }
  return cost;
}

// Gives every unfinished task the mean measured cost; returns how many were guessed, and the
// largest cost in *max_cost. Error when no task has a measured cost at all.
Result<int> fill_unknown_costs(std::vector<double>& cost, double* max_cost) {
  double known = 0;
  *max_cost = 0;
  int n_known = 0;
  for (double c : cost)
    if (c >= 0) {
      known += c;
      ++n_known;
      *max_cost = std::max(*max_cost, c);
    }
  if (n_known == 0) return Error{"the trace has no task with both a start (or assign) and a result event"};
  const double mean = known / n_known;
  int guessed = 0;
  for (double& c : cost)
    if (c < 0) {
      c = mean;  // never finished in the real run: assume an average task
      ++guessed;
      *max_cost = std::max(*max_cost, c);
    }
  if (*max_cost <= 0) *max_cost = 1e-6;
  return guessed;
}

// Failures: every rank the master timed out crashed at its last sign of life (or a crash event).
json crash_faults(const Trace& real) {
  json faults = json::array();
  std::set<int> faulted;
  for (const auto& e : real.events()) {
    if ((e.event != "timeout" && e.event != "crash") || e.rank <= 0 || faulted.count(e.rank)) continue;
    double at = e.time;
    if (e.event == "timeout") {
      at = 0;
      for (const auto& x : real.events()) {
        if (x.time > e.time) break;
        if (x.rank == e.rank && (x.event == "start" || x.event == "heartbeat" || x.event == "result" || x.event == "duplicate"))
          at = x.time;
      }
    }
    faulted.insert(e.rank);
    faults.push_back({{"rank", e.rank}, {"at", std::round(at * 1e6) / 1e6}, {"kind", "crash"}});
  }
  return faults;
}

}  // namespace

Result<json> replay_scenario(const Trace& real, const std::vector<std::string>& header, const ReplayOptions& o) {
  std::map<std::string, std::string> hdr = header_params(header);
  int max_rank = 0, max_task = -1;
  for (const auto& e : real.events()) {
    max_rank = std::max(max_rank, e.rank);
    max_task = std::max(max_task, e.task);
  }
  int ranks = max_rank + 1;
  if (hdr.count("ranks")) ranks = std::max(ranks, std::atoi(hdr["ranks"].c_str()));
  if (hdr.count("np")) ranks = std::max(ranks, std::atoi(hdr["np"].c_str()));
  if (max_task < 0) return Error{"the trace has no task events: nothing to replay"};
  if (ranks < 2) ranks = 2;
  const std::size_t ntasks = static_cast<std::size_t>(max_task) + 1;

  std::vector<double> cost = measured_costs(real, ntasks);
  double max_cost = 0;
  auto guessed = fill_unknown_costs(cost, &max_cost);
  if (!guessed) return Error{guessed.error()};
  const double fpb = max_cost * o.speed / static_cast<double>(o.max_file_bytes);
  json sizes = json::array();
  for (double c : cost) sizes.push_back(static_cast<std::uint64_t>(std::llround(c * o.speed / fpb)));
  const json faults = crash_faults(real);

  std::string policy = o.policy.empty() ? (hdr.count("policy") ? hdr["policy"] : "dynamic") : o.policy;
  double timeout = o.timeout >= 0 ? o.timeout : hdr.count("timeout") ? std::atof(hdr["timeout"].c_str()) : 3.0;
  double heartbeat = o.heartbeat >= 0 ? o.heartbeat : hdr.count("heartbeat") ? std::atof(hdr["heartbeat"].c_str()) : 0.5;
  if (!(timeout > 0)) timeout = 3;
  if (!(heartbeat > 0) || heartbeat >= timeout) heartbeat = timeout / 6;

  json sc;
  sc["description"] = "Replay of a real run: " + std::to_string(ntasks) + " tasks whose simulated costs equal their measured durations (" +
                      std::to_string(*guessed) + " unfinished tasks given the mean cost), " + std::to_string(faults.size()) +
                      " worker crash(es) at their last sign of life. Change options.policy / timeout to ask what-if.";
  sc["tags"] = {"replay"};
  sc["platform"] = {{"hosts", ranks}, {"speed", o.speed / 1e9}};
  sc["input"] = {{"sizes", sizes}, {"seed", 1}};
  sc["options"] = {{"policy", policy}, {"timeout", timeout}, {"heartbeat", heartbeat}, {"flops_per_byte", fpb}};
  sc["faults"] = faults;
  sc["expect"] = {{"counts", "base"}, {"result", "any"}};
  return sc;
}

Result<std::string> write_replay(const std::string& trace_text, const std::string& trace_name, const std::string& out_dir,
                                 const ReplayOptions& o, bool force, const std::string& repo_root, Env& env) {
  auto t = Trace::parse(trace_text);
  if (!t) return Error{trace_name + ": " + t.error()};
  auto j = replay_scenario(*t, trace_comments(trace_text), o);
  if (!j) return Error{j.error()};
  const std::string file = out_dir + "/scenario.json";
  if (is_regular_file(env, file) && !force) return Error{file + " exists (--force to overwrite)"};
  if (auto st = make_dirs(env, out_dir); !st) return Error{st.error()};
  const auto slash = out_dir.find_last_of('/');
  auto sc = parse_scenario(*j, out_dir.substr(slash == std::string::npos ? 0 : slash + 1), repo_root, env);
  if (!sc) return Error{"internal: the replay scenario does not validate: " + sc.error()};
  if (!write_file(env, file, j->dump(2) + "\n", WriteMode::kTruncate, false)) return Error{"cannot write " + file};
  if (!write_file(env, out_dir + "/real.trace", trace_text, WriteMode::kTruncate, false))
    return Error{"cannot write " + out_dir + "/real.trace"};
  std::ostringstream m;
  m << "wrote " << file << " (" << (*j)["input"]["sizes"].size() << " tasks, " << (*j)["faults"].size()
    << " fault(s), flops_per_byte " << (*j)["options"]["flops_per_byte"].get<double>() << ") and the source trace " << out_dir
    << "/real.trace";
  return m.str();
}

}  // namespace dla::scen
