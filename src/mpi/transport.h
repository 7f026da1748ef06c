// The master/worker message transport (src/mpi/tags.h): non-blocking sends and receives that never
// wait on a peer that may be dead. Main thread only; one Outbox per rank.
#pragma once
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <mpi.h>

namespace dla::mpi {

using Payload = std::vector<long long>;

// Non-blocking sends whose buffers stay alive until MPI_Test says done. Never waits: a send to a
// dead peer may never complete (Open MPI: large messages), so at shutdown the leftovers are freed
// with MPI_Request_free and their buffers deliberately leaked.
class Outbox {
 public:
  // Numeric payload, padded to wire::kWireLen. False if the peer is known to be gone or the
  // send failed (the peer is then recorded for take_peer_errors).
  bool send(int dst, int tag, Payload p);
  bool send_text(int dst, int tag, std::string text);
  void progress();  // completes what it can, never blocks
  // Progresses pending sends until none is left or `seconds` have passed (sleeping `poll` between
  // tries): the last STOPs must leave before MPI_Finalize (with async finalize, Open MPI dropped a
  // STOP still pending, and the worker waited --master-timeout for it). Bounded: a send to a dead
  // peer may never complete.
  void flush(double seconds, double poll);
  bool idle() const { return pending_.empty(); }
  bool pending_to(int dst) const;  // a send to dst not completed yet
  void abandon();   // shutdown: frees every request still pending
  long long sent() const { return sent_; }
  long long sent_to(int dst) const { return dst >= 0 && dst < static_cast<int>(sent_to_.size()) ? sent_to_[static_cast<std::size_t>(dst)] : 0; }
  // Failover: every numeric message carries this term in wire::kTermSlot (0 = off: the slot stays 0).
  void set_term(long long term) { term_ = term; }

 private:
  struct Buffer {
    Payload nums;
    std::string text;
  };
  struct Entry {
    MPI_Request req;
    std::shared_ptr<Buffer> buf;
    int dst;
  };
  bool post(int dst, int tag, std::shared_ptr<Buffer> b, MPI_Datatype type, int count);
  std::list<Entry> pending_;
  std::vector<std::shared_ptr<Buffer>> leaked_;
  long long sent_ = 0;
  std::vector<long long> sent_to_;
  long long term_ = 0;
};

struct Incoming {
  int source = -1;
  int tag = 0;
  Payload nums;
  std::string text;
};

// Non-blocking: receives one message from `source` (or MPI_ANY_SOURCE) if there is one. A probed
// message is received with MPI_Irecv and handed out once MPI_Test completes it, never with a
// blocking MPI_Recv: in SMPI the probe matches as soon as the sender posts, so a blocking receive
// would wait for the whole transfer and a slow link to one peer would stall this rank for everyone.
// Messages of one source are handed out in the order they were probed. HELLO messages
// carry text, the others numbers.
bool try_recv(int source, Incoming* in);

// MPI_COMM_WORLD returns errors (runtime.h): every MPI call here is checked, and a call that
// fails on a known peer (send, test of a send, receive of its message) records that peer. The
// master treats each as a failed worker; a worker treats the master's as "master gone".
// Returns and clears the peers recorded since the last call (ascending, each once).
std::vector<int> take_peer_errors();

}  // namespace dla::mpi
