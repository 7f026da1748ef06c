// scan_file: the lines owned by a byte range of a file, read through the Env. See scanner.h for
// the contract.
//
// Files are read into one reused buffer, never memory-mapped: a mapped file that is truncated
// while it is scanned (copytruncate log rotation does exactly that) kills the process with
// SIGBUS, and on these VMs mapping was also measured slower than read (bench/bench_scanner,
// numbers in the commit that removed the mapping). A regular file that ends before the bytes the
// scan needs is an error (kCorruption) naming the file, never a silently smaller count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "base/env.h"
#include "base/names.h"
#include "scan/gzip_file.h"
#include "scan/scanner.h"

namespace dla {
namespace {

// Nominal progress of a range: see ScanOptions.
class Progress {
 public:
  Progress(const ScanOptions& opt, std::uint64_t total) : opt_(opt), total_(total) {}
  void set_total(std::uint64_t t) { total_ = t; }
  void report(std::uint64_t done) {
    if (!opt_.on_progress) return;
    done = std::min(done, total_);
    if (done < last_) done = last_;
    last_ = done;
    opt_.on_progress(done, total_);
  }
  void finish() { report(total_); }
  bool wanted() const { return static_cast<bool>(opt_.on_progress); }

 private:
  const ScanOptions& opt_;
  std::uint64_t total_;
  std::uint64_t last_ = 0;
};

// End (exclusive) of the range clipped to the file.
std::uint64_t range_limit(ByteRange r, std::uint64_t size) {
  if (r.offset >= size) return r.offset;
  return r.length == ByteRange::kToEnd || r.length > size - r.offset ? size : r.offset + r.length;
}

// End of a pipe's range (its size is unknown).
std::uint64_t stream_limit(ByteRange r) {
  return r.length == ByteRange::kToEnd || r.length > ~r.offset ? ByteRange::kToEnd : r.offset + r.length;
}

Error shrank(const std::string& path, std::uint64_t from, std::uint64_t to, const char* when) {
  return Error{path + " shrank from " + std::to_string(from) + " to " + std::to_string(to) + " bytes " + when,
               Code::kCorruption};
}

std::size_t index_of(const void* p, const char* base) {
  return static_cast<std::size_t>(static_cast<const char*>(p) - base);
}

// One scan of one range. Regular files are read by offset from the range's start; pipes are read
// in sequence, the first `offset` bytes discarded. Between reads, the bracket format keeps only
// the open line's last 8 bytes (a token is at most 9 bytes); a header format keeps the open line's
// start up to its head bytes (the rest cannot change its level). So a line may be longer than memory.
class RangeScan {
 public:
  RangeScan(ReadFile& file, const std::string& path, bool regular, std::uint64_t size, ByteRange range,
            const ScanOptions& opt, const LogFormat& fmt)
      : file_(file), path_(path), regular_(regular), size_(size), range_(range), fmt_(fmt),
        head_(fmt.id == FormatId::kNone ? 1 : head_bytes(fmt)),  // none: every line is decided at once
        limit_(regular ? range_limit(range, size) : stream_limit(range)),
        prog_(opt, regular ? (limit_ > range.offset ? limit_ - range.offset : 0) : 0),
        chunk_(opt.chunk_bytes ? opt.chunk_bytes : (8u << 20)),
        cap_(std::min<std::size_t>(chunk_, std::size_t{1} << 20)),  // fits the L2 cache
        storage_(cap_ + std::max(kKeep, head_)), buf_(storage_.data()) {}

  Result<Counts> run();

 private:
  static constexpr std::size_t kKeep = 8;
  enum class State { kSkipUnowned, kOpen, kSkipCounted };
  // What one buffer full told: more to read (with or without a progress report), or finished.
  enum class Step { kMore, kQuiet, kDone, kStop };

  Result<std::size_t> read_more(char* dst, std::size_t n) {
    return regular_ ? file_.read_at(rpos_, n, dst) : file_.read(n, dst);
  }
  Result<bool> seek_to_range();
  Step scan_piece(std::size_t len, std::uint64_t dpos);
  void report_pieces(std::uint64_t dpos, std::size_t len);
  void report_long_line(std::uint64_t end);
  void count_whole_lines(std::size_t start, std::size_t end);
  void count_open_line(std::size_t open, std::size_t end);
  void count(const char* p, std::size_t n) { count_lines(fmt_, p, n, total_); }
  Error shrank_while_read() {
    auto st = file_.stat();
    return shrank(path_, size_, st ? st->size : rpos_, "while it was read");
  }

