#include "ckpt/checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/levels.h"

namespace dla {
namespace {

using nlohmann::json;

std::string errno_text(const std::string& what, const std::string& path, int e) {
  return what + " " + path + ": " + std::strerror(e);
}

// A JSON integer >= 0 (nlohmann stores a parsed positive number as unsigned, an assigned int as signed).
bool is_count(const nlohmann::json& j) {
  return j.is_number_unsigned() || (j.is_number_integer() && j.get<long long>() >= 0);
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// ---- POSIX implementation ---------------------------------------------------------------------
class PosixFs final : public CheckpointFs {
 public:
  Status make_dir(const std::string& p) override {
    if (::mkdir(p.c_str(), 0755) != 0) return Error{errno_text("cannot create directory", p, errno)};
    return OkStatus();
  }
  Status make_dirs(const std::string& p) override { return dla::make_dirs(p); }
  int hard_link(const std::string& from, const std::string& to) override {
    return ::link(from.c_str(), to.c_str()) == 0 ? 0 : errno;
  }
  Status copy_file(const std::string& from, const std::string& to) override {
    int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return Error{errno_text("cannot open", from, errno)};
    struct stat st {};
    ::fstat(in, &st);
    int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      int e = errno;
      ::close(in);
      return Error{errno_text("cannot create", to, e)};
    }
    std::vector<char> buf(1 << 20);
    Status st_out = OkStatus();
    for (;;) {
      ssize_t n = ::read(in, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st_out = Error{errno_text("cannot read", from, errno)};
        break;
      }
      if (n == 0) break;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(out, buf.data() + off, static_cast<std::size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          st_out = Error{errno_text("cannot write", to, errno)};
          break;
        }
        off += w;
      }
      if (!st_out) break;
    }
    if (st_out && ::fsync(out) != 0) st_out = Error{errno_text("cannot fsync", to, errno)};
    if (st_out) {
      struct timespec ts[2] = {st.st_atim, st.st_mtim};  // keep mtime: later checkpoints re-link it
      ::futimens(out, ts);
    }
    ::close(out);
    ::close(in);
    return st_out;
  }
  Status write_file(const std::string& p, const std::string& data) override {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Error{errno_text("cannot create", p, errno)};
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(fd, data.data() + off, data.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        int e = errno;
        ::close(fd);
        return Error{errno_text("cannot write", p, e)};
      }
      off += static_cast<std::size_t>(w);
    }
    if (::fsync(fd) != 0) {
      int e = errno;
      ::close(fd);
      return Error{errno_text("cannot fsync", p, e)};
    }
    if (::close(fd) != 0) return Error{errno_text("cannot close", p, errno)};
    return OkStatus();
  }
  Status sync_dir(const std::string& p) override {
    int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error{errno_text("cannot open directory", p, errno)};
    int r = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return Error{errno_text("cannot fsync directory", p, e)};
    return OkStatus();
  }
  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Error{errno_text("cannot rename " + from + " to", to, errno)};
    return OkStatus();
  }
  Status remove_tree(const std::string& p) override {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return errno == ENOENT ? OkStatus() : Status(Error{errno_text("cannot stat", p, errno)});
    if (S_ISDIR(st.st_mode)) {
      auto names = list_dir(p);
      if (!names) return Error{names.error()};
      for (const auto& n : *names) {
        auto s = remove_tree(p + "/" + n);
        if (!s) return s;
      }
      if (::rmdir(p.c_str()) != 0) return Error{errno_text("cannot remove", p, errno)};
    } else if (::unlink(p.c_str()) != 0) {
      return Error{errno_text("cannot remove", p, errno)};
    }
    return OkStatus();
  }
  Result<std::vector<std::string>> list_dir(const std::string& p) override {
    DIR* d = ::opendir(p.c_str());
    if (!d) return Error{errno_text("cannot read directory", p, errno)};
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }
  Result<std::string> read_file(const std::string& p) override {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{errno_text("cannot open", p, errno)};
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        ::close(fd);
        return Error{errno_text("cannot read", p, e)};
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
  }
  Result<FileInfo> stat_regular(const std::string& p) override { return stat_file(p, /*require_regular=*/true); }
};

bool valid_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos &&
         n != kCheckpointJson;
}

