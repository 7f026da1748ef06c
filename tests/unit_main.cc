// The single Catch2 main for every src/*/*_test.cc.
// Randomised tests draw from generators seeded with a fixed constant plus Catch::rngSeed(), so a
// run is reproducible by default and any seed can be replayed: the seed is DLA_TEST_SEED (default
// 0) unless --rng-seed N is given, and it is printed first. Catch's --order rand uses it too.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const char* e = std::getenv("DLA_TEST_SEED")) {
    try {
      session.configData().rngSeed = static_cast<unsigned>(std::stoul(e));
    } catch (const std::exception&) {
      std::cerr << "error: DLA_TEST_SEED must be a non-negative integer, not '" << e << "'" << std::endl;
      return 1;
    }
  }
  if (int rc = session.applyCommandLine(argc, argv)) return rc;  // --rng-seed N wins over the env
  std::cout << "dla unit tests: seed " << session.configData().rngSeed
            << " (replay with DLA_TEST_SEED=N or --rng-seed N)" << std::endl;
  return session.run();
}
