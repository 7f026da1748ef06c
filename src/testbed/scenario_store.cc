// scenario.h, store scenarios (issue 14): the "store" object, the command lines of the store steps
// (ingest, analysis with --store, fsck), the choice of the replica files to corrupt, and the checks
// of a store run's outcome (locality, lost files, repairs, the final fsck). The run itself:
// store_run.h.
#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "testbed/scenario.h"
#include "testbed/scenario_json.h"

namespace dla::scen {
namespace detail {
namespace {

StoreExpect parse_store_expect(Obj& e, const StoreSpec& st) {
  StoreExpect x;
  x.locality_min = e.num("locality_min", -1, 0, 100);
  x.locality_max = e.num("locality_max", -1, 0, 100);
  if (x.locality_min >= 0 && x.locality_max >= 0 && x.locality_min > x.locality_max)
    throw Bad{e.at("locality_min") + ": larger than locality_max"};
  if (e.has("lost_files")) {
    const json& v = e.get("lost_files");
    if (!v.is_array()) throw Bad{e.at("lost_files") + ": must be a list of file names (as the input names them)"};
    for (const auto& f : v) {
      if (!f.is_string() || f.get<std::string>().empty()) throw Bad{e.at("lost_files") + ": must be a list of file names"};
      x.lost_files.push_back(f.get<std::string>());
    }
    std::sort(x.lost_files.begin(), x.lost_files.end());
    if (std::adjacent_find(x.lost_files.begin(), x.lost_files.end()) != x.lost_files.end())
      throw Bad{e.at("lost_files") + ": a file is named twice"};
  }
  x.rereplicated_min = e.integer("rereplicated_min", -1, 0, 100000000);
  x.corrupt_repaired_min = e.integer("corrupt_repaired_min", -1, 0, 100000000);
  x.missing_blocks = e.integer("missing_blocks", 0, 0, 100000000);
  if (x.missing_blocks > 0 && !st.fsck) throw Bad{e.at("missing_blocks") + ": needs \"fsck\": true (it is what fsck reports)"};
  e.done({"locality_min", "locality_max", "lost_files", "rereplicated_min", "corrupt_repaired_min", "missing_blocks"});
  return x;
}

std::vector<StoreCorrupt> parse_corrupt(Obj& o, int k) {
  std::vector<StoreCorrupt> out;
  const json& v = o.get("corrupt");
  if (!v.is_array()) throw Bad{o.at("corrupt") + ": must be a list of {\"block\": i, \"replica\": j}"};
  for (std::size_t i = 0; i < v.size(); ++i) {
    Obj c(v[i], o.at("corrupt") + "[" + std::to_string(i) + "]");
    if (!c.has("block")) throw Bad{c.at("block") + ": missing (a block id of the manifest, from 0)"};
    StoreCorrupt x;
    x.block = c.integer("block", 0, 0, 100000000);
    x.replica = c.integer("replica", 0, 0, 1000);
    if (x.replica >= k)
      throw Bad{c.at("replica") + ": " + std::to_string(x.replica) + " but a block has " + std::to_string(k) +
                " replicas (0.." + std::to_string(k - 1) + ", 0 = the head of its chain)"};
    c.done({"block", "replica"});
    for (const auto& y : out)
      if (y.block == x.block && y.replica == x.replica) throw Bad{c.path() + ": block " + std::to_string(x.block) + " replica " + std::to_string(x.replica) + " is named twice"};
    out.push_back(x);
  }
  return out;
}

// What a store scenario cannot be combined with, each error naming the key.
void check_store_combinations(const StoreSpec& st, const Scenario& s) {
  const int data_ranks = s.ranks - 1;
  if (st.replicas > data_ranks)
    throw Bad{"store.replicas: " + std::to_string(st.replicas) + " replicas but only " + std::to_string(data_ranks) +
              " data ranks (ranks 1.." + std::to_string(data_ranks) + "; rank 0 holds no blocks)"};
  if (s.follow.on) throw Bad{"store: a store scenario cannot also be a follow scenario"};
  if (s.options.split_bytes) throw Bad{"options.split_bytes: with a store the tasks are the blocks (set store.block_size)"};
  if (s.options.checkpoint) throw Bad{"options.checkpoint: not with a store (the analyser refuses --checkpoint-dir with --store)"};
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const auto& f = s.faults[i];
    const bool hits_master = f.rank == 0 || (f.kind == Fault::HostOff && f.host == s.host_of(0).name);
    if (hits_master)
      throw Bad{"faults[" + std::to_string(i) + "]: hits rank 0, the store's coordinator (it owns the manifest; standbys are off with --store)"};
  }
  if (!st.expect.lost_files.empty() && s.expect.result == "OK")
    throw Bad{"store.expect.lost_files: files are lost, so the result cannot be OK: set expect.result to INCOMPLETE"};
  if (st.expect.lost_files.empty() && s.expect.result == "INCOMPLETE")
    throw Bad{"expect.result: INCOMPLETE in a store scenario means lost blocks: name their files in store.expect.lost_files"};
}

}  // namespace

StoreSpec parse_store(Obj& o, const Scenario& s) {
  StoreSpec st;
  st.on = true;
  if (!o.has("replicas")) throw Bad{o.at("replicas") + ": missing (K, the number of replicas of every block)"};
  st.replicas = o.integer("replicas", 2, 1, 16);
  if (o.has("block_size")) {
    auto r = parse_size(o.get("block_size"));
    if (!r) throw Bad{o.at("block_size") + ": " + r.error()};
    if (*r < 1 || *r > (1ull << 30)) throw Bad{o.at("block_size") + ": " + std::to_string(*r) + " is out of range [1, 1 GiB]"};
    st.block_size = *r;
  }
  if (o.has("corrupt")) st.corrupt = parse_corrupt(o, st.replicas);
  st.fsck = o.boolean("fsck", true);
  st.lose_disks = o.boolean("lose_disks", true);
  st.sites = o.str("sites", "");
  if (!st.sites.empty() && st.sites != "prefix")
    throw Bad{o.at("sites") + ": '" + st.sites + "': only \"prefix\" (a host's site is its name up to the last '-', e.g. a-0 -> a)"};
  st.locality_wait = o.unit("locality_wait", parse_duration, -1, 0, 1e6);
  if (o.has("expect")) {
    Obj e(o.get("expect"), o.at("expect"));
    st.expect = parse_store_expect(e, st);
  }
  o.done({"replicas", "block_size", "corrupt", "fsck", "lose_disks", "sites", "locality_wait", "expect", "comment"});
  check_store_combinations(st, s);
  return st;
}

}  // namespace detail

namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

}  // namespace

std::vector<std::string> store_ingest_args(const Scenario& s, const std::string& input_dir) {
  std::vector<std::string> a = {"ingest", "--store", kStoreRoot, "--replicas", std::to_string(s.store.replicas), "--block-size",
                                std::to_string(s.store.block_size)};
  if (!s.store.sites.empty()) a.insert(a.end(), {"--sites", s.store.sites});
  a.insert(a.end(), {"--json", input_dir});
  return a;
}

std::string site_of(const StoreSpec& st, const std::string& host) {
  if (st.sites != "prefix") return host;
  auto dash = host.rfind('-');
  return dash == std::string::npos ? host : host.substr(0, dash);
}

std::vector<std::string> store_fsck_args(bool repair) {
  std::vector<std::string> a = {"fsck", "--store", kStoreRoot};
  if (repair) a.push_back("--repair");
  return a;
}

std::vector<std::string> store_analyse_args(const Scenario& s, const std::string& trace_file) {
  std::vector<std::string> a = program_args(s, "", trace_file);
  a.pop_back();  // the input dir: the store replaces it
  // The policy only when the scenario names one: the analyser's default with --store is locality.
  const bool named = s.document.is_object() && s.document.contains("options") && s.document["options"].is_object() &&
                     s.document["options"].contains("policy");
  if (!named && a.size() >= 2 && a[0] == "--policy") a.erase(a.begin(), a.begin() + 2);
  a.insert(a.end(), {"--store", kStoreRoot});
  if (s.store.locality_wait >= 0) a.insert(a.end(), {"--locality-wait", fmt(s.store.locality_wait)});
  return a;
}

