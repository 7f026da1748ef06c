// Where the replicas of each block go (HDFS-like rack awareness; by default hosts play the racks'
// part). For each block, in block order, K distinct data ranks are chosen one at a time: first
// among ranks on a SITE that holds no replica of this block yet, then among ranks on a host that
// holds none, then the rest (when K > hosts); among the candidates the one with the fewest bytes
// placed so far, ties by the lower rank. The first chosen is the primary, the head of the write
// chain. Deterministic: the same inputs give the same placement on every rank and every run.
// Sites (racks, data centres) are optional: a SiteMap (host -> site) groups hosts; a host not in
// it is a site of its own, so with no map "distinct sites first" is "distinct hosts first".
// Pure functions / a small value class; thread-compatible.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dla {

struct RankHost {
  int rank = 0;
  std::string host;
  bool operator==(const RankHost& o) const { return rank == o.rank && host == o.host; }
};

// host -> site. Empty: every host is its own site.
using SiteMap = std::map<std::string, std::string>;
// The site of a host: sites[host] if there, else the host itself.
std::string site_of(const SiteMap& sites, const std::string& host);
// A site map from text, one "HOST SITE" pair a line (blanks around; '#' starts a comment; empty
// lines skipped), e.g. for a --sites FILE option. Error (kInvalid) naming the line otherwise, or
// for a host given twice.
Result<SiteMap> parse_site_map(std::string_view text);
// Sites by host-name prefix: each host's site is its name up to the last `sep` ("a-0" -> "a" with
// '-'); a host without `sep` is its own site. For platforms that name hosts SITE-N (hetero8).
SiteMap sites_by_prefix(const std::vector<RankHost>& ranks, char sep = '-');

// The placement state: the data ranks and the bytes placed on each so far.
class Placer {
 public:
  // `data_ranks`: the candidates (rank 0, the coordinator, is normally not among them); their
  // order does not matter. Loads start at 0. `sites`: see SiteMap.
  explicit Placer(std::vector<RankHost> data_ranks, SiteMap sites = {});
  // Adds bytes already held by a rank (e.g. from an existing manifest) before placing more.
  void add_load(int rank, std::uint64_t bytes);
  std::uint64_t load(int rank) const;
  // Chooses k distinct ranks for one block of `bytes` (rule above), skipping the ranks in
  // `exclude` (e.g. a rank that failed during ingest), and adds `bytes` to each chosen rank's load.
  // Error (kInvalid, one line "K=k replicas need k data ranks, only n available") when fewer than
  // k candidates remain.
  Result<std::vector<int>> place_one(std::uint64_t bytes, int k, const std::set<int>& exclude = {});
  const std::vector<RankHost>& ranks() const { return ranks_; }

 private:
  std::vector<RankHost> ranks_;
  SiteMap sites_;
  std::map<int, std::uint64_t> load_;
};

// The placement of every block (block i -> its k ranks, head first), from zero loads.
// Error when k < 1 or k > data_ranks.size() (one line, kInvalid).
Result<std::vector<std::vector<int>>> place(const std::vector<std::uint64_t>& block_bytes,
                                            const std::vector<RankHost>& data_ranks, int k,
                                            const SiteMap& sites = {});

// The rank to receive one more replica of a block (a repair or a re-placement): a rank of
// `candidates` (the live data ranks) that is not in `holders` (the ranks that already hold it,
// dead or alive: never chosen); first those on a site none of `holders` is on, then those on a
// host none of them is on, then the rest; among them the fewest bytes in `load` (missing = 0),
// ties by the lower rank. -1 if none.
int pick_target(const std::vector<RankHost>& holders, const std::vector<RankHost>& candidates,
                const std::map<int, std::uint64_t>& load, const SiteMap& sites = {});

// The host of `rank` in `ranks` ("" if not there).
std::string host_of(const std::vector<RankHost>& ranks, int rank);

}  // namespace dla
