// Helpers for the unit tests only (no program includes this): a scratch directory on the real
// disk, made and removed through the Env like every other file in the project.
#pragma once
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "base/env.h"

namespace dla::test {

// A fresh, empty directory under $TMPDIR (else /tmp), removed with everything in it when the
// TempDir goes out of scope. `tag` names the test in the directory's name.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "dla-test") {
    static std::atomic<unsigned> counter{0};
    const char* tmp = std::getenv("TMPDIR");
    const std::string root = tmp && *tmp ? tmp : "/tmp";
    Env& env = *Env::posix();
    for (int attempt = 0; attempt < 1000; ++attempt) {
      path = join_path(root, tag + "-" + std::to_string(env.process_id()) + "-" + std::to_string(counter.fetch_add(1)));
      Status s = env.make_dir(path);
      if (s) return;
      if (s.code() != Code::kExists) throw std::runtime_error("TempDir: " + s.error());
    }
    throw std::runtime_error("TempDir: no free name under " + root);
  }
  ~TempDir() { remove_tree(*Env::posix(), path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `name` inside the directory (replacing it) and returns its path.
  std::string file(const std::string& name, const std::string& content = "") const {
    const std::string p = join_path(path, name);
    Status s = write_file(*Env::posix(), p, content, WriteMode::kTruncate, /*sync=*/false);
    if (!s) throw std::runtime_error("TempDir: " + s.error());
    return p;
  }

  std::string path;
};

}  // namespace dla::test