// "ckpt-00000007" -> 7; false when the name is not exactly that shape.
bool parse_ckpt_name(const std::string& n, std::uint64_t* seq) {
  if (!starts_with(n, "ckpt-") || n.size() <= 5 || n.size() > 5 + 19) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 5; i < n.size(); ++i) {
    if (n[i] < '0' || n[i] > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(n[i] - '0');
  }
  *seq = v;
  return true;
}

std::string ckpt_name(std::uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "ckpt-%08llu", static_cast<unsigned long long>(seq));
  return buf;
}

json file_counts_json(const Counts& c) {
  json j = counts_json(c);
  j["lines"] = c.lines;
  return j;
}

// Strict reading of a counts object: the four levels as unsigned integers (and "lines" if asked).
Result<Counts> read_counts(const json& j, const std::string& where, bool with_lines) {
  if (!j.is_object()) return Error{where + " is not an object"};
  Counts c;
  for (int i = 0; i < kNumLevels; ++i) {
    std::string k(kLevelNames[i]);
    auto it = j.find(k);
    if (it == j.end() || !is_count(*it)) return Error{where + "." + k + " missing or not a non-negative integer"};
    c.level[i] = it->get<std::uint64_t>();
  }
  if (with_lines) {
    auto it = j.find("lines");
    if (it == j.end() || !is_count(*it)) return Error{where + ".lines missing or not a non-negative integer"};
    c.lines = it->get<std::uint64_t>();
  }
  return c;
}

Result<std::vector<std::string>> read_names(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return Error{std::string(key) + " missing or not a list"};
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& e : *it) {
    if (!e.is_string()) return Error{std::string(key) + " has a non-string entry"};
    std::string n = e.get<std::string>();
    if (!valid_name(n)) return Error{std::string(key) + " has an invalid file name \"" + n + "\""};
    if (!seen.insert(n).second) return Error{std::string(key) + " lists " + n + " twice"};
    out.push_back(n);
  }
  return out;
}

}  // namespace

std::shared_ptr<CheckpointFs> posix_fs() { return std::make_shared<PosixFs>(); }

std::vector<std::string> CheckpointState::processed_names() const {
  std::vector<std::string> v;
  v.reserve(processed.size());
  for (const auto& f : processed) v.push_back(f.name);
  return v;
}

Counts sum_counts(const std::vector<CheckpointFile>& files) {
  Counts c;
  for (const auto& f : files) c += f.counts;
  return c;
}

json checkpoint_to_json(const CheckpointState& s) {
  json j = json::object();
  // The assignment's five fields first (nlohmann keeps keys sorted; order is cosmetic anyway).
  j["timestamp"] = s.timestamp;
  j["counts"] = counts_json(s.counts);
  j["processed_files"] = s.processed_names();
  j["pending_files"] = s.pending_files;
  j["failed_workers"] = s.failed_workers;
  // Extras.
  j["format"] = "dla-checkpoint";
  j["format_version"] = kCheckpointFormatVersion;
  j["sequence"] = s.sequence;
  j["lines"] = s.counts.lines;
  j["input_dir"] = s.input_dir;
  j["consistency"] = s.consistency;
  json fi = json::array();
  for (const auto& f : s.processed)
    fi.push_back({{"name", f.name}, {"size", f.size}, {"mtime_ns", f.mtime_ns}, {"counts", file_counts_json(f.counts)}});
  j["file_info"] = fi;
  return j;
}

namespace {
// JSON string literal. Bytes >= 0x80 pass through (UTF-8 names stay UTF-8; a name that is not valid
// UTF-8 makes the file unreadable as JSON, so that checkpoint is reported unusable on load instead
// of crashing the writer as nlohmann's dump() would by throwing).
void put_string(std::string& o, const std::string& v) {
  o += '"';
  for (unsigned char ch : v) {
    switch (ch) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (ch < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", ch);
          o += b;
        } else {
          o += static_cast<char>(ch);
        }
    }
  }
  o += '"';
}
void put_counts(std::string& o, const Counts& c, bool lines) {
  o += '{';
  for (int i = 0; i < kNumLevels; ++i) {
    if (i) o += ", ";
    o += '"';
    o += kLevelNames[i];
    o += "\": " + std::to_string(c.level[i]);
  }
  if (lines) o += ", \"lines\": " + std::to_string(c.lines);
  o += '}';
}
}  // namespace

