// Where the distributed analyser may write its --trace FILE, checked before the run starts (fail
// fast, not after the whole run), and the write itself (temp file + rename: a reader never sees a
// half-written trace, and a crash leaves the previous one).
#pragma once
#include <string>
#include <vector>

#include "base/status.h"
#include "base/trace.h"
#include "scan/discovery.h"

namespace dla::mpi {

// Refuses, with one line naming the reason: a FILE whose directory does not exist or is not
// writable; a FILE that is one of the inputs (same device and inode: checkpoints hold hard links
// to inputs, so overwriting an input would also overwrite its checkpoint copy); a FILE inside the
// checkpoint root `checkpoint_dir`; an existing FILE that is not a previous dla trace (its first
// line is not "# dla-trace ..."): we never overwrite what we did not write.
Status check_trace_target(const std::string& path, const std::vector<FileInfo>& inputs, const std::string& checkpoint_dir);

// Writes `t` to `path` through `path.tmp-<pid>` and rename(2).
Status write_trace_file(const Trace& t, const std::string& path);

}  // namespace dla::mpi
