#include "base/mem_env.h"

#include <algorithm>

namespace dla {

enum : int { kFile = 0, kDir = 1, kLink = 2 };

struct MemEnv::Node {
  int kind = kFile;
  std::uint64_t ino = 0;
  std::string data, synced_data;                         // files
  std::map<std::string, Node*> entries, synced_entries;  // directories
  std::string target;                                    // symbolic links
  std::int64_t mtime_ns = 0;
};

namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Error not_found(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": No such file or directory", Code::kNotFound};
}

}  // namespace

// ---- file objects ---------------------------------------------------------------------------
class MemReadable final : public ReadFile {
 public:
  MemReadable(MemEnv* env, MemEnv::Node* n, std::string path) : env_(env), n_(n), path_(std::move(path)) {}
  Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) override {
    std::lock_guard<std::recursive_mutex> g(env_->mu_);
    if (auto s = env_->check_alive(path_); !s) return s.err();
    if (offset >= n_->data.size()) return std::size_t{0};
    const std::size_t k = std::min<std::size_t>(n, n_->data.size() - offset);
    std::copy_n(n_->data.data() + offset, k, dst);
    return k;
  }
  Result<std::size_t> read(std::size_t n, char* dst) override {
    auto k = read_at(pos_, n, dst);
    if (k) pos_ += *k;
    return k;
  }
  Result<FileStat> stat() override {
    std::lock_guard<std::recursive_mutex> g(env_->mu_);
    FileStat s;
    s.type = FileStat::Type::kRegular;
    s.size = n_->data.size();
    s.mtime_ns = n_->mtime_ns;
    s.ino = n_->ino;
    return s;
  }

 private:
  MemEnv* env_;
  MemEnv::Node* n_;
  std::string path_;
  std::uint64_t pos_ = 0;
};

class MemWritable final : public WritableFile {
 public:
  MemWritable(MemEnv* env, MemEnv::Node* n, std::string path) : env_(env), n_(n), path_(std::move(path)) {}
  Status append(std::string_view data) override {
    std::lock_guard<std::recursive_mutex> g(env_->mu_);
    if (closed_) return Error{"cannot write " + path_ + ": closed", Code::kIOError};
    return env_->append_to(n_, data, path_);
  }
  Status sync() override {
    std::lock_guard<std::recursive_mutex> g(env_->mu_);
    if (auto s = env_->mutate("fsync", path_); !s) return s;
    n_->synced_data = n_->data;
    return OkStatus();
  }
  Status close() override {
    closed_ = true;
    return OkStatus();
  }

 private:
  MemEnv* env_;
  MemEnv::Node* n_;
  std::string path_;
  bool closed_ = false;
};

class MemLock final : public FileLock {
 public:
  MemLock(MemEnv* env, std::string key) : env_(env), key_(std::move(key)) {}
  ~MemLock() override {
    std::lock_guard<std::recursive_mutex> g(env_->mu_);
    env_->locks_.erase(key_);
  }

 private:
  MemEnv* env_;
  std::string key_;
};

// ---- the tree -------------------------------------------------------------------------------
MemEnv::MemEnv() {
  root_ = new_node(kDir);
}
MemEnv::~MemEnv() = default;

MemEnv::Node* MemEnv::new_node(int kind) {
  nodes_.push_back(std::make_unique<Node>());
  Node* n = nodes_.back().get();
  n->kind = kind;
  n->ino = nodes_.size();
  n->mtime_ns = (clock_ns_ += 1000);
  return n;
}

Status MemEnv::check_alive(const std::string& path) const {
  if (dead_) return Error{"I/O error on " + path + ": the machine has crashed", Code::kIOError};
  return OkStatus();
}

Status MemEnv::mutate(const char* op, const std::string& path) {
  if (auto s = check_alive(path); !s) return s;
  ++mutations_;
  if (crash_at_ > 0 && --crash_at_ == 0) {
    crash();
    dead_ = true;
    return Error{std::string("I/O error: crashed during ") + op + " " + path, Code::kIOError};
  }
  if (fail_at_ > 0 && --fail_at_ == 0) return Error{std::string("injected fault: ") + op + " " + path, Code::kIOError};
  return OkStatus();
}

Status MemEnv::append_to(Node* n, std::string_view data, const std::string& path) {
  if (auto s = mutate("write", path); !s) return s;
  if (no_space_) return Error{"cannot write " + path + ": No space left on device", Code::kIOError};
  n->data.append(data.data(), data.size());
  n->mtime_ns = (clock_ns_ += 1000);
  return OkStatus();
}