std::string checkpoint_json_text(const CheckpointState& s) {
  std::string o;
  o.reserve(256 + s.processed.size() * 160 + s.pending_files.size() * 24);
  auto names = [&](const char* key, const std::vector<std::string>& v) {
    o += "  \"";
    o += key;
    o += "\": [";
    for (std::size_t i = 0; i < v.size(); ++i) {
      o += i ? ",\n    " : "\n    ";
      put_string(o, v[i]);
    }
    o += v.empty() ? "],\n" : "\n  ],\n";
  };
  // Keys in nlohmann's (sorted) order, so both writers produce the same layout.
  o += "{\n  \"consistency\": ";
  put_string(o, s.consistency);
  o += ",\n  \"counts\": ";
  put_counts(o, s.counts, false);
  o += ",\n  \"failed_workers\": [";
  for (std::size_t i = 0; i < s.failed_workers.size(); ++i) o += (i ? ", " : "") + std::to_string(s.failed_workers[i]);
  o += "],\n  \"file_info\": [";
  for (std::size_t i = 0; i < s.processed.size(); ++i) {
    const auto& f = s.processed[i];
    o += i ? ",\n    {\"counts\": " : "\n    {\"counts\": ";
    put_counts(o, f.counts, true);
    o += ", \"mtime_ns\": " + std::to_string(f.mtime_ns) + ", \"name\": ";
    put_string(o, f.name);
    o += ", \"size\": " + std::to_string(f.size) + "}";
  }
  o += s.processed.empty() ? "],\n" : "\n  ],\n";
  o += "  \"format\": \"dla-checkpoint\",\n  \"format_version\": " + std::to_string(kCheckpointFormatVersion) + ",\n  \"input_dir\": ";
  put_string(o, s.input_dir);
  o += ",\n  \"lines\": " + std::to_string(s.counts.lines) + ",\n";
  names("pending_files", s.pending_files);
  names("processed_files", s.processed_names());
  o += "  \"sequence\": " + std::to_string(s.sequence) + ",\n  \"timestamp\": ";
  put_string(o, s.timestamp);
  o += "\n}\n";
  return o;
}

Result<CheckpointState> checkpoint_from_json(const json& j) {
  if (!j.is_object()) return Error{"checkpoint.json is not a JSON object"};
  if (j.value("format", std::string()) != "dla-checkpoint") return Error{"not a dla checkpoint (format field)"};
  auto fv = j.find("format_version");
  if (fv == j.end() || !fv->is_number_integer()) return Error{"format_version missing"};
  if (fv->get<long long>() != kCheckpointFormatVersion)
    return Error{"unsupported format_version " + fv->dump() + " (this build reads " + std::to_string(kCheckpointFormatVersion) + ")"};
  CheckpointState s;
  auto ts = j.find("timestamp");
  if (ts == j.end() || !ts->is_string()) return Error{"timestamp missing or not a string"};
  s.timestamp = ts->get<std::string>();
  auto cj = j.find("counts");
  if (cj == j.end()) return Error{"counts missing"};
  auto counts = read_counts(*cj, "counts", false);
  if (!counts) return Error{counts.error()};
  s.counts = *counts;
  auto lj = j.find("lines");
  if (lj == j.end() || !is_count(*lj)) return Error{"lines missing or not a non-negative integer"};
  s.counts.lines = lj->get<std::uint64_t>();
  auto processed = read_names(j, "processed_files");
  if (!processed) return Error{processed.error()};
  auto pending = read_names(j, "pending_files");
  if (!pending) return Error{pending.error()};
  s.pending_files = *pending;
  std::set<std::string> pset(processed->begin(), processed->end());
  for (const auto& n : s.pending_files)
    if (pset.count(n)) return Error{n + " is both processed and pending"};
  auto fw = j.find("failed_workers");
  if (fw == j.end() || !fw->is_array()) return Error{"failed_workers missing or not a list"};
  for (const auto& r : *fw) {
    if (!r.is_number_integer() || r.get<long long>() < 0 || r.get<long long>() > INT_MAX) return Error{"failed_workers has an entry that is not a rank"};
    s.failed_workers.push_back(r.get<int>());
  }
  auto sq = j.find("sequence");
  if (sq == j.end() || !is_count(*sq)) return Error{"sequence missing"};
  s.sequence = sq->get<std::uint64_t>();
  s.input_dir = j.value("input_dir", std::string());
  s.consistency = j.value("consistency", std::string());
  auto fi = j.find("file_info");
  if (fi == j.end() || !fi->is_array()) return Error{"file_info missing or not a list"};
  if (fi->size() != processed->size()) return Error{"file_info has " + std::to_string(fi->size()) + " entries for " + std::to_string(processed->size()) + " processed files"};
  for (std::size_t i = 0; i < fi->size(); ++i) {
    const json& e = (*fi)[i];
    if (!e.is_object()) return Error{"file_info entry is not an object"};
    CheckpointFile f;
    f.name = e.value("name", std::string());
    if (f.name != (*processed)[i]) return Error{"file_info[" + std::to_string(i) + "] is \"" + f.name + "\", processed_files says " + (*processed)[i]};
    auto sz = e.find("size");
    auto mt = e.find("mtime_ns");
    if (sz == e.end() || !is_count(*sz) || mt == e.end() || !mt->is_number_integer())
      return Error{"file_info for " + f.name + ": size or mtime_ns missing"};
    f.size = sz->get<std::uint64_t>();
    f.mtime_ns = mt->get<std::int64_t>();
    auto fc = e.find("counts");
    if (fc == e.end()) return Error{"file_info for " + f.name + ": counts missing"};
    auto c = read_counts(*fc, "file_info[" + f.name + "].counts", true);
    if (!c) return Error{c.error()};
    f.counts = *c;
    s.processed.push_back(std::move(f));
  }
  Counts sum = sum_counts(s.processed);
  if (sum != s.counts) {
    std::string got = counts_json(s.counts).dump(), want = counts_json(sum).dump();
    return Error{"counts " + got + " (lines " + std::to_string(s.counts.lines) + ") differ from the sum over processed files " + want +
                 " (lines " + std::to_string(sum.lines) + ")"};
  }
  return s;
}

