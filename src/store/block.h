// Blocks: the unit of replicated storage (issue 14, /work/brief/store.md). A file is cut into
// line-aligned blocks: block k holds the lines whose FIRST byte lies in [k*B, (k+1)*B) (B = the
// block size; the ownership rule of make_tasks' byte ranges), so its bytes run from the first line
// start >= k*B to the first line start >= (k+1)*B (or EOF). A block holds whole lines and can be
// counted alone; the concatenation of a file's blocks is the file, byte for byte. A line is ended
// by '\n' ("\r\n" is a line whose last byte before '\n' is '\r': CRLF needs nothing special).
//
// Empty blocks are DROPPED: when no line starts in [k*B, (k+1)*B) (a line longer than B), that k
// gets no block. Block ids are therefore consecutive 0..n-1, global over the files in file order,
// and never name an empty block, except that an empty file gets exactly one empty block (so that it
// is reported as processed). A `.gz` file (is_gzip_name) is one block holding the compressed
// bytes (its reader counts by inflating).
//
// The checksum is CRC-32C (store/crc32c.h: the CPU's crc32 instruction where there is one):
// block_crc over the block's bytes.
// Pure C++: every file is read through an Env, in large buffers (no mapping). Thread-safe (no state).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "scan/discovery.h"

namespace dla {

// One block of one file and where its replicas live.
struct BlockRef {
  int id = 0;                 // global, 0..n-1 in file order (file 0's blocks first)
  int file = 0;               // index into the file list (Manifest::files)
  std::uint64_t offset = 0;   // in the ORIGINAL file
  std::uint64_t length = 0;   // bytes; 0 only for the one block of an empty file
  std::uint32_t crc = 0;      // block_crc of the block's bytes
  std::vector<int> replicas;  // ranks holding a copy; replicas[0] is the chain's head (empty from cut_blocks)
  std::uint64_t end() const { return offset + length; }
};

// CRC-32C of the bytes (crc32c_extend(0, data, n)); block_crc_extend continues a running crc so that
// block_crc_extend(block_crc(a), b) == block_crc(a + b).
std::uint32_t block_crc(const char* data, std::size_t n);
std::uint32_t block_crc(std::string_view bytes);
std::uint32_t block_crc_extend(std::uint32_t crc, const char* data, std::size_t n);

// The path cut_blocks and read_block read for one file: `f.path` when set (discover_logs fills
// it), else join_path(dir, f.name).
std::string source_path(const std::string& dir, const FileInfo& f);

// At most this many blocks in a store: the analyser runs one task per block and takes at most
// mpi::kMaxTasks (100,000) tasks (the same cap as its --split-bytes ranges).
inline constexpr std::uint64_t kMaxBlocks = 100000;

// The most blocks cut_blocks can make of `files` (ceil(size / block_size) per file, 1 for an
// empty or .gz file; empty blocks dropped make the real count smaller), without reading them.
std::uint64_t max_blocks(const std::vector<FileInfo>& files, std::uint64_t block_size);

// Cuts every file into blocks (see above) and computes their crcs, reading each file once in
// large buffers through `env`. Ids are global in file order, BlockRef::file indexes `files`.
// Errors: block_size 0 (kInvalid); more than kMaxBlocks blocks possible (max_blocks, checked
// before anything is read: kInvalid, "--block-size B makes up to N blocks (at most 100000): use
// a larger --block-size"); a file that cannot be read (its code, naming it); a file whose
// size is no longer files[i].size (kInvalid, "changed while being ingested").
Result<std::vector<BlockRef>> cut_blocks(const std::string& dir, const std::vector<FileInfo>& files,
                                         std::uint64_t block_size, Env& env);

// Exactly `length` bytes of `path` from `offset` (kInvalid naming the file if it is shorter).
Result<std::string> read_range(Env& env, const std::string& path, std::uint64_t offset, std::uint64_t length);

// The bytes of block `b` read from the original file at `path`, verified against b.crc:
// kCorruption naming the block, the file and the byte range if they differ (the source changed).
Result<std::string> read_block(Env& env, const std::string& path, const BlockRef& b);

// "[offset,end)" as the fsck lines and error messages print a byte range.
std::string range_text(const BlockRef& b);

}  // namespace dla
