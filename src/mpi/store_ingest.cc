// dla_store ingest on rank 0: discover DIR, cut the files into blocks, place them, send every block
// down its chain (a window of blocks in flight), re-place the blocks of a member that fails, push the
// manifest, print the summary. Idempotent: a block every planned holder already has (verified) is
// not sent again.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "base/names.h"
#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/store_run.h"
#include "mpi/tags.h"
#include "scan/discovery.h"
#include "scan/gzip_file.h"
#include "scan/scanner.h"
#include "store/block.h"

namespace dla::mpi {
namespace {

namespace w = store_wire;

// The chain traffic of one ingest: which blocks wait, which are in flight, who failed.
class Pipeline {
 public:
  Pipeline(StoreRun& run, const Manifest& m, Placer* placer) : run_(run), m_(m), placer_(placer) {
    for (const auto& rh : run.data) live_.insert(rh.rank);
  }

  // Sends `block` to the ranks of `need` (a chain, head first); `have`: live ranks that hold it.
  // With `need` empty the block is done already (kept in case one of `have` fails during the ingest).
  void enqueue(int block, std::vector<int> need, std::vector<int> have) {
    State& s = state_[block];
    s.chain = std::move(need);
    s.have = std::move(have);
    if (s.chain.empty()) done_.insert(block);
    else queue_.push_back(block);
  }

  // Runs until every block is acknowledged by its whole chain; error when a block cannot get K
  // live ranks any more or the source cannot be read.
  Status run(int window) {
    while (!queue_.empty() || !flight_.empty()) {
      if (!fill(window)) return error_;
      run_.coord->step();
      take_acks();
      if (!error_.ok()) return error_;
      check_timeouts();
      if (!error_.ok()) return error_;
    }
    return OkStatus();
  }

