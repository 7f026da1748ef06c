// `distributed_log_analyser --follow DIR` (issue 13): the MPI side of following growing logs.
// The decisions are src/stream's (stream_table.h: identity, rotation, epochs, exactly-once);
// this moves messages and calls them. Rank 0 is the master, the other ranks follow files.
//
// Master (follow_master.cc): loads the newest follow checkpoint (the table: per file identity,
// offset and counts), then loops: reads every report (applied by the table: stale epochs and gaps
// dropped), declares a worker silent for --timeout failed (its files go to the others from their
// committed offsets; it is SIGKILLed if on this host), lists the directory every --scan-interval
// (stream_table observe), sends the orders (follow / end), prints one live line every
// --report-interval (NDJSON with --json) and saves a checkpoint every --checkpoint-interval when
// something changed. It ends on SIGINT/SIGTERM (real MPI) or after --follow-for seconds: one last
// listing and orders, STOP to every worker, which polls its files once more, reports and says done
// (Z); the master waits for those (at most --timeout), saves the last checkpoint and prints the
// totals and the RESULT line.
//
// Worker (follow_worker.cc): HELLO (pid, host), then follows what it is given: every --follow-poll
// s, or sooner when inotify reports a change in the directory (real MPI), it polls each of its files (stream/follow_file.h, complete lines only) and sends the deltas in one
// RESULT message; a heartbeat when it has nothing to say for --heartbeat s. An ended file is
// read for --rotate-wait s more (a writer may still append to a renamed file), then once counting a
// last unterminated line, and dropped. Leaves when the master is gone or silent --master-timeout s.
//
// Messages: tags of mpi/tags.h reused with the follow payloads of stream/follow_wire.h:
// ASSIGN (orders), RESULT (reports), HEARTBEAT, WAIT (master keepalive), STOP, HELLO.
#pragma once
#include <cstdint>
#include <string>

#include "mpi/runtime.h"

namespace dla::mpi {

struct FollowOptions {
  std::string dir;
  std::string pattern = "*.log";
  std::string format = "auto";
  double follow_for = 0;           // 0: until SIGINT/SIGTERM
  double report_interval = 1.0;    // live line
  double scan_interval = 0.25;     // directory listing (master)
  double poll = 0.05;              // file polling (workers)
  double rotate_wait = 1.0;        // an ended file is still read this long
  double timeout = 3.0;            // worker failed after this long silent
  double heartbeat = 0.5;
  double master_timeout = 10.0;
  bool json = false;
  bool quiet = false;
  bool checkpoint = true;
  std::string checkpoint_dir = "checkpoints";
  double checkpoint_interval = 1.0;
  int keep = 3;
  bool fresh = false;
  // SMPI only (the app refuses it on real MPI): the growth script (scan/growth.h) the master
  // carries out in `dir` at its simulated times, the lines generated with this seed.
  std::string sim_growth;
  std::uint64_t sim_growth_seed = 1;
};

// Returns the exit status: master 0 (ended), 1 bad input; workers 0.
int run_follow(const Session& s, const FollowOptions& opt);
// The two roles (follow_master.cc, follow_worker.cc).
int run_follow_master(const Session& s, const FollowOptions& opt);
int run_follow_worker(const Session& s, const FollowOptions& opt);

}  // namespace dla::mpi
