// The level scanner: counts lines per level.
//
// Line format (default, the assignment's): `[timestamp] [LEVEL] message`. A line's level is its
// FIRST bracketed level token anywhere in the line: one of [DEBUG] [ERROR] [INFO] [WARN], and
// [WARNING] counts as WARN. Tokens are case-sensitive. A line with none counts only in `lines`.
// Lines end at '\n'; a '\r' before it is just a byte (so CRLF files count the same); the last line
// counts even without a final newline; an empty buffer has 0 lines. NUL and non-UTF-8 bytes are
// ordinary bytes. The end of a buffer is the end of a line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/levels.h"
#include "core/status.h"

namespace dla {

// Counts a buffer of whole lines (the end of the buffer ends the last line).
Counts scan_buffer(const char* data, std::size_t size);
inline Counts scan_buffer(const std::string& s) { return scan_buffer(s.data(), s.size()); }

// A byte range of a file. Lines are owned by the range their FIRST byte lies in (Hadoop's rule):
// a range that starts mid-line skips to the next line, and the last line that starts inside the
// range is read to its end even past the range. So any partition of [0, size) into ranges counts
// every line exactly once. length == kToEnd means "to the end of the file".
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = kToEnd;
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};
};

struct ScanOptions {
  // The file is scanned in pieces of about this many bytes (split at line ends); on_progress is
  // called after each piece with the bytes done so far. Workers use it to heartbeat and to charge
  // modelled compute cost in simulation.
  std::size_t chunk_bytes = 8u << 20;
  std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)> on_progress;
};

// Counts the lines owned by `range` of the file at `path`. Errors name the file.
Result<Counts> scan_file(const std::string& path, ByteRange range = {}, const ScanOptions& opt = {});

}  // namespace dla
