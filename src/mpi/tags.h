// Message tags of the distributed analyser's master/worker protocol. Text payloads are encoded by
// src/mpi/protocol.h (lines of tab-separated, escaped fields); numeric ones are kWireLen long longs.
//
//   master -> worker   PLAN       text: the run's options (format spec) | an error   once, at start
//   worker -> master   HELLO      text "pid host"                      once, at start
//                      REQUEST    [0]                                  I hold nothing: give me work
//                      RESULT     text: one line per finished task     (id, ok|err|cancel, started,
//                                 format, counts); when the worker holds nothing more, also a request
//                      HEARTBEAT  [task bytes_done started_us]         while scanning, every --heartbeat s
//   master -> worker   ASSIGN     text: a header (refill mark) and one line per task (id, offset,
//                                 length, expected size, attempt, path, name): appended to the
//                                 worker's local queue
//                      WAIT       [0]                                  nothing now; ask again shortly
//                      STOP       [0]                                  leave
//                      CANCEL     [task]                               abandon it (a speculative copy
//                                 lost, or it was done elsewhere): its counts are never sent
//                      RELEASE    [task]                               a brokered steal: give it back
//                                 if you have not started it
//   worker -> master   RELEASED   [task]                               dropped unstarted (-> the thief)
//                      REFUSED    [task]                               started, finished or not held
// Every REQUEST and RESULT gets exactly one answer: ASSIGN (header answer=1), WAIT or STOP (WAIT to a
// worker that still holds tasks: "nothing more now, go on"). Besides answers the master sends
// unsolicited ASSIGNs (answer=0: prefetch top-ups, stolen tasks), CANCELs and RELEASEs
// (sched/scheduler.h's Orders).
// Failover (--standbys K > 0 only; with K = 0 none of these is ever sent). Terms number the
// masters' reigns (the first master: term 1); a rank is master for at most one term, so a text
// message's term is its sender's; numeric messages also carry it in slot kTermSlot.
//   master -> standby  MASTER_BEAT [term]                              when nothing else went to that
//                                                                      standby for --heartbeat s
//   standby -> lower standbys   ELECTION [term]                        the master is silent > --timeout
//   standby -> higher standby   ALIVE [term]                           "I am alive and lower: wait"
//   new master -> every rank    COORDINATOR [term failovers]           I am the master of `term`
//   master -> standby  LOG  text: sched/master_log.h entries (results applied, errors, guided cuts,
//                                       workers failed) since the last LOG, at most one per loop
//                                       iteration; a standby keeps the prefix it got and a new
//                                       master replays it (the checkpoint's files first)
//   master -> standby  DONE [term]     after the RESULT line: a standby told STOP lingers (watching
//                                       the master, silence limit --master-timeout) until it, and
//                                       acknowledges with ALIVE [term] before it leaves; a master
//                                       that dies between its last STOP and its RESULT line is
//                                       still replaced
//   worker -> new master        REJOIN  text: header (term pid host), then every result the worker
//                                       produced in this run with its byte range (protocol.h); it
//                                       is also a request (answered ASSIGN / WAIT / STOP)
// The PLAN is sent once per worker with a non-blocking send after the master loaded its checkpoint
// (it replaces a broadcast: a collective would block on a peer that died during start-up). It never
// carries the file list: a worker learns only the tasks it is given (10,000 files used to cost every
// rank a JSON parse of the whole list). started_us: when the worker began the task, in
// microseconds since the run's start on its own clock (for the trace).
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
  kCancel = 108,
  kRelease = 109,
  kReleased = 110,
  kRefused = 111,
  kMasterBeat = 112,
  kElection = 113,
  kAlive = 114,
  kCoordinator = 115,
  kRejoin = 116,
  kDone = 117,
  kLog = 118,
  // Replicated store (issue 14, src/mpi/store_wire.h): 120..139. Every store message is "text":
  // one header line of decimal numbers, then (some) raw bytes (a block, a manifest, an inventory).
  kStorePut = 120,           // -> chain member   block crc attempt ack_to pos n r0..r(n-1) | bytes
  kStoreAck = 121,           // member -> ack_to  block attempt rank pos (pos n-1: the tail: all stored)
  kStoreNack = 122,          // member -> ack_to  block attempt rank code | message
  kStoreFetch = 123,         // client -> holder  req block crc
  kStoreData = 124,          // holder -> client  req block status | bytes (status: store_wire.h)
  kStoreCopy = 125,          // rank 0 -> holder  order block crc to (the holder PUTs to `to`, ack_to 0)
  kStoreInvReq = 126,        // rank 0 -> rank    req verify | lines "block crc" to remove first (fsck --repair)
  kStoreInv = 127,           // rank -> rank 0    req | lines "block crc size ok"
  kStoreManifest = 128,      // rank 0 -> rank    req | the encoded manifest (save it)
  kStoreManifestAck = 129,   // rank -> rank 0    req version ok | message
  kStoreCorrupt = 130,       // holder -> rank 0  block | message (a corrupt local replica, found on a read)
  kStoreManifestReq = 131,   // rank 0 -> rank    req (send me your copy)
  kStoreManifestCopy = 132,  // rank -> rank 0    req ok [code] | the encoded manifest (not ok: code, the error)
  kStoreHello = 133,         // dla_store: rank -> rank 0   | host
  kStoreStart = 134,         // dla_store: rank 0 -> rank   create (open your store dir)
  kStoreOpened = 135,        // dla_store: rank -> rank 0   ok | message
  kStoreQuit = 136,          // dla_store: rank 0 -> rank   code (leave)
  kStoreBye = 137,           // dla_store: rank -> rank 0   (QUIT received: rank 0 may end; under SMPI a
                             // message still in flight when its sender ends is lost)
};

