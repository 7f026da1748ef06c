// Reading .gz files: a ReadFile that inflates (zlib) the bytes of another ReadFile, in pieces, in
// memory. Every byte still comes through the Env (the compressed file is read with read_at).
//
// A gzip stream can only be read from its start, so a .gz file is one task, never split into byte
// ranges (make_tasks keeps it whole; scan_file refuses a range of one). Concatenated members (as
// `cat a.gz b.gz` makes) are read one after the other, as gzip does. Damaged input is an error
// with code kCorruption naming the file: bad data ("corrupt gzip data"), a file that ends inside a
// member ("truncated gzip file"), an empty file, or bytes after the last member that are not
// another member. Not thread-safe (one reader per scan).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"

namespace dla {

// Whether a path names a gzip file (its name ends in ".gz").
bool is_gzip_name(std::string_view path);

// The whole inflated content of the gzip file at `path` (read through `env`), and its inverse: a
// gzip stream of `text` (for files dla writes compressed, e.g. a large golden trace).
Result<std::string> read_gzip_file(Env& env, const std::string& path);
Result<std::string> gzip_text(const std::string& text);

class GzipReader final : public ReadFile {
 public:
  // Reads `in` (not owned; must outlive this) from offset 0; `path` is for messages.
  GzipReader(ReadFile& in, std::string path);
  ~GzipReader() override;
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Up to n inflated bytes (0 = the end of the last member).
  Result<std::size_t> read(std::size_t n, char* dst) override;
  // Not supported (kInvalid): a gzip stream has no random access.
  Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) override;
  // A stream of unknown size (type kOther).
  Result<FileStat> stat() override;
  // Compressed bytes consumed so far (for progress in the file's own bytes).
  std::uint64_t compressed_read() const { return in_pos_; }

 private:
  struct Z;
  Error corrupt(const std::string& why) const;
  Result<bool> refill();

  ReadFile& in_;
  std::string path_;
  std::unique_ptr<Z> z_;
  std::vector<char> buf_;
  std::uint64_t in_pos_ = 0;
  bool in_eof_ = false, in_member_ = false, any_member_ = false, done_ = false;
};

}  // namespace dla
