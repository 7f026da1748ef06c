// Following one growing file: what it is (identity), where we are (offset), and reading the
// complete lines appended since. Pure: files only through an Env, no clock.
//
// Identity: (dev, inode) of the open file plus its fingerprint: the file's first bytes, up to
// kFingerprintMax, as far as the file had them when last looked at. The fingerprint is known once
// the file holds a complete first line (before that there is nothing to count anyway), and it
// grows with the file up to kFingerprintMax: two files that merely start with the same line (a
// blank line, a banner written at the top of every generation) differ at their second line, not
// only after 1 KiB. Two fingerprints agree when the shorter is a prefix of the longer
// (fp_compatible). The fingerprint tells a truncated-and-rewritten file (same inode, other first
// bytes) and a reused inode from the file we were reading, and lets the master recognise a copy
// (copytruncate's `cp`) of a truncated generation (stream_table.h).
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
// its first bytes are no longer our fingerprint (checked before and again after each read, so a
// truncation during a read never counts the new generation's bytes as the old one's). The generation we were reading ended at our
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

inline constexpr std::size_t kFingerprintMax = 1024;

// The fingerprint of an open file of `size` bytes: its first min(size, kFingerprintMax) bytes, or
// "" while it holds no complete first line (and fewer than kFingerprintMax bytes).
Result<std::string> read_fingerprint(ReadFile& f, std::uint64_t size);

// Whether two fingerprints can be of the same content: the shorter is a prefix of the longer.
bool fp_compatible(const std::string& a, const std::string& b);

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
  std::string fp;                  // the fingerprint, when this poll learned or lengthened it (else "")
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
  bool check_head(std::uint64_t size, bool final, FollowStep* st, bool* stop);
  bool still_ours(std::uint64_t from, FollowStep* st);
  void generation_ended(std::uint64_t end, FollowStep* st);
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
