// Scalar reference implementation (to be replaced by a vectorised one with the same contract).
#include "core/scanner.h"

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dla {
namespace {

// If p (pointing at '[') starts a level token that ends before `end`, returns its level index.
int level_at(const char* p, const char* end) {
  std::size_t n = static_cast<std::size_t>(end - p);
  auto is = [&](const char* tok, std::size_t len) { return n >= len && std::memcmp(p, tok, len) == 0; };
  switch (p[1 < n ? 1 : 0]) {
    case 'D': return is("[DEBUG]", 7) ? 0 : -1;
    case 'E': return is("[ERROR]", 7) ? 1 : -1;
    case 'I': return is("[INFO]", 6) ? 2 : -1;
    case 'W': return (is("[WARN]", 6) || is("[WARNING]", 9)) ? 3 : -1;
    default: return -1;
  }
}

}  // namespace

Counts scan_buffer(const char* data, std::size_t size) {
  Counts c;
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* eol = nl ? nl : end;
    ++c.lines;
    for (const char* q = p; q < eol;) {
      q = static_cast<const char*>(std::memchr(q, '[', static_cast<std::size_t>(eol - q)));
      if (!q) break;
      int l = level_at(q, eol);
      if (l >= 0) {
        ++c.level[l];
        break;
      }
      ++q;
    }
    p = nl ? nl + 1 : end;
  }
  return c;
}

Result<Counts> scan_file(const std::string& path, ByteRange range, const ScanOptions& opt) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open " + path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{"not a regular file: " + path};
  }
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  Counts total;
  if (size == 0 || range.offset >= size) {
    ::close(fd);
    if (opt.on_progress) opt.on_progress(0, 0);
    return total;
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Error{"cannot map " + path + ": " + std::strerror(errno)};
  ::madvise(map, size, MADV_SEQUENTIAL);
  const char* base = static_cast<const char*>(map);
  std::uint64_t begin = range.offset;
  std::uint64_t limit = range.length == ByteRange::kToEnd || range.length > size - begin ? size : begin + range.length;
  // Skip the partial line owned by the previous range.
  if (begin > 0 && base[begin - 1] != '\n') {
    const void* nl = std::memchr(base + begin, '\n', size - begin);
    begin = nl ? static_cast<std::uint64_t>(static_cast<const char*>(nl) - base) + 1 : size;
  }
  std::uint64_t pos = begin;
  const std::uint64_t total_bytes = limit > begin ? limit - begin : 0;
  std::size_t chunk = opt.chunk_bytes ? opt.chunk_bytes : (8u << 20);
  while (pos < limit) {
    std::uint64_t want = std::min<std::uint64_t>(limit, pos + chunk);
    // Extend to the end of the line containing byte want-1.
    std::uint64_t stop = want;
    if (base[stop - 1] != '\n') {
      const void* nl = std::memchr(base + stop, '\n', size - stop);
      stop = nl ? static_cast<std::uint64_t>(static_cast<const char*>(nl) - base) + 1 : size;
    }
    total += scan_buffer(base + pos, stop - pos);
    pos = stop;
    if (opt.on_progress) opt.on_progress(std::min(pos, limit) - begin, total_bytes);
  }
  ::munmap(map, size);
  return total;
}

}  // namespace dla