// ---- the store ------------------------------------------------------------------------------
CheckpointStore::CheckpointStore(CheckpointOptions opt, std::shared_ptr<CheckpointFs> fs)
    : opt_(std::move(opt)), fs_(std::move(fs)) {
  while (opt_.root.size() > 1 && opt_.root.back() == '/') opt_.root.pop_back();
  if (opt_.root.empty()) opt_.root = ".";
  if (opt_.keep < 1) opt_.keep = 1;
}

CheckpointStore::~CheckpointStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status CheckpointStore::open() {
  auto s = fs_->make_dirs(opt_.root);
  if (!s) return s;
  if (lock_fd_ < 0) {
    std::string lp = opt_.root + "/.lock";
    int fd = ::open(lp.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Error{errno_text("cannot open lock file", lp, errno)};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      ::close(fd);
      if (e == EWOULDBLOCK) return Error{"checkpoint directory " + opt_.root + " is in use by another run"};
      return Error{errno_text("cannot lock", lp, e)};
    }
    lock_fd_ = fd;
  }
  auto names = fs_->list_dir(opt_.root);
  if (!names) return Error{names.error()};
  for (const auto& n : *names) {
    std::uint64_t seq = 0;
    if (parse_ckpt_name(n, &seq)) next_seq_ = std::max(next_seq_, seq + 1);
    if (starts_with(n, ".tmp-")) {
      // Leftover of a crashed save or gc: never loaded, safe to delete now that we hold the lock.
      auto r = fs_->remove_tree(opt_.root + "/" + n);
      if (!r) return r;
    }
  }
  return OkStatus();
}

Result<std::vector<CheckpointStore::Entry>> CheckpointStore::checkpoints() const {
  auto names = fs_->list_dir(opt_.root);
  if (!names) return Error{names.error()};
  std::vector<Entry> out;
  for (const auto& n : *names) {
    std::uint64_t seq = 0;
    if (parse_ckpt_name(n, &seq)) out.push_back({seq, n});
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.seq > b.seq; });
  return out;
}

