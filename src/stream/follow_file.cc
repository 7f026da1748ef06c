#include "stream/follow_file.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace dla::stream {

Result<std::string> read_fingerprint(ReadFile& f, std::uint64_t size) {
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, kFingerprintMax));
  std::string head(want, '\0');
  std::size_t got = 0;
  while (got < want) {
    auto n = f.read_at(got, want - got, head.data() + got);
    if (!n) return n.err();
    if (*n == 0) break;
    got += *n;
  }
  head.resize(got);
  if (head.find('\n') != std::string::npos || head.size() == kFingerprintMax) return head;
  return std::string();
}

bool fp_compatible(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  return a.compare(0, n, b, 0, n) == 0;
}

FileFollower::FileFollower(Env* env, std::string path, FollowPosition pos, FormatSpec spec)
    : env_(env), path_(std::move(path)), pos_(std::move(pos)), spec_(std::move(spec)) {
  if (!spec_.automatic) {
    format_ = spec_.fixed;
    if (pos_.format.empty()) pos_.format = std::string(format_.name());
  } else if (!pos_.format.empty()) {
    auto f = parse_format_spec(pos_.format);
    if (f && !f->automatic) format_ = f->fixed;
  }
}

// Opens the file on the first poll and checks that it is the one of pos_ (same inode).
bool FileFollower::open(FollowStep* st) {
  if (file_) return true;
  auto f = env_->open_read(path_);
  if (!f) {
    st->lost = true;
    st->error = f.error();
    return false;
  }
  auto s = (*f)->stat();
  if (!s) {
    st->lost = true;
    st->error = s.error();
    return false;
  }
  if (pos_.ino != 0 && (s->ino != pos_.ino || (s->dev != 0 && pos_.dev != 0 && s->dev != pos_.dev))) {
    st->lost = true;
    st->error = path_ + " is another file now";
    return false;
  }
  pos_.dev = s->dev;
  pos_.ino = s->ino;
  file_ = std::move(*f);
  return true;
}

// The format is chosen once, from the head the file has when its first lines are counted.
bool FileFollower::choose_format(std::uint64_t size, bool at_eof, FollowStep* st) {
  if (!pos_.format.empty()) return true;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, kDetectBytes));
  std::string head(n, '\0');
  auto got = file_->read_at(0, n, head.data());
  if (!got) {
    st->error = got.error();
    return false;
  }
  format_ = detect_format(head.data(), *got, at_eof && *got == size);
  pos_.format = std::string(format_.name());
  return true;
}

void FileFollower::count(const char* data, std::size_t n, FollowStep* st) {
  count_lines(format_, data, n, st->counts);
  pos_.offset += n;
  st->to = pos_.offset;
}

// The generation we were reading ended at `end`: the next poll reads the new one from 0.
void FileFollower::generation_ended(std::uint64_t end, FollowStep* st) {
  st->truncated = true;
  st->end = end;
  st->fp.clear();
  st->counts = Counts{};
  pos_.offset = 0;
  pos_.fp.clear();
  if (spec_.automatic) pos_.format.clear();
  st->from = st->to = 0;
}

// The file's head against our fingerprint: a truncation ends the generation (*stop); a longer
// head lengthens the fingerprint. *stop also when there is nothing to count yet (no first line).
bool FileFollower::check_head(std::uint64_t size, bool final, FollowStep* st, bool* stop) {
  *stop = false;
  auto head = read_fingerprint(*file_, size);
  if (!head) {
    st->error = head.error();
    return false;
  }
  if (!pos_.fp.empty() && (size < pos_.offset || head->size() < pos_.fp.size() || head->compare(0, pos_.fp.size(), pos_.fp) != 0)) {
    generation_ended(pos_.offset, st);
    *stop = true;
    return true;
  }
  if (head->size() > pos_.fp.size()) pos_.fp = st->fp = *head;
  if (pos_.fp.empty() && !final) *stop = true;  // no complete first line yet: nothing to count
  return true;
}

// After a read: the head is still our fingerprint (else the file was truncated and rewritten
// while we read, and what we read from `from` on belongs to the new generation: not counted).
bool FileFollower::still_ours(std::uint64_t from, FollowStep* st) {
  if (pos_.fp.empty()) return true;
  std::string now(pos_.fp.size(), '\0');
  auto got = file_->read_at(0, now.size(), now.data());
  if (got && *got == now.size() && now == pos_.fp) return true;
  generation_ended(from, st);
  return false;
}

FollowStep FileFollower::poll(bool final, std::size_t max_bytes) {
  FollowStep st;
  st.from = st.to = pos_.offset;
  behind_ = false;
  if (!open(&st)) return st;
  auto s = file_->stat();
  if (!s) {
    st.error = s.error();
    return st;
  }
  const std::uint64_t size = s->size;
  bool stop = false;
  if (!check_head(size, final, &st, &stop) || stop) return st;
  if (size <= pos_.offset) return st;
  if (!choose_format(size, final, &st)) return st;
  const std::uint64_t start = pos_.offset;
  const std::uint64_t stop_at = std::min<std::uint64_t>(size, pos_.offset + max_bytes);
  std::string buf;
  const std::size_t chunk = 1u << 20;
  std::uint64_t at = pos_.offset;
  while (at < stop_at) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, stop_at - at));
    const std::size_t old = buf.size();
    buf.resize(old + want);
    auto got = file_->read_at(at, want, buf.data() + old);
    if (!got) {
      st.error = got.error();
      pos_.offset = start;  // nothing of this poll is reported: read again next time
      st.counts = Counts{};
      st.to = start;
      return st;
    }
    buf.resize(old + *got);
    at += *got;
    const std::size_t nl = buf.rfind('\n');
    if (nl != std::string::npos) {
      count(buf.data(), nl + 1, &st);
      buf.erase(0, nl + 1);
    }
    if (*got < want) break;  // shrank meanwhile: the next poll sees it
  }
  if (final && !buf.empty() && at >= size) count(buf.data(), buf.size(), &st);
  if (!still_ours(start, &st)) return st;
  behind_ = stop_at < size;
  return st;
}

}  // namespace dla::stream
