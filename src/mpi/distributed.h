// Stage 2: the fault-tolerant distributed analyser (master/worker over MPI, same code on Open MPI
// and on SimGrid SMPI). Rank 0 is the master, ranks 1..n-1 are workers.
//
// Start-up (no collective: a peer that died during start-up must not block anyone): rank 0
// validates, discovers the input, checks the --trace target and loads its checkpoint (on_start),
// and only then sends each worker the PLAN (the run's options, never the file list) with a
// non-blocking send. A worker waits for its PLAN (bounded by the start-up watchdog, runtime.h), so
// --master-timeout starts counting only once the master is ready: a slow checkpoint load cannot
// make the workers leave.
//
// Protocol (src/mpi/tags.h, payloads src/mpi/protocol.h): a worker says HELLO (pid, host), then
// REQUESTs work; the master answers ASSIGN (a batch of tasks, each with what the worker needs to
// scan it: path, byte range, expected size) | WAIT (nothing now, tasks still in flight elsewhere:
// ask again in a moment) | STOP. The worker runs its batch from a local queue and reports the
// results in one RESULT (also the next request once it holds nothing). Batches: many small tasks
// go in one ASSIGN up to 256 KiB or 1024 tasks (never more than a fair share of what is left), so
// 100,000 tiny files are a few hundred round trips, not 100,000; ordinary tasks go one at a time.
// While scanning, a worker sends a HEARTBEAT between chunks whenever --heartbeat seconds have
// passed since its last message, and reports finished results at least once a heartbeat interval.
//
// Master: never blocks on a peer. It polls with MPI_Iprobe and sleeps `poll` seconds when idle,
// reads every message already arrived before it judges silence (so a busy master never declares a
// worker failed whose heartbeat was waiting to be read),
// sends only with MPI_Isend (buffers and requests kept until MPI_Test says done, freed at shutdown;
// a send to a dead peer may never complete), and asks sim::peer_alive first (SMPI aborts on a send
// to a vanished rank). Decisions come from core/scheduler.h (exactly-once, first result wins, late
// results from failed workers accepted if the task is not done yet, else dropped as duplicates).
//
// Failure detection bound: a worker not heard from for more than --timeout seconds is failed and
// its task goes back to the front of the queue. A worker dying at time t (its last message sent at
// or before t) is detected by
//     t + timeout + poll + one message latency      (upper bound; checked in SMPI by the tests)
// and not before t + timeout - (heartbeat + one chunk's scan time): a busy worker sends a HEARTBEAT
// between 64 KiB chunks once --heartbeat s have passed since its last message, so it is never
// silent longer than heartbeat + one chunk (+ heartbeat/2 while throttled). Keep that well below
// --timeout (defaults 0.5 s vs 3 s): a worker that is slow but alive is then never declared failed.
// A false suspicion (e.g. the machine stalled) costs capacity, never correctness: a late result is
// accepted if its task is not done yet, otherwise dropped as a duplicate.
//
// Worker watchdog: while waiting for the master's reply a worker leaves if nothing comes for
// --master-timeout seconds (or, in SMPI, as soon as the master's actor is gone).
//
// End: when every task is done the master answers STOP to every request, waits (at most --timeout)
// until every live worker collected its STOP, kills the workers it declared failed (a hung worker
// would keep mpirun alive forever: SIGKILL by pid on the same host; in SMPI the actor is killed),
// prints the result and, last, the RESULT line. If every worker died while tasks remain, the master
// scans the remaining tasks itself (and says so). INCOMPLETE only means some file could not be read.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "scan/discovery.h"
#include "sched/scheduler.h"
#include "base/status.h"
#include "mpi/runtime.h"

