// The single Catch2 main for every src/core/*_test.cc.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
