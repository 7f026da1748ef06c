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
  const std::size_t nl = head.find('\n');
  if (nl != std::string::npos) return head.substr(0, nl + 1);
  if (head.size() == kFingerprintMax) return head;
  return std::string();
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
  if (pos_.fp.empty() && size > 0) {
    auto fp = read_fingerprint(*file_, size);
    if (!fp) {
      st.error = fp.error();
      return st;
    }
    pos_.fp = st.fp = *fp;
  }
  if (!pos_.fp.empty()) {
    std::string now(pos_.fp.size(), '\0');
    auto got = size >= pos_.fp.size() ? file_->read_at(0, now.size(), now.data()) : Result<std::size_t>(std::size_t{0});
    if (!got) {
      st.error = got.error();
      return st;
    }
    if (*got != now.size() || now != pos_.fp || size < pos_.offset) {
      st.truncated = true;
      st.end = pos_.offset;
      st.fp.clear();
      pos_.offset = 0;
      pos_.fp.clear();
      if (spec_.automatic) pos_.format.clear();
      st.from = st.to = 0;
      return st;
    }
  } else if (!final) {
    return st;  // no complete first line yet: nothing to count (and no head to choose a format from)
  }
  if (size <= pos_.offset) return st;
  if (!choose_format(size, final, &st)) return st;
  const std::uint64_t stop = std::min<std::uint64_t>(size, pos_.offset + max_bytes);
  std::string buf;
  const std::size_t chunk = 1u << 20;
  std::uint64_t at = pos_.offset;
  while (at < stop) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, stop - at));
    const std::size_t old = buf.size();
    buf.resize(old + want);
    auto got = file_->read_at(at, want, buf.data() + old);
    if (!got) {
      st.error = got.error();
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
  behind_ = stop < size;
  return st;
}

}  // namespace dla::stream
