#include "store/placement.h"

#include <algorithm>
#include <tuple>

namespace dla {
namespace {

// The best of `cands` by (host not in `used_hosts` first, least load, lower rank); -1 if empty.
int best_candidate(const std::vector<const RankHost*>& cands, const std::set<std::string>& used_hosts,
                   const std::map<int, std::uint64_t>& load) {
  const RankHost* best = nullptr;
  auto key = [&](const RankHost* r) {
    auto it = load.find(r->rank);
    const std::uint64_t l = it == load.end() ? 0 : it->second;
    return std::make_tuple(used_hosts.count(r->host) ? 1 : 0, l, r->rank);
  };
  for (const RankHost* r : cands) {
    if (!best || key(r) < key(best)) best = r;
  }
  return best ? best->rank : -1;
}

Error too_few(int k, std::size_t n) {
  return Error{"K=" + std::to_string(k) + " replicas need " + std::to_string(k) + " data ranks, only " +
                   std::to_string(n) + " available",
               Code::kInvalid};
}

}  // namespace

Placer::Placer(std::vector<RankHost> data_ranks) : ranks_(std::move(data_ranks)) {
  std::sort(ranks_.begin(), ranks_.end(), [](const RankHost& a, const RankHost& b) { return a.rank < b.rank; });
}

void Placer::add_load(int rank, std::uint64_t bytes) { load_[rank] += bytes; }

std::uint64_t Placer::load(int rank) const {
  auto it = load_.find(rank);
  return it == load_.end() ? 0 : it->second;
}

Result<std::vector<int>> Placer::place_one(std::uint64_t bytes, int k, const std::set<int>& exclude) {
  if (k < 1) return Error{"K must be at least 1 (got " + std::to_string(k) + ")", Code::kInvalid};
  std::vector<const RankHost*> cands;
  for (const RankHost& r : ranks_) {
    if (!exclude.count(r.rank)) cands.push_back(&r);
  }
  if (cands.size() < static_cast<std::size_t>(k)) return too_few(k, cands.size());
  std::vector<int> chosen;
  std::set<std::string> used_hosts;
  for (int i = 0; i < k; ++i) {
    const int r = best_candidate(cands, used_hosts, load_);
    chosen.push_back(r);
    load_[r] += bytes;
    auto it = std::find_if(cands.begin(), cands.end(), [r](const RankHost* c) { return c->rank == r; });
    used_hosts.insert((*it)->host);
    cands.erase(it);
  }
  return chosen;
}

Result<std::vector<std::vector<int>>> place(const std::vector<std::uint64_t>& block_bytes,
                                            const std::vector<RankHost>& data_ranks, int k) {
  if (k < 1) return Error{"K must be at least 1 (got " + std::to_string(k) + ")", Code::kInvalid};
  if (static_cast<std::size_t>(k) > data_ranks.size()) return too_few(k, data_ranks.size());
  Placer placer(data_ranks);
  std::vector<std::vector<int>> out;
  out.reserve(block_bytes.size());
  for (std::uint64_t b : block_bytes) {
    auto p = placer.place_one(b, k);
    if (!p) return p.err();
    out.push_back(std::move(*p));
  }
  return out;
}

int pick_target(const std::vector<RankHost>& holders, const std::vector<RankHost>& candidates,
                const std::map<int, std::uint64_t>& load) {
  std::set<int> held;
  std::set<std::string> used_hosts;
  for (const RankHost& h : holders) {
    held.insert(h.rank);
    used_hosts.insert(h.host);
  }
  std::vector<const RankHost*> cands;
  for (const RankHost& c : candidates) {
    if (!held.count(c.rank)) cands.push_back(&c);
  }
  return best_candidate(cands, used_hosts, load);
}

std::string host_of(const std::vector<RankHost>& ranks, int rank) {
  for (const RankHost& r : ranks) {
    if (r.rank == rank) return r.host;
  }
  return "";
}

}  // namespace dla
