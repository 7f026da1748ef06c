#include "scan/loggen.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "base/env.h"

namespace dla {
namespace {

const char* const kLevels[] = {"INFO", "WARN", "ERROR", "DEBUG"};
const char* const kMessages[] = {"Connection established", "Request processed", "Database query executed",
                                 "Cache miss",             "Authentication failed", "Disk read failed",
                                 "Memory allocation error", "Network timeout"};


// ISO-8601 timestamp with microseconds, from a simulated clock (never the wall clock).
int format_ts(char* out, std::uint64_t us) {
  std::uint64_t secs = us / 1000000, frac = us % 1000000;
  // Base: 2025-10-29T00:00:00, then plain arithmetic within a 28-day window.
  std::uint64_t day = 29 + secs / 86400, s = secs % 86400;
  int month = 10;
  while (day > 31) {
    day -= 31;
    ++month;
  }
  return std::sprintf(out, "2025-%02d-%02" PRIu64 "T%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%06" PRIu64, month, day,
                      s / 3600, (s / 60) % 60, s % 60, frac);
}

}  // namespace

std::vector<std::uint64_t> gen_line_counts(const GenOptions& o) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(std::max(o.files, 0)));
  if (out.empty()) return out;
  std::vector<double> w(out.size());
  double sum = 0;
  for (std::size_t i = 0; i < w.size(); ++i) sum += w[i] = 1.0 / std::pow(static_cast<double>(i + 1), o.skew);
  const std::uint64_t total = o.lines * out.size();
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    out[i] = static_cast<std::uint64_t>(std::floor(static_cast<double>(total) * w[i] / sum));
    given += out[i];
  }
  for (std::size_t i = 0; given < total; i = (i + 1) % out.size(), ++given) ++out[i];
  return out;
}

Result<std::vector<std::string>> generate_logs(const std::string& dir, const GenOptions& o, Env& env) {
  if (o.files < 1) return Error{"--files must be at least 1"};
  if (auto s = make_dirs(env, dir); !s) return s.err();
  auto counts = gen_line_counts(o);
  std::vector<std::string> paths;
  std::vector<char> buf;
  buf.reserve(1 << 20);
  for (int i = 0; i < o.files; ++i) {
    std::string path = dir + "/" + o.prefix + std::to_string(i + 1) + ".log";
    auto f = env.open_write(path, WriteMode::kTruncate);
    if (!f) return f.err();
    SplitMix64 rng(o.seed * 1000003u + static_cast<std::uint64_t>(i));
    std::uint64_t us = static_cast<std::uint64_t>(i) * 1000;
    char line[256];
    for (std::uint64_t n = 0; n < counts[static_cast<std::size_t>(i)]; ++n) {
      us += 1 + rng.below(2000);
      char ts[64];
      format_ts(ts, us);
      const char* lvl = kLevels[rng.below(4)];
      const char* msg = kMessages[rng.below(8)];
      int len;
      if (!o.mixed) {
        len = std::snprintf(line, sizeof line, "[%s] [%s] %s\n", ts, lvl, msg);
      } else {
        switch (rng.below(10)) {
          case 0: len = std::snprintf(line, sizeof line, "[%s] %s\n", ts, msg); break;                       // no level
          case 1: len = std::snprintf(line, sizeof line, "[%s] [WARNING] %s\n", ts, msg); break;             // alias
          case 2: len = std::snprintf(line, sizeof line, "[%s] [%s] %s [ERROR]\n", ts, lvl, msg); break;     // 2nd token
          case 3: len = std::snprintf(line, sizeof line, "[%s] [%s] %s\r\n", ts, lvl, msg); break;           // CRLF
          case 4: len = std::snprintf(line, sizeof line, "[%s] [info] %s\n", ts, msg); break;                // wrong case
          case 5: len = std::snprintf(line, sizeof line, "\n"); break;                                        // blank
          default: len = std::snprintf(line, sizeof line, "[%s] [%s] %s\n", ts, lvl, msg);
        }
      }
      buf.insert(buf.end(), line, line + len);
      if (buf.size() > (1u << 20) - 256) {
        if (auto w = (*f)->append(std::string_view(buf.data(), buf.size())); !w) return w.err();
        buf.clear();
      }
    }
    if (auto w = (*f)->append(std::string_view(buf.data(), buf.size())); !w) return w.err();
    buf.clear();
    if (auto c = (*f)->close(); !c) return c.err();
    paths.push_back(path);
  }
  return paths;
}

}  // namespace dla