  ReadFile& file_;
  const std::string& path_;
  const bool regular_;
  const std::uint64_t size_;  // at open (regular files)
  const ByteRange range_;
  const LogFormat& fmt_;
  const std::size_t head_;  // bytes of a line's start that decide its level (bracket: 0, the whole line)
  const std::uint64_t limit_;
  Progress prog_;
  const std::size_t chunk_, cap_;
  std::vector<char> storage_;
  char* buf_;
  State state_ = State::kOpen;
  std::uint64_t rpos_ = 0;  // file position of the next byte to read
  std::size_t carry_ = 0;   // bytes of the open line kept at buf_[0, carry_)
  // Regular files report progress at the ends of pieces: from the range's first owned line, about
  // chunk bytes each, extended to the end of the line holding their last byte (the points the
  // simulated workers charge compute at, so the goldens depend on them). mark_: next piece start.
  bool marked_ = false;
  std::uint64_t mark_ = 0;
  std::uint64_t mid_ = 0;  // where report_long_line last reported
  Counts total_;
};

// Positions at the range's first byte and decides whether its first line is owned by the
// previous range. false: the stream ended before the range.
Result<bool> RangeScan::seek_to_range() {
  if (range_.offset == 0) return true;
  char prev = '\n';
  if (regular_) {
    auto got = file_.read_at(range_.offset - 1, 1, &prev);
    if (!got) return got.err();
    if (*got == 0) return shrank_while_read();  // offset - 1 was inside the file at open
    rpos_ = range_.offset;
  } else {
    while (rpos_ < range_.offset) {
      auto got = read_more(buf_, static_cast<std::size_t>(std::min<std::uint64_t>(cap_, range_.offset - rpos_)));
      if (!got) return got.err();
      if (*got == 0) return false;
      prev = buf_[*got - 1];
      rpos_ += *got;
    }
  }
  if (prev != '\n') state_ = State::kSkipUnowned;
  return true;
}

// Reports the ends of the pieces that end inside buf_[0, len) (file position dpos), before
// scan_piece may move the carried bytes.
// A line that runs on for kLongLine pieces without a newline still reports progress every
// kLongLine pieces, so that a worker inside one huge line keeps heartbeating (and is throttled)
// instead of falling silent until a timeout declares it failed. Ordinary logs never reach this,
// so the simulated charge points (and the goldens) do not move.
constexpr std::uint64_t kLongLine = 16;

void RangeScan::report_long_line(std::uint64_t end) {
  const std::uint64_t from = std::max(marked_ ? mark_ : range_.offset, mid_);
  if (end < from + kLongLine * chunk_) return;
  mid_ = end;
  prog_.report(std::min(end, limit_) - range_.offset);
}

void RangeScan::report_pieces(std::uint64_t dpos, std::size_t len) {
  if (!prog_.wanted()) return;
  if (!marked_) {  // the first owned line starts after the first '\n' at or after the offset
    const void* nl = std::memchr(buf_, '\n', len);
    if (!nl) return report_long_line(dpos + len);
    mark_ = dpos + index_of(nl, buf_) + 1;
    marked_ = true;
  }
  while (mark_ < limit_) {
    const std::uint64_t last = std::min(limit_, mark_ + chunk_) - 1;  // the piece ends with this byte's line
    if (last >= dpos + len) return;
    const std::size_t from = last > dpos ? static_cast<std::size_t>(last - dpos) : 0;
    const void* nl = std::memchr(buf_ + from, '\n', len - from);
    if (!nl) return report_long_line(dpos + len);
    mark_ = dpos + index_of(nl, buf_) + 1;
    prog_.report(std::min(mark_, limit_) - range_.offset);
  }
}

// Counts the lines in buf_[start, end) that end inside it, then the open line at the end.
void RangeScan::count_whole_lines(std::size_t start, std::size_t end) {
  const void* last = ::memrchr(buf_ + start, '\n', end - start);
  std::size_t open = start;
  if (last) {
    open = index_of(last, buf_) + 1;
    count(buf_ + start, open - start);
  }
  if (open < end) count_open_line(open, end);
}

// The line open at the end of the buffer, buf_[open, end): counted now if its level is already
// decided (then skipped to its end), else its bytes that still matter are carried.
void RangeScan::count_open_line(std::size_t open, std::size_t end) {
  if (fmt_.id == FormatId::kBracket) {  // decided once it holds a token
    const Counts r = scan_buffer(buf_ + open, end - open);
    if (r.leveled() > 0) {
      total_ += r;
      state_ = State::kSkipCounted;
      return;
    }
    carry_ = std::min(kKeep, end - open);
  } else {  // a header format: decided once its head is complete
    if (end - open >= head_) {
      count(buf_ + open, head_);
      state_ = State::kSkipCounted;
      return;
    }
    carry_ = end - open;
  }
  std::memmove(buf_, buf_ + end - carry_, carry_);
}

// buf_[0, len) holds the file from position dpos.
RangeScan::Step RangeScan::scan_piece(std::size_t len, std::uint64_t dpos) {
  std::size_t start = 0, end = len;
  carry_ = 0;
  if (state_ == State::kSkipUnowned) {
    const void* nl = std::memchr(buf_, '\n', len);
    if (!nl) return Step::kQuiet;  // still inside the previous range's line
    start = index_of(nl, buf_) + 1;
    if (dpos + start >= limit_) return Step::kStop;  // no line starts inside the range
    state_ = State::kOpen;
  }
  // Stop at the end of the line holding byte limit-1 (the last line this range owns).
  bool done = false;
  if (limit_ != ByteRange::kToEnd && rpos_ >= limit_) {
    const std::size_t from = std::max<std::size_t>(start, limit_ - 1 > dpos ? static_cast<std::size_t>(limit_ - 1 - dpos) : 0);
    const void* nl = from < len ? std::memchr(buf_ + from, '\n', len - from) : nullptr;
    if (nl) {
      end = index_of(nl, buf_) + 1;
      done = true;
    }
  }
  if (state_ == State::kSkipCounted) {
    const void* nl = std::memchr(buf_ + start, '\n', end - start);
    start = nl ? index_of(nl, buf_) + 1 : end;
    if (nl) state_ = State::kOpen;
  }
  if (state_ == State::kOpen && start < end) {
    if (done) count(buf_ + start, end - start);
    else count_whole_lines(start, end);
  }
  return done ? Step::kDone : Step::kMore;
}

Result<Counts> RangeScan::run() {
  if (limit_ <= range_.offset) {
    prog_.finish();
    return total_;
  }
  auto in_range = seek_to_range();
  if (!in_range) return in_range.err();
  if (!*in_range) {
    prog_.finish();
    return total_;
  }
  std::uint64_t reported = rpos_;
  marked_ = regular_ && state_ != State::kSkipUnowned;
  mark_ = range_.offset;
  for (;;) {
    auto got = read_more(buf_ + carry_, cap_);
    if (!got) return got.err();
    if (*got == 0) {
      // End of file before the range's end: the file was cut (truncated or rotated) under us.
      if (regular_ && rpos_ < limit_) return shrank_while_read();
      if (regular_ && marked_ && mark_ < limit_) prog_.report(std::min(rpos_, limit_) - range_.offset);  // no final '\n'
      break;
    }
    const std::uint64_t dpos = rpos_ - carry_;  // file position of buf_[0]
    rpos_ += *got;
    if (regular_) report_pieces(dpos, carry_ + *got);
    const Step step = scan_piece(carry_ + *got, dpos);
    if (step == Step::kStop) break;
    if (step == Step::kQuiet) continue;
    if (!regular_) {  // a pipe: progress as read
      prog_.set_total(rpos_ - range_.offset);
      if (rpos_ - reported >= chunk_ || step == Step::kDone) {
        prog_.report(std::min(rpos_, limit_) - range_.offset);
        reported = rpos_;
      }
    }
    if (step == Step::kDone) break;
  }
  if (carry_ > 0) count(buf_, carry_);  // the last line, without a final newline
  if (!regular_) prog_.set_total(std::min(rpos_, limit_) - range_.offset);
  prog_.finish();
  return total_;
}

// The first bytes of a stream, up to kDetectBytes; *eof says whether that is all of it.
Result<std::string> read_head(ReadFile& f, bool by_offset, bool* eof) {
  std::string head(kDetectBytes, '\0');
  std::size_t n = 0;
  *eof = false;
  while (n < head.size()) {
    auto got = by_offset ? f.read_at(n, head.size() - n, &head[n]) : f.read(head.size() - n, &head[n]);
    if (!got) return got.err();
    if (*got == 0) {
      *eof = true;
      break;
    }
    n += *got;
  }
  head.resize(n);
  return head;
}

// The format for this file: the one asked for, or detected from the file's head (a pipe's head
// cannot be read twice: bracket). open_head opens a fresh reader at the file's start.
template <typename OpenHead>
Result<LogFormat> resolve_format(const ScanOptions& opt, bool can_peek, OpenHead open_head) {
  LogFormat fmt = opt.format.fixed;
  if (opt.format.automatic) {
    fmt = LogFormat{};
    if (can_peek) {
      bool eof = false;
      auto head = open_head(&eof);
      if (!head) return head.err();
      fmt = detect_format(head->data(), head->size(), eof);
    }
  }
  if (opt.format_used) *opt.format_used = std::string(fmt.name());
  return fmt;
}

// A .gz file: inflated as read, whole file only, progress in compressed bytes.
Result<Counts> scan_gzip(ReadFile& file, const std::string& path, std::uint64_t size, ByteRange range,
                         const ScanOptions& opt) {
  if (range.offset != 0 || (range.length != ByteRange::kToEnd && range.length != size))
    return Error{path + ": a byte range of a compressed file cannot be scanned (a .gz is read whole)", Code::kInvalid};
  auto fmt = resolve_format(opt, true, [&](bool* eof) {
    GzipReader peek(file, path);
    return read_head(peek, false, eof);
  });
  if (!fmt) return fmt.err();
  GzipReader gz(file, path);
  ScanOptions so = opt;
  std::uint64_t last = 0;
  if (opt.on_progress)
    so.on_progress = [&](std::uint64_t, std::uint64_t) {
      last = std::max(last, std::min(gz.compressed_read(), size));
      opt.on_progress(last, size);
    };
  auto c = RangeScan(gz, path, false, 0, ByteRange{}, so, *fmt).run();
  if (c && opt.on_progress && last != size) opt.on_progress(size, size);
  return c;
}

Result<Counts> scan_path(const std::string& path, ByteRange range, const ScanOptions& opt, Env& env) {
  auto file = env.open_read(path);
  if (!file) return file.err();
  auto st = (*file)->stat();
  if (!st) return st.err();
  if (st->directory()) return Error{"not a file: " + path + " is a directory"};
  const bool regular = st->regular();
  const std::uint64_t size = regular ? st->size : 0;
  if (regular && opt.expected_size != ScanOptions::kUnknownSize && size < opt.expected_size)
    return shrank(path, opt.expected_size, size, "before it was read");
  // A range with a length was planned from the file's size: a file that no longer holds it shrank.
  if (regular && range.length != ByteRange::kToEnd && (range.length > ~range.offset || range.offset + range.length > size))
    return Error{path + " shrank to " + std::to_string(size) + " bytes before it was read (the range planned for it ends at " +
                     std::to_string(range.offset + range.length) + ")",
                 Code::kCorruption};
  if (regular && is_gzip_name(path)) return scan_gzip(**file, path, size, range, opt);
  auto fmt = resolve_format(opt, regular, [&](bool* eof) { return read_head(**file, true, eof); });
  if (!fmt) return fmt.err();
  return RangeScan(**file, path, regular, size, range, opt, *fmt).run();
}

}  // namespace

// Every message names the file through escape_name: a name holding a newline cannot forge a line
// of the output that prints the error.
Result<LogFormat> detect_file_format(const std::string& path, Env& env) {
  auto detect = [&]() -> Result<LogFormat> {
    auto file = env.open_read(path);
    if (!file) return file.err();
    auto st = (*file)->stat();
    if (!st) return st.err();
    if (st->directory()) return Error{"not a file: " + path + " is a directory"};
    const ScanOptions automatic;  // (format "auto": exactly what scan_path resolves)
    if (st->regular() && is_gzip_name(path))
      return resolve_format(automatic, true, [&](bool* eof) {
        GzipReader peek(**file, path);
        return read_head(peek, false, eof);
      });
    return resolve_format(automatic, st->regular(), [&](bool* eof) { return read_head(**file, true, eof); });
  };
  auto r = detect();
  if (!r) return escape_name_in(r.err(), path);
  return r;
}

Result<Counts> scan_file(const std::string& path, ByteRange range, const ScanOptions& opt, Env& env) {
  auto r = scan_path(path, range, opt, env);
  if (!r) return escape_name_in(r.err(), path);
  return r;
}

}  // namespace dla
