#include "testbed/store_run.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "store/local_store.h"
#include "store/manifest.h"

namespace dla::scen {
namespace {

using nlohmann::json;

// Everything one store run carries from step to step.
struct StoreRun {
  const Scenario& s;
  const RunPaths& paths;
  const SpawnFn& spawn;
  Env& env;
  std::string analyser, store_prog, base_prog;
  Materialized m;     // the scenario's platform (faults included): the analysis
  Materialized calm;  // the same without faults: ingest and fsck
  RunResult rr;
  std::string out;    // the combined output (the golden .out)
  std::string root() const { return rr.run_dir + "/" + kStoreRoot; }
};

std::string rank_dir_of(const StoreRun& R, int rank) {
  auto d = LocalStore::rank_dir(R.root(), R.s.host_of(rank).name, rank);
  return d ? *d : std::string();
}

// A step's own failures: killed, a simulator abort, or an exit code it should not have.
std::vector<std::string> process_failures(const RunOutput& r, const std::string& what, const std::vector<int>& ok_rcs) {
  std::vector<std::string> f;
  if (r.timed_out) f.push_back(what + ": did not finish within the time limit (killed)");
  else if (std::find(ok_rcs.begin(), ok_rcs.end(), r.rc) == ok_rcs.end()) f.push_back(what + ": exited with status " + std::to_string(r.rc));
  for (const char* pat : {"Deadlock detected", "is gone??"})
    if (r.stderr_text.find(pat) != std::string::npos || r.stdout_text.find(pat) != std::string::npos)
      f.push_back(what + ": the simulation reported \"" + pat + "\"");
  return f;
}

// One `smpirun dla_store_smpi ARGS` on the calm platform; its output goes to NAME.out and, under a
// header, into the combined output.
RunOutput run_store_step(StoreRun& R, const std::string& name, const std::vector<std::string>& args) {
  auto argv = smpirun_command(R.s, R.calm, R.store_prog, args);
  write_file(R.env, R.rr.run_dir + "/" + name + ".command.txt", "cd " + R.rr.run_dir + " && " + shell_quote(argv) + "\n",
             WriteMode::kTruncate, false);
  double secs = 0;
  RunOutput r = run_and_read(R.spawn, {argv, R.rr.run_dir, name + ".out", name + ".err", R.s.time_limit}, &secs, R.env);
  R.rr.real_s += secs;
  r.stdout_text = strip_smpirun_lines(r.stdout_text, R.store_prog);
  write_file(R.env, R.rr.run_dir + "/" + name + ".out", r.stdout_text, WriteMode::kTruncate, false);
  std::string shown;
  for (const auto& a : args) shown += " " + a;
  R.out += "== " + name + ": dla_store" + shown + " (exit " + std::to_string(r.rc) + ")\n" + r.stdout_text;
  if (!r.stdout_text.empty() && r.stdout_text.back() != '\n') R.out += "\n";
  return r;
}

// The input bytes of every file, read once.
const std::string* input_bytes(StoreRun& R, const Manifest& man, int file, std::map<int, std::string>& cache) {
  auto it = cache.find(file);
  if (it == cache.end()) {
    auto t = read_file(R.env, R.rr.run_dir + "/input/" + man.files[static_cast<std::size_t>(file)].name);
    if (!t) return nullptr;
    it = cache.emplace(file, std::move(*t)).first;
  }
  return &it->second;
}

// Whether rank `r`'s replica of block `b` is on disk with exactly the input's bytes of its range.
bool replica_matches(StoreRun& R, const BlockRef& b, int r, const std::string& want) {
  auto st = LocalStore::open(R.env, R.root(), R.s.host_of(r).name, r, /*create=*/false);
  if (!st) return false;
  auto got = read_file(R.env, st->path_of(b.id, b.crc));
  return got && *got == want;
}

// The independent check of a manifest against the disks: every block has K replicas on distinct
// ranks (distinct hosts when the data ranks span K hosts; after the ingest, with store.sites, on
// as many sites as there are, up to K: a repair after a lost site may only use the sites left),
// each byte-equal to the input's range.
// `missing_allowed`: blocks with no good replica at all that are expected (fsck's missing ones).
std::vector<std::string> verify_replicas(StoreRun& R, const Manifest& man, const std::string& when, int missing_allowed) {
  std::vector<std::string> f;
  std::set<std::string> hosts, sites;
  for (int r = 1; r < R.s.ranks; ++r) hosts.insert(R.s.host_of(r).name), sites.insert(site_of(R.s.store, R.s.host_of(r).name));
  const bool host_aware = static_cast<int>(hosts.size()) >= R.s.store.replicas;
  const int want_sites = std::min(static_cast<int>(sites.size()), R.s.store.replicas);  // (distinct sites first)
  std::map<int, std::string> cache;
  int missing = 0;
  for (const auto& b : man.blocks) {
    const std::string what = when + ": block " + std::to_string(b.id) + " (" + man.files[static_cast<std::size_t>(b.file)].name + " " + range_text(b) + ")";
    const std::string* file = input_bytes(R, man, b.file, cache);
    if (!file || b.end() > file->size()) {
      f.push_back(what + ": its range is not in the input file");
      continue;
    }
    const std::string want = file->substr(b.offset, b.length);
    std::set<int> good;
    std::set<std::string> good_hosts, good_sites;
    for (int r : b.replicas)
      if (r > 0 && r < R.s.ranks && replica_matches(R, b, r, want))
        good.insert(r), good_hosts.insert(R.s.host_of(r).name), good_sites.insert(site_of(R.s.store, R.s.host_of(r).name));
    if (good.empty() && missing < missing_allowed) {
      ++missing;
      continue;
    }
    // (more than K is allowed after repairs: a falsely suspected holder keeps its replica)
    if (static_cast<int>(good.size()) < R.s.store.replicas || good.size() != b.replicas.size())
      f.push_back(what + ": " + std::to_string(good.size()) + " good replicas of " + std::to_string(b.replicas.size()) + " listed, K = " + std::to_string(R.s.store.replicas));
    else if (host_aware && static_cast<int>(good_hosts.size()) < R.s.store.replicas)
      f.push_back(what + ": its " + std::to_string(good.size()) + " replicas share hosts (" + std::to_string(good_hosts.size()) + " hosts)");
    else if (when == "after ingest" && !R.s.store.sites.empty() && static_cast<int>(good_sites.size()) < want_sites)
      f.push_back(what + ": its " + std::to_string(good.size()) + " replicas are on " + std::to_string(good_sites.size()) + " site(s), " + std::to_string(want_sites) + " available");
  }
  if (missing != missing_allowed) f.push_back(when + ": " + std::to_string(missing) + " blocks without a replica, expected " + std::to_string(missing_allowed));
  return f;
}

Result<Manifest> rank0_manifest(StoreRun& R) { return load_manifest(R.env, rank_dir_of(R, 0)); }

// Step 2: ingest, then the independent check of what it stored.
bool ingest(StoreRun& R, Manifest* man) {
  auto r = run_store_step(R, "ingest", store_ingest_args(R.s, "input"));
  for (auto& f : process_failures(r, "ingest", {0})) R.rr.failures.push_back(f);
  if (auto j = extract_result_json(r.stdout_text))
    write_file(R.env, R.rr.run_dir + "/ingest.json", j->dump(2) + "\n", WriteMode::kTruncate, false);
  if (!R.rr.failures.empty()) return false;
  auto got = rank0_manifest(R);
  if (!got) {
    R.rr.failures.push_back("after ingest: rank 0's manifest: " + got.error());
    return false;
  }
  *man = std::move(*got);
  for (auto& f : verify_replicas(R, *man, "after ingest", 0)) R.rr.failures.push_back(f);
  return R.rr.failures.empty();
}

// Step 3: flip bytes in the replica files store.corrupt names.
void corrupt(StoreRun& R, const Manifest& man) {
  std::vector<std::vector<int>> reps;
  for (const auto& b : man.blocks) reps.push_back(b.replicas);
  auto plan = plan_corruption(R.s.store, reps);
  if (!plan) {
    R.rr.failures.push_back(plan.error());
    return;
  }
  for (const auto& t : *plan) {
    const auto& b = man.blocks[static_cast<std::size_t>(t.block)];
    auto st = LocalStore::open(R.env, R.root(), R.s.host_of(t.rank).name, t.rank, false);
    const std::string p = st ? st->path_of(b.id, b.crc) : std::string();
    auto bytes = st ? read_file(R.env, p) : Result<std::string>(Error{st.error()});
    const std::string what = "store.corrupt: block " + std::to_string(t.block) + " replica " + std::to_string(t.replica) + " (rank " + std::to_string(t.rank) + ")";
    if (!bytes || bytes->empty()) {
      R.rr.failures.push_back(what + ": " + (bytes ? "the block is empty: nothing to corrupt" : bytes.error()));
      continue;
    }
    if (auto w = write_file(R.env, p, flip_bytes(*bytes), WriteMode::kTruncate, true); !w) R.rr.failures.push_back(what + ": " + w.error());
    const std::string rel = p.substr(R.rr.run_dir.size() + 1);
    R.out += "== corrupt: block " + std::to_string(t.block) + " replica " + std::to_string(t.replica) + ": bytes flipped in " + rel + "\n";
  }
}

// {"counts": {...}, "lines": n} -> level -> count, "lines" included.
std::map<std::string, long long> counts_of(const json& j) {
  std::map<std::string, long long> c;
  if (j.contains("counts") && j["counts"].is_object())
    for (const auto& [k, v] : j["counts"].items())
      if (v.is_number()) c[k] = v.get<long long>();
  if (j.contains("lines") && j["lines"].is_number()) c["lines"] = j["lines"].get<long long>();
  return c;
}

// With lost blocks: a file with a lost block is not counted at all (it is reported unreadable, like
// a file that cannot be read; the other files are counted), so the result's counts plus those of
// the lost files (copies of the whole input files, counted by base_log_analyser) must be
// base_log_analyser's on the whole input. The lost byte ranges must lie inside those files.
void check_counts_with_losses(StoreRun& R) {
  const auto ranges = store_lost_ranges(R.rr.result);
  const auto files = store_lost_files(R.rr.result);
  if (ranges.empty()) {
    R.rr.failures.push_back("lost files expected but the result names no lost byte range");
    return;
  }
  const std::string dir = R.rr.run_dir + "/lost";
  remove_tree(R.env, dir);
  make_dirs(R.env, dir);
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto t = read_file(R.env, R.rr.run_dir + "/input/" + files[i]);
    if (!t) {
      R.rr.failures.push_back("lost file " + files[i] + " is not in the input");
      return;
    }
    for (const auto& r : ranges)
      if (r.file == files[i] && r.end > t->size()) R.rr.failures.push_back("lost range " + r.file + " [" + std::to_string(r.offset) + "," + std::to_string(r.end) + ") is past its end");
    char name[32];
    std::snprintf(name, sizeof name, "/lost-%05zu.log", i);
    write_file(R.env, dir + name, *t, WriteMode::kTruncate, false);
  }
  double unused = 0;
  auto b = run_and_read(R.spawn, {{R.base_prog, "--json", "lost"}, R.rr.run_dir, "lost.json", "lost.err", 600}, &unused, R.env);
  json lj;
  try {
    lj = json::parse(b.stdout_text);
  } catch (const std::exception&) {
    R.rr.failures.push_back("base_log_analyser failed on the lost files (rc " + std::to_string(b.rc) + ")");
    return;
  }
  auto got = counts_of(R.rr.result), miss = counts_of(lj), want = counts_of(R.rr.base);
  std::set<std::string> keys;
  for (auto* m : {&got, &miss, &want})
    for (const auto& kv : *m) keys.insert(kv.first);
  for (const auto& k : keys)
    if (got[k] + miss[k] != want[k])
      R.rr.failures.push_back(k + ": counted " + std::to_string(got[k]) + " + lost files " + std::to_string(miss[k]) + " != base_log_analyser's " + std::to_string(want[k]));
}

// Step 4: the analysis with --store and the scenario's faults.
void analyse(StoreRun& R, const RunRequest& req) {
  Scenario checked = R.s;
  const bool losses = !R.s.store.expect.lost_files.empty();
  if (losses) checked.expect.counts_match_base = false;  // check_counts_with_losses instead
  auto argv = smpirun_command(R.s, R.m, R.analyser, store_analyse_args(with_run_defaults(R.s, R.analyser, R.env), "run.trace"), req.paje);
  write_file(R.env, R.rr.run_dir + "/command.txt", "cd " + R.rr.run_dir + " && " + shell_quote(argv) + "\n", WriteMode::kTruncate, false);
  if (req.echo) *req.echo << "  $ cd " << R.rr.run_dir << " && " << shell_quote(argv) << std::endl;
  double secs = 0;
  auto r = run_and_read(R.spawn, {argv, R.rr.run_dir, "stdout.txt", "stderr.txt", R.s.time_limit}, &secs, R.env);
  R.rr.real_s += secs;
  const int exit_code = r.rc;  // (check_run accepts an expected INCOMPLETE's 3 as 0)
  RunResult one;
  one.run_dir = R.rr.run_dir;
  check_run(checked, r, R.analyser, R.rr.base, one, R.env);
  if (!one.failures.empty()) note_stderr_tail(r.stderr_text, one);
  write_file(R.env, R.rr.run_dir + "/analyse.out", r.stdout_text, WriteMode::kTruncate, false);
  R.rr.result = one.result;
  R.rr.trace_text = one.trace_text;
  R.rr.run_problems = one.run_problems;
  R.rr.stderr_tail = one.stderr_tail;
  for (auto& f : one.failures) R.rr.failures.push_back("analysis: " + f);
  R.out += "== analyse: distributed_log_analyser --store " + std::string(kStoreRoot) + " (exit " + std::to_string(exit_code) + ")\n" + r.stdout_text;
  if (!r.stdout_text.empty() && r.stdout_text.back() != '\n') R.out += "\n";
  if (one.result.is_null()) return;
  for (auto& f : store_result_failures(R.s, one.result)) R.rr.failures.push_back("analysis: " + f);
  if (losses) check_counts_with_losses(R);
}

// Step 5: the lost disks go, fsck --repair, fsck, and the independent check of the final state.
void fsck(StoreRun& R) {
  for (int r : lost_disk_ranks(R.s)) {
    const std::string d = rank_dir_of(R, r);
    if (is_regular_file(R.env, join_path(d, kStoreMarker))) remove_tree(R.env, d);
    R.out += "== lost disk: rank " + std::to_string(r) + " (host " + R.s.host_of(r).name + " was switched off)\n";
  }
  auto repair = run_store_step(R, "fsck-repair", store_fsck_args(true));
  for (auto& f : process_failures(repair, "fsck --repair", {0, 2})) R.rr.failures.push_back(f);
  auto final_run = run_store_step(R, "fsck", store_fsck_args(false));
  for (auto& f : process_failures(final_run, "fsck", {0, 2})) R.rr.failures.push_back(f);
  auto man = rank0_manifest(R);
  if (!man) {
    R.rr.failures.push_back("after fsck: rank 0's manifest: " + man.error());
    return;
  }
  std::size_t listed = 0;
  for (const auto& b : man->blocks) listed += b.replicas.size();
  for (auto& f : fsck_final_failures(R.s, final_run, man->blocks.size(), listed)) R.rr.failures.push_back(f);
  for (auto& f : verify_replicas(R, *man, "after fsck", R.s.store.expect.missing_blocks)) R.rr.failures.push_back(f);
}

}  // namespace

