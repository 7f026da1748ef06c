// testbed/runner.h through MemEnv: run directories and goldens (the runs themselves are covered by
// the scen_* integration tests, which need smpirun).
#include "testbed/runner.h"

#include <catch2/catch.hpp>

#include "base/mem_env.h"

namespace dla::scen {

TEST_CASE("claim_run_dir: only an empty directory or one of ours is claimed", "[testbed][runner]") {
  MemEnv env;
  REQUIRE(claim_run_dir("/runs/a", env).ok());  // made, with our marker
  CHECK(is_regular_file(env, std::string("/runs/a/") + kRunMarker));
  REQUIRE(write_file(env, "/runs/a/stdout.txt", "x", WriteMode::kTruncate, false).ok());
  CHECK(claim_run_dir("/runs/a", env).ok());  // ours: claimed again
  REQUIRE(make_dirs(env, "/runs/empty").ok());
  CHECK(claim_run_dir("/runs/empty", env).ok());
  REQUIRE(make_dirs(env, "/runs/user").ok());
  REQUIRE(write_file(env, "/runs/user/notes.txt", "precious", WriteMode::kTruncate, false).ok());
  auto st = claim_run_dir("/runs/user", env);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("was not made by dla-scenario") != std::string::npos);
  CHECK(*read_file(env, "/runs/user/notes.txt") == "precious");
  REQUIRE(env.symlink("/runs/user", "/runs/link").ok());
  CHECK(claim_run_dir("/runs/link", env).error().find("symbolic link") != std::string::npos);
  REQUIRE(write_file(env, "/runs/file", "", WriteMode::kTruncate, false).ok());
  CHECK(claim_run_dir("/runs/file", env).error().find("not a directory") != std::string::npos);
}

TEST_CASE("goldens: missing, matching, differing, updated", "[testbed][runner]") {
  MemEnv env;
  RunResult r;
  r.run_dir = "/runs/s";
  r.trace_text = "0 1 start\n";
  r.out_text = "RESULT OK\n";
  auto p = compare_with_goldens("/repo", "s", r, env);
  REQUIRE(p.size() == 1);
  CHECK(p[0] == "no golden /repo/traces/s.trace (run with --update-golden to create it)");
  REQUIRE(update_goldens("/repo", "s", r, env).ok());
  CHECK(compare_with_goldens("/repo", "s", r, env).empty());
  RunResult other = r;
  other.out_text = "RESULT INCOMPLETE\n";
  p = compare_with_goldens("/repo", "s", other, env);
  REQUIRE(p.size() == 1);
  CHECK(p[0].rfind("output differs from golden /repo/traces/s.out: line 1", 0) == 0);
  CHECK(compare_repeat(r, other, 2).size() == 1);
  CHECK(compare_repeat(r, r, 2).empty());
}

TEST_CASE("shell_quote quotes only what a shell would read specially", "[testbed][runner]") {
  CHECK(shell_quote({"smpirun", "-np", "4", "a b", "x;y"}) == "smpirun -np 4 'a b' 'x;y'");
}

}  // namespace dla::scen
