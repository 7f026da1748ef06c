#include "mpi/store_coord.h"

#include <algorithm>
#include <deque>
#include <cstdio>

#include "mpi/runtime.h"
#include "mpi/tags.h"
#include "store/block.h"

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
  Result<Manifest> best = Error{"no rank has a valid manifest", Code::kNotFound};
  for (auto& [r, m] : manifest_copies(ranks))
    if (m && (!best || m->version > best->version)) best = std::move(*m);
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

// Another listed holder of the order's block that was not tried yet (and is not the target), or -1.
static int other_holder(const CopyOrder& c, const Manifest& m, std::map<int, std::set<int>>& tried) {
  for (int r : m.blocks[static_cast<std::size_t>(c.block)].replicas)
    if (r != c.to && !tried[c.block].count(r)) return r;
  return -1;
}

StoreCoordinator::CopyOutcome StoreCoordinator::execute_copies(const std::vector<CopyOrder>& orders, const Manifest& m,
                                                               int window, double deadline) {
  CopyOutcome res;
  std::map<long long, OpenOrder> open;
  std::deque<CopyOrder> todo(orders.begin(), orders.end());
  std::map<int, std::set<int>> tried;  // block -> sources asked
  while ((!todo.empty() || !open.empty()) && now() < deadline) {
    while (!todo.empty() && static_cast<int>(open.size()) < std::max(1, window)) {
      const CopyOrder c = todo.front();
      todo.pop_front();
      const long long id = next_req();
      tried[c.block].insert(c.from);
      const BlockRef& b = m.blocks[static_cast<std::size_t>(c.block)];
      if (!link_.out->send_text(c.from, wire::kStoreCopy, w::encode_copy({id, c.block, b.crc, c.to}))) {
        res.failures.push_back("copy failed, " + copy_text(c) + ": rank " + std::to_string(c.from) + " cannot be reached");
        continue;
      }
      open[id] = OpenOrder{c, now()};
    }
    step();
    for (const auto& a : acks_) {
      auto it = open.find(a.attempt);
      if (it == open.end() || a.rank != it->second.order.to) continue;
      res.done.push_back(it->second.order);
      res.bytes += m.blocks[static_cast<std::size_t>(a.block)].length;
      open.erase(it);
    }
    acks_.clear();
    for (const auto& n : nacks_) {
      auto it = open.find(n.attempt);
      if (it == open.end()) continue;
      CopyOrder c = it->second.order;
      open.erase(it);
      // The source's own copy was bad or gone (e.g. a corrupt replica the manifest still lists):
      // another listed holder may have a good one.
      const int alt = n.rank == c.from ? other_holder(c, m, tried) : -1;
      res.failures.push_back("copy failed, " + copy_text(c) + ": " + n.message +
                             (alt >= 0 ? " (trying rank " + std::to_string(alt) + ")" : ""));
      if (alt >= 0) todo.push_front(CopyOrder{c.block, alt, c.to});
    }
    nacks_.clear();
    expire(open, &res);
  }
  for (auto& [id, o] : open) res.failures.push_back("copy given up (repair deadline), " + copy_text(o.order));
  for (const auto& c : todo) res.failures.push_back("copy not tried (repair deadline), " + copy_text(c));
  return res;
}

void StoreCoordinator::expire(std::map<long long, OpenOrder>& open, CopyOutcome* res) {
  for (auto it = open.begin(); it != open.end();) {
    if (now() - it->second.sent < link_.timeout) {
      ++it;
      continue;
    }
    char why[64];
    std::snprintf(why, sizeof why, ": no answer within %g s", link_.timeout);
    res->failures.push_back("copy failed, " + copy_text(it->second.order) + why);
    res->silent.insert(it->second.order.from);
    res->silent.insert(it->second.order.to);
    it = open.erase(it);
  }
}

}  // namespace dla::mpi