namespace dla::mpi {

struct CrashSpec {
  enum Mode { Kill, Hang, Exit };
  int rank = -1;
  double at = 0;  // seconds since the run's start, on the rank's own clock
  Mode mode = Kill;
};
struct SlowSpec {
  int rank = -1;
  double factor = 1;  // the rank scans this many times slower
};

// "RANK@SEC[:kill|hang|exit]" and "RANK@FACTOR".
Result<CrashSpec> parse_crash_spec(const std::string& s);
Result<SlowSpec> parse_slow_spec(const std::string& s);
const char* to_string(CrashSpec::Mode m);

struct DistributedOptions {
  std::string dir;
  std::string policy = "dynamic";  // sched/policy.h: static | dynamic | lpt | guided | steal
  bool speculate = false;          // backup copies of long tasks on idle workers (not with static)
  std::string detector = "fixed";  // fixed (silence > --timeout) | phi (phi-accrual, capped at --timeout)
  double phi_threshold = 8.0;      // phi: suspicion level that declares a worker failed
  std::string format;            // --format spec text (scan/formats.h), carried to every worker in the PLAN
  DiscoverOptions discover;      // --pattern, --recursive
  bool per_file = false;         // --per-file: the table of files with their format and counts
  double timeout = 3.0;          // worker failed after this long without a message
  double heartbeat = 0.5;        // worker heartbeat interval while scanning
  double master_timeout = 10.0;  // worker leaves when the master is silent this long
  double poll = 0.001;           // master (and waiting worker) sleep when idle
  double wait_delay = 0.05;      // a worker told WAIT asks again after this long (doubling up to heartbeat)
  long long split_bytes = 0;     // 0 = whole files; at most kMaxTasks ranges in all
  std::vector<CrashSpec> crashes;
  std::vector<SlowSpec> slow;
  double throttle = 0;           // bytes per second per worker, 0 = unlimited
  std::string trace_file;
  double flops_per_byte = 1.0;   // simulation only
  bool quiet = false;
  bool json = false;
  bool announce_start = false;   // print kClockStartLine on stderr when the run's clock starts (master)
  double startup_timeout = 30.0; // runtime.h's watchdog (read from argv before MPI_Init)
  std::string checkpoint_dir;    // the --trace file may not go there
  // --standbys K: ranks 1..K also watch the master and elect a successor when it dies (election.h);
  // -1 = the default (1 with >= 3 ranks, else 0); 0 = no failover at all (the protocol as before).
  int standbys = -1;
  // --store ROOT (issue 14): analyse the replicated store instead of `dir` (empty: not a store run).
  // Tasks are the manifest's blocks; with policy locality a worker first gets blocks it holds and
  // reads another rank's replica only after waiting `locality_wait` seconds (sched/policy.h).
  std::string store_root;
  double locality_wait = 0.5;

  // ---- hooks for checkpointing / resume (run on the master only) ----
  // After discovery, before the first task is handed out: may fill so.files_done / so.base_counts
  // (resume) and print what it did. A returned error ends the run as bad input (exit 1).
  std::function<Status(const std::vector<FileInfo>& files, SchedulerOptions& so)> on_start;
  // Once, after the last task (or when the run gives up), before the results are printed.
  // Returned pairs are appended to the printed footer (e.g. {"Checkpoints saved", "3"}).
  std::function<std::vector<std::pair<std::string, std::string>>(const Scheduler& s, const std::vector<FileInfo>& files)>
      at_end;
  // Wraps the scheduling policy before the scheduler is built (strong consistency's batch gate).
  std::function<std::unique_ptr<SchedulingPolicy>(std::unique_ptr<SchedulingPolicy>)> wrap_policy;
  // Every master loop iteration, after messages and failure detection (periodic checkpoints,
  // commits). Returning true stops the run at once (interrupted by a signal): the master ends
  // the workers, prints the result and "RESULT INCOMPLETE interrupted ...", and returns 3.
  std::function<bool(const Scheduler& s, double now)> on_poll;
  // How many checkpoints were saved so far: each new one is a `checkpoint` event on the trace.
  std::function<int()> checkpoints_saved;
  // Failover: the master's term, before on_start (checkpoint fencing: checkpoint.h term mark);
  // takeover = a new master resuming the run it takes over.
  std::function<void(long long term, bool takeover)> on_term;
  // Whether a master of a newer term has claimed the checkpoint directory (the caller steps down).
  std::function<bool()> fenced;
  // The counts to print (default Scheduler::totals(); strong consistency: committed counts only).
  std::function<Counts(const Scheduler& s)> visible_counts;
};

// --split-bytes may not cut the input into more tasks than this (--split-bytes 1 on 2.8 MB made
// 2.8 M tasks and never ended). A task costs the master about 1.5 ms of messages and bookkeeping
// on this 2-core machine (measured: 28k tasks in 44 s), so 100,000 tasks is minutes, not hours;
// the largest scenario uses 10,000.
inline constexpr std::size_t kMaxTasks = 100000;

// --standbys resolved for a job of `size` ranks.
int standby_count(const DistributedOptions& opt, int size);

// --announce-start: the master prints this line on stderr at the moment its clock (time 0 of the
// trace) starts, so that a harness injecting faults from outside (dla-scenario run --real) can time
// them on the run's own clock.
inline constexpr const char* kClockStartLine = "dla: run clock started";

// Checks option values (every rank calls it with the same options and session size).
Status validate(const DistributedOptions& opt, int size);

// Runs the analysis on this rank. Returns the process exit status: master 0 OK, 1 bad input,
// 3 incomplete (some file unreadable); workers 0.
// Calls s.startup_done() once the plan is sent (master) or received (worker).
int run_distributed(const Session& s, const DistributedOptions& opt);

}  // namespace dla::mpi
