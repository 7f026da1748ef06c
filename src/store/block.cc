#include "store/block.h"

#include <algorithm>
#include <cstring>

#include "base/names.h"
#include "scan/gzip_file.h"
#include "store/crc32c.h"

namespace dla {
namespace {

constexpr std::size_t kReadBuffer = std::size_t{4} << 20;  // 4 MiB: few calls, bounded memory

// The cutting of one file: block boundaries found while the file streams by in buffers.
class Cutter {
 public:
  // whole: the file is one block (a .gz file), never cut.
  Cutter(int file, std::uint64_t block_size, bool whole, int first_id, std::vector<BlockRef>* out)
      : file_(file), b_(block_size), whole_(whole), next_id_(first_id), out_(out) {}

  // The buffer holding file bytes [base, base + n).
  void feed(std::uint64_t base, const char* p, std::size_t n) {
    std::size_t pos = 0;
    while (!whole_ && pos < n) {
      // The next cut is the first line start >= threshold, i.e. just after a '\n' at >= threshold - 1.
      const std::uint64_t threshold = (start_ / b_ + 1) * b_;
      const std::uint64_t from_abs = std::max<std::uint64_t>(base + pos, threshold - 1);
      if (from_abs >= base + n) break;
      const std::size_t from = static_cast<std::size_t>(from_abs - base);
      const void* nl = std::memchr(p + from, '\n', n - from);
      if (!nl) break;
      const std::size_t cut = static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1;
      crc_ = crc32c_extend(crc_, p + pos, cut - pos);
      emit(base + cut);
      pos = cut;
    }
    crc_ = crc32c_extend(crc_, p + pos, n - pos);
  }

  // At EOF (size bytes seen): the last block, or the one empty block of an empty file.
  void finish(std::uint64_t size) {
    if (start_ < size || emitted_ == 0) emit(size);
  }

 private:
  void emit(std::uint64_t end) {
    BlockRef r;
    r.id = next_id_++;
    r.file = file_;
    r.offset = start_;
    r.length = end - start_;
    r.crc = crc_;
    out_->push_back(std::move(r));
    ++emitted_;
    start_ = end;
    crc_ = 0;
  }

  int file_;
  std::uint64_t b_;
  bool whole_;
  int next_id_;
  std::vector<BlockRef>* out_;
  std::uint64_t start_ = 0;
  std::uint32_t crc_ = 0;
  int emitted_ = 0;
};

// Streams one file through the cutter. Returns the bytes read.
Result<std::uint64_t> cut_one(Env& env, const std::string& path, Cutter* cutter, std::vector<char>* buf) {
  auto in = env.open_read(path);
  if (!in) return in.err();
  std::uint64_t at = 0;
  for (;;) {
    auto n = (*in)->read_at(at, buf->size(), buf->data());
    if (!n) return n.err();
    if (*n == 0) break;
    cutter->feed(at, buf->data(), *n);
    at += *n;
  }
  cutter->finish(at);
  return at;
}

}  // namespace

std::uint32_t block_crc(const char* data, std::size_t n) { return crc32c_extend(0, data, n); }
std::uint32_t block_crc(std::string_view bytes) { return crc32c_extend(0, bytes.data(), bytes.size()); }
std::uint32_t block_crc_extend(std::uint32_t crc, const char* data, std::size_t n) { return crc32c_extend(crc, data, n); }


std::string source_path(const std::string& dir, const FileInfo& f) {
  return f.path.empty() ? join_path(dir, f.name) : f.path;
}

std::uint64_t max_blocks(const std::vector<FileInfo>& files, std::uint64_t block_size) {
  std::uint64_t n = 0;
  for (const FileInfo& f : files) {
    if (block_size == 0 || f.size == 0 || is_gzip_name(f.name)) ++n;
    else n += f.size / block_size + (f.size % block_size != 0);
  }
  return n;
}

Result<std::vector<BlockRef>> cut_blocks(const std::string& dir, const std::vector<FileInfo>& files,
                                         std::uint64_t block_size, Env& env) {
  if (block_size == 0) return Error{"block size must be at least 1 byte", Code::kInvalid};
  // Counted, not built: --block-size 1 on a large input would not fit in memory.
  if (const std::uint64_t n = max_blocks(files, block_size); n > kMaxBlocks) {
    return Error{"--block-size " + std::to_string(block_size) + " makes up to " + std::to_string(n) + " blocks (at most " +
                     std::to_string(kMaxBlocks) + "): use a larger --block-size",
                 Code::kInvalid};
  }
  std::vector<BlockRef> out;
  std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(kReadBuffer, std::max<std::uint64_t>(block_size, 1 << 16))));
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string path = source_path(dir, files[i]);
    Cutter cutter(static_cast<int>(i), block_size, is_gzip_name(files[i].name), static_cast<int>(out.size()), &out);
    auto n = cut_one(env, path, &cutter, &buf);
    if (!n) return escape_name_in(n.err(), path);
    if (*n != files[i].size) {
      return Error{escape_name(path) + ": changed while being ingested (" + std::to_string(files[i].size) +
                       " bytes when found, " + std::to_string(*n) + " read)",
                   Code::kInvalid};
    }
  }
  return out;
}

Result<std::string> read_range(Env& env, const std::string& path, std::uint64_t offset, std::uint64_t length) {
  auto in = env.open_read(path);
  if (!in) return escape_name_in(in.err(), path);
  std::string out(static_cast<std::size_t>(length), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    auto n = (*in)->read_at(offset + got, out.size() - got, out.data() + got);
    if (!n) return escape_name_in(n.err(), path);
    if (*n == 0) {
      return Error{escape_name(path) + ": ends at byte " + std::to_string(offset + got) + ", before [" +
                       std::to_string(offset) + "," + std::to_string(offset + length) + ")",
                   Code::kInvalid};
    }
    got += *n;
  }
  return out;
}

Result<std::string> read_block(Env& env, const std::string& path, const BlockRef& b) {
  auto bytes = read_range(env, path, b.offset, b.length);
  if (!bytes) return bytes;
  if (block_crc(*bytes) != b.crc) {
    return Error{"block " + std::to_string(b.id) + " of " + escape_name(path) + " " + range_text(b) +
                     ": checksum mismatch (the file changed since it was cut)",
                 Code::kCorruption};
  }
  return bytes;
}

std::string range_text(const BlockRef& b) {
  return "[" + std::to_string(b.offset) + "," + std::to_string(b.end()) + ")";
}

}  // namespace dla
