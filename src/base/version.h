// The build's version, for every program's --version: `git describe --always --dirty` of the
// source tree at build time (the project version when built outside a git checkout). Pure: no I/O.
#pragma once
#include <string>

namespace dla {

// e.g. "5b07f30-dirty" or "0.1".
const char* version();
// "PROGRAM VERSION", the line --version prints.
std::string version_line(const std::string& program);
// Whether argv holds --version (before any "--"): programs answer it before anything else,
// MPI programs before MPI_Init, so it works without a launcher.
bool wants_version(int argc, char** argv);

}  // namespace dla
