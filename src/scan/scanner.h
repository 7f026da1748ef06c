// The level scanner: counts lines per level.
//
// Line format (default, the assignment's): `[timestamp] [LEVEL] message`. A line's level is its
// FIRST bracketed level token anywhere in the line: one of [DEBUG] [ERROR] [INFO] [WARN], and
// [WARNING] counts as WARN. Tokens are case-sensitive. A line with none counts only in `lines`.
// Lines end at '\n'; a '\r' before it is just a byte (so CRLF files count the same); the last line
// counts even without a final newline; an empty buffer has 0 lines. NUL and non-UTF-8 bytes are
// ordinary bytes. The end of a buffer is the end of a line.
//
// Implementation: scan_buffer is vectorised (AVX2, AVX-512BW or SSE2, chosen once at run time
// from the CPU; other targets use the scalar reference). Per 64-byte block it builds bitmasks of
// '\n' and of "candidate" '[' (followed by D, E, I or W), finds the first candidate of every line
// with one carry-propagating addition (no per-line branch), and verifies only those candidates
// exactly. All implementations give identical results (the unit tests compare them byte for byte
// against detail::scan_buffer_scalar).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/levels.h"
#include "base/status.h"
#include "scan/formats.h"

namespace dla {

// Counts a buffer of whole lines (the end of the buffer ends the last line).
Counts scan_buffer(const char* data, std::size_t size);
inline Counts scan_buffer(const std::string& s) { return scan_buffer(s.data(), s.size()); }

// A byte range of a file. Lines are owned by the range their FIRST byte lies in (Hadoop's rule):
// a range that starts mid-line skips to the next line, and the last line that starts inside the
// range is read to its end even past the range. So any partition of [0, size) into ranges counts
// every line exactly once. length == kToEnd means "to the end of the file"; a range with a length
// must lie inside a regular file (it was planned from the file's size: a file that no longer holds
// it shrank, and scan_file says so).
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = kToEnd;
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};
};

struct ScanOptions {
  // The file is scanned in pieces of about this many bytes (split at line ends); on_progress is
  // called after each piece with the bytes done so far. Workers use it to heartbeat and to charge
  // modelled compute cost in simulation.
  //   Progress is measured in the range's nominal bytes: bytes_total = the part of
  //   [offset, offset+length) that lies inside the file, bytes_done grows monotonically to it, and
  //   the last call is always (bytes_total, bytes_total), also for an empty range. So the totals
  //   of any partition of a file add up to the file size. (For a pipe or other non-regular file
  //   the size is unknown: bytes_total is then the bytes read so far.)
  std::size_t chunk_bytes = 8u << 20;
  std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)> on_progress;
  // The size the caller saw when it planned the scan (discovery's FileInfo::size), if known: a
  // regular file now smaller than that is an error before anything is read.
  static constexpr std::uint64_t kUnknownSize = ~std::uint64_t{0};
  std::uint64_t expected_size = kUnknownSize;
  // Where the level is (scan/formats.h): detected per file from the file's head (the default), or
  // one named format / regex. A pipe or device, whose head cannot be read twice, is read with the
  // bracket rule unless a format is named.
  FormatSpec format;
  // If set, receives the name of the format used ("bracket", "log4j", ..., "none", "regex").
  std::string* format_used = nullptr;
};

// Counts the lines owned by `range` of the file at `path`, read through `env` (never mapped:
// a mapped file truncated during the scan would kill the process with SIGBUS). Regular files are
// read by offset, pipes and character devices in sequence. Errors name the file. A regular file
// that ends before the range's end (it shrank before or while it was read: truncated, or rotated
// by copytruncate), or that is smaller than opt.expected_size, is an error with code kCorruption
// ("PATH shrank from N to M bytes while it was read"), never a silently smaller count.
// A path ending in ".gz" is inflated as it is read (scan/gzip_file.h): only the whole file can be
// scanned (a range other than [0, end) is an error, kInvalid), progress counts compressed bytes,
// damaged data is a kCorruption error.
Result<Counts> scan_file(const std::string& path, ByteRange range = {}, const ScanOptions& opt = {},
                         Env& env = *Env::posix());

// The format scan_file detects for the file at `path` with format "auto" (its head: the first
// kDetectBytes, inflated for a .gz; bracket for a pipe or device), whatever range is scanned. The
// store (dla_store ingest) records it per file, so that every block is counted with it even when a
// block is smaller than the head. Errors name the file.
Result<LogFormat> detect_file_format(const std::string& path, Env& env = *Env::posix());

namespace detail {

// The scalar reference implementation (simple memchr loop): the fallback, and the oracle of the
// differential unit tests and of the benchmark.
Counts scan_buffer_scalar(const char* data, std::size_t size);

// The implementations of scan_buffer. kPortable is the vectorised algorithm with bitmasks built
// byte by byte (runs everywhere; tests the algorithm apart from the SIMD code).
enum class ScanImpl { kScalar, kPortable, kSse2, kAvx2, kAvx512 };
const char* impl_name(ScanImpl impl);
// Implementations this CPU can run, slowest first (always contains kScalar and kPortable).
std::vector<ScanImpl> available_impls();
// The one scan_buffer uses: AVX2 if present (measured faster than AVX-512 on Zen 4), else
// AVX-512, else SSE2, else scalar (kPortable is for testing the algorithm; it is slower).
ScanImpl best_impl();
// scan_buffer with a given implementation; an implementation the CPU lacks falls back to scalar.
Counts scan_buffer_with(ScanImpl impl, const char* data, std::size_t size);

}  // namespace detail
}  // namespace dla