Result<MemEnv::Node*> MemEnv::resolve(const std::string& path, bool follow_last, std::string* canonical) const {
  std::vector<std::string> todo = components(path);
  std::reverse(todo.begin(), todo.end());  // a stack: symbolic links push their targets
  std::vector<Node*> stack{root_};
  std::vector<std::string> names;
  int links = 0;
  while (!todo.empty()) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (stack.size() > 1) stack.pop_back(), names.pop_back();
      continue;
    }
    Node* dir = stack.back();
    if (dir->kind != kDir) return Error{"cannot resolve " + path + ": Not a directory", Code::kIOError};
    auto it = dir->entries.find(c);
    if (it == dir->entries.end()) return not_found("cannot resolve", path);
    Node* n = it->second;
    if (n->kind == kLink && (follow_last || !todo.empty())) {
      if (++links > 16) return Error{"cannot resolve " + path + ": Too many levels of symbolic links", Code::kIOError};
      auto t = components(n->target);
      if (!n->target.empty() && n->target[0] == '/') stack.resize(1), names.clear();
      for (auto r = t.rbegin(); r != t.rend(); ++r) todo.push_back(*r);
      continue;
    }
    stack.push_back(n);
    names.push_back(c);
  }
  if (canonical) {
    *canonical = "";
    for (const auto& n : names) *canonical += "/" + n;
    if (canonical->empty()) *canonical = "/";
  }
  return stack.back();
}

Result<MemEnv::Where> MemEnv::parent_of(const std::string& path) const {
  auto parts = components(path);
  while (!parts.empty() && parts.back() == ".") parts.pop_back();
  if (parts.empty() || parts.back() == "..") return Error{"invalid path " + path, Code::kInvalid};
  std::string dir = path.substr(0, path.rfind(parts.back()));
  auto d = resolve(dir.empty() ? "/" : dir, true);
  if (!d) return d.err();
  if ((*d)->kind != kDir) return Error{"cannot use " + path + ": Not a directory", Code::kIOError};
  return Where{*d, parts.back()};
}

// ---- Env ------------------------------------------------------------------------------------
Result<std::unique_ptr<ReadFile>> MemEnv::open_read(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (auto s = check_alive(path); !s) return s.err();
  auto n = resolve(path, true);
  if (!n) return Error{"cannot open " + path + ": No such file or directory", Code::kNotFound};
  if ((*n)->kind == kDir) return Error{"cannot read " + path + ": Is a directory", Code::kIOError};
  return std::unique_ptr<ReadFile>(new MemReadable(this, *n, path));
}

Result<std::unique_ptr<WritableFile>> MemEnv::open_write(const std::string& path, WriteMode mode) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  auto it = w->dir->entries.find(w->name);
  Node* n = nullptr;
  if (it != w->dir->entries.end()) {
    if (mode == WriteMode::kCreateExclusive) return Error{"cannot create " + path + ": File exists", Code::kExists};
    auto r = resolve(path, true);
    if (!r) return r.err();
    n = *r;
    if (n->kind == kDir) return Error{"cannot create " + path + ": Is a directory", Code::kIOError};
    if (auto s = mutate("open", path); !s) return s.err();
    if (mode == WriteMode::kTruncate) n->data.clear();
  } else {
    if (auto s = mutate("create", path); !s) return s.err();
    n = new_node(kFile);
    w->dir->entries[w->name] = n;
  }
  return std::unique_ptr<WritableFile>(new MemWritable(this, n, path));
}

Result<FileStat> MemEnv::stat(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (auto s = check_alive(path); !s) return s.err();
  auto n = resolve(path, true);
  if (!n) return Error{"cannot stat " + path + ": No such file or directory", Code::kNotFound};
  FileStat s;
  s.type = (*n)->kind == kDir ? FileStat::Type::kDirectory : (*n)->kind == kLink ? FileStat::Type::kSymlink : FileStat::Type::kRegular;
  s.size = (*n)->kind == kLink ? (*n)->target.size() : (*n)->data.size();
  s.mtime_ns = (*n)->mtime_ns;
  s.ino = (*n)->ino;
  s.dev = 1;
  return s;
}

Result<FileStat> MemEnv::lstat(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  auto it = w->dir->entries.find(w->name);
  if (it == w->dir->entries.end()) return Error{"cannot stat " + path + ": No such file or directory", Code::kNotFound};
  if (it->second->kind != kLink) return stat(path);
  FileStat s;
  s.type = FileStat::Type::kSymlink;
  s.size = it->second->target.size();
  s.ino = it->second->ino;
  s.dev = 1;
  return s;
}

Result<std::vector<std::string>> MemEnv::list_dir(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (auto s = check_alive(path); !s) return s.err();
  auto n = resolve(path, true);
  if (!n) return Error{"cannot read directory " + path + ": No such file or directory", Code::kNotFound};
  if ((*n)->kind != kDir) return Error{"cannot read directory " + path + ": Not a directory", Code::kIOError};
  std::vector<std::string> out;
  for (const auto& e : (*n)->entries) out.push_back(e.first);  // std::map: already in byte order
  return out;
}

Status MemEnv::make_dir(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  if (w->dir->entries.count(w->name)) return Error{"cannot create directory " + path + ": File exists", Code::kExists};
  if (auto s = mutate("mkdir", path); !s) return s;
  w->dir->entries[w->name] = new_node(kDir);
  return OkStatus();
}