Scenario calm_scenario(const Scenario& s) {
  Scenario c = s;
  c.faults.clear();
  c.slowdowns.clear();
  c.network.clear();
  return c;
}

std::vector<int> lost_disk_ranks(const Scenario& s) {
  std::set<int> out;
  if (!s.store.lose_disks) return {};
  for (const auto& f : s.faults) {
    if (f.kind != Fault::HostOff) continue;
    for (int r = 1; r < s.ranks; ++r)
      if (s.host_of(r).name == f.host) out.insert(r);
  }
  return {out.begin(), out.end()};
}

Result<std::vector<CorruptTarget>> plan_corruption(const StoreSpec& st, const std::vector<std::vector<int>>& replicas_by_block) {
  std::vector<CorruptTarget> out;
  for (std::size_t i = 0; i < st.corrupt.size(); ++i) {
    const auto& c = st.corrupt[i];
    const std::string where = "store.corrupt[" + std::to_string(i) + "]";
    if (c.block >= static_cast<int>(replicas_by_block.size()))
      return Error{where + ".block: block " + std::to_string(c.block) + " does not exist (the ingest made " +
                   std::to_string(replicas_by_block.size()) + " blocks, 0.." + std::to_string(static_cast<int>(replicas_by_block.size()) - 1) + ")"};
    const auto& reps = replicas_by_block[static_cast<std::size_t>(c.block)];
    if (c.replica >= static_cast<int>(reps.size()))
      return Error{where + ".replica: block " + std::to_string(c.block) + " has " + std::to_string(reps.size()) + " replicas in the manifest"};
    out.push_back({c.block, c.replica, reps[static_cast<std::size_t>(c.replica)]});
  }
  return out;
}

std::string flip_bytes(std::string bytes) {
  // Up to three bytes spread over the block, each XORed with a non-zero mask (distinct positions,
  // so no flip undoes another): the checksum of the replica no longer matches (a CRC-32 misses
  // such a change with probability about 2^-32).
  const std::size_t n = bytes.size();
  for (std::size_t at : std::set<std::size_t>{n / 4, n / 2, (3 * n) / 4})
    if (at < n) bytes[at] = static_cast<char>(bytes[at] ^ 0x20);
  return bytes;
}

namespace {

// A "lost" entry of the analyser's JSON: a string naming the file (maybe with its range after a
// space or colon) or an object with "file".
std::string lost_file_of(const nlohmann::json& v) {
  if (v.is_object() && v.contains("file") && v["file"].is_string()) return v["file"].get<std::string>();
  if (!v.is_string()) return "?";
  std::string s = v.get<std::string>();
  auto cut = s.find_first_of(" [");
  return cut == std::string::npos ? s : s.substr(0, cut);
}

std::size_t count_of(const nlohmann::json& st, const char* key) {
  if (!st.contains(key)) return 0;
  const auto& v = st[key];
  if (v.is_array()) return v.size();
  return v.is_number_integer() && v.get<long long>() > 0 ? static_cast<std::size_t>(v.get<long long>()) : 0;
}

}  // namespace

std::vector<LostRange> store_lost_ranges(const nlohmann::json& result) {
  std::vector<LostRange> out;
  if (!result.contains("store") || !result["store"].is_object() || !result["store"].contains("lost") || !result["store"]["lost"].is_array())
    return out;
  for (const auto& v : result["store"]["lost"]) {
    LostRange r;
    r.file = lost_file_of(v);
    if (v.is_object()) {
      r.offset = v.value("offset", std::uint64_t{0});
      r.end = v.contains("end") ? v.value("end", std::uint64_t{0}) : r.offset + v.value("length", std::uint64_t{0});
    } else if (v.is_string()) {
      const std::string t = v.get<std::string>();
      unsigned long long a = 0, b = 0;
      auto lb = t.find(" [");  // "FILE [a,b): why" (the reason may repeat the range)
      if (lb != std::string::npos) ++lb;
      if (lb == std::string::npos || std::sscanf(t.c_str() + lb, "[%llu,%llu)", &a, &b) != 2) continue;
      r.offset = a;
      r.end = b;
    }
    if (r.end > r.offset) out.push_back(r);
  }
  return out;
}

