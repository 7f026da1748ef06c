#include "mpi/store_coord.h"

#include <algorithm>
#include <deque>
#include <cstdio>

#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"
#include "store/block.h"
#include "store/fsck.h"

namespace dla::mpi {

namespace w = store_wire;

StoreCoordinator::StoreCoordinator(StoreLink link) : link_(std::move(link)) {}

double StoreCoordinator::now() const { return wtime(); }

bool StoreCoordinator::pump() {
  link_.out->progress();
  bool any = false;
  Incoming m;
  while (try_recv(MPI_ANY_SOURCE, &m)) {
    any = true;
    route(m);
    m = Incoming{};
  }
  return any;
}

void StoreCoordinator::step() {
  if (!pump()) sleep_seconds(link_.poll);
  if (link_.on_step) link_.on_step();
}

bool StoreCoordinator::alive(int rank) const {
  return sim::peer_alive(rank) && (!link_.alive || link_.alive(rank));
}

void StoreCoordinator::route(Incoming& m) {
  switch (m.tag) {
    case wire::kStoreAck:
      if (auto a = w::decode_ack(m.text)) acks_.push_back(*a);
      return;
    case wire::kStoreNack:
      if (auto n = w::decode_nack(m.text)) nacks_.push_back(std::move(*n));
      return;
    case wire::kStoreInv:
      if (auto inv = w::decode_inventory(m.text)) inventories_[inv->req][m.source] = std::move(*inv);
      return;
    case wire::kStoreManifestAck:
      if (auto a = w::decode(m.text, 3)) {
        if (a->head[2] == 0) std::fprintf(stderr, "[Store 0] rank %d could not save the manifest: %s\n", m.source, a->body.c_str());
        manifest_acks_[a->head[0]][m.source] = a->head[2] != 0;
      }
      return;
    case wire::kStoreManifestCopy:
      if (auto c = w::decode(m.text, 2))
        manifest_copies_[c->head[0]][m.source] =
            CopyAnswer{c->head[1] != 0, c->body, c->head.size() > 2 ? static_cast<int>(c->head[2]) : static_cast<int>(Code::kCorruption)};
      return;
    default:
      break;
  }
  if (link_.server && link_.server->handle(m)) return;
  if (link_.other) link_.other(m);
}

double verify_patience(const Manifest& m) {
  std::uint64_t most = 0;
  for (const auto& [rank, load] : load_by_rank(m)) most = std::max(most, load.bytes);
  return static_cast<double>(most) / 50e6;
}

std::map<int, std::vector<Held>> StoreCoordinator::gather_inventories(const std::vector<int>& ranks, bool verify,
                                                                      double patience) {
  const long long req = next_req();
  std::size_t asked = 0;
  for (int r : ranks)
    if (link_.out->send_text(r, wire::kStoreInvReq, w::encode({req, verify ? 1 : 0}))) ++asked;
  return await_inventories(req, asked, patience);
}

std::map<int, std::vector<Held>> StoreCoordinator::remove_files(const std::map<int, std::vector<w::FileId>>& drops) {
  const long long req = next_req();
  std::size_t asked = 0;
  for (const auto& [r, files] : drops)
    if (link_.out->send_text(r, wire::kStoreInvReq, w::encode({req, 0}, w::encode_drop_list(files)))) ++asked;
  return await_inventories(req, asked, 0);
}

// The answers to inventory request `req` (asked of `asked` ranks), until all came or `timeout` +
// `patience` seconds passed since the last one.
std::map<int, std::vector<Held>> StoreCoordinator::await_inventories(long long req, std::size_t asked, double patience) {
  auto& got = inventories_[req];
  double last = now();
  std::size_t seen = 0;
  while (got.size() < asked && now() - last < link_.timeout + patience) {
    step();
    if (got.size() != seen) {
      seen = got.size();
      last = now();
    }
  }
  std::map<int, std::vector<Held>> out;
  for (auto& [rank, inv] : got) {
    auto& v = out[rank];
    for (const auto& e : inv.held) v.push_back(Held{e.block, e.crc, e.size, e.ok});
  }
  inventories_.erase(req);
  return out;
}

std::set<int> StoreCoordinator::push_manifest(const Manifest& m, const std::vector<int>& ranks) {
  std::set<int> saved;
  if (!link_.own_dir.empty()) {
    auto st = save_manifest(*Env::posix(), link_.own_dir, m);
    if (st) saved.insert(link_.rank);
    else std::fprintf(stderr, "[Store %d] could not save the manifest: %s\n", link_.rank, st.error().c_str());
  }
  const long long req = next_req();
  const std::string body = encode_manifest(m);
  std::size_t asked = 0;
  for (int r : ranks)
    if (r != link_.rank && link_.out->send_text(r, wire::kStoreManifest, w::encode({req}, body))) ++asked;
  auto& acks = manifest_acks_[req];
  const double start = now();
  while (acks.size() < asked && now() - start < link_.timeout) step();
  for (auto& [r, ok] : acks)
    if (ok) saved.insert(r);
  manifest_acks_.erase(req);
  return saved;
}

Result<Manifest> StoreCoordinator::fetch_manifest(const std::vector<int>& ranks) {
  auto best = newest_manifest(manifest_copies(ranks));
  if (!best) return Error{"no rank has a valid manifest", Code::kNotFound};
  return best;
}

std::map<int, Result<Manifest>> StoreCoordinator::manifest_copies(const std::vector<int>& ranks) {
  const long long req = next_req();
  std::size_t asked = 0;
  for (int r : ranks)
    if (r != link_.rank && link_.out->send_text(r, wire::kStoreManifestReq, w::encode({req}))) ++asked;
  auto& got = manifest_copies_[req];
  const double start = now();
  while (got.size() < asked && now() - start < link_.timeout) step();
  std::map<int, Result<Manifest>> out;
  for (auto& [r, a] : got) {
    if (!a.ok) {
      // (the code of the rank's load_manifest error: kNotFound = no MANIFEST there)
      out.emplace(r, Error{a.text, a.code == static_cast<int>(Code::kNotFound) ? Code::kNotFound : Code::kCorruption});
    } else {
      out.emplace(r, decode_manifest(a.text));
    }
  }
  manifest_copies_.erase(req);
  return out;
}

namespace {
std::string copy_text(const CopyOrder& c) {
  return "block " + std::to_string(c.block) + ": rank " + std::to_string(c.from) + " -> rank " + std::to_string(c.to);
}
}  // namespace

struct StoreCoordinator::CopyRun {
  const Manifest& m;
  CopyOutcome res;
  std::map<long long, OpenOrder> open;   // attempt id -> order
  std::map<int, int> busy;               // rank -> open orders it is part of
  std::map<int, std::set<int>> tried;    // block -> sources asked
};

namespace {
bool involves(const CopyOrder& c, const std::set<int>& ranks) { return ranks.count(c.from) || ranks.count(c.to); }
}  // namespace

// Another listed holder of the order's block that was not tried yet (not the target, not silent), or -1.
static int other_holder(const CopyOrder& c, const Manifest& m, std::map<int, std::set<int>>& tried,
                        const std::set<int>& silent, const StoreCoordinator& coord) {
  for (int r : m.blocks[static_cast<std::size_t>(c.block)].replicas)
    if (r != c.to && !tried[c.block].count(r) && !silent.count(r) && coord.alive(r)) return r;
  return -1;
}

void StoreCoordinator::launch(CopyRun& run, CopyOrder c) {
  if (involves(c, run.res.silent)) {
    const int silent = run.res.silent.count(c.from) ? c.from : c.to;
    if (silent == c.from && retry_elsewhere(run, c, "rank " + std::to_string(c.from) + " silent")) return;
    if (silent == c.to && retarget(run, c, "rank " + std::to_string(c.to) + " silent")) return;
    run.res.failures.push_back("copy failed, " + copy_text(c) + ": rank " + std::to_string(silent) + " silent");
    return;
  }
  const long long id = next_req();
  run.tried[c.block].insert(c.from);
  const BlockRef& b = run.m.blocks[static_cast<std::size_t>(c.block)];
  if (!link_.out->send_text(c.from, wire::kStoreCopy, w::encode_copy({id, c.block, b.crc, c.to}))) {
    if (retry_elsewhere(run, c, "rank " + std::to_string(c.from) + " cannot be reached")) return;
    run.res.failures.push_back("copy failed, " + copy_text(c) + ": rank " + std::to_string(c.from) + " cannot be reached");
    return;
  }
  run.open[id] = OpenOrder{c, now(), 0};
  ++run.busy[c.from];
  ++run.busy[c.to];
}

// The order again from another listed holder (at once, ahead of the others), if there is one.
bool StoreCoordinator::retry_elsewhere(CopyRun& run, const CopyOrder& c, const std::string& why) {
  const int alt = other_holder(c, run.m, run.tried, run.res.silent, *this);
  if (alt < 0) return false;
  run.res.failures.push_back("copy failed, " + copy_text(c) + ": " + why + " (trying rank " + std::to_string(alt) + ")");
  launch(run, CopyOrder{c.block, alt, c.to});
  return true;
}

// The order again to another live rank that holds no copy of the block (listed, copied or being
// copied), when its target is gone or silent.
bool StoreCoordinator::retarget(CopyRun& run, const CopyOrder& c, const std::string& why) {
  if (targets_.empty() || !alive(c.from) || run.res.silent.count(c.from)) return false;
  std::vector<RankHost> holders, candidates;
  std::set<int> taken(run.m.blocks[static_cast<std::size_t>(c.block)].replicas.begin(),
                      run.m.blocks[static_cast<std::size_t>(c.block)].replicas.end());
  taken.insert(c.to);
  for (const auto& d : run.res.done)
    if (d.block == c.block) taken.insert(d.to);
  for (const auto& [id, o] : run.open)
    if (o.order.block == c.block) taken.insert(o.order.to);
  for (int r : taken) holders.push_back({r, host_of(run.m.ranks, r)});
  for (const auto& rh : targets_)
    if (!taken.count(rh.rank) && alive(rh.rank) && !run.res.silent.count(rh.rank)) candidates.push_back(rh);
  std::map<int, std::uint64_t> load;
  for (const auto& [rank, l] : load_by_rank(run.m)) load[rank] = l.bytes;
  const int to = pick_target(holders, candidates, load, run.m.sites);
  if (to < 0) return false;
  run.res.failures.push_back("copy failed, " + copy_text(c) + ": " + why + " (copying to rank " + std::to_string(to) + " instead)");
  launch(run, CopyOrder{c.block, c.from, to});
  return true;
}

StoreCoordinator::CopyOutcome StoreCoordinator::execute_copies(const std::vector<CopyOrder>& orders, const Manifest& m,
                                                               int window, double deadline) {
  CopyRun run{m, {}, {}, {}, {}};
  std::deque<CopyOrder> todo(orders.begin(), orders.end());
  while ((!todo.empty() || !run.open.empty()) && now() < deadline) {
    // The first waiting orders whose ranks have room (the others keep their place).
    for (auto it = todo.begin(); it != todo.end() && static_cast<int>(run.open.size()) < std::max(1, window);) {
      if (run.busy[it->from] >= kPerRank || run.busy[it->to] >= kPerRank) {
        ++it;
        continue;
      }
      const CopyOrder c = *it;
      it = todo.erase(it);
      launch(run, c);
    }
    step();
    take_answers(run);
    expire(run);
  }
  for (auto& [id, o] : run.open) run.res.failures.push_back("copy given up (repair deadline), " + copy_text(o.order));
  for (const auto& c : todo) run.res.failures.push_back("copy not tried (repair deadline), " + copy_text(c));
  return std::move(run.res);
}

void StoreCoordinator::take_answers(CopyRun& run) {
  auto close = [&](std::map<long long, OpenOrder>::iterator it) {
    --run.busy[it->second.order.from];
    --run.busy[it->second.order.to];
    run.open.erase(it);
  };
  for (const auto& a : acks_) {
    auto it = run.open.find(a.attempt);
    if (it == run.open.end() || a.rank != it->second.order.to || a.block != it->second.order.block) continue;
    run.res.done.push_back(it->second.order);
    run.res.bytes += run.m.blocks[static_cast<std::size_t>(a.block)].length;
    close(it);
  }
  acks_.clear();
  for (const auto& n : nacks_) {
    auto it = run.open.find(n.attempt);
    if (it == run.open.end() || n.block != it->second.order.block) continue;
    const CopyOrder c = it->second.order;
    close(it);
    // The source's own copy was bad or gone (e.g. a corrupt replica the manifest still lists):
    // another listed holder may have a good one.
    if (n.rank == c.from && retry_elsewhere(run, c, n.message)) continue;
    run.res.failures.push_back("copy failed, " + copy_text(c) + ": " + n.message);
  }
  nacks_.clear();
}

// An order unanswered for --timeout x 1, 2, 4 ... is waited for again while both ranks are alive;
// after kWaitRounds (or a rank gone) it fails, from another holder if the source was the silent one.
void StoreCoordinator::expire(CopyRun& run) {
  for (auto it = run.open.begin(); it != run.open.end();) {
    OpenOrder& o = it->second;
    const bool gone = !alive(o.order.from) || !alive(o.order.to);
    if (!gone && now() - o.sent < link_.timeout * static_cast<double>((1 << (o.round + 1)) - 1)) {
      ++it;
      continue;
    }
    if (!gone && o.round < kWaitRounds) {
      ++o.round;
      ++it;
      continue;
    }
    const CopyOrder c = o.order;
    const double waited = now() - o.sent;
    --run.busy[c.from];
    --run.busy[c.to];
    it = run.open.erase(it);
    std::string why;
    if (gone) {
      const int r = alive(c.from) ? c.to : c.from;
      why = "rank " + std::to_string(r) + " gone";
      run.res.silent.insert(r);
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "no answer within %.3g s", waited);
      why = buf;
      run.res.silent.insert(c.from);
      run.res.silent.insert(c.to);
    }
    // A gone source: another holder; a gone target: another target. (A silence of 7x --timeout
    // where nobody knows which of the two is dead: no retry; the block stays under-replicated for
    // fsck --repair.)
    if (gone && !alive(c.from) && retry_elsewhere(run, c, why)) continue;
    if (gone && alive(c.from) && retarget(run, c, why)) continue;
    run.res.failures.push_back("copy failed, " + copy_text(c) + ": " + why);
  }
}

}  // namespace dla::mpi