Result<CheckpointState> CheckpointStore::validate(const std::string& dir) const {
  auto text = fs_->read_file(dir + "/" + kCheckpointJson);
  if (!text) return Error{text.error()};
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{std::string(kCheckpointJson) + " is not valid JSON (truncated or corrupt)"};
  auto s = checkpoint_from_json(j);
  if (!s) return s;
  std::uint64_t seq = 0;
  auto slash = dir.find_last_of('/');
  std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
  if (parse_ckpt_name(base, &seq) && seq != s->sequence)
    return Error{"sequence " + std::to_string(s->sequence) + " does not match the directory name"};
  // Every processed file must be there (the assignment's layout). Its size is not compared: a hard
  // link shares the input's inode, so an input modified in place shows here too; plan_resume()
  // catches that by comparing the input with the recorded size/mtime.
  for (const auto& f : s->processed) {
    auto st = fs_->stat_regular(dir + "/" + f.name);
    if (!st) return Error{"processed file " + f.name + " missing from the checkpoint: " + st.error()};
  }
  return s;
}

LoadResult CheckpointStore::load_latest() const {
  LoadResult out;
  auto names = fs_->list_dir(opt_.root);
  if (!names) return out;  // no root: nothing to load
  for (const auto& n : *names)
    if (starts_with(n, ".tmp-")) ++out.leftovers;
  auto entries = checkpoints();
  if (!entries) return out;
  for (const auto& e : *entries) {
    std::string dir = opt_.root + "/" + e.name;
    auto s = validate(dir);
    if (!s) {
      out.skipped.push_back({e.name, s.error()});
      continue;
    }
    out.found = true;
    out.state = std::move(*s);
    out.dir = dir;
    return out;
  }
  return out;
}

Result<SaveStats> CheckpointStore::save(CheckpointState s, const std::string& input_dir) {
  if (sum_counts(s.processed) != s.counts)
    return Error{"internal: checkpoint counts differ from the sum over its processed files"};
  for (const auto& f : s.processed)
    if (!valid_name(f.name)) return Error{"internal: invalid file name in checkpoint: " + f.name};
  s.sequence = next_seq_++;
  SaveStats st;
  const std::string name = ckpt_name(s.sequence);
  const std::string tmp = opt_.root + "/.tmp-" + name.substr(5) + "-" + std::to_string(::getpid());
  std::string prev;  // newest existing checkpoint: source of re-links for copied files
  if (auto entries = checkpoints(); entries && !entries->empty()) prev = opt_.root + "/" + entries->front().name;

  auto fail = [&](const std::string& msg) -> Result<SaveStats> {
    fs_->remove_tree(tmp);  // best effort; a leftover .tmp- is never loaded anyway
    return Error{"checkpoint " + name + ": " + msg};
  };
  // Recycling: the oldest checkpoint that this save makes superfluous (keep), if this store wrote
  // it, becomes the new one's temporary directory (renamed out of the ckpt- namespace first, so it
  // is never loaded half-updated): its files are already linked, so a save costs O(files new since
  // then), not O(all processed files) links plus as many unlinks to delete it. Only with keep >= 2,
  // so that a valid checkpoint stays on disk throughout.
  std::set<std::string> have;
  bool recycled = false;
  if (opt_.keep >= 2) {
    auto entries = checkpoints();
    if (entries && entries->size() >= static_cast<std::size_t>(opt_.keep)) {
      auto it = written_.find(entries->back().name);
      if (it != written_.end()) {
        if (auto r = fs_->rename(opt_.root + "/" + it->first, tmp); !r) return fail(r.error());
        recycled = true;
        have = std::move(it->second);
        written_.erase(it);
      }
    }
  }
  std::set<std::string> wanted;
  for (const auto& f : s.processed) wanted.insert(f.name);
  if (recycled) {
    if (auto r = fs_->remove_tree(tmp + "/" + kCheckpointJson); !r) return fail(r.error());
    for (auto it = have.begin(); it != have.end();) {
      if (wanted.count(*it)) {
        ++it;
        continue;
      }
      if (auto r = fs_->remove_tree(tmp + "/" + *it); !r) return fail(r.error());
      it = have.erase(it);
    }
  } else if (auto r = fs_->make_dir(tmp); !r) {
    return fail(r.error());
  }
  std::string in = input_dir;
  while (in.size() > 1 && in.back() == '/') in.pop_back();
  for (const auto& f : s.processed) {
    if (have.count(f.name)) {
      ++st.reused;
      continue;
    }
    const std::string from = in + "/" + f.name, to = tmp + "/" + f.name;
    int e = opt_.force_copy ? EXDEV : fs_->hard_link(from, to);
    if (e == 0) {
      ++st.linked;
      continue;
    }
    if (e != EXDEV && e != EPERM && e != EMLINK && e != EOPNOTSUPP) return fail(errno_text("cannot link", from, e));
    // Other filesystem (or no hard links): re-link the copy the previous checkpoint made, if it
    // is still the same file (copies keep size and mtime), else copy once.
    if (!prev.empty()) {
      auto a = fs_->stat_regular(prev + "/" + f.name);
      auto b = fs_->stat_regular(from);
      if (a && b && a->size == b->size && a->mtime_ns == b->mtime_ns && fs_->hard_link(prev + "/" + f.name, to) == 0) {
        ++st.linked;
        continue;
      }
    }
    if (auto r = fs_->copy_file(from, to); !r) return fail(r.error());
    ++st.copied;
  }
  s.input_dir = s.input_dir.empty() ? in : s.input_dir;
  if (auto r = fs_->write_file(tmp + "/" + kCheckpointJson, checkpoint_json_text(s)); !r) return fail(r.error());
  if (auto r = fs_->sync_dir(tmp); !r) return fail(r.error());
  const std::string final_dir = opt_.root + "/" + name;
  if (auto r = fs_->rename(tmp, final_dir); !r) return fail(r.error());
  // From here the checkpoint exists; syncing the root makes the rename durable.
  if (auto r = fs_->sync_dir(opt_.root); !r) return Error{"checkpoint " + name + ": " + r.error()};
  ++saved_;
  st.dir = final_dir;
  written_[name] = std::move(wanted);
  // Keep the newest `keep`: rename each older one out of the ckpt- namespace first (atomic), so a
  // crash in the middle of deleting never leaves a half checkpoint under a loadable name.
  auto entries = checkpoints();
  if (entries) {
    for (std::size_t i = static_cast<std::size_t>(opt_.keep); i < entries->size(); ++i) {
      const std::string old = opt_.root + "/" + (*entries)[i].name;
      const std::string gc = opt_.root + "/.tmp-gc-" + (*entries)[i].name;
      if (!fs_->rename(old, gc)) break;
      written_.erase((*entries)[i].name);
      fs_->remove_tree(gc);
      ++st.removed;
    }
  }
  return st;
}

