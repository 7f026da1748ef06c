#include "store/placement.h"

#include <algorithm>
#include <tuple>

namespace dla {
namespace {

// What a block's replicas so far occupy.
struct Used {
  std::set<std::string> sites, hosts;
  void add(const SiteMap& m, const std::string& host) {
    sites.insert(site_of(m, host));
    hosts.insert(host);
  }
};

// The best of `cands` by (site not used first, host not used first, least load, lower rank); -1 if empty.
int best_candidate(const std::vector<const RankHost*>& cands, const Used& used, const SiteMap& sites,
                   const std::map<int, std::uint64_t>& load) {
  const RankHost* best = nullptr;
  auto key = [&](const RankHost* r) {
    auto it = load.find(r->rank);
    const std::uint64_t l = it == load.end() ? 0 : it->second;
    return std::make_tuple(used.sites.count(site_of(sites, r->host)) ? 1 : 0, used.hosts.count(r->host) ? 1 : 0, l, r->rank);
  };
  for (const RankHost* r : cands) {
    if (!best || key(r) < key(best)) best = r;
  }
  return best ? best->rank : -1;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

Error too_few(int k, std::size_t n) {
  return Error{"K=" + std::to_string(k) + " replicas need " + std::to_string(k) + " data ranks, only " +
                   std::to_string(n) + " available",
               Code::kInvalid};
}

}  // namespace

std::string site_of(const SiteMap& sites, const std::string& host) {
  auto it = sites.find(host);
  return it == sites.end() ? host : it->second;
}

Result<SiteMap> parse_site_map(std::string_view text) {
  SiteMap out;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const std::string l = trim(line.substr(0, line.find('#')));
    if (l.empty()) continue;
    const auto sp = l.find_first_of(" \t");
    const std::string host = l.substr(0, sp), site = sp == std::string::npos ? "" : trim(l.substr(sp));
    if (site.empty() || site.find_first_of(" \t") != std::string::npos) {
      return Error{"site map line " + std::to_string(line_no) + ": expected \"HOST SITE\"", Code::kInvalid};
    }
    if (!out.emplace(host, site).second) {
      return Error{"site map line " + std::to_string(line_no) + ": host " + host + " given twice", Code::kInvalid};
    }
  }
  return out;
}

SiteMap sites_by_prefix(const std::vector<RankHost>& ranks, char sep) {
  SiteMap out;
  for (const RankHost& r : ranks) {
    const auto at = r.host.rfind(sep);
    if (at != std::string::npos && at > 0) out[r.host] = r.host.substr(0, at);
  }
  return out;
}

Placer::Placer(std::vector<RankHost> data_ranks, SiteMap sites) : ranks_(std::move(data_ranks)), sites_(std::move(sites)) {
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
  Used used;
  for (int i = 0; i < k; ++i) {
    const int r = best_candidate(cands, used, sites_, load_);
    chosen.push_back(r);
    load_[r] += bytes;
    auto it = std::find_if(cands.begin(), cands.end(), [r](const RankHost* c) { return c->rank == r; });
    used.add(sites_, (*it)->host);
    cands.erase(it);
  }
  return chosen;
}

Result<std::vector<std::vector<int>>> place(const std::vector<std::uint64_t>& block_bytes,
                                            const std::vector<RankHost>& data_ranks, int k, const SiteMap& sites) {
  if (k < 1) return Error{"K must be at least 1 (got " + std::to_string(k) + ")", Code::kInvalid};
  if (static_cast<std::size_t>(k) > data_ranks.size()) return too_few(k, data_ranks.size());
  Placer placer(data_ranks, sites);
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
                const std::map<int, std::uint64_t>& load, const SiteMap& sites) {
  std::set<int> held;
  Used used;
  for (const RankHost& h : holders) {
    held.insert(h.rank);
    used.add(sites, h.host);
  }
  std::vector<const RankHost*> cands;
  for (const RankHost& c : candidates) {
    if (!held.count(c.rank)) cands.push_back(&c);
  }
  return best_candidate(cands, used, sites, load);
}

std::string host_of(const std::vector<RankHost>& ranks, int rank) {
  for (const RankHost& r : ranks) {
    if (r.rank == rank) return r.host;
  }
  return "";
}

}  // namespace dla
