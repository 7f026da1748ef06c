// The master's log: the ordered decisions a new master needs to take over (issue 11, failover).
// The Scheduler emits them (Scheduler::take_log); the master streams them to its standbys as text;
// a new master replays them (SchedulerOptions::replay). What each entry means on replay is in
// sched/scheduler.h ("Failover").
//
// ---- Text form (encode_log / decode_log) -------------------------------------------------------
// One line per entry, fields separated by one TAB, every line ends with '\n':
//   done    TAB task TAB file TAB offset TAB length TAB worker TAB counts TAB format
//   error   TAB task TAB file TAB offset TAB length TAB worker TAB message
//   split   TAB task TAB from TAB file TAB offset TAB length
//   failed  TAB worker
// Integers are plain decimal (no sign, no leading zero except "0"); task, from, file and worker are
// >= 0 and fit an int; offset + length fits 64 bits. `counts` is base/levels.h counts_to_wire
// ("LINES NAME=n ..."); `format` and `message` are base/names.h escape_name'd, which turns TAB,
// newline and every other control byte into "\xHH": a field can never forge a field or a line.
// Fields a kind does not use are not written (decoded as the LogEntry defaults).
// The encoding is a concatenation: encode_log(a) + encode_log(b) == encode_log(a then b), so a
// standby may append batches as they arrive and decode the whole.
// decode_log is strict: an unknown kind, a wrong field count, a malformed or non-canonical number,
// escape or counts (anything encode_log would not have written), an empty line or a missing final
// newline is an error (Code::kCorruption) naming the line; "" decodes to no entries.
//
// Thread-safety: plain functions on values.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/levels.h"
#include "base/status.h"

namespace dla {

struct LogEntry {
  enum Kind { Done, Error, Split, Failed };
  Kind kind = Done;
  int task = -1;                         // Done, Error: the task; Split: the NEW task's id
  int from = -1;                         // Split: the task it was cut from
  int file = -1;                         // Done, Error, Split
  std::uint64_t offset = 0, length = 0;  // Done, Error, Split: the byte range
  int worker = -1;                       // Done, Error: who ran it (0 = the master); Failed: the worker
  Counts counts;                         // Done
  std::string format;                    // Done: the format its scanner used
  std::string error;                     // Error: the message
};

// Field by field, only the fields the kind uses (Counts by ==).
bool operator==(const LogEntry& a, const LogEntry& b);
inline bool operator!=(const LogEntry& a, const LogEntry& b) { return !(a == b); }

std::string encode_log(const std::vector<LogEntry>& entries);
Result<std::vector<LogEntry>> decode_log(std::string_view text);
// One entry as one line of text without its '\n' (for messages and test output).
std::string describe(const LogEntry& e);

}  // namespace dla