Status CheckpointStore::clear() {
  auto entries = checkpoints();
  if (!entries) return Error{entries.error()};
  for (const auto& e : *entries) {
    const std::string gc = opt_.root + "/.tmp-gc-" + e.name;
    if (auto r = fs_->rename(opt_.root + "/" + e.name, gc); !r) return r;
    if (auto r = fs_->remove_tree(gc); !r) return r;
  }
  return fs_->sync_dir(opt_.root);
}

// ---- resume ---------------------------------------------------------------------------------
Result<ResumePlan> plan_resume(const CheckpointState& s, const std::string& input_dir, const std::vector<FileInfo>& current) {
  if (!s.input_dir.empty() && !input_dir.empty() && s.input_dir != input_dir)
    return Error{"the checkpoint was made for input " + s.input_dir + ", not " + input_dir +
                 " (use --fresh to start over, or another --checkpoint-dir)"};
  std::map<std::string, const CheckpointFile*> byname;
  for (const auto& f : s.processed) byname[f.name] = &f;
  ResumePlan p;
  p.done.assign(current.size(), false);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < current.size(); ++i) {
    auto it = byname.find(current[i].name);
    if (it == byname.end()) continue;
    seen.insert(current[i].name);
    const CheckpointFile& f = *it->second;
    if (f.size != current[i].size || f.mtime_ns != current[i].mtime_ns) {
      p.notes.push_back(f.name + " changed since the checkpoint (size " + std::to_string(f.size) + " -> " + std::to_string(current[i].size) +
                        (f.mtime_ns != current[i].mtime_ns ? ", mtime differs" : "") + "): processing it again");
      continue;
    }
    p.done[i] = true;
    p.kept.push_back(f);
    p.base += f.counts;
  }
  for (const auto& f : s.processed)
    if (!seen.count(f.name)) p.notes.push_back(f.name + " is no longer in the input: its counts are dropped");
  p.already = static_cast<int>(p.kept.size());
  return p;
}

Result<std::string> absolute_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return Error{errno_text("cannot resolve", path, errno)};
  return std::string(buf);
}

std::string iso8601_utc(double seconds_since_epoch) {
  long long ms = static_cast<long long>(seconds_since_epoch * 1000.0 + 0.5);
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lld", ms % 1000);
  return buf;
}

}  // namespace dla