Status MemEnv::remove_file(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  auto it = w->dir->entries.find(w->name);
  if (it == w->dir->entries.end()) return not_found("cannot remove", path);
  if (it->second->kind == kDir) return Error{"cannot remove " + path + ": Is a directory", Code::kIOError};
  if (auto s = mutate("unlink", path); !s) return s;
  w->dir->entries.erase(it);
  return OkStatus();
}

Status MemEnv::remove_dir(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  auto it = w->dir->entries.find(w->name);
  if (it == w->dir->entries.end()) return not_found("cannot remove", path);
  if (it->second->kind != kDir) return Error{"cannot remove " + path + ": Not a directory", Code::kIOError};
  if (!it->second->entries.empty()) return Error{"cannot remove " + path + ": Directory not empty", Code::kIOError};
  if (auto s = mutate("rmdir", path); !s) return s;
  w->dir->entries.erase(it);
  return OkStatus();
}

Status MemEnv::rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto a = parent_of(from);
  if (!a) return a.err();
  auto b = parent_of(to);
  if (!b) return b.err();
  auto it = a->dir->entries.find(a->name);
  if (it == a->dir->entries.end()) return not_found("cannot rename " + from + " to", to);
  Node* n = it->second;
  auto old = b->dir->entries.find(b->name);
  if (old != b->dir->entries.end() && old->second != n) {
    if ((old->second->kind == kDir) != (n->kind == kDir))
      return Error{"cannot rename " + from + " to " + to + ": type mismatch", Code::kIOError};
    if (old->second->kind == kDir && !old->second->entries.empty())
      return Error{"cannot rename " + from + " to " + to + ": Directory not empty", Code::kIOError};
  }
  if (auto s = mutate("rename", from); !s) return s;
  a->dir->entries.erase(a->name);
  b->dir->entries[b->name] = n;
  return OkStatus();
}

Status MemEnv::link(const std::string& from, const std::string& to) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto src = resolve(from, false);
  if (!src) return not_found("cannot link " + from + " to", to);
  if ((*src)->kind == kDir) return Error{"cannot link " + from + ": Is a directory", Code::kIOError};
  auto w = parent_of(to);
  if (!w) return w.err();
  if (w->dir->entries.count(w->name)) return Error{"cannot link " + from + " to " + to + ": File exists", Code::kExists};
  if (auto s = mutate("link", to); !s) return s;
  w->dir->entries[w->name] = *src;
  return OkStatus();
}

Status MemEnv::symlink(const std::string& target, const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto w = parent_of(path);
  if (!w) return w.err();
  if (w->dir->entries.count(w->name)) return Error{"cannot create link " + path + ": File exists", Code::kExists};
  if (auto s = mutate("symlink", path); !s) return s;
  Node* n = new_node(kLink);
  n->target = target;
  n->synced_data = n->data = target;
  w->dir->entries[w->name] = n;
  return OkStatus();
}

Status MemEnv::sync_dir(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto n = resolve(path, true);
  if (!n) return not_found("cannot open directory", path);
  if ((*n)->kind != kDir) return Error{"cannot fsync directory " + path + ": Not a directory", Code::kIOError};
  if (auto s = mutate("fsync-dir", path); !s) return s;
  (*n)->synced_entries = (*n)->entries;
  return OkStatus();
}

Status MemEnv::set_mtime(const std::string& path, std::int64_t mtime_ns) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto n = resolve(path, true);
  if (!n) return not_found("cannot set the time of", path);
  if (auto s = mutate("utimens", path); !s) return s;
  (*n)->mtime_ns = mtime_ns;
  return OkStatus();
}

Result<std::unique_ptr<FileLock>> MemEnv::lock(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  if (!resolve(path, true)) {
    auto f = open_write(path, WriteMode::kAppend);
    if (!f) return f.err();
  }
  std::string key;
  auto n = resolve(path, true, &key);
  if (!n) return n.err();
  if (!locks_.insert(key).second) return Error{"cannot lock " + path + ": Resource temporarily unavailable", Code::kBusy};
  return std::unique_ptr<FileLock>(new MemLock(this, key));
}

Result<std::string> MemEnv::real_path(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  std::string out;
  auto n = resolve(path, true, &out);
  if (!n) return Error{"cannot resolve " + path + ": No such file or directory", Code::kNotFound};
  return out;
}

// ---- crash model ----------------------------------------------------------------------------
void MemEnv::crash() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  for (auto& n : nodes_) {
    n->data = n->synced_data;
    n->entries = n->synced_entries;
  }
  locks_.clear();  // a lock dies with its process
}

void MemEnv::crash_at(long k) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  crash_at_ = k;
}
void MemEnv::fail_at(long k) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  fail_at_ = k;
}
void MemEnv::restart() {
  std::lock_guard<std::recursive_mutex> g(mu_);
  dead_ = false;
  crash_at_ = fail_at_ = -1;
}
void MemEnv::no_space(bool on) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  no_space_ = on;
}
long MemEnv::mutations() const {
  std::lock_guard<std::recursive_mutex> g(mu_);
  return mutations_;
}
bool MemEnv::crashed() const {
  std::lock_guard<std::recursive_mutex> g(mu_);
  return dead_;
}

}  // namespace dla