inline constexpr int kTermSlot = 9;  // numeric messages: the sender's term (failover only)

inline constexpr int kWireLen = 10;

// PLAN, HELLO, ASSIGN, RESULT, REJOIN, LOG and the store messages carry text (MPI_CHAR, any length;
// store messages binary-safe); the others kWireLen numbers.
inline bool is_store_tag(int tag) { return tag >= 120 && tag <= 139; }
inline bool carries_text(int tag) { return is_store_tag(tag) || tag == kPlan || tag == kHello || tag == kAssign || tag == kResult || tag == kRejoin || tag == kLog; }

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
    case kCancel: return "CANCEL";
    case kRelease: return "RELEASE";
    case kReleased: return "RELEASED";
    case kRefused: return "REFUSED";
    case kMasterBeat: return "MASTER_BEAT";
    case kElection: return "ELECTION";
    case kAlive: return "ALIVE";
    case kCoordinator: return "COORDINATOR";
    case kRejoin: return "REJOIN";
    case kDone: return "DONE";
    case kLog: return "LOG";
    case kStorePut: return "STORE_PUT";
    case kStoreAck: return "STORE_ACK";
    case kStoreNack: return "STORE_NACK";
    case kStoreFetch: return "STORE_FETCH";
    case kStoreData: return "STORE_DATA";
    case kStoreCopy: return "STORE_COPY";
    case kStoreInvReq: return "STORE_INV_REQ";
    case kStoreInv: return "STORE_INV";
    case kStoreManifest: return "STORE_MANIFEST";
    case kStoreManifestAck: return "STORE_MANIFEST_ACK";
    case kStoreCorrupt: return "STORE_CORRUPT";
    case kStoreManifestReq: return "STORE_MANIFEST_REQ";
    case kStoreManifestCopy: return "STORE_MANIFEST_COPY";
    case kStoreHello: return "STORE_HELLO";
    case kStoreStart: return "STORE_START";
    case kStoreOpened: return "STORE_OPENED";
    case kStoreQuit: return "STORE_QUIT";
    case kStoreBye: return "STORE_BYE";
  }
  return "?";
}

}  // namespace dla::mpi::wire
