// The text messages between the follow master and its workers (src/mpi/follow_*.cc): one record
// per line, tab-separated fields, names escaped (base/names.h), fingerprints in hex. Pure.
//
//   master -> worker (ASSIGN tag)   F key epoch ending name dev ino fp offset format   follow it
//                                   E key epoch                                       it ended: drain, then report X
//   worker -> master (RESULT tag)   D key epoch from to fp format counts              counted [from, to)
//                                   T key epoch end                                   truncated at end
//                                   X key epoch lost                                  dropped (lost: not reachable)
//                                   Z                                                 final flush done (after STOP)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/levels.h"
#include "base/status.h"
#include "stream/follow_file.h"
#include "stream/stream_table.h"

namespace dla::stream {

struct Report {
  enum Kind { kDelta, kTruncated, kEnded, kDone } kind = kDelta;
  std::uint64_t key = 0, epoch = 0;
  std::uint64_t from = 0, to = 0;  // kDelta
  std::string fp, format;          // kDelta (fp "" = unchanged)
  Counts counts;                   // kDelta
  std::uint64_t end = 0;           // kTruncated
  bool lost = false;               // kEnded
};

std::string encode_orders(const std::vector<Order>& orders);
Result<std::vector<Order>> decode_orders(const std::string& text);
std::string encode_reports(const std::vector<Report>& reports);
Result<std::vector<Report>> decode_reports(const std::string& text);

}  // namespace dla::stream
