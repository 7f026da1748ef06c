// What the distributed analyser prints: one flushed line at a time (under SMPI every rank shares
// stdout), times in the back-end's units, tasks by file name. Names are escaped (base/names.h).
#pragma once
#include <string>
#include <vector>

#include "scan/discovery.h"

namespace dla::mpi {

// One line on stdout, flushed.
void say(const std::string& line);
// Real seconds ("2.14s") or, in simulation, exact simulated seconds ("2.140000s (simulated)").
std::string fmt_time(double s);
// "name" for a whole file, "name [offset+length]" for a byte range.
std::string task_label(const std::vector<FileInfo>& files, const Task& t);

}  // namespace dla::mpi
