#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "obs/trace_target.h"

namespace dla {

TEST_CASE("check_trace_target refuses inputs, checkpoints, foreign files and missing directories", "[trace]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/in"));
  REQUIRE(make_dirs(env, "/ck"));
  REQUIRE(make_dirs(env, "/out"));
  REQUIRE(write_file(env, "/in/a.log", "[INFO] x\n", WriteMode::kCreateExclusive, false));
  REQUIRE(write_file(env, "/out/notes.txt", "mine\n", WriteMode::kCreateExclusive, false));
  REQUIRE(write_file(env, "/out/old.trace", "# dla-trace 1 x\n", WriteMode::kCreateExclusive, false));
  REQUIRE(env.link("/in/a.log", "/out/alias"));
  const std::vector<FileInfo> inputs{{"/in/a.log", "a.log", 9, 0}};
  auto why = [&](const std::string& p) {
    auto s = check_trace_target(p, inputs, "/ck", env);
    return s ? std::string("ok") : s.error();
  };
  CHECK(why("/out/new.trace") == "ok");
  CHECK(why("/out/old.trace") == "ok");  // a previous trace may be replaced
  CHECK(why("/nodir/t.trace").find("does not exist") != std::string::npos);
  CHECK(why("/in/a.log").find("is the input file a.log") != std::string::npos);
  CHECK(why("/out/alias").find("is the input file a.log") != std::string::npos);  // same inode
  CHECK(why("/ck/t.trace").find("inside the checkpoint directory") != std::string::npos);
  CHECK(why("/out/notes.txt").find("not a dla trace") != std::string::npos);
  CHECK(why("/out").find("not a regular file") != std::string::npos);
  CHECK(*env.list_dir("/out") == std::vector<std::string>{"alias", "notes.txt", "old.trace"});  // no probe left
}

}  // namespace dla
