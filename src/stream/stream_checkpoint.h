// A follow run's checkpoint: the StreamTable's committed state in the store's checkpoint.json
// (ckpt/checkpoint_format.h's "stream" section), so that per file the identity, the offset and
// the counts up to it are saved together, atomically (CheckpointStore::save: one rename).
// The assignment's fields stay meaningful: counts = the totals, pending_files = the files being
// followed, processed_files = [] (a followed file is never finished).
#pragma once
#include <string>

#include "base/status.h"
#include "ckpt/checkpoint_format.h"
#include "stream/stream_table.h"

namespace dla::stream {

CheckpointState follow_checkpoint(const StreamTable& t, const std::string& input_dir, const std::string& timestamp,
                                  const std::string& log_format);

// The table stored in `s`; kInvalid if `s` is a batch checkpoint (no stream section), kCorruption
// if the section does not add up.
Result<StreamTable> table_from_checkpoint(const CheckpointState& s, double grace = 2.0);

}  // namespace dla::stream
