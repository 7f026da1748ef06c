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

namespace {

// Every rank's MANIFEST copy (rank 0's own read here, the data ranks' over MPI), the newest valid
// one, and which copies are bad.
struct ManifestCheck {
  Result<Manifest> newest = Error{"no manifest"};
  std::vector<FsckReport::BadManifest> bad;
};
ManifestCheck check_manifest_copies(StoreRun& run) {
  ManifestCheck mc;
  auto copies = run.coord->manifest_copies(ranks_of(run.data));
  copies.emplace(0, load_manifest(*Env::posix(), run.own->dir()));
  mc.newest = newest_manifest(copies);
  if (!mc.newest) mc.newest = load_current_manifest(run);  // (its error says what is wrong)
  if (mc.newest) mc.bad = check_manifests(*mc.newest, copies);
  return mc;
}

// --repair: the bad MANIFEST copies rewritten from the newest (rank 0's own saved directly).
// Returns the ranks whose copy is good now; the others stay in `final_bad`.
std::vector<int> repair_manifests(StoreRun& run, const Manifest& m, const std::vector<FsckReport::BadManifest>& bad,
                                  std::vector<FsckReport::BadManifest>* final_bad) {
  std::vector<int> to;
  for (const auto& b : bad)
    if (b.rank != 0) to.push_back(b.rank);
  const auto saved = run.coord->push_manifest(m, to);  // (saves rank 0's own copy too)
  std::vector<int> done;
  for (const auto& b : bad) {
    if (saved.count(b.rank)) done.push_back(b.rank);
    else final_bad->push_back(b);
  }
  return done;
}

// --repair: the orphan replicas removed (not a file a copy of this repair has just written).
// Returns those removed (gone from the rank's inventory afterwards); the others stay in `left`.
std::vector<FsckReport::Orphan> remove_orphans(StoreRun& run, const std::vector<FsckReport::Orphan>& orphans,
                                               const std::vector<CopyOrder>& done, std::vector<FsckReport::Orphan>* left) {
  std::map<int, std::vector<store_wire::FileId>> drops;
  for (const auto& o : orphans) {
    const bool copied_there = std::any_of(done.begin(), done.end(), [&](const CopyOrder& c) { return c.to == o.rank && c.block == o.block; });
    if (!copied_there) drops[o.rank].push_back({o.block, o.crc});
  }
  const auto inv = drops.empty() ? std::map<int, std::vector<Held>>{} : run.coord->remove_files(drops);
  std::vector<FsckReport::Orphan> removed;
  for (const auto& o : orphans) {
    auto it = inv.find(o.rank);
    const bool gone = it != inv.end() && std::none_of(it->second.begin(), it->second.end(), [&](const Held& h) {
                        return h.block == o.block && h.crc == o.crc;
                      });
    (gone ? removed : *left).push_back(o);
  }
  return removed;
}

}  // namespace

int run_fsck(StoreRun& run) {
  auto mc = check_manifest_copies(run);
  if (!mc.newest) return store_error(mc.newest.error());
  Manifest* m = &*mc.newest;
  if (auto cov = check_job_coverage(*m, "--store " + run.cli.root, run.size,
                                    run.cli.repair ? "this repair restores K on the ranks of this job" : "fsck --repair restores K on the ranks of this job");
      !cov)
    return store_error(cov.error());
  RepairOutcome r;
  FsckExtra extra;
  if (run.cli.repair) {
    RepairOptions opt;
    opt.verify = true;
    opt.deadline = std::max(30.0, 20 * run.cli.timeout);
    auto rr = run_repair(m, run.data, run.coord, opt);
    if (!rr) return store_error(rr.error());
    r = std::move(*rr);
    for (const auto& line : r.lines)
      if (line.rfind("repaired ", 0) != 0) std::cerr << "[Store 0] " << line << "\n";
    r.final_state.orphans.clear();
    extra.orphans_removed = remove_orphans(run, r.found.orphans, r.done, &r.final_state.orphans);
    // (a changed manifest was pushed to every answering rank by run_repair: the copies that are
    // still bad are those of ranks whose version was not the newest before or did not take it)
    extra.manifests_repaired = repair_manifests(run, *m, mc.bad, &r.final_state.bad_manifests);
  } else {
    std::set<int> live;
    auto inv = run.coord->gather_inventories(ranks_of(run.data), true, verify_patience(*m));
    for (const auto& rh : run.data)
      if (inv.count(rh.rank)) live.insert(rh.rank);
      else std::fprintf(stderr, "[Store 0] note: rank %d did not send its inventory: counted as holding nothing\n", rh.rank);
    r.found = check(*m, inv, live);
    r.final_state = r.found;
    r.final_state.bad_manifests = mc.bad;
  }
  r.found.bad_manifests = mc.bad;
  if (run.cli.json) std::cout << fsck_json(*m, r.found, r.done, r.final_state, extra) << std::endl;
  else std::cout << format_fsck(*m, r.found, r.done, r.final_state, extra) << std::flush;
  return r.final_state.healthy() ? kStoreExitOk : kStoreExitProblems;
}

int run_status(StoreRun& run) {
  auto m = load_current_manifest(run);
  if (!m) return store_error(m.error());
  if (auto cov = check_job_coverage(*m, "--store " + run.cli.root, run.size, "fsck --repair restores K on the ranks of this job"); !cov)
    return store_error(cov.error());
  auto inv = run.coord->gather_inventories(ranks_of(run.data), false);
  std::uint64_t bytes = 0;
  for (const auto& f : m->files) bytes += f.size;
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& rh : m->ranks) {
    if (rh.rank == 0) continue;
    auto it = inv.find(rh.rank);
    nlohmann::json j{{"rank", rh.rank}, {"host", escape_name(rh.host)}, {"answered", it != inv.end()}};
    if (it != inv.end()) {
      // Only the replicas the manifest lists for this rank (the right version); other block files
      // there are orphans (fsck lists them, fsck --repair removes them).
      std::uint64_t held = 0, listed = 0, orphans = 0;
      for (const auto& h : it->second) {
        const BlockRef* b = h.block >= 0 && h.block < static_cast<int>(m->blocks.size())
                                ? &m->blocks[static_cast<std::size_t>(h.block)] : nullptr;
        if (b && b->crc == h.crc && std::count(b->replicas.begin(), b->replicas.end(), rh.rank) > 0) {
          ++listed;
          held += h.size;
        } else {
          ++orphans;
        }
      }
      j["blocks"] = listed;
      j["bytes"] = held;
      j["orphan_files"] = orphans;
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
    if (j["answered"].get<bool>()) {
      std::cout << "blocks=" << j["blocks"].get<std::size_t>() << " bytes=" << j["bytes"].get<std::uint64_t>();
      if (const auto o = j["orphan_files"].get<std::uint64_t>(); o > 0) std::cout << " (+" << o << " orphan files: fsck --repair removes them)";
      std::cout << "\n";
    }
    else std::cout << "not answering\n";
  }
  std::cout << std::flush;
  return kStoreExitOk;
}

}  // namespace dla::mpi
