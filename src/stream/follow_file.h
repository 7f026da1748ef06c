// Following one growing file: what it is (identity), where we are (offset), and reading the
// complete lines appended since. Pure: files only through an Env, no clock.
//
// Identity: (dev, inode) of the open file plus its fingerprint: the first line with its '\n' (or
// the first kFingerprintMax bytes when the first line is longer). The fingerprint is known once
// the file holds a complete first line; before that there is nothing to count anyway. It tells a
// truncated-and-rewritten file (same inode, other first line) and a reused inode from the file we
// were reading, and a copy (copytruncate's `cp`) from a new file.
//
// Reading: only complete lines are counted: bytes after the last '\n' wait for their newline
// (a partial last line is never counted twice nor half), except by a final poll (the file is
// being dropped: rotated away or deleted, and its rotate-wait is over), where a last line without
// '\n' counts as a line, as the batch scanner counts it. The level of each line follows the same
// rules as the batch analyser (scan/formats.h): the format is detected once per file, from the head
// it has when its first lines are counted (never from a head without one complete line: a lone
// partial line would look like no format at all), and kept (it is part of the committed state).
//
// Truncation (copytruncate, `> file`, a rewrite): the open file is now smaller than our offset, or
// its first bytes are no longer our fingerprint. The generation we were reading ended at our
// offset: poll() reports it (FollowStep::truncated, end = offset) and reading starts again at 0.
// Bytes written after our last read and before the truncation are gone from this file; they can
// be seen only in a copy (stream_table.h: a copy carrying our fingerprint continues from `end`).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/levels.h"
#include "base/status.h"
#include "scan/formats.h"

namespace dla::stream {

inline constexpr std::size_t kFingerprintMax = 256;

// The fingerprint of an open file of `size` bytes: "" while it holds no complete first line (and
// fewer than kFingerprintMax bytes).
Result<std::string> read_fingerprint(ReadFile& f, std::uint64_t size);

// Where reading of one file stands: the committed part of the state (stream_table.h stores it).
struct FollowPosition {
  std::uint64_t dev = 0, ino = 0;  // 0, 0: not yet known (taken from the file at open)
  std::string fp;                  // "" = not yet known
  std::uint64_t offset = 0;        // bytes counted in the current generation (always after a '\n')
  std::string format;              // format name the levels are read with ("" = not yet chosen)
};

// What one poll found.
struct FollowStep {
  std::uint64_t from = 0, to = 0;  // counted the lines of [from, to) of the current generation
  Counts counts;
  std::string fp;                  // the fingerprint, when this poll learned it (else "")
  bool truncated = false;          // the generation ended at `end`; the next poll reads from 0
  std::uint64_t end = 0;
  bool lost = false;               // not the file of `position` any more (other inode, or gone)
  std::string error;               // a read error (lost is then set too)
};

class FileFollower {
 public:
  // `spec`: --format (automatic: detected per file as the batch analyser does).
  FileFollower(Env* env, std::string path, FollowPosition pos, FormatSpec spec);
  // One look at the file: at most max_bytes are read (the rest waits for the next poll).
  // final: also count a last line without '\n' (the file is being dropped).
  FollowStep poll(bool final = false, std::size_t max_bytes = 64u << 20);
  const FollowPosition& position() const { return pos_; }
  // Whether the last poll stopped at max_bytes with more to read.
  bool behind() const { return behind_; }

 private:
  bool open(FollowStep* st);
  bool choose_format(std::uint64_t size, bool at_eof, FollowStep* st);
  void count(const char* data, std::size_t n, FollowStep* st);

  Env* env_;
  std::string path_;
  FollowPosition pos_;
  FormatSpec spec_;
  LogFormat format_;
  std::unique_ptr<ReadFile> file_;
  bool behind_ = false;
};

}  // namespace dla::stream
