// fsck, repair and status on rank 0: inventories gathered with deadlines, store/fsck.h's check and
// plan, COPY orders carried out, the new manifest pushed to every live rank.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/names.h"
#include "mpi/runtime.h"
#include "mpi/store_run.h"

namespace dla::mpi {
namespace {

// What the manifest says the live ranks hold (no verification: the analyser's end-of-run repair
// trusts it; fsck gathers real inventories instead).
std::map<int, std::vector<Held>> inventories_from_manifest(const Manifest& m, const std::set<int>& live) {
  std::map<int, std::vector<Held>> inv;
  for (int r : live) inv[r];
  for (const auto& b : m.blocks)
    for (int r : b.replicas)
      if (live.count(r)) inv[r].push_back(Held{b.id, b.crc, b.length, true});
  return inv;
}

std::string chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

Result<RepairOutcome> run_repair(Manifest* m, const std::vector<RankHost>& live, StoreCoordinator* coord,
                                 const RepairOptions& opt) {
  RepairOutcome out;
  const double end = coord->now() + opt.deadline;
  std::vector<int> ranks;
  for (const auto& rh : live) ranks.push_back(rh.rank);
  std::set<int> all(ranks.begin(), ranks.end());
  auto inv = opt.verify ? coord->gather_inventories(ranks, true, verify_patience(*m)) : inventories_from_manifest(*m, all);
  std::vector<RankHost> answered;
  for (const auto& rh : live)
    if (inv.count(rh.rank)) {
      answered.push_back(rh);
      out.live.insert(rh.rank);
    } else {
      std::fprintf(stderr, "[Store 0] note: rank %d did not send its inventory within %.1f s: counted as holding nothing\n",
                   rh.rank, coord->link().timeout);
    }
  out.found = check(*m, inv, out.live);
  const auto orders = plan_repair(*m, out.found, answered, m->k);
  auto res = coord->execute_copies(orders, *m, 8, end);
  out.done = res.done;
  out.bytes = res.bytes;
  for (const auto& c : out.done) out.lines.push_back(chomp(repaired_line(c)));
  for (const auto& f : res.failures) out.lines.push_back(f);
  for (const auto& c : out.done) {  // the target now holds a good copy (a corrupt one was overwritten)
    auto& v = inv[c.to];
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Held& h) { return h.block == c.block; }), v.end());
    const BlockRef& b = m->blocks[static_cast<std::size_t>(c.block)];
    v.push_back(Held{b.id, b.crc, b.length, true});
  }
  out.final_state = check(*m, inv, out.live);
  out.lost = out.final_state.missing;
  out.manifest_changed = apply_repairs(m, out.found, out.done);
  if (out.manifest_changed) {
    const auto saved = coord->push_manifest(*m, ranks_of(answered));
    if (saved.size() < answered.size() + 1)
      std::fprintf(stderr, "[Store 0] note: the new manifest (version %llu) is saved on %zu of %zu ranks\n",
                   static_cast<unsigned long long>(m->version), saved.size(), answered.size() + 1);
  }
  return out;
}

int run_fsck(StoreRun& run) {
  auto m = load_current_manifest(run);
  if (!m) return store_error(m.error());
  RepairOutcome r;
  if (run.cli.repair) {
    RepairOptions opt;
    opt.verify = true;
    opt.deadline = std::max(30.0, 20 * run.cli.timeout);
    auto rr = run_repair(&*m, run.data, run.coord, opt);
    if (!rr) return store_error(rr.error());
    r = std::move(*rr);
    for (const auto& line : r.lines)
      if (line.rfind("repaired ", 0) != 0) std::cerr << "[Store 0] " << line << "\n";
  } else {
    std::set<int> live;
    auto inv = run.coord->gather_inventories(ranks_of(run.data), true, verify_patience(*m));
    for (const auto& rh : run.data)
      if (inv.count(rh.rank)) live.insert(rh.rank);
      else std::fprintf(stderr, "[Store 0] note: rank %d did not send its inventory: counted as holding nothing\n", rh.rank);
    r.found = check(*m, inv, live);
    r.final_state = r.found;
  }
  if (run.cli.json) std::cout << fsck_json(*m, r.found, r.done, r.final_state) << std::endl;
  else std::cout << format_fsck(*m, r.found, r.done, r.final_state) << std::flush;
  return r.final_state.healthy() ? kStoreExitOk : kStoreExitProblems;
}

int run_status(StoreRun& run) {
  auto m = load_current_manifest(run);
  if (!m) return store_error(m.error());
  auto inv = run.coord->gather_inventories(ranks_of(run.data), false);
  std::uint64_t bytes = 0;
  for (const auto& f : m->files) bytes += f.size;
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& rh : m->ranks) {
    if (rh.rank == 0) continue;
    auto it = inv.find(rh.rank);
    nlohmann::json j{{"rank", rh.rank}, {"host", escape_name(rh.host)}, {"answered", it != inv.end()}};
    std::uint64_t held = 0;
    if (it != inv.end()) {
      for (const auto& h : it->second) held += h.size;
      j["blocks"] = it->second.size();
      j["bytes"] = held;
    }
    ranks.push_back(j);
  }
  if (run.cli.json) {
    nlohmann::json j{{"store", escape_name(run.cli.root)}, {"source_dir", escape_name(m->source_dir)},
                     {"files", m->files.size()}, {"blocks", m->blocks.size()}, {"bytes", bytes},
                     {"replicas", m->k}, {"block_size", m->block_size}, {"version", m->version}, {"ranks", ranks}};
    std::cout << j.dump(2) << std::endl;
    return kStoreExitOk;
  }
  std::cout << "Store: " << escape_name(run.cli.root) << " (source " << escape_name(m->source_dir) << ")\n"
            << "Files: " << m->files.size() << "\nBlocks: " << m->blocks.size() << "\nBytes: " << bytes
            << "\nReplicas (K): " << m->k << "\nBlock size: " << m->block_size
            << "\nManifest version: " << m->version << "\n";
  for (const auto& j : ranks) {
    std::cout << "Rank " << j["rank"].get<int>() << " (" << j["host"].get<std::string>() << "): ";
    if (j["answered"].get<bool>()) std::cout << "blocks=" << j["blocks"].get<std::size_t>() << " bytes=" << j["bytes"].get<std::uint64_t>() << "\n";
    else std::cout << "not answering\n";
  }
  std::cout << std::flush;
  return kStoreExitOk;
}

}  // namespace dla::mpi
