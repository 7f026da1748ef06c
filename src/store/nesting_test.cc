// check_store_nesting: ROOT and DIR never nest, compared resolved (links too), a ROOT that does not
// exist yet through its existing ancestor; a DIR that is or lies in any store (marker) is refused.
#include <catch2/catch.hpp>

#include "base/mem_env.h"
#include "store/local_store.h"
#include "store/nesting.h"

namespace dla {

TEST_CASE("check_store_nesting: ROOT and DIR must not contain each other or be a store", "[store]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/data/logs/sub", true));
  REQUIRE(make_dirs(env, "/data/stores", true));
  REQUIRE(write_file(env, "/data/logs/a.log", "[t] [INFO] x\n", WriteMode::kTruncate, false));
  REQUIRE(env.symlink("/data/logs", "/link-to-logs"));

  SECTION("apart: fine, whether ROOT exists or not") {
    CHECK(check_store_nesting(env, "/data/stores/st", "/data/logs").ok());
    CHECK(check_store_nesting(env, "/data/stores", "/data/logs/").ok());
    CHECK(check_store_nesting(env, "/elsewhere/new/st", "/data/logs").ok());
    CHECK(check_store_nesting(env, "/data/logs-store", "/data/logs").ok());  // a shared prefix is not nesting
  }
  SECTION("ROOT inside DIR (directly, below a missing dir, through a link, DIR itself)") {
    for (const char* root : {"/data/logs/st", "/data/logs/sub/new/st", "/link-to-logs/st", "/data/logs/sub/../st",
                             "/data/logs", "/link-to-logs/"}) {
      INFO(root);
      auto st = check_store_nesting(env, root, "/data/logs");
      REQUIRE_FALSE(st.ok());
      CHECK(st.code() == Code::kInvalid);
      CHECK(st.error().find("outside DIR") != std::string::npos);
    }
  }
  SECTION("DIR inside ROOT") {
    auto st = check_store_nesting(env, "/data", "/data/logs");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().find("is inside --store") != std::string::npos);
    CHECK_FALSE(check_store_nesting(env, "/", "/link-to-logs/sub").ok());
  }
  SECTION("DIR is a store, or inside one (a rank dir)") {
    REQUIRE(make_dirs(env, "/old/h/1", true));
    REQUIRE(write_file(env, "/old/.dla-store", "dla store root\n", WriteMode::kTruncate, false));
    REQUIRE(write_file(env, "/old/h/1/.dla-store", "", WriteMode::kTruncate, false));
    auto is = check_store_nesting(env, "/data/stores/st", "/old");
    REQUIRE_FALSE(is.ok());
    CHECK(is.error() == "the input DIR /old is a dla store (/old holds .dla-store): ingest the original logs, not a store");
    auto in = check_store_nesting(env, "/data/stores/st", "/old/h");
    REQUIRE_FALSE(in.ok());
    CHECK(in.error().find("is inside a dla store (/old holds") != std::string::npos);
    CHECK_FALSE(check_store_nesting(env, "/data/stores/st", "/old/h/1").ok());
  }
  SECTION("a missing DIR is its own error") {
    auto st = check_store_nesting(env, "/data/stores/st", "/nope");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == Code::kNotFound);
  }
}

TEST_CASE("resolve_maybe_missing: the existing part resolved, the rest appended", "[store]") {
  MemEnv env;
  REQUIRE(make_dirs(env, "/a/b", true));
  REQUIRE(env.symlink("/a/b", "/l"));
  CHECK(*resolve_maybe_missing(env, "/l/x/y") == "/a/b/x/y");
  CHECK(*resolve_maybe_missing(env, "/l/") == "/a/b");
  CHECK(*resolve_maybe_missing(env, "/a/b/../b/z") == "/a/b/z");
  CHECK_FALSE(resolve_maybe_missing(env, "/missing/..").ok());
}

}  // namespace dla
