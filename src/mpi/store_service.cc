#include "mpi/store_service.h"

#include <cstdio>

#include "mpi/sim_hooks.h"
#include "mpi/store_wire.h"
#include "mpi/tags.h"
#include "store/block.h"
#include "store/local_store.h"
#include "store/manifest.h"

namespace dla::mpi {

namespace w = store_wire;

BlockServer::BlockServer(int rank, LocalStore* store, Outbox* out, int coordinator, Env* env)
    : rank_(rank), store_(store), out_(out), coordinator_(coordinator), env_(env) {}

void BlockServer::charge(std::uint64_t bytes) {
  if (charge_) charge_(bytes);
  else sim::charge_scan(bytes);
}

bool BlockServer::handle(const Incoming& m) {
  switch (m.tag) {
    case wire::kStorePut: on_put(m); return true;
    case wire::kStoreFetch: on_fetch(m); return true;
    case wire::kStoreCopy: on_copy(m); return true;
    case wire::kStoreInvReq: on_inventory_request(m); return true;
    case wire::kStoreManifest: on_manifest(m); return true;
    case wire::kStoreManifestReq: on_manifest_request(m); return true;
    case wire::kStoreCorrupt:
      if (rank_ != coordinator_) return false;
      on_corrupt(m);
      return true;
    default: return false;
  }
}

// Stores the block, acknowledges to the coordinator, forwards it down the chain. A member that
// cannot store it says NACK (the coordinator re-places the block); a next member that cannot be
// reached is NACKed on its behalf.
void BlockServer::on_put(const Incoming& m) {
  auto p = w::decode_put(m.text);
  if (!p) {
    std::fprintf(stderr, "[Store %d] dropped a bad PUT from rank %d (%zu bytes): %s\n", rank_, m.source, m.text.size(),
                 p.error().c_str());
    return;
  }
  Status st = store_ ? store_->put(p->block, p->crc, p->bytes)
                     : Status(Error{"rank " + std::to_string(rank_) + " has no store", Code::kInvalid});
  if (!st) {
    out_->send_text(p->ack_to, wire::kStoreNack,
                    w::encode_nack({p->block, p->attempt, rank_, static_cast<int>(st.code()), st.error()}));
    return;
  }
  charge(p->bytes.size());  // (SMPI: the write and its verification cost time, like a scan)
  ++stored_;
  stored_bytes_ += p->bytes.size();
  out_->send_text(p->ack_to, wire::kStoreAck, w::encode_ack({p->block, p->attempt, rank_, p->pos}));
  const auto next = static_cast<std::size_t>(p->pos) + 1;
  if (next < p->chain.size() && !out_->send_text(p->chain[next], wire::kStorePut, w::encode_put_forward(*p)))
    out_->send_text(p->ack_to, wire::kStoreNack,
                    w::encode_nack({p->block, p->attempt, p->chain[next], static_cast<int>(Code::kIOError),
                                    "rank " + std::to_string(p->chain[next]) + " cannot be reached"}));
}

void BlockServer::on_fetch(const Incoming& m) {
  auto f = w::decode(m.text, 3);
  if (!f) return;
  const long long req = f->head[0];
  const int block = static_cast<int>(f->head[1]);
  const auto crc = static_cast<std::uint32_t>(f->head[2]);
  if (!store_) {
    out_->send_text(m.source, wire::kStoreData, w::encode({req, block, w::kDataMissing}));
    return;
  }
  auto got = store_->get(block, crc);
  if (got) {
    charge(got->size());
    ++served_;
    served_bytes_ += got->size();
    out_->send_text(m.source, wire::kStoreData, w::encode({req, block, w::kDataOk}, *got));
    return;
  }
  int status = w::kDataError;
  if (got.code() == Code::kCorruption) {
    status = w::kDataCorrupt;
    report_corrupt(block, got.error());
  } else if (got.code() == Code::kNotFound) {
    status = w::kDataMissing;
  }
  out_->send_text(m.source, wire::kStoreData, w::encode({req, block, status}, got.error()));
}

// A COPY order: this holder sends its verified copy to the target as a one-member chain whose ack
// goes to whoever ordered it. A bad or missing local copy is NACKed at once.
void BlockServer::on_copy(const Incoming& m) {
  auto c = w::decode_copy(m.text);
  if (!c) return;
  Result<std::string> got = store_ ? store_->get(c->block, c->crc)
                                   : Result<std::string>(Error{"no store", Code::kNotFound});
  if (!got) {
    if (got.code() == Code::kCorruption) report_corrupt(c->block, got.error());
    out_->send_text(m.source, wire::kStoreNack,
                    w::encode_nack({c->block, c->order, rank_, static_cast<int>(got.code()), got.error()}));
    return;
  }
  charge(got->size());
  w::Put p;
  p.block = c->block;
  p.crc = c->crc;
  p.attempt = c->order;
  p.ack_to = m.source;
  p.chain = {c->to};
  p.bytes = std::move(*got);
  served_bytes_ += p.bytes.size();
  ++served_;
  if (!out_->send_text(c->to, wire::kStorePut, w::encode_put(p)))
    out_->send_text(m.source, wire::kStoreNack,
                    w::encode_nack({c->block, c->order, c->to, static_cast<int>(Code::kIOError),
                                    "rank " + std::to_string(c->to) + " cannot be reached"}));
}

void BlockServer::on_inventory_request(const Incoming& m) {
  auto r = w::decode(m.text, 2);
  if (!r) return;
  std::vector<w::InvEntry> entries;
  if (store_ && !r->body.empty()) {  // fsck --repair: our own orphan block files go first
    auto drops = w::decode_drop_list(r->body);
    if (!drops) std::fprintf(stderr, "[Store %d] bad drop list: %s\n", rank_, drops.error().c_str());
    else
      for (const auto& f : *drops)
        if (Status st = store_->remove(f.block, f.crc); !st)
          std::fprintf(stderr, "[Store %d] could not remove an orphan replica: %s\n", rank_, st.error().c_str());
  }
  if (store_) {
    auto inv = store_->inventory(r->head[1] != 0);
    if (!inv) std::fprintf(stderr, "[Store %d] inventory: %s\n", rank_, inv.error().c_str());
    std::uint64_t bytes = 0;
    if (inv)
      for (const Held& h : *inv) {
        entries.push_back({h.block, h.crc, h.size, h.ok});
        bytes += h.size;
      }
    if (r->head[1] != 0) charge(bytes);  // (verification reads every block)
  }
  out_->send_text(m.source, wire::kStoreInv, w::encode_inventory(r->head[0], entries));
}

void BlockServer::on_manifest(const Incoming& m) {
  auto r = w::decode(m.text, 1);
  if (!r) return;
  auto man = decode_manifest(r->body);
  Status st = man ? OkStatus() : Status(man.err());
  if (man && !store_) st = Error{"rank " + std::to_string(rank_) + " has no store", Code::kInvalid};
  if (st) st = save_manifest(*env_, store_->dir(), *man);
  if (st) {
    pushed_manifest_ = std::move(r->body);
    pushed_version_ = static_cast<long long>(man->version);
  }
  out_->send_text(m.source, wire::kStoreManifestAck,
                  w::encode({r->head[0], st ? static_cast<long long>(man->version) : 0, st ? 1 : 0},
                            st ? std::string() : st.error()));
}

void BlockServer::on_manifest_request(const Incoming& m) {
  auto r = w::decode(m.text, 1);
  if (!r) return;
  Result<Manifest> man = store_ ? load_manifest(*env_, store_->dir())
                                : Result<Manifest>(Error{"no store", Code::kNotFound});
  out_->send_text(m.source, wire::kStoreManifestCopy,
                  man ? w::encode({r->head[0], 1}, encode_manifest(*man))
                      : w::encode({r->head[0], 0, static_cast<long long>(man.code())}, man.error()));
}

void BlockServer::on_corrupt(const Incoming& m) {
  auto r = w::decode(m.text, 1);
  if (!r) return;
  corrupt_.push_back({static_cast<int>(r->head[0]), m.source, r->body});
}

void BlockServer::report_corrupt(int block, const std::string& message) {
  std::fprintf(stderr, "[Store %d] corrupt replica: %s\n", rank_, message.c_str());
  corrupt_.push_back({block, rank_, message});
  if (rank_ != coordinator_) out_->send_text(coordinator_, wire::kStoreCorrupt, w::encode({block}, message));
}

// ---- BlockFetcher ----------------------------------------------------------------------------

BlockFetcher::BlockFetcher(int rank, Outbox* out, double timeout) : rank_(rank), out_(out), timeout_(timeout) {}

long long BlockFetcher::start(int block, std::uint32_t crc, std::vector<int> holders, double now) {
  const long long id = next_id_++;
  Live& f = live_[id];
  f.id = id;
  f.block = block;
  f.crc = crc;
  for (int h : holders)
    if (h != rank_) f.holders.push_back(h);
  f.result.block = block;
  try_next(f, now);
  return id;
}

// Asks the next holder that can be reached. None left: waits longer for the silent ones still
// alive (their answers are still taken), or fails when none is left or the last round is over.
void BlockFetcher::try_next(Live& f, double now) {
  f.asking = -1;
  while (f.next < f.holders.size()) {
    const int h = f.holders[f.next++];
    const long long req = next_req_++;
    if (!sim::peer_alive(h) ||
        !out_->send_text(h, wire::kStoreFetch, w::encode({req, f.block, static_cast<long long>(f.crc)}))) {
      f.result.attempts.push_back({h, "gone"});
      continue;
    }
    req_[req] = f.id;
    f.outstanding[req] = h;
    f.asking = h;
    f.deadline = now + timeout_;
    return;
  }
  for (auto it = f.outstanding.begin(); it != f.outstanding.end();) {  // (a silent holder that died)
    if (sim::peer_alive(it->second)) {
      ++it;
      continue;
    }
    f.result.attempts.push_back({it->second, "gone"});
    req_.erase(it->first);
    it = f.outstanding.erase(it);
  }
  if (f.outstanding.empty() || f.round >= kWaitRounds) {
    finish(f, false);
    return;
  }
  ++f.round;
  f.deadline = now + timeout_ * static_cast<double>(1 << f.round);
}

void BlockFetcher::forget(Live& f, long long req) {
  req_.erase(req);
  f.outstanding.erase(req);
}

void BlockFetcher::finish(Live& f, bool ok) {
  f.finished = true;
  f.asking = -1;
  while (!f.outstanding.empty()) forget(f, f.outstanding.begin()->first);  // (late answers: dropped)
  f.result.ok = ok;
  if (ok) return;
  std::string why = "block " + std::to_string(f.block) + ": no holder could give it (";
  if (f.result.attempts.empty()) why += "no holder";
  for (std::size_t i = 0; i < f.result.attempts.size(); ++i)
    why += (i ? ", rank " : "rank ") + std::to_string(f.result.attempts[i].rank) + " " + f.result.attempts[i].outcome;
  f.result.error = why + ")";
}

// Any FETCH of the fetch still unanswered may answer (the current one or a late one).
bool BlockFetcher::handle(const Incoming& m, double now) {
  if (m.tag != wire::kStoreData) return false;
  auto d = w::decode(m.text, 3);
  if (!d) return true;
  auto r = req_.find(d->head[0]);
  if (r == req_.end()) return true;  // an answer of a finished fetch
  auto it = live_.find(r->second);
  if (it == live_.end() || it->second.finished) {
    req_.erase(r);
    return true;
  }
  Live& f = it->second;
  auto o = f.outstanding.find(d->head[0]);
  if (o == f.outstanding.end() || o->second != m.source || d->head[1] != f.block) return true;  // (not its answer)
  forget(f, d->head[0]);
  const int status = static_cast<int>(d->head[2]);
  if (status == w::kDataOk && block_crc(d->body) == f.crc) {
    fetched_bytes_ += d->body.size();
    f.result.attempts.push_back({m.source, "ok"});
    f.result.from = m.source;
    f.result.bytes = std::move(d->body);
    finish(f, true);
    return true;
  }
  f.result.attempts.push_back({m.source, status == w::kDataOk ? "bad checksum" : w::data_status_name(status)});
  // The holder asked last failed for good: the next one now. An earlier (late) one: nothing to do,
  // unless the fetch was only waiting and nobody is left to wait for.
  if (m.source == f.asking || (f.asking < 0 && f.outstanding.empty())) try_next(f, now);
  return true;
}

void BlockFetcher::poll(double now) {
  for (auto& [id, f] : live_) {
    if (f.finished) continue;
    if (f.asking >= 0 && !sim::peer_alive(f.asking)) {  // (gone: no answer will come)
      for (auto it = f.outstanding.begin(); it != f.outstanding.end(); ++it)
        if (it->second == f.asking) {
          forget(f, it->first);
          break;
        }
      f.result.attempts.push_back({f.asking, "gone"});
      try_next(f, now);
      continue;
    }
    if (now < f.deadline) continue;
    if (f.asking >= 0) f.result.attempts.push_back({f.asking, "timeout"});  // (still listened to)
    try_next(f, now);
  }
}

bool BlockFetcher::done(long long id) const {
  auto it = live_.find(id);
  return it == live_.end() || it->second.finished;
}

BlockFetcher::Result BlockFetcher::take(long long id) {
  auto it = live_.find(id);
  if (it == live_.end()) return Result{};
  while (!it->second.outstanding.empty()) forget(it->second, it->second.outstanding.begin()->first);
  Result r = std::move(it->second.result);
  live_.erase(it);
  return r;
}

}  // namespace dla::mpi
