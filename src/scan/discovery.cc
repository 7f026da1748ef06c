#include "scan/discovery.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <numeric>
#include <queue>
#include <sys/stat.h>

namespace dla {

Result<FileInfo> stat_file(const std::string& path, bool require_regular) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{"cannot stat " + path + ": " + std::strerror(errno)};
  if (require_regular && !S_ISREG(st.st_mode)) return Error{path + " is not a regular file"};
  FileInfo f;
  f.path = path;
  auto slash = path.find_last_of('/');
  f.name = slash == std::string::npos ? path : path.substr(slash + 1);
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return f;
}

Status make_dirs(const std::string& dir) {
  std::size_t i = 0;
  while (i <= dir.size()) {
    std::size_t j = dir.find('/', i);
    if (j == std::string::npos) j = dir.size();
    const std::string cur = dir.substr(0, j);
    i = j + 1;
    if (cur.empty()) continue;
    struct stat st {};
    if (::stat(cur.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Error{"path " + cur + " exists and is not a directory"};
      continue;
    }
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      return Error{"cannot create directory " + cur + ": " + std::strerror(errno)};
  }
  return OkStatus();
}

Result<std::vector<FileInfo>> discover_logs(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Error{"input directory " + dir + ": " + std::strerror(errno)};
  if (!S_ISDIR(st.st_mode)) return Error{"input " + dir + " is not a directory"};
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Error{"cannot read directory " + dir + ": " + std::strerror(errno)};
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".log") == 0) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::vector<FileInfo> out;
  for (const auto& n : names) {
    std::string p = prefix + "/" + n;
    struct stat fs {};
    if (::stat(p.c_str(), &fs) != 0) {
      // A dangling link or a file that vanished: keep it so the caller reports it as unreadable.
      FileInfo f;
      f.path = p;
      f.name = n;
      out.push_back(f);
      continue;
    }
    if (!S_ISREG(fs.st_mode)) continue;  // a directory called x.log is not a log file
    auto f = stat_file(p);
    if (f) out.push_back(*f);
  }
  if (out.empty()) return Error{"no .log files in " + dir};
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
