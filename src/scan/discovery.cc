#include "scan/discovery.h"

#include <algorithm>
#include <numeric>
#include <queue>

#include "base/names.h"

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

Result<std::vector<FileInfo>> discover_logs(const std::string& dir, Env& env) {
  auto st = env.stat(dir);
  if (!st) return Error{"input directory " + escape_name(dir) + ": " + reason_of(st.error(), dir), st.code()};
  if (!st->directory()) return Error{"input " + escape_name(dir) + " is not a directory"};
  auto names = env.list_dir(dir);  // sorted by byte order
  if (!names) return escape_name_in(names.err(), dir);
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::vector<FileInfo> out;
  for (const auto& n : *names) {
    if (n.size() <= 4 || n.compare(n.size() - 4, 4, ".log") != 0) continue;
    const std::string p = prefix + "/" + n;
    auto fs = env.stat(p);
    if (!fs) {
      // A dangling link or a file that vanished: keep it so the caller reports it as unreadable.
      out.push_back(info_of(p, FileStat{}));
      continue;
    }
    if (!fs->regular()) continue;  // a directory called x.log is not a log file
    out.push_back(info_of(p, *fs));
  }
  if (out.empty()) return Error{"no .log files in " + escape_name(dir)};
  return out;
}

std::vector<Task> make_tasks(const std::vector<FileInfo>& files, std::uint64_t split_bytes) {
  std::vector<Task> tasks;
  for (int i = 0; i < static_cast<int>(files.size()); ++i) {
    std::uint64_t size = files[i].size;
    std::uint64_t parts = 1;
    if (split_bytes > 0 && size > split_bytes) parts = (size + split_bytes - 1) / split_bytes;
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
