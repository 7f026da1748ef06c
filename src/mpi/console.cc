#include "mpi/console.h"

#include <cstdio>

#include "base/names.h"
#include "mpi/sim_hooks.h"

namespace dla::mpi {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string fmt_time(double s) {
  char buf[64];
  if (sim::simulated()) std::snprintf(buf, sizeof buf, "%.6fs (simulated)", s);
  else std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

std::string task_label(const std::vector<FileInfo>& files, const Task& t) {
  const FileInfo& f = files[static_cast<std::size_t>(t.file)];
  const std::string name = escape_name(f.name);
  if (t.range.offset == 0 && t.range.length == f.size) return name;
  return name + " [" + std::to_string(t.range.offset) + "+" + std::to_string(t.range.length) + "]";
}

}  // namespace dla::mpi
