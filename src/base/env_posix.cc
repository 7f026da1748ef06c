// The POSIX Env: the one file in the pure layers that calls the operating system's file API
// (tools/check_layout allows it here and nowhere else).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/fs.h>  // FICLONE
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/env.h"

namespace dla {
namespace {

Code code_of(int e) {
  switch (e) {
    case ENOENT: return Code::kNotFound;
    case EEXIST: return Code::kExists;
    case EXDEV: return Code::kCrossDevice;
    case EWOULDBLOCK: return Code::kBusy;
    default: return Code::kIOError;
  }
}

Error os_error(const std::string& what, const std::string& path, int e) {
  return Error{what + " " + path + ": " + std::strerror(e), code_of(e)};
}

FileStat to_stat(const struct stat& st) {
  FileStat s;
  if (S_ISREG(st.st_mode)) s.type = FileStat::Type::kRegular;
  else if (S_ISDIR(st.st_mode)) s.type = FileStat::Type::kDirectory;
  else if (S_ISLNK(st.st_mode)) s.type = FileStat::Type::kSymlink;
  s.size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  s.dev = static_cast<std::uint64_t>(st.st_dev);
  s.ino = static_cast<std::uint64_t>(st.st_ino);
  s.links = static_cast<std::uint64_t>(st.st_nlink);
  return s;
}

class PosixReadFile final : public ReadFile {
 public:
  PosixReadFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadFile() override { ::close(fd_); }
  Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) override {
    std::size_t done = 0;
    while (done < n) {  // pread may return less than asked before the end: loop to the end or n
      const ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return os_error("cannot read", path_, errno);
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }
  Result<std::size_t> read(std::size_t n, char* dst) override {
    for (;;) {
      const ssize_t got = ::read(fd_, dst, n);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return os_error("cannot read", path_, errno);
      return static_cast<std::size_t>(got);
    }
  }
  Result<FileStat> stat() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return os_error("cannot stat", path_, errno);
    return to_stat(st);
  }

 private:
  int fd_;
  std::string path_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override { close(); }
  Status append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return os_error("cannot write", path_, errno);
      data.remove_prefix(static_cast<std::size_t>(w));
    }
    return OkStatus();
  }
  Status sync() override {
    if (::fsync(fd_) != 0) return os_error("cannot fsync", path_, errno);
    return OkStatus();
  }
  Status close() override {
    if (fd_ < 0) return OkStatus();
    const int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) return os_error("cannot close", path_, errno);
    return OkStatus();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixLock final : public FileLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}
  ~PosixLock() override { ::close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

Status ok_or(int r, const std::string& what, const std::string& path) {
  if (r != 0) return os_error(what, path, errno);
  return OkStatus();
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error("cannot open", path, errno);
    return std::unique_ptr<ReadFile>(new PosixReadFile(fd, path));
  }
  Result<std::unique_ptr<WritableFile>> open_write(const std::string& path, WriteMode mode) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (mode == WriteMode::kCreateExclusive) flags |= O_EXCL;
    if (mode == WriteMode::kTruncate) flags |= O_TRUNC;
    if (mode == WriteMode::kAppend) flags |= O_APPEND;
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return os_error("cannot create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }
  Result<FileStat> stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return os_error("cannot stat", path, errno);
    return to_stat(st);
  }
  Result<FileStat> lstat(const std::string& path) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return os_error("cannot stat", path, errno);
    return to_stat(st);
  }
  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (!d) return os_error("cannot read directory", path, errno);
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }
  Status make_dir(const std::string& path) override {
    return ok_or(::mkdir(path.c_str(), 0755), "cannot create directory", path);
  }
  Status remove_file(const std::string& path) override { return ok_or(::unlink(path.c_str()), "cannot remove", path); }
  Status remove_dir(const std::string& path) override { return ok_or(::rmdir(path.c_str()), "cannot remove", path); }
  Status rename(const std::string& from, const std::string& to) override {
    return ok_or(::rename(from.c_str(), to.c_str()), "cannot rename " + from + " to", to);
  }
  Status link(const std::string& from, const std::string& to) override {
    return ok_or(::link(from.c_str(), to.c_str()), "cannot link " + from + " to", to);
  }
  Status clone_file(const std::string& from, const std::string& to) override {
#ifdef FICLONE
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return os_error("cannot open", from, errno);
    struct stat st {};
    if (::fstat(in, &st) != 0) {
      const int e = errno;
      ::close(in);
      return os_error("cannot stat", from, e);
    }
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      const int e = errno;
      ::close(in);
      return os_error("cannot create", to, e);
    }
    int e = 0;
    if (::ioctl(out, FICLONE, in) != 0) e = errno;
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    if (e == 0 && ::futimens(out, ts) != 0) e = errno;
    if (e == 0 && ::fsync(out) != 0) e = errno;
    ::close(out);
    ::close(in);
    if (e == 0) return OkStatus();
    ::unlink(to.c_str());  // created exclusively above: ours
    Error err = os_error("cannot clone " + from + " to", to, e);
    if (e == EOPNOTSUPP || e == ENOTTY || e == EINVAL || e == EXDEV || e == EPERM) err.code = Code::kInvalid;
    return err;
#else
    return Env::clone_file(from, to);
#endif
  }
  Status symlink(const std::string& target, const std::string& path) override {
    return ok_or(::symlink(target.c_str(), path.c_str()), "cannot create link", path);
  }
  Status sync_dir(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_error("cannot open directory", path, errno);
    const int r = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    if (r != 0) return os_error("cannot fsync directory", path, e);
    return OkStatus();
  }
  Status set_mtime(const std::string& path, std::int64_t mtime_ns) override {
    struct timespec ts[2];
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = static_cast<time_t>(mtime_ns / 1000000000LL);
    ts[1].tv_nsec = static_cast<long>(mtime_ns % 1000000000LL);
    return ok_or(::utimensat(AT_FDCWD, path.c_str(), ts, 0), "cannot set the time of", path);
  }
  Result<std::unique_ptr<FileLock>> lock(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return os_error("cannot open", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      ::close(fd);
      return os_error("cannot lock", path, e);
    }
    return std::unique_ptr<FileLock>(new PosixLock(fd));
  }
  Result<std::string> real_path(const std::string& path) override {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return os_error("cannot resolve", path, errno);
    return std::string(buf);
  }
  std::uint64_t process_id() override { return static_cast<std::uint64_t>(::getpid()); }
};

}  // namespace

Env* Env::posix() {
  static PosixEnv* env = new PosixEnv;  // never destroyed: usable from static destructors too
  return env;
}

}  // namespace dla
