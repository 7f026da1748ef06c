#include "scan/gzip_file.h"

#include <zlib.h>

namespace dla {

struct GzipReader::Z {
  z_stream s{};
  bool ok = false;
};

bool is_gzip_name(std::string_view path) { return path.size() > 3 && path.substr(path.size() - 3) == ".gz"; }

GzipReader::GzipReader(ReadFile& in, std::string path)
    : in_(in), path_(std::move(path)), z_(std::make_unique<Z>()), buf_(256 * 1024) {
  z_->ok = inflateInit2(&z_->s, 16 + MAX_WBITS) == Z_OK;  // 16: gzip wrapper only
}

GzipReader::~GzipReader() {
  if (z_->ok) inflateEnd(&z_->s);
}

Error GzipReader::corrupt(const std::string& why) const { return Error{path_ + ": " + why, Code::kCorruption}; }

// More compressed input; false at the end of the file.
Result<bool> GzipReader::refill() {
  if (in_eof_) return false;
  auto got = in_.read_at(in_pos_, buf_.size(), buf_.data());
  if (!got) return got.err();
  if (*got == 0) {
    in_eof_ = true;
    return false;
  }
  in_pos_ += *got;
  z_->s.next_in = reinterpret_cast<Bytef*>(buf_.data());
  z_->s.avail_in = static_cast<uInt>(*got);
  return true;
}

Result<std::size_t> GzipReader::read(std::size_t n, char* dst) {
  if (!z_->ok) return Error{path_ + ": cannot start zlib", Code::kIOError};
  if (done_ || n == 0) return std::size_t{0};
  z_stream& s = z_->s;
  s.next_out = reinterpret_cast<Bytef*>(dst);
  s.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
  const uInt want = s.avail_out;
  while (s.avail_out == want) {
    if (s.avail_in == 0) {
      auto more = refill();
      if (!more) return more.err();
      if (!*more) {
        if (in_member_) return corrupt("truncated gzip file (it ends inside a compressed stream)");
        if (!any_member_) return corrupt("empty file, not gzip data");
        done_ = true;
        break;
      }
    }
    in_member_ = any_member_ = true;
    const int r = inflate(&s, Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      in_member_ = false;  // another member may follow
      inflateReset(&s);
    } else if (r != Z_OK && r != Z_BUF_ERROR) {
      return corrupt(std::string("corrupt gzip data (") + (s.msg ? s.msg : "zlib error " + std::to_string(r)) + ")");
    }
  }
  return static_cast<std::size_t>(want - s.avail_out);
}

Result<std::size_t> GzipReader::read_at(std::uint64_t, std::size_t, char*) {
  return Error{path_ + ": a gzip file can only be read from its start", Code::kInvalid};
}

Result<FileStat> GzipReader::stat() {
  FileStat st;
  st.type = FileStat::Type::kOther;
  return st;
}

Result<std::string> read_gzip_file(Env& env, const std::string& path) {
  auto f = env.open_read(path);
  if (!f) return f.err();
  GzipReader z(**f, path);
  std::string out;
  char buf[1 << 16];
  while (true) {
    auto n = z.read(sizeof buf, buf);
    if (!n) return n.err();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

Result<std::string> gzip_text(const std::string& text) {
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return Error{"gzip: cannot initialise zlib", Code::kIOError};
  std::string out(deflateBound(&s, static_cast<uLong>(text.size())), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  s.avail_in = static_cast<uInt>(text.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  if (rc != Z_STREAM_END) return Error{"gzip: deflate failed", Code::kIOError};
  return out;
}

}  // namespace dla
