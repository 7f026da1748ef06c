#include "base/version.h"

#include <cstring>

#include <dla_version.h>  // generated in the build dir by cmake/dla_version.cmake

namespace dla {

const char* version() { return DLA_VERSION; }

std::string version_line(const std::string& program) { return program + " " + version(); }

bool wants_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--version") == 0) return true;
  }
  return false;
}

}  // namespace dla
