#include "stream/stream_checkpoint.h"

namespace dla::stream {

CheckpointState follow_checkpoint(const StreamTable& t, const std::string& input_dir, const std::string& timestamp,
                                  const std::string& log_format) {
  CheckpointState s;
  s.timestamp = timestamp;
  s.input_dir = input_dir;
  s.consistency = "follow";
  s.log_format = log_format;
  s.counts = t.totals();
  s.stream_counts = s.counts;
  for (const auto& [k, st] : t.streams())
    if (valid_checkpoint_name(st.name)) s.pending_files.push_back(st.name);
  s.stream = t.to_json().dump();
  return s;
}

Result<StreamTable> table_from_checkpoint(const CheckpointState& s, double grace) {
  if (s.stream.empty()) return Error{"the checkpoint was not made by --follow (no stream section)", Code::kInvalid};
  auto j = nlohmann::json::parse(s.stream, nullptr, false);
  if (j.is_discarded()) return Error{"stream section is not JSON", Code::kCorruption};
  return StreamTable::from_json(j, grace);
}

}  // namespace dla::stream
