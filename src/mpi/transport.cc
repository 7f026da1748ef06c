#include "mpi/transport.h"

#include <algorithm>

#include "mpi/runtime.h"
#include "mpi/sim_hooks.h"
#include "mpi/tags.h"

namespace dla::mpi {
namespace {
std::vector<int> g_peer_errors;  // per rank (SMPI privatizes globals)
void peer_error(int rank) { g_peer_errors.push_back(rank); }
}  // namespace

std::vector<int> take_peer_errors() {
  std::vector<int> out;
  out.swap(g_peer_errors);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Outbox::send(int dst, int tag, Payload p) {
  if (!sim::peer_alive(dst)) return false;
  p.resize(wire::kWireLen, 0);
  if (term_ > 0) p[wire::kTermSlot] = term_;
  return post(dst, tag, std::make_shared<Buffer>(Buffer{std::move(p), {}}), MPI_LONG_LONG, wire::kWireLen);
}

bool Outbox::send_text(int dst, int tag, std::string text) {
  if (!sim::peer_alive(dst)) return false;
  auto b = std::make_shared<Buffer>(Buffer{{}, std::move(text)});
  return post(dst, tag, b, MPI_CHAR, static_cast<int>(b->text.size()));
}

void Outbox::progress() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    if (MPI_Test(&it->req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      peer_error(it->dst);
      done = 1;  // (the request is freed by the failed test or never completes: forget it)
    }
    it = done ? pending_.erase(it) : std::next(it);
  }
}

bool Outbox::pending_to(int dst) const {
  return std::any_of(pending_.begin(), pending_.end(), [dst](const Entry& e) { return e.dst == dst; });
}

void Outbox::flush(double seconds, double poll) {
  progress();
  const double end = wtime() + seconds;
  while (!pending_.empty() && wtime() < end) {
    sleep_seconds(poll);
    progress();
  }
}

void Outbox::abandon() {
  progress();
  for (auto& e : pending_) {
    MPI_Request_free(&e.req);
    leaked_.push_back(e.buf);  // the MPI library may still read it
  }
  pending_.clear();
}

bool Outbox::post(int dst, int tag, std::shared_ptr<Buffer> b, MPI_Datatype type, int count) {
  pending_.push_back(Entry{MPI_REQUEST_NULL, b, dst});
  void* data = type == MPI_CHAR ? static_cast<void*>(b->text.data()) : static_cast<void*>(b->nums.data());
  if (MPI_Isend(data, count, type, dst, tag, MPI_COMM_WORLD, &pending_.back().req) != MPI_SUCCESS) {
    pending_.pop_back();
    peer_error(dst);
    return false;
  }
  ++sent_;
  if (dst >= static_cast<int>(sent_to_.size())) sent_to_.resize(static_cast<std::size_t>(dst) + 1, 0);
  ++sent_to_[static_cast<std::size_t>(dst)];
  progress();
  return true;
}

namespace {

struct PendingRecv {
  MPI_Request req = MPI_REQUEST_NULL;
  bool done = false;
  Incoming in;
};
std::list<PendingRecv> g_pending_recv;  // per rank (SMPI privatizes globals); stable addresses

// Hands out the oldest completed receive (from `source` or any), keeping each source's order.
bool pop_completed(int source, Incoming* in) {
  std::vector<int> blocked;  // sources with an earlier message still in transit
  for (auto it = g_pending_recv.begin(); it != g_pending_recv.end();) {
    if (source != MPI_ANY_SOURCE && it->in.source != source) {
      ++it;
      continue;
    }
    if (!it->done) {
      int flag = 0;
      if (MPI_Test(&it->req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        peer_error(it->in.source);  // its message is lost: drop it
        it = g_pending_recv.erase(it);
        continue;
      }
      it->done = flag != 0;
    }
    const bool earlier = std::find(blocked.begin(), blocked.end(), it->in.source) != blocked.end();
    if (it->done && !earlier) {
      *in = std::move(it->in);
      g_pending_recv.erase(it);
      return true;
    }
    if (!it->done) blocked.push_back(it->in.source);
    ++it;
  }
  return false;
}

}  // namespace

// One probe per call (in SMPI every probe costs simulated time and a context switch): a message
// already received is handed out first; otherwise a newly probed one is posted and, usually
// complete at once, handed out.
bool try_recv(int source, Incoming* in) {
  if (!g_pending_recv.empty() && pop_completed(source, in)) return true;
  int flag = 0;
  MPI_Status st;
  sim::charge_probe();  // (SMPI: the probe's simulated cost, see sim_hooks.h)
  if (MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) {
    if (source != MPI_ANY_SOURCE) peer_error(source);
    return false;
  }
  if (!flag) return false;
  g_pending_recv.emplace_back();
  PendingRecv& p = g_pending_recv.back();
  p.in.source = st.MPI_SOURCE;
  p.in.tag = st.MPI_TAG;
  int rc;
  if (wire::carries_text(p.in.tag)) {
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    p.in.text.assign(static_cast<std::size_t>(std::max(n, 0)), '\0');
    rc = MPI_Irecv(p.in.text.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &p.req);
  } else {
    p.in.nums.assign(wire::kWireLen, 0);
    rc = MPI_Irecv(p.in.nums.data(), wire::kWireLen, MPI_LONG_LONG, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &p.req);
  }
  if (rc != MPI_SUCCESS) {
    peer_error(st.MPI_SOURCE);
    g_pending_recv.pop_back();
    return false;
  }
  return pop_completed(source, in);
}

}  // namespace dla::mpi