Result<RunResult> run_store_scenario(const Scenario& s, const RunPaths& paths, const RunRequest& req, const SpawnFn& spawn,
                                     Env& env) {
  StoreRun R{s, paths, spawn, env, paths.build + "/distributed_log_analyser_smpi", paths.build + "/dla_store_smpi",
             paths.build + "/base_log_analyser", {}, {}, {}, {}};
  for (const auto* p : {&R.analyser, &R.store_prog, &R.base_prog})
    if (!is_regular_file(env, *p)) return Error{*p + " not found: build it (or pass --build)"};
  auto setup = set_up_scenario_run(s, paths, req.run_dir, spawn, R.rr, env);
  if (!setup) return Error{setup.error()};
  R.m = setup->m;
  R.rr.base = setup->base;
  auto calm = platform_files(calm_scenario(s), paths.repo, env);
  if (!calm) return Error{calm.error()};
  R.calm = R.m;
  R.calm.platform_xml = "calm-platform.xml";
  if (auto w = write_file(env, req.run_dir + "/calm-platform.xml", (*calm)["platform.xml"], WriteMode::kTruncate, false); !w)
    return Error{w.error()};
  if (auto st = remove_tree(env, R.root()); !st) return Error{st.error()};  // a store of an earlier run
  Manifest man;
  if (ingest(R, &man)) {
    corrupt(R, man);
    analyse(R, req);
    if (s.store.fsck) fsck(R);
  }
  if (R.rr.trace_text.empty()) R.rr.trace_text = "# store run: no analysis trace (an earlier step failed)\n";
  R.rr.out_text = R.out;
  write_file(env, req.run_dir + "/stdout.txt", R.out, WriteMode::kTruncate, false);
  R.rr.ok = R.rr.failures.empty();
  return R.rr;
}

}  // namespace dla::scen
