// Where the distributed analyser may write its --trace FILE, checked before the run starts (fail
// fast, not after the whole run). The write itself is Trace::write (temp file + rename).
#pragma once
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "scan/discovery.h"

namespace dla {

// Refuses, with one line naming the reason: a FILE whose directory does not exist or cannot be
// written into; a FILE that is one of the inputs (same device and inode: a checkpoint may hold hard
// links to inputs, so overwriting an input would also overwrite its checkpoint copy); a FILE inside
// the checkpoint root `checkpoint_dir`; an existing FILE that is not a previous dla trace (its first
// line is not "# dla-trace ..."): we never overwrite what we did not write.
Status check_trace_target(const std::string& path, const std::vector<FileInfo>& inputs, const std::string& checkpoint_dir,
                          Env& env = *Env::posix());

}  // namespace dla
