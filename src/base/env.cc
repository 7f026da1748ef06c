// The Env helpers: composed from the primitives only, so MemEnv checks them as they run for real.
#include <atomic>
#include <vector>

#include "base/env.h"

namespace dla {

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string parent_dir(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

Status Env::clone_file(const std::string& from, const std::string& to) {
  return Error{"cannot clone " + from + " to " + to + ": not supported by this Env", Code::kInvalid};
}

Result<std::string> read_file(Env& env, const std::string& path) {
  auto f = env.open_read(path);
  if (!f) return f.err();
  auto st = (*f)->stat();
  if (!st) return st.err();
  std::string out;
  std::size_t n = 0;
  if (st->regular() && st->size > 0) {
    // Sized by the open file and read at once: growing a string 64 KiB at a time copied a large
    // file over and over (0.17 s per 100 MB against 0.03 s).
    out.resize(static_cast<std::size_t>(st->size));
    while (n < out.size()) {
      auto got = (*f)->read_at(n, out.size() - n, &out[n]);
      if (!got) return got.err();
      if (*got == 0) break;  // shrank since the stat
      n += *got;
    }
    out.resize(n);
    if (n < static_cast<std::size_t>(st->size)) return out;
  }
  // The rest: a pipe or FIFO (no size), or a file that grew since the stat: in chunks until the end.
  std::vector<char> buf(1 << 16);
  for (;;) {
    auto got = st->regular() ? (*f)->read_at(n, buf.size(), buf.data()) : (*f)->read(buf.size(), buf.data());
    if (!got) return got.err();
    if (*got == 0) break;
    out.append(buf.data(), *got);
    n += *got;
  }
  return out;
}

Status write_file(Env& env, const std::string& path, std::string_view data, WriteMode mode, bool sync) {
  auto f = env.open_write(path, mode);
  if (!f) return f.err();
  Status s = (*f)->append(data);
  if (s && sync) s = (*f)->sync();
  Status c = (*f)->close();
  return s ? c : s;
}

Status write_file_atomic(Env& env, const std::string& path, std::string_view data) {
  static std::atomic<unsigned> counter{0};
  const std::string dir = parent_dir(path);
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  const std::string tmp = join_path(dir, "." + base + ".tmp-" + std::to_string(env.process_id()) + "-" +
                                             std::to_string(counter.fetch_add(1)));
  Status s = write_file(env, tmp, data, WriteMode::kCreateExclusive, /*sync=*/true);
  if (s) s = env.rename(tmp, path);
  if (!s) {
    env.remove_file(tmp);  // ours (created exclusively above); nothing else is ever removed
    return s;
  }
  return env.sync_dir(dir);
}

Status copy_file(Env& env, const std::string& from, const std::string& to) {
  auto in = env.open_read(from);
  if (!in) return in.err();
  auto st = (*in)->stat();
  if (!st) return st.err();
  auto out = env.open_write(to, WriteMode::kCreateExclusive);
  if (!out) return out.err();
  std::vector<char> buf(1 << 20);
  Status s = OkStatus();
  for (std::uint64_t at = 0;;) {
    auto n = (*in)->read_at(at, buf.size(), buf.data());
    if (!n) {
      s = n.err();
      break;
    }
    if (*n == 0) break;
    s = (*out)->append(std::string_view(buf.data(), *n));
    if (!s) break;
    at += *n;
  }
  if (s) s = (*out)->sync();
  Status c = (*out)->close();
  if (s) s = c;
  if (s) s = env.set_mtime(to, st->mtime_ns);  // keep mtime: a later checkpoint re-links this copy
  return s;
}

Status make_dirs(Env& env, const std::string& dir, bool sync) {
  if (dir.empty()) return OkStatus();
  std::string cur;
  std::size_t i = 0;
  if (dir[0] == '/') {
    cur = "/";
    i = 1;
  }
  while (i <= dir.size()) {
    std::size_t j = dir.find('/', i);
    if (j == std::string::npos) j = dir.size();
    const std::string part = dir.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    const std::string parent = cur.empty() ? "." : cur;
    cur = cur.empty() || cur == "/" ? cur + part : cur + "/" + part;
    auto st = env.stat(cur);
    if (st) {
      if (!st->directory()) return Error{"cannot create directory " + cur + ": exists and is not a directory", Code::kExists};
      continue;
    }
    Status s = env.make_dir(cur);
    if (!s && s.code() != Code::kExists) return s;
    if (s && sync) {
      Status d = env.sync_dir(parent);
      if (!d) return d;
    }
  }
  auto st = env.stat(dir);
  if (!st) return st.err();
  if (!st->directory()) return Error{"cannot create directory " + dir + ": exists and is not a directory", Code::kExists};
  return OkStatus();
}

Status remove_tree(Env& env, const std::string& path) {
  auto st = env.lstat(path);
  if (!st) return st.code() == Code::kNotFound ? OkStatus() : Status(st.err());
  if (!st->directory()) return env.remove_file(path);
  auto names = env.list_dir(path);
  if (!names) return names.err();
  for (const auto& n : *names) {
    Status s = remove_tree(env, join_path(path, n));
    if (!s) return s;
  }
  return env.remove_dir(path);
}

bool is_dir(Env& env, const std::string& path) {
  auto st = env.stat(path);
  return st && st->directory();
}

bool is_regular_file(Env& env, const std::string& path) {
  auto st = env.stat(path);
  return st && st->regular();
}

}  // namespace dla
