// Message tags and payloads of the distributed analyser's master/worker protocol.
//
//   master -> worker   PLAN       text: JSON {"files": [...]} | {"error": msg}   once, at start
//   worker -> master   HELLO      text "pid host"                     once, at start
//                      REQUEST    [0]                                 give me work
//                      RESULT     [task ok D E I W lines started_us]  task done (also the next request)
//                      HEARTBEAT  [task bytes_done started_us]        while scanning, every --heartbeat s
//   master -> worker   ASSIGN     [task file offset length attempt]   scan this byte range
//                      WAIT       [0]                                 nothing now; ask again shortly
//                      STOP       [0]                                 leave
// The PLAN is sent once per worker with a non-blocking send after the master loaded its checkpoint
// (it replaces a broadcast: a collective would block on a peer that died during start-up).
// Numeric payloads are arrays of kWireLen long long (unused slots 0). started_us: when the worker
// began the task, in microseconds since the run's start on its own clock (for the trace).
#pragma once

namespace dla::mpi::wire {

enum Tag : int {
  kPlan = 100,
  kHello = 101,
  kRequest = 102,
  kAssign = 103,
  kWait = 104,
  kStop = 105,
  kResult = 106,
  kHeartbeat = 107,
};

inline constexpr int kWireLen = 10;

// PLAN and HELLO carry text (MPI_CHAR, any length); the others kWireLen numbers.
inline bool carries_text(int tag) { return tag == kPlan || tag == kHello; }

inline const char* tag_name(int tag) {
  switch (tag) {
    case kPlan: return "PLAN";
    case kHello: return "HELLO";
    case kRequest: return "REQUEST";
    case kAssign: return "ASSIGN";
    case kWait: return "WAIT";
    case kStop: return "STOP";
    case kResult: return "RESULT";
    case kHeartbeat: return "HEARTBEAT";
  }
  return "?";
}

}  // namespace dla::mpi::wire
