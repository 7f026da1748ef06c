// Errors as values (LevelDB's Status): functions that can fail return a Result<T>. The message is
// one line meant for the user, naming the file or value at fault; the code is for the caller, so
// that "no such file" and "permission denied" are not the same branch.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace dla {

enum class Code {
  kInvalid,      // bad input or argument (the default: most errors are about what the user gave)
  kNotFound,     // ENOENT
  kExists,       // EEXIST
  kCrossDevice,  // EXDEV: a hard link across file systems
  kIOError,      // any other operating-system failure
  kCorruption,   // data that does not parse or does not add up
  kBusy,         // a lock held by someone else
};

struct Error {
  std::string message;
  Code code = Code::kInvalid;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const std::string& error() const { return std::get<1>(v_).message; }
  Code code() const { return std::get<1>(v_).code; }
  const Error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> stand-in.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace dla
