#include "mpi/trace_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "base/names.h"

namespace dla::mpi {
namespace {

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

bool is_previous_trace(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string first;
  std::getline(f, first);
  return first.rfind("# dla-trace ", 0) == 0;
}

Error refuse(const std::string& path, const std::string& why) {
  return Error{"--trace " + escape_name(path) + ": " + why};
}

}  // namespace

Status check_trace_target(const std::string& path, const std::vector<FileInfo>& inputs, const std::string& checkpoint_dir) {
  if (path.empty() || path.back() == '/') return refuse(path, "not a file name");
  const std::string dir = parent_dir(path);
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode))
    return refuse(path, "directory " + escape_name(dir) + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0) return refuse(path, "directory " + escape_name(dir) + " is not writable");
  const std::string rdir = real_path(dir), rckpt = checkpoint_dir.empty() ? "" : real_path(checkpoint_dir);
  if (!rckpt.empty() && (rdir == rckpt || rdir.rfind(rckpt + "/", 0) == 0))
    return refuse(path, "inside the checkpoint directory " + escape_name(checkpoint_dir) + " (choose another place)");
  struct stat ts {};
  if (::stat(path.c_str(), &ts) != 0) return OkStatus();  // a new file
  for (const auto& f : inputs) {
    struct stat is {};
    if (::stat(f.path.c_str(), &is) == 0 && is.st_dev == ts.st_dev && is.st_ino == ts.st_ino)
      return refuse(path, "is the input file " + escape_name(f.name) + " (refusing to overwrite an input)");
  }
  if (!S_ISREG(ts.st_mode)) return refuse(path, "exists and is not a regular file");
  if (!is_previous_trace(path)) return refuse(path, "exists and is not a dla trace (refusing to overwrite it)");
  return OkStatus();
}

Status write_trace_file(const Trace& t, const std::string& path) {
  const std::string tmp = path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Error{"cannot write trace " + escape_name(tmp) + ": " + std::strerror(errno)};
    f << t.render();
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      return Error{"cannot write trace " + escape_name(tmp)};
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return Error{"cannot rename " + escape_name(tmp) + " to " + escape_name(path) + ": " + std::strerror(e)};
  }
  return OkStatus();
}

}  // namespace dla::mpi