std::vector<std::string> store_lost_files(const nlohmann::json& result) {
  std::set<std::string> files;
  if (result.contains("store") && result["store"].is_object() && result["store"].contains("lost") && result["store"]["lost"].is_array())
    for (const auto& v : result["store"]["lost"]) files.insert(lost_file_of(v));
  return {files.begin(), files.end()};
}

std::vector<std::string> store_result_failures(const Scenario& s, const nlohmann::json& result) {
  const auto& e = s.store.expect;
  if (!result.contains("store") || !result["store"].is_object()) return {"the result JSON has no \"store\" object"};
  const auto& st = result["store"];
  std::vector<std::string> f;
  const double loc = st.contains("locality") && st["locality"].is_number() ? st["locality"].get<double>() : -1;
  if (loc < 0 && (e.locality_min >= 0 || e.locality_max >= 0)) f.push_back("the result JSON has no store.locality");
  else if (e.locality_min >= 0 && loc < e.locality_min) f.push_back("store locality " + fmt(loc) + " % < locality_min " + fmt(e.locality_min) + " %");
  else if (e.locality_max >= 0 && loc > e.locality_max) f.push_back("store locality " + fmt(loc) + " % > locality_max " + fmt(e.locality_max) + " %");
  const auto lost = store_lost_files(result);
  if (lost != e.lost_files) {
    auto show = [](const std::vector<std::string>& v) {
      std::string t;
      for (const auto& x : v) t += (t.empty() ? "" : ", ") + x;
      return "[" + t + "]";
    };
    f.push_back("lost files " + show(lost) + ", expected " + show(e.lost_files));
  }
  const std::size_t rerep = count_of(st, "rereplicated_blocks"), repaired = count_of(st, "corrupt_repaired");
  if (e.rereplicated_min >= 0 && rerep < static_cast<std::size_t>(e.rereplicated_min))
    f.push_back("re-replicated " + std::to_string(rerep) + " blocks < rereplicated_min " + std::to_string(e.rereplicated_min));
  if (e.corrupt_repaired_min >= 0 && repaired < static_cast<std::size_t>(e.corrupt_repaired_min))
    f.push_back("repaired " + std::to_string(repaired) + " corrupt replicas < corrupt_repaired_min " + std::to_string(e.corrupt_repaired_min));
  return f;
}

std::vector<std::string> fsck_final_failures(const Scenario& s, const RunOutput& fsck, std::size_t blocks, std::size_t replicas) {
  std::string last;
  std::istringstream in(fsck.stdout_text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("FSCK ", 0) == 0) last = l;
  const int missing = s.store.expect.missing_blocks;
  const std::size_t k = static_cast<std::size_t>(s.store.replicas);
  std::vector<std::string> f;
  if (fsck.timed_out) f.push_back("the final fsck did not finish within the time limit");
  if (missing == 0) {
    const std::string want = "FSCK OK blocks=" + std::to_string(blocks) + " replicas=" + std::to_string(replicas);
    if (last != want) f.push_back("final fsck says '" + last + "', expected '" + want + "' (the manifest's replicas)");
    if (replicas < blocks * k) f.push_back("the manifest lists " + std::to_string(replicas) + " replicas of " + std::to_string(blocks) + " blocks: fewer than K each");
  } else {
    const std::string want = "FSCK PROBLEMS under=0 corrupt=0 missing=" + std::to_string(missing);
    if (last != want) f.push_back("final fsck says '" + last + "', expected '" + want + "'");
  }
  const int want_rc = missing == 0 ? 0 : 2;
  if (!fsck.timed_out && fsck.rc != want_rc) f.push_back("final fsck exited " + std::to_string(fsck.rc) + ", expected " + std::to_string(want_rc));
  return f;
}

}  // namespace dla::scen
