#include "store/fsck.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "base/names.h"

namespace dla {
namespace {

using nlohmann::json;

// Per block id: the files live ranks hold for it, as (rank, Held).
std::vector<std::vector<std::pair<int, Held>>> held_by_block(const Manifest& m,
                                                             const std::map<int, std::vector<Held>>& inventories,
                                                             const std::set<int>& live) {
  std::vector<std::vector<std::pair<int, Held>>> out(m.blocks.size());
  for (const auto& [rank, held] : inventories) {
    if (!live.count(rank)) continue;
    for (const Held& h : held) {
      if (h.block >= 0 && h.block < static_cast<int>(m.blocks.size())) out[h.block].emplace_back(rank, h);
    }
  }
  return out;
}

std::string block_head(const Manifest& m, int block) {
  const BlockRef& b = m.blocks.at(block);
  return std::to_string(block) + " " + escape_name(m.files.at(b.file).name) + " " + range_text(b);
}

json block_entry(const Manifest& m, const FsckReport& r, int block) {
  const BlockRef& b = m.blocks.at(block);
  return json{{"block", block}, {"file", escape_name(m.files.at(b.file).name)}, {"offset", b.offset},
              {"end", b.end()}, {"have", r.good.at(block).size()}};
}

json orphans_json(const std::vector<FsckReport::Orphan>& v) {
  json out = json::array();
  for (const auto& o : v)
    out.push_back(json{{"rank", o.rank}, {"block", o.block}, {"crc", o.crc}, {"size", o.size}, {"why", o.why}});
  return out;
}

json state_json(const Manifest& m, const FsckReport& r) {
  json under = json::array(), missing = json::array(), corrupt = json::array();
  for (int b : r.under) under.push_back(block_entry(m, r, b));
  for (int b : r.missing) missing.push_back(block_entry(m, r, b));
  for (const auto& c : r.corrupt) {
    json e = block_entry(m, r, c.block);
    e["rank"] = c.rank;
    corrupt.push_back(e);
  }
  json manifests = json::array();
  for (const auto& b : r.bad_manifests) manifests.push_back(json{{"rank", b.rank}, {"why", b.why}});
  return json{{"under", under},       {"corrupt", corrupt},       {"missing", missing},
              {"manifests", manifests}, {"orphans", orphans_json(r.orphans)}, {"ok", r.healthy()},
              {"blocks", r.blocks},   {"replicas", r.replicas()}};
}

}  // namespace

int FsckReport::replicas() const {
  int n = 0;
  for (const auto& g : good) n += static_cast<int>(g.size());
  return n;
}

namespace {

bool sound(const BlockRef& b, const Held& h) { return h.ok && h.crc == b.crc && h.size == b.length; }

// One block's verdict: good (listed sound copies, then adopted ones up to K), corrupt (listed
// ranks with files but no sound one), orphans (every other file).
void check_block(const Manifest& m, const BlockRef& b, const std::vector<std::pair<int, Held>>& held, FsckReport* r) {
  const auto listed = [&](int rank) { return std::count(b.replicas.begin(), b.replicas.end(), rank) > 0; };
  std::set<int> good, unlisted_sound, has_file;
  for (const auto& [rank, h] : held) {
    has_file.insert(rank);
    if (sound(b, h)) (listed(rank) ? good : unlisted_sound).insert(rank);
  }
  for (int rank : unlisted_sound) {
    if (static_cast<int>(good.size()) >= m.k) break;
    good.insert(rank);  // adopted
  }
  std::set<int> bad;
  for (int rank : has_file) {
    if (listed(rank) && !good.count(rank)) bad.insert(rank);
  }
  for (int rank : bad) r->corrupt.push_back({b.id, rank});
  for (const auto& [rank, h] : held) {
    if ((good.count(rank) && sound(b, h)) || bad.count(rank)) continue;
    std::string why = good.count(rank) ? "an older version beside the good copy"
                                       : "not a replica of this block in the manifest";
    r->orphans.push_back({rank, b.id, h.crc, h.size, std::move(why)});
  }
  r->good[b.id].assign(good.begin(), good.end());
  if (good.empty()) r->missing.push_back(b.id);
  else if (static_cast<int>(good.size()) < m.k) r->under.push_back(b.id);
  std::set<std::string> block_hosts;
  for (int rank : good) block_hosts.insert(host_of(m.ranks, rank));
  if (block_hosts.size() < good.size()) ++r->shared_host_blocks;
}

}  // namespace

FsckReport check(const Manifest& m, const std::map<int, std::vector<Held>>& inventories, const std::set<int>& live_ranks) {
  FsckReport r;
  r.blocks = static_cast<int>(m.blocks.size());
  r.k = m.k;
  r.good.resize(m.blocks.size());
  std::set<std::string> hosts;
  for (int rank : live_ranks) {
    if (rank != 0) hosts.insert(host_of(m.ranks, rank));
  }
  r.hosts = static_cast<int>(hosts.size());
  const auto held = held_by_block(m, inventories, live_ranks);
  for (const BlockRef& b : m.blocks) check_block(m, b, held[b.id], &r);
  for (const auto& [rank, files] : inventories) {
    if (!live_ranks.count(rank)) continue;
    for (const Held& h : files) {
      if (h.block < 0 || h.block >= static_cast<int>(m.blocks.size()))
        r.orphans.push_back({rank, h.block, h.crc, h.size, "block id not in the manifest"});
    }
  }
  std::sort(r.orphans.begin(), r.orphans.end(), [](const FsckReport::Orphan& a, const FsckReport::Orphan& b) {
    return std::tie(a.rank, a.block, a.crc) < std::tie(b.rank, b.block, b.crc);
  });
  return r;
}

Result<Manifest> newest_manifest(const std::map<int, Result<Manifest>>& copies) {
  const Manifest* best = nullptr;
  for (const auto& [rank, c] : copies) {
    if (c && (!best || c->version > best->version)) best = &*c;
  }
  if (!best) return Error{"no valid manifest copy", Code::kNotFound};
  return *best;
}

std::vector<FsckReport::BadManifest> check_manifests(const Manifest& newest, const std::map<int, Result<Manifest>>& copies) {
  std::vector<FsckReport::BadManifest> out;
  const std::string want = encode_manifest(newest);
  for (const auto& [rank, c] : copies) {
    if (!c) {
      out.push_back({rank, c.code() == Code::kNotFound ? "missing" : "corrupt (" + c.error() + ")"});
    } else if (c->version < newest.version) {
      out.push_back({rank, "version " + std::to_string(c->version) + ", the newest is " + std::to_string(newest.version)});
    } else if (encode_manifest(*c) != want) {
      out.push_back({rank, "differs from the newest copy at version " + std::to_string(c->version)});
    }
  }
  return out;
}

std::vector<CopyOrder> plan_repair(const Manifest& m, const FsckReport& report, const std::vector<RankHost>& live_data, int k) {
  std::map<int, std::uint64_t> load;
  for (const auto& [rank, l] : load_by_rank(m)) load[rank] = l.bytes;
  std::map<int, int> used_as_source;
  std::vector<CopyOrder> orders;
  std::set<int> live;
  for (const RankHost& r : live_data) live.insert(r.rank);
  std::map<int, std::vector<int>> corrupt_at;
  for (const auto& c : report.corrupt) corrupt_at[c.block].push_back(c.rank);
  for (const BlockRef& b : m.blocks) {
    const std::vector<int>& good = report.good.at(b.id);
    if (good.empty()) continue;
    std::vector<int> targets;
    for (int rank : corrupt_at[b.id]) targets.push_back(rank);  // in place: the planned placement stays
    std::vector<RankHost> holders;
    for (int rank : good) holders.push_back({rank, host_of(m.ranks, rank)});
    for (int rank : targets) holders.push_back({rank, host_of(m.ranks, rank)});
    while (static_cast<int>(good.size() + targets.size()) < k) {
      const int t = pick_target(holders, live_data, load, m.sites);
      if (t < 0) break;  // fewer live data ranks than K: as many copies as there are ranks
      targets.push_back(t);
      holders.push_back({t, host_of(live_data, t)});
    }
    for (int t : targets) {
      int src = good.front();
      for (int g : good) {
        if (used_as_source[g] < used_as_source[src]) src = g;
      }
      ++used_as_source[src];
      load[t] += b.length;
      orders.push_back({b.id, src, t});
    }
  }
  return orders;
}

bool apply_repairs(Manifest* m, const FsckReport& report, const std::vector<CopyOrder>& done) {
  std::map<int, std::vector<int>> added;
  for (const CopyOrder& c : done) added[c.block].push_back(c.to);
  bool changed = false;
  for (BlockRef& b : m->blocks) {
    const std::vector<int>& good = report.good.at(b.id);
    if (good.empty() && !added.count(b.id)) continue;  // missing: keep the old list, its holders may come back
    // The listed holders that are still good keep their order (the head stays the head), then the
    // other good holders, then the new copies.
    std::vector<int> now;
    for (int r : b.replicas) {
      if (std::count(good.begin(), good.end(), r) && !std::count(now.begin(), now.end(), r)) now.push_back(r);
    }
    for (int r : good) {
      if (!std::count(now.begin(), now.end(), r)) now.push_back(r);
    }
    for (int t : added[b.id]) {
      if (std::find(now.begin(), now.end(), t) == now.end()) now.push_back(t);
    }
    if (now != b.replicas) {
      b.replicas = std::move(now);
      changed = true;
    }
  }
  if (changed) ++m->version;
  return changed;
}

std::vector<std::string> problem_lines(const Manifest& m, const FsckReport& r) {
  std::vector<std::string> out;
  for (const auto& c : r.corrupt) out.push_back("corrupt " + block_head(m, c.block) + " on rank " + std::to_string(c.rank));
  for (int b : r.under) {
    out.push_back("under-replicated " + block_head(m, b) + " have " + std::to_string(r.good.at(b).size()) + " of " +
                  std::to_string(r.k));
  }
  for (int b : r.missing) out.push_back("missing " + block_head(m, b) + " (no replica left)");
  for (const auto& bm : r.bad_manifests) out.push_back(manifest_line(bm));
  return out;
}

std::string orphan_line(const FsckReport::Orphan& o) {
  return "orphan " + std::to_string(o.block) + " on rank " + std::to_string(o.rank) + ": " + block_file_name(o.block, o.crc) +
         " (" + std::to_string(o.size) + " bytes, " + o.why + ")";
}

std::string removed_orphan_line(const FsckReport::Orphan& o) {
  return "removed orphan " + std::to_string(o.block) + " on rank " + std::to_string(o.rank) + ": " +
         block_file_name(o.block, o.crc);
}

std::string manifest_line(const FsckReport::BadManifest& b) {
  return "manifest BAD on rank " + std::to_string(b.rank) + ": " + b.why;
}

std::string repaired_manifest_line(int rank, std::uint64_t version) {
  return "repaired manifest on rank " + std::to_string(rank) + " (version " + std::to_string(version) + ")";
}

std::string repaired_line(const CopyOrder& c) {
  return "repaired " + std::to_string(c.block) + ": rank " + std::to_string(c.from) + " -> rank " + std::to_string(c.to);
}

std::string summary_line(const FsckReport& r) {
  if (r.healthy()) return "FSCK OK blocks=" + std::to_string(r.blocks) + " replicas=" + std::to_string(r.replicas());
  return "FSCK PROBLEMS under=" + std::to_string(r.under.size()) + " corrupt=" + std::to_string(r.corrupt.size()) +
         " missing=" + std::to_string(r.missing.size());
}

std::string format_fsck(const Manifest& m, const FsckReport& found, const std::vector<CopyOrder>& done,
                        const FsckReport& final_state, const FsckExtra& extra) {
  std::string out;
  for (const std::string& l : problem_lines(m, found)) out += l + "\n";
  for (const auto& o : found.orphans) out += orphan_line(o) + "\n";
  for (const CopyOrder& c : done) out += repaired_line(c) + "\n";
  for (int rank : extra.manifests_repaired) out += repaired_manifest_line(rank, m.version) + "\n";
  for (const auto& o : extra.orphans_removed) out += removed_orphan_line(o) + "\n";
  if (final_state.shared_host_blocks > 0) {
    out += "note: replicas of " + std::to_string(final_state.shared_host_blocks) + " blocks share a host (K=" +
           std::to_string(final_state.k) + ", live data ranks on " + std::to_string(final_state.hosts) + " hosts)\n";
  }
  if (!final_state.bad_manifests.empty()) {
    out += "note: " + std::to_string(final_state.bad_manifests.size()) + " MANIFEST copies bad (fsck --repair rewrites them from version " +
           std::to_string(m.version) + ")\n";
  }
  return out + summary_line(final_state) + "\n";
}

std::string fsck_json(const Manifest& m, const FsckReport& found, const std::vector<CopyOrder>& done,
                      const FsckReport& final_state, const FsckExtra& extra) {
  json repaired = json::array();
  for (const CopyOrder& c : done) repaired.push_back(json{{"block", c.block}, {"from", c.from}, {"to", c.to}});
  return json{{"found", state_json(m, found)},         {"repaired", repaired},
              {"manifests_repaired", extra.manifests_repaired}, {"orphans_removed", orphans_json(extra.orphans_removed)},
              {"final", state_json(m, final_state)},   {"ok", final_state.healthy()},
              {"blocks", final_state.blocks},          {"replicas", final_state.replicas()},
              {"version", m.version}}
      .dump();
}

}  // namespace dla
