#include "base/trace.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace dla {

void Trace::add(TraceEvent e) {
  for (char& c : e.detail)
    if (c == '\n' || c == '\r') c = ' ';
  events_.push_back(std::move(e));
}

void Trace::add(double time, int rank, std::string event, int task, std::uint64_t bytes, std::string detail) {
  add(TraceEvent{time, rank, std::move(event), task, bytes, std::move(detail)});
}

void Trace::comment(std::string line) { comments_.push_back(std::move(line)); }

std::string format_trace_line(const TraceEvent& e) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.6f %d %s %d %llu", e.time, e.rank, e.event.c_str(), e.task,
                static_cast<unsigned long long>(e.bytes));
  std::string s = buf;
  if (!e.detail.empty()) s += " " + e.detail;
  return s;
}

std::string Trace::render() const {
  std::vector<const TraceEvent*> sorted;
  for (const auto& e : events_) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const TraceEvent* a, const TraceEvent* b) { return a->time < b->time; });
  std::string out;
  for (const auto& c : comments_) out += "# " + c + "\n";
  for (const auto* e : sorted) out += format_trace_line(*e) + "\n";
  return out;
}

Status Trace::write(const std::string& path, Env& env) const {
  auto s = write_file_atomic(env, path, render());
  if (!s) return Error{"cannot write trace " + path + ": " + s.error(), s.code()};
  return s;
}

Result<Trace> Trace::parse(const std::string& text) {
  Trace t;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    if (line[0] == '#') {
      t.comments_.push_back(line.size() > 2 ? line.substr(2) : "");
      continue;
    }
    std::istringstream ls(line);
    TraceEvent e;
    unsigned long long bytes = 0;
    if (!(ls >> e.time >> e.rank >> e.event >> e.task >> bytes))
      return Error{"trace line " + std::to_string(lineno) + " is malformed: " + line};
    e.bytes = bytes;
    std::getline(ls, e.detail);
    if (!e.detail.empty() && e.detail[0] == ' ') e.detail.erase(0, 1);
    t.events_.push_back(std::move(e));
  }
  return t;
}

Result<Trace> Trace::read(const std::string& path, Env& env) {
  auto text = read_file(env, path);
  if (!text) return Error{"cannot read trace " + path + ": " + text.error(), text.code()};
  return parse(*text);
}

}  // namespace dla
