// Shared by the checkpoint tests (not part of the library): an input directory of small log files
// on any Env, and states over it.
#pragma once
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/env.h"
#include "ckpt/checkpoint.h"

namespace dla::testing {

inline Counts counts_of(std::uint64_t v) {
  Counts c;
  c = Counts{}; c[Level::Debug] = v; c[Level::Error] = 2 * v; c[Level::Info] = 3 * v; c[Level::Warn] = 4 * v;
  c.lines = 10 * v;
  return c;
}

// `names` (default node1.log..nodeN.log) in `dir` on `env`, written and made durable.
struct EnvInput {
  Env& env;
  std::string dir;
  std::vector<FileInfo> files;
  EnvInput(Env& e, std::string d, int n, std::vector<std::string> names = {}) : env(e), dir(std::move(d)) {
    REQUIRE(make_dirs(env, dir, /*sync=*/true).ok());
    for (int i = 1; i <= n; ++i) {
      const std::string name = i <= static_cast<int>(names.size()) ? names[i - 1] : "node" + std::to_string(i) + ".log";
      const std::string p = join_path(dir, name);
      REQUIRE(write_file(env, p, std::string(static_cast<std::size_t>(i) * 10, 'x') + "\n", WriteMode::kCreateExclusive, true).ok());
    }
    REQUIRE(env.sync_dir(dir).ok());
    refresh();
  }
  void refresh() {
    files.clear();
    auto names = env.list_dir(dir);
    REQUIRE(names.ok());
    for (const auto& n : *names) {
      auto st = env.stat(join_path(dir, n));
      REQUIRE(st.ok());
      files.push_back({join_path(dir, n), n, st->size, st->mtime_ns});
    }
  }
  // The first k files processed (file i gets counts_of(i)).
  CheckpointState state(int k, const std::string& ts = "2026-11-24T09:00:00") const {
    CheckpointState s;
    s.timestamp = ts;
    for (int i = 0; i < static_cast<int>(files.size()); ++i) {
      if (i >= k) {
        s.pending_files.push_back(files[i].name);
        continue;
      }
      CheckpointFile f{files[i].name, files[i].size, files[i].mtime_ns, counts_of(static_cast<std::uint64_t>(i + 1))};
      s.processed.push_back(f);
    }
    s.counts = sum_counts(s.processed);
    s.failed_workers = {2};
    s.consistency = "eventual";
    return s;
  }
};

inline bool same_progress(const CheckpointState& a, const CheckpointState& b) {
  return a.counts == b.counts && a.processed == b.processed && a.pending_files == b.pending_files && a.timestamp == b.timestamp;
}

}  // namespace dla::testing