  // The replicas of `block` once stored (holders first, then the chain, in placement order).
  std::vector<int> replicas(int block) const {
    const State& s = state_.at(block);
    std::vector<int> out = s.have;
    for (int r : s.chain)
      if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    return out;
  }
  bool has(int block) const { return state_.count(block) > 0; }
  const std::set<int>& failed() const { return failed_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  struct State {
    std::vector<int> chain;  // still to store it, in chain order
    std::vector<int> have;   // stored it (before, or acknowledged in an earlier attempt)
    std::set<int> acked;     // positions of the current attempt acknowledged
    long long attempt = 0;
    double since = 0;        // sent, or last ack
    bool resumed = false;    // already sent again from rank 0 to the members that did not ack
  };

  bool fill(int window) {
    while (!queue_.empty() && static_cast<int>(flight_.size()) < std::max(1, window)) {
      const int b = queue_.front();
      queue_.pop_front();
      if (!send(b)) return false;
    }
    return true;
  }

  bool send(int b) {
    State& s = state_[b];
    const BlockRef& ref = m_.blocks[static_cast<std::size_t>(b)];
    const auto& f = m_.files[static_cast<std::size_t>(ref.file)];
    auto bytes = read_block(*Env::posix(), join_path(m_.source_dir, f.name), ref);
    if (!bytes) {
      error_ = bytes.err();
      return false;
    }
    s.attempt = ++attempts_;
    s.acked.clear();
    s.since = wtime();
    w::Put p;
    p.block = b;
    p.crc = ref.crc;
    p.attempt = s.attempt;
    p.ack_to = 0;
    p.chain = s.chain;
    p.bytes = std::move(*bytes);
    bytes_sent_ += p.bytes.size();
    flight_.insert(b);
    if (!run_.coord->link().out->send_text(s.chain[0], wire::kStorePut, w::encode_put(p))) fail(s.chain[0], "cannot be reached");
    return error_.ok();
  }

  void take_acks() {
    auto& acks = run_.coord->acks();
    for (const auto& a : acks) {
      auto it = state_.find(a.block);
      if (it == state_.end() || it->second.attempt != a.attempt || !flight_.count(a.block)) continue;
      State& s = it->second;
      s.acked.insert(a.pos);
      s.since = wtime();
      if (static_cast<std::size_t>(a.pos) + 1 == s.chain.size()) {  // the tail: all stored
        flight_.erase(a.block);
        done_.insert(a.block);
      }
    }
    acks.clear();
    auto nacks = std::move(run_.coord->nacks());
    run_.coord->nacks().clear();
    for (const auto& n : nacks) {
      auto it = state_.find(n.block);
      if (it == state_.end() || it->second.attempt != n.attempt || !flight_.count(n.block)) continue;
      fail(n.rank, n.message);
      if (!error_.ok()) return;
    }
  }

  // A chain silent for --timeout: the first member that has not acknowledged is taken for failed
  // (members ack in chain order), except the first time when it is not the head: its predecessor
  // may have died after acking but before its forward arrived, so rank 0 first sends the block
  // itself to the members that did not ack. In SMPI a vanished member is known at once.
  void check_timeouts() {
    const double now = wtime();
    std::map<int, std::string> suspects;
    std::vector<int> resume;
    for (int b : flight_) {
      const State& s = state_[b];
      for (std::size_t i = 0; i < s.chain.size(); ++i)
        if (!sim::peer_alive(s.chain[i])) suspects.emplace(s.chain[i], "gone");
      if (now - s.since < run_.cli.timeout) continue;
      std::size_t i = 0;
      while (i < s.chain.size() && s.acked.count(static_cast<int>(i))) ++i;
      if (i == s.chain.size()) continue;
      if (i > 0 && !s.resumed) {
        resume.push_back(b);
        continue;
      }
      char why[64];
      std::snprintf(why, sizeof why, "no answer within %g s", run_.cli.timeout);
      suspects.emplace(s.chain[i], why);
    }
    for (int b : resume) resume_after_acked(b);
    for (const auto& [r, why] : suspects) {
      if (!error_.ok()) return;
      if (!failed_.count(r)) fail(r, why);
    }
  }

  // The members that acknowledged keep their copy; the block goes again, from rank 0, to the rest.
  void resume_after_acked(int b) {
    State& s = state_[b];
    std::vector<int> rest;
    for (std::size_t i = 0; i < s.chain.size(); ++i)
      (s.acked.count(static_cast<int>(i)) ? s.have : rest).push_back(s.chain[i]);
    s.chain = std::move(rest);
    s.resumed = true;
    flight_.erase(b);
    queue_.push_front(b);
  }

  // Rank `r` failed: never used again; every block whose chain holds it is re-placed.
  void fail(int r, const std::string& why) {
    if (failed_.count(r)) return;
    failed_.insert(r);
    live_.erase(r);
    std::fprintf(stderr, "[Store 0] rank %d failed during ingest (%s): re-placing its blocks\n", r, why.c_str());
    if (static_cast<int>(live_.size()) < m_.k) {
      error_ = Error{"ingest failed: only " + std::to_string(live_.size()) + " live data ranks left for K=" +
                     std::to_string(m_.k)};
      return;
    }
    std::vector<int> resend;
    for (auto& [b, s] : state_) {
      const bool in_chain = std::find(s.chain.begin(), s.chain.end(), r) != s.chain.end();
      const bool in_have = std::find(s.have.begin(), s.have.end(), r) != s.have.end();
      if (!in_chain && !in_have) continue;
      const bool sent = flight_.count(b) || done_.count(b);
      if (!replace(b, s, r)) return;
      if (sent) {
        flight_.erase(b);
        done_.erase(b);
        resend.push_back(b);
      }
    }
    for (auto it = resend.rbegin(); it != resend.rend(); ++it) queue_.push_front(*it);
  }

  // The members that stored the block keep their copy (a block done: its whole chain; in flight:
  // the members that acknowledged); the failed one is swapped for a new target, the block goes
  // (again) to the members that do not hold it yet.
  bool replace(int b, State& s, int r) {
    const bool done = done_.count(b) > 0, flying = flight_.count(b) > 0;
    std::vector<int> have, chain;
    for (int h : s.have)
      if (h != r) have.push_back(h);
    for (std::size_t i = 0; i < s.chain.size(); ++i) {
      if (s.chain[i] == r) continue;
      if (done || (flying && s.acked.count(static_cast<int>(i)))) have.push_back(s.chain[i]);
      else chain.push_back(s.chain[i]);
    }
    std::vector<RankHost> holders, candidates;
    for (const auto& rh : run_.data) {
      const bool holds = std::find(have.begin(), have.end(), rh.rank) != have.end() ||
                         std::find(chain.begin(), chain.end(), rh.rank) != chain.end() || rh.rank == r;
      if (holds) holders.push_back(rh);
      else if (live_.count(rh.rank)) candidates.push_back(rh);
    }
    std::map<int, std::uint64_t> load;
    for (const auto& rh : run_.data) load[rh.rank] = placer_->load(rh.rank);
    const int t = pick_target(holders, candidates, load, m_.sites);
    if (t < 0) {
      error_ = Error{"ingest failed: no live data rank left to hold block " + std::to_string(b)};
      return false;
    }
    placer_->add_load(t, m_.blocks[static_cast<std::size_t>(b)].length);
    chain.push_back(t);
    s.chain = std::move(chain);
    s.have = std::move(have);
    return true;
  }

  StoreRun& run_;
  const Manifest& m_;
  Placer* placer_;
  std::set<int> live_;
  std::set<int> failed_;
  std::map<int, State> state_;
  std::deque<int> queue_;
  std::set<int> flight_;
  std::set<int> done_;
  long long attempts_ = 0;
  std::uint64_t bytes_sent_ = 0;
  Status error_ = OkStatus();
};

// The manifest already in ROOT, if any; an error if it is another dataset or another shape.
Result<std::optional<Manifest>> previous_manifest(StoreRun& run, const Manifest& fresh) {
  auto old = load_current_manifest(run);
  if (!old) {
    if (old.code() == Code::kNotFound) return std::optional<Manifest>();
    return old.err();
  }
  if (!same_dataset(*old, fresh))
    return Error{"ROOT already holds a store of " + old->source_dir + "; use another ROOT"};
  if (old->block_size != fresh.block_size || old->k != fresh.k)
    return Error{"ROOT already holds " + old->source_dir + " with block size " + std::to_string(old->block_size) +
                 " and K=" + std::to_string(old->k) + "; use another ROOT (or the same options)"};
  return std::optional<Manifest>(std::move(*old));
}

// Each block's planned ranks: the previous manifest's where it has them (live), else placed fresh.
Result<std::vector<std::vector<int>>> plan(StoreRun& run, const Manifest& m, const std::optional<Manifest>& old,
                                           Placer* placer) {
  std::set<int> live;
  for (const auto& rh : run.data) live.insert(rh.rank);
  std::vector<std::vector<int>> out(m.blocks.size());
  for (const auto& b : m.blocks) {
    if (old) {
      const auto& ob = old->blocks[static_cast<std::size_t>(b.id)];
      for (int r : ob.replicas)
        if (live.count(r) && ob.crc == b.crc && static_cast<int>(out[b.id].size()) < m.k) out[b.id].push_back(r);
      for (int r : out[b.id]) placer->add_load(r, b.length);
    }
  }
  for (const auto& b : m.blocks) {
    auto& chosen = out[static_cast<std::size_t>(b.id)];
    if (static_cast<int>(chosen.size()) >= m.k) continue;
    std::set<int> exclude(chosen.begin(), chosen.end());
    auto more = placer->place_one(b.length, m.k - static_cast<int>(chosen.size()), exclude);
    if (!more) return more.err();
    chosen.insert(chosen.end(), more->begin(), more->end());
  }
  return out;
}

// --sites: none (every host its own site), "prefix" (SITE-N host names), or a file of HOST SITE lines.
Result<SiteMap> site_map(const StoreCli& c, const std::vector<RankHost>& ranks) {
  if (c.sites.empty()) return SiteMap{};
  if (c.sites == "prefix") return sites_by_prefix(ranks);
  auto text = read_file(*Env::posix(), c.sites);
  if (!text) return Error{"--sites " + c.sites + ": " + text.error()};
  auto m = parse_site_map(*text);
  if (!m) return Error{"--sites " + c.sites + ": " + m.error()};
  return m;
}

void print_summary(StoreRun& run, const Manifest& m, int skipped, std::uint64_t sent, double secs,
                   const std::set<int>& failed, std::size_t saved) {
  std::uint64_t total = 0;
  for (const auto& f : m.files) total += f.size;
  const double mbs = secs > 0 ? static_cast<double>(total) / 1e6 / secs : 0;
  if (run.cli.json) {
    nlohmann::json j{{"files", m.files.size()}, {"blocks", m.blocks.size()}, {"skipped", skipped},
                     {"bytes", total}, {"bytes_sent", sent}, {"replicas", m.k}, {"block_size", m.block_size},
                     {"version", m.version}, {"seconds", secs}, {"mb_per_s", mbs},
                     {"failed_ranks", std::vector<int>(failed.begin(), failed.end())},
                     {"manifest_copies", saved}};
    std::cout << j.dump(2) << std::endl;
    return;
  }
  char line[512];
  std::snprintf(line, sizeof line,
                "Ingested %s: files=%zu blocks=%zu skipped=%d bytes=%llu K=%d seconds=%.3f MB/s=%.1f", 
                escape_name(m.source_dir).c_str(), m.files.size(), m.blocks.size(), skipped,
                static_cast<unsigned long long>(total), m.k, secs, mbs);
  std::cout << line << "\n";
  std::cout << "Manifest: version " << m.version << ", saved on " << saved << " of " << run.data.size() + 1 << " ranks\n";
  for (const auto& [rank, load] : load_by_rank(m))
    std::cout << "Rank " << rank << " (" << escape_name(host_of(m.ranks, rank)) << "): blocks=" << load.blocks
              << " bytes=" << load.bytes << "\n";
  if (!failed.empty()) {
    std::cout << "Failed ranks (blocks re-placed):";
    for (int r : failed) std::cout << " " << r;
    std::cout << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

int run_ingest(StoreRun& run) {
  Env& env = *Env::posix();
  const StoreCli& c = run.cli;
  DiscoverOptions dopt;
  dopt.pattern = c.pattern;
  dopt.recursive = c.recursive;
  auto files = discover_logs(c.dir, dopt, env);
  if (!files) return store_error(files.error());
  auto real = env.real_path(c.dir);
  if (!real) return store_error(real.error());
  if (c.replicas > static_cast<int>(run.data.size()))
    return store_error("K=" + std::to_string(c.replicas) + " replicas need " + std::to_string(c.replicas) +
                       " data ranks, only " + std::to_string(run.data.size()) + " available");
  auto blocks = cut_blocks(c.dir, *files, c.block_size, env);
  if (!blocks) return store_error(blocks.error());
  auto sites = site_map(c, run.ranks);
  if (!sites) return store_error(sites.error());
  Manifest m = make_manifest(*real, *files, std::move(*blocks), c.block_size, c.replicas, run.ranks, *sites);
  // Each file's format from its head, exactly as a directory run detects it: a block smaller than
  // the head could not (the analyser counts every block of the file with this one).
  for (std::size_t i = 0; i < files->size(); ++i) {
    auto fmt = detect_file_format((*files)[i].path, env);
    if (!fmt && fmt.code() == Code::kCorruption && is_gzip_name((*files)[i].path)) {
      // (a damaged .gz is the input's own state: stored as it is, as a directory run would meet it,
      // so that the analysis reports that one file unreadable and counts the others)
      std::fprintf(stderr, "note: %s (stored as it is: an analysis reports the file unreadable)\n", printable(fmt.error()).c_str());
      m.files[i].format = "none";
      continue;
    }
    if (!fmt) return store_error(fmt.error());
    m.files[i].format = std::string(fmt->name());
  }
  auto old = previous_manifest(run, m);
  if (!old) return store_error(old.error());
  Placer placer(run.data, m.sites);
  auto planned = plan(run, m, *old, &placer);
  if (!planned) return store_error(planned.error());
  auto inv = run.coord->gather_inventories(ranks_of(run.data), true, *old ? verify_patience(**old) : 0);
  Pipeline pipe(run, m, &placer);
  int skipped = 0;
  for (const auto& b : m.blocks) {
    std::vector<int> have, need;
    for (int r : (*planned)[static_cast<std::size_t>(b.id)]) {
      const auto& held = inv[r];
      const bool ok = std::any_of(held.begin(), held.end(), [&](const Held& h) {
        return h.block == b.id && h.crc == b.crc && h.size == b.length && h.ok;
      });
      (ok ? have : need).push_back(r);
    }
    if (need.empty()) ++skipped;
    pipe.enqueue(b.id, need, have);
    m.blocks[static_cast<std::size_t>(b.id)].replicas = (*planned)[static_cast<std::size_t>(b.id)];
  }
  auto st = pipe.run(c.window);
  if (!st) return store_error(st.error());
  // Replicas after the sends (a re-placed block has a new rank); the version grows on any change.
  for (auto& b : m.blocks)
    if (pipe.has(b.id)) b.replicas = pipe.replicas(b.id);
  m.version = 1;
  if (*old) {
    bool changed = (*old)->blocks.size() != m.blocks.size() || (*old)->format != m.format;
    for (std::size_t i = 0; !changed && i < m.files.size(); ++i) changed = (*old)->files[i].format != m.files[i].format;
    for (std::size_t i = 0; !changed && i < m.blocks.size(); ++i) changed = (*old)->blocks[i].replicas != m.blocks[i].replicas;
    m.version = (*old)->version + (changed ? 1 : 0);
  }
  const auto saved = run.coord->push_manifest(m, ranks_of(run.data));
  const double secs = wtime() - run.t0;
  print_summary(run, m, skipped, pipe.bytes_sent(), secs, pipe.failed(), saved.size());
  return kStoreExitOk;
}

}  // namespace dla::mpi
