// The text payloads of the master/worker protocol (src/mpi/tags.h), encoded and decoded. Pure C++
// (no MPI, no clock): protocol_test.cc round-trips and fuzzes every message.
//
// Every payload is lines of tab-separated fields. Names, paths, format specs and error messages
// are escaped with base/names.h escape_name, which turns every control character (tab and newline
// included) into "\xHH": a field can never forge a field or a line. Decoding is strict: a field
// count, a number or an escape that does not parse makes the whole message an error.
//
//   PLAN    one line: "plan\t<format spec>"  or  "error\t<message>"   (options, never the file list)
//   ASSIGN  "assign\t<refill>\t<answer>", then one line per task: id offset length size attempt path name
//           [block crc holders format]  (--store only: the block id, its crc, the ranks holding a
//           replica "1,3" (may be empty), the file's format if the master knows it, else "")
//   RESULT  one line per task result: id kind started_us format payload
//           kind ok:     payload = the counts (counts_to_wire: "lines LEVEL=n ...")
//           kind err:    payload = the error message
//           kind cancel: payload empty (the task was cancelled or released: nothing to apply)
//           [store]  (--store only) "local_bytes,remote_bytes,repaired_block" (-1: none repaired)
//   REJOIN  "rejoin\t<term>\t<pid>\t<host>", then one line per result the worker produced in this
//           run: offset length name, then the RESULT fields (id kind started_us format payload)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/levels.h"
#include "base/status.h"

namespace dla::mpi::proto {

struct Plan {
  std::string format;  // opaque: passed to the scanner as is ("" = the default rule)
  std::string error;   // set: the master could not start; the worker leaves
};
std::string encode_plan(const Plan& p);
Result<Plan> decode_plan(std::string_view text);

// What a worker needs to run one task (nothing else about the input ever reaches it).
struct TaskMsg {
  int id = -1;
  std::uint64_t offset = 0, length = 0;
  std::uint64_t size = 0;  // the file's size at discovery: a smaller file is an error
  int attempt = 1;
  std::string path;  // as the worker opens it
  std::string name;  // for printed lines
  // --store: the block this task reads (-1: a plain byte range of `path`), its crc, the ranks that
  // hold a replica (in the manifest's order) and the file's format when the master knows it.
  int block = -1;
  std::uint32_t crc = 0;
  std::vector<int> holders;
  std::string format;
};
struct Assignment {
  // The worker reports its results (which asks for more) once it holds this many tasks or fewer;
  // 0: only when it has run them all. Set by the master when it prefetches.
  int refill = 0;
  // The answer to a REQUEST or RESULT (each gets exactly one), or not (a prefetch top-up, a stolen
  // task: sched/scheduler.h's Order::Assign).
  bool answer = true;
  std::vector<TaskMsg> tasks;
};
std::string encode_assign(const Assignment& a);
Result<Assignment> decode_assign(std::string_view text);

struct ResultMsg {
  enum Kind { Ok, Err, Cancelled };
  int task = -1;
  Kind kind = Ok;
  long long started_us = -1;  // when the worker began it (µs since its run start), -1 unknown
  std::string format;         // the format the scanner used ("" = default)
  Counts counts;              // Ok
  std::string error;          // Err
  // --store (store = true): bytes read from the local replica / fetched from another rank, and the
  // block whose corrupt local replica was repaired in place (-1: none).
  bool store = false;
  std::uint64_t local_bytes = 0, remote_bytes = 0;
  int repaired = -1;
};
std::string encode_results(const std::vector<ResultMsg>& results);
Result<std::vector<ResultMsg>> decode_results(std::string_view text);

// A worker's re-registration with a new master (--standbys): every result it produced in this
// run, each with the byte range and file name it was computed over, so that the new master applies
// it only to a task with the same id, file and range (anything else is dropped and redone).
struct KeptResult {
  ResultMsg result;  // Ok or Err
  std::uint64_t offset = 0, length = 0;
  std::string name;  // the file's name (as in its ASSIGN)
};
struct Rejoin {
  long long term = 0;
  long pid = 0;
  std::string host;
  std::vector<KeptResult> results;
};
std::string encode_rejoin(const Rejoin& r);
Result<Rejoin> decode_rejoin(std::string_view text);

// The counts as one field: base/levels.h counts_to_wire ("lines LEVEL=n ...", any level names),
// and its strict inverse.
std::string counts_field(const Counts& c);
Result<Counts> parse_counts_field(std::string_view s);

}  // namespace dla::mpi::proto
