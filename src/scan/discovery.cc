#include "scan/discovery.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <set>

#include "base/names.h"
#include "scan/gzip_file.h"

namespace dla {

namespace {

FileInfo info_of(const std::string& path, const FileStat& st) {
  FileInfo f;
  f.path = path;
  auto slash = path.find_last_of('/');
  f.name = slash == std::string::npos ? path : path.substr(slash + 1);
  f.size = st.size;
  f.mtime_ns = st.mtime_ns;
  return f;
}

// "cannot stat DIR: No such file or directory" -> "No such file or directory"
std::string reason_of(const std::string& message, const std::string& path) {
  const auto at = message.find(path + ": ");
  return at == std::string::npos ? message : message.substr(at + path.size() + 2);
}

}  // namespace

// Messages name files through escape_name: a name holding a newline cannot forge an output line.
Result<FileInfo> stat_file(const std::string& path, bool require_regular, Env& env) {
  auto st = env.stat(path);
  if (!st) return escape_name_in(st.err(), path);
  if (require_regular && !st->regular()) return Error{escape_name(path) + " is not a regular file"};
  return info_of(path, *st);
}

Status make_dirs(const std::string& dir) { return make_dirs(*Env::posix(), dir); }

namespace {

// One '[...]' set at p (just after '['): whether c is in it; p moves past ']'. false with p
// unchanged when the set has no ']'.
bool match_set(std::string_view pat, std::size_t& p, char c, bool& closed) {
  std::size_t i = p;
  const bool negate = i < pat.size() && (pat[i] == '!' || pat[i] == '^');
  if (negate) ++i;
  bool in = false, first = true;
  for (; i < pat.size() && (first || pat[i] != ']'); first = false) {
    char lo = pat[i];
    if (lo == '\\' && i + 1 < pat.size()) lo = pat[++i];
    char hi = lo;
    if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
      hi = pat[i + 2];
      i += 2;
    }
    in |= static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
          static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi);
    ++i;
  }
  closed = i < pat.size();
  if (closed) p = i + 1;
  return in != negate;
}

// Matches one file in `dir` (path p, name n, relative name rel) against the options.
void consider(Env& env, const std::string& p, const std::string& n, const std::string& rel, const DiscoverOptions& opt,
              std::vector<FileInfo>& out, std::vector<std::string>& subdirs) {
  auto fs = env.stat(p);
  if (!fs) {
    // A dangling link or a file that vanished: keep it so the caller reports it as unreadable.
    if (glob_match(opt.pattern, n)) out.push_back(info_of(p, FileStat{}));
    if (!out.empty() && out.back().path == p) out.back().name = rel;
    return;
  }
  if (fs->directory()) {
    if (opt.recursive) subdirs.push_back(n);
    return;  // a directory called x.log is not a log file
  }
  if (!fs->regular() || !glob_match(opt.pattern, n)) return;
  out.push_back(info_of(p, *fs));
  out.back().name = rel;
}

struct Walk {
  Env& env;
  const DiscoverOptions& opt;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;  // (dev, ino) of directories read
  std::vector<FileInfo> out;

  Status dir(const std::string& path, const std::string& rel, int depth) {
    auto names = env.list_dir(path);  // sorted by byte order
    if (!names) return escape_name_in(names.err(), path);
    std::vector<std::string> subdirs;
    for (const auto& n : *names) consider(env, path + "/" + n, n, rel.empty() ? n : rel + "/" + n, opt, out, subdirs);
    for (const auto& n : subdirs) {
      const std::string p = path + "/" + n;
      auto st = env.stat(p);
      if (!st || depth >= 256 || !seen.insert({st->dev, st->ino}).second) continue;  // read already: a loop
      Status s = dir(p, rel.empty() ? n : rel + "/" + n, depth + 1);
      if (!s.ok()) return s;
    }
    return OkStatus();
  }
};

}  // namespace

bool glob_match(std::string_view pat, std::string_view name) {
  std::size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = ++p;
      star_n = n;
      continue;
    }
    if (p < pat.size()) {
      std::size_t q = p + 1;
      bool ok = false, closed = true;
      if (pat[p] == '?') ok = true;
      else if (pat[p] == '[') ok = match_set(pat, q, name[n], closed);
      if (!closed || (pat[p] != '?' && pat[p] != '[')) {  // a literal (or an unclosed '[')
        q = p + 1;
        char lit = pat[p];
        if (lit == '\\' && q < pat.size()) lit = pat[q++];
        ok = lit == name[n];
      }
      if (ok) {
        p = q;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;  // backtrack: the last '*' takes one more
    p = star_p;
    n = ++star_n;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

Result<std::vector<FileInfo>> discover_logs(const std::string& dir, Env& env) {
  return discover_logs(dir, DiscoverOptions{}, env);
}

Result<std::vector<FileInfo>> discover_logs(const std::string& dir, const DiscoverOptions& opt, Env& env) {
  auto st = env.stat(dir);
  if (!st) return Error{"input directory " + escape_name(dir) + ": " + reason_of(st.error(), dir), st.code()};
  if (!st->directory()) return Error{"input " + escape_name(dir) + " is not a directory"};
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  Walk w{env, opt, {{st->dev, st->ino}}, {}};
  Status s = w.dir(prefix, "", 0);
  if (!s.ok()) return s.err();
  if (w.out.empty()) {
    if (opt.pattern == DiscoverOptions{}.pattern) return Error{"no .log files in " + escape_name(dir)};
    return Error{"no files matching '" + escape_name(opt.pattern) + "' in " + escape_name(dir)};
  }
  std::sort(w.out.begin(), w.out.end(), [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  return std::move(w.out);
}

std::vector<Task> make_tasks(const std::vector<FileInfo>& files, std::uint64_t split_bytes) {
  std::vector<Task> tasks;
  for (int i = 0; i < static_cast<int>(files.size()); ++i) {
    std::uint64_t size = files[i].size;
    std::uint64_t parts = 1;
    if (split_bytes > 0 && size > split_bytes && !is_gzip_name(files[i].path)) parts = (size + split_bytes - 1) / split_bytes;
    std::uint64_t off = 0;
    for (std::uint64_t k = 0; k < parts; ++k) {
      std::uint64_t end = size * (k + 1) / parts;
      Task t;
      t.id = static_cast<int>(tasks.size());
      t.file = i;
      t.range.offset = off;
      t.range.length = end - off;
      tasks.push_back(t);
      off = end;
    }
  }
  return tasks;
}

std::vector<std::vector<int>> partition_lpt(const std::vector<std::uint64_t>& weights, int bins) {
  std::vector<std::vector<int>> out(static_cast<std::size_t>(std::max(bins, 1)));
  std::vector<int> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weights[a] > weights[b]; });
  // (load, bin) min-heap: lightest bin first, lowest index on ties.
  using Slot = std::pair<std::uint64_t, int>;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> heap;
  for (int b = 0; b < static_cast<int>(out.size()); ++b) heap.push({0, b});
  for (int i : order) {
    auto [load, b] = heap.top();
    heap.pop();
    out[b].push_back(i);
    heap.push({load + weights[i], b});
  }
  for (auto& v : out) std::sort(v.begin(), v.end());
  return out;
}

}  // namespace dla
