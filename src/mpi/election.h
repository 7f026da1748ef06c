// Failover (--standbys K > 0): who the master is, how a rank notices that it is gone, and the Bully
// election among the standbys that picks its successor. Used by every non-master rank (worker.cc);
// the master side (heartbeats to the standbys, COORDINATOR, REJOIN, stepping down) is takeover.cc.
//
// Terms: the first master reigns in term 1; each election's winner reigns in the highest term it
// has seen + 1. A rank is master for at most one term (a master never becomes a standby again), so
// a message's term is its sender's: a rank only listens to the master of the newest term it knows
// (anything else a deposed master sends is dropped), and numeric messages also carry the term in
// wire::kTermSlot. Ties (two winners of one term, possible only when an ALIVE came later than the
// election window): the lower rank wins, the higher one steps down.
//
// Detection: a standby (ranks 1..K that never were master) that has heard nothing from the master
// for longer than --timeout starts an election. The master sends each standby a MASTER_BEAT whenever
// it sent it nothing else for --heartbeat s, so a live master is never silent that long.
//
// Bully by rank, the lowest live standby wins: the candidate sends ELECTION to every lower standby;
// a lower one answers ALIVE (and runs its own election once it too sees the silence). With no ALIVE
// within --heartbeat s the candidate wins; with one it waits --timeout for the COORDINATOR and
// starts over if none came. The winner sends COORDINATOR [term failovers] to every rank (the old
// master included, so a paused one learns it when it resumes) and becomes the master
// (distributed.cc). Messages, with K standbys and n ranks: the lowest standby notices first and
// wins at once: n - 1 COORDINATORs and no ELECTION; worst case (every standby starts at once, the
// lower ones dead last) K(K-1)/2 ELECTIONs + their ALIVEs + n - 1 COORDINATORs per live winner.
// Workers that are not standbys do not watch: a worker waiting for an answer leaves after
// --master-timeout unless a COORDINATOR came first (today's rule).
#pragma once
#include <vector>

#include "mpi/distributed.h"
#include "mpi/protocol.h"
#include "mpi/transport.h"

namespace dla::mpi {

// What the winner of an election hands to the Master it becomes.
struct TakeoverInfo {
  long long term = 0;         // 0: this rank did not become master
  int failovers = 0;          // masters replaced so far, this one included
  int old_master = 0;         // the master it replaces
  std::vector<int> old_masters;  // every rank that was master before (never a worker again)
  double t0 = 0;              // the rank's run start (wtime), for the run's total time
  double last_heard = 0;      // when it last heard the old master (wtime)
  double detected = 0;        // when it noticed the silence (wtime)
  double elected = 0;         // when it won (wtime)
  std::vector<proto::KeptResult> own_results;  // what it computed as a worker in this run
  std::vector<LogEntry> log;  // the prefix of the old master's LOG it holds (replayed)
};

// The standbys of a run with `size` ranks: ranks 1..K (distributed.h standby_count).
class MasterWatch {
 public:
  enum class Event { None, NewMaster, Won };
  MasterWatch(int rank, int size, int standbys, const DistributedOptions& opt);
  bool enabled() const { return standbys_ > 0; }
  bool standby() const;  // watches the master and may be elected
  int master() const { return master_; }
  long long term() const { return term_; }
  int failovers() const { return failovers_; }
  const std::vector<int>& old_masters() const { return old_; }
  double last_heard() const { return last_heard_; }
  double detected() const { return detected_; }
  bool electing() const { return state_ != State::Idle; }
  // The ranks whose messages matter, the master first: it and the standbys (every COORDINATOR,
  // ELECTION and ALIVE comes from a standby). Probed one by one, never MPI_ANY_SOURCE: under SMPI a
  // message from a rank that vanished while sending it stays probe-able but cannot be received,
  // and an any-source probe would return it for ever, hiding the new master's COORDINATOR.
  std::vector<int> sources() const;
  void start(double now) { last_heard_ = now; }  // the PLAN arrived: the master was heard
  // Told STOP: the master may still be writing its last checkpoint before its RESULT line, so
  // silence means a failure only after --master-timeout (and max(--timeout, that)).
  void linger(bool on) { linger_ = on; }

  // Every received message goes through here first (times: wtime). True: it was for the watch (a
  // control message, or anything from a deposed master: dropped); `ev` says what changed.
  bool filter(const Incoming& m, double now, Outbox& out, Event* ev);
  // Silence detection and the election's progress; Won: this rank is the new master.
  Event tick(double now, Outbox& out);

 private:
  enum class State { Idle, Electing, Deferred };
  bool newer(long long term, int rank) const;
  bool is_old(int r) const;
  Event start_election(double now, Outbox& out);
  int rank_, size_, standbys_;
  const DistributedOptions& opt_;
  int master_ = 0;
  long long term_ = 1;
  int failovers_ = 0;
  std::vector<int> old_;
  double last_heard_ = 0, detected_ = 0;
  State state_ = State::Idle;
  bool linger_ = false;
  double until_ = 0;  // Electing: the ALIVE window's end; Deferred: the COORDINATOR's deadline
};

}  // namespace dla::mpi
