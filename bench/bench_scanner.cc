// bench_scanner: single-core throughput of the level scanner, against baselines measured in the
// same run on the same bytes.
//
//   bench_scanner [--gb G] [--quick] [--dir DIR] [--mixed] [--reps N]
//
// Generates about G GB of assignment-format logs (core/loggen) into DIR (default: a fresh temp
// dir that is deleted at the end; a DIR given by the caller is kept so that a script can run awk
// on the same files, see run_scanner_bench.sh), loads them into one buffer and times, best of N:
//   memchr      a memchr('\n') pass that only counts lines (the floor for any line scanner)
//   scalar      detail::scan_buffer_scalar, the reference implementation
//   <impl>      scan_buffer with every implementation this CPU has (portable, sse2, avx2, avx512)
//   scan_buffer scan_buffer as the program uses it (best implementation)
//   file-mmap   the files memory-mapped here and passed whole to scan_buffer (page cache warm):
//               kept only as a yardstick; scan_file no longer maps (a truncated mapped file is SIGBUS)
//   scan_file   scan_file over the files, read through the Env into a reused buffer
// Variants run round-robin, best of N each (wall and thread-CPU time are both shown: the CPU
// figure is less disturbed by other processes). Prints GB/s per core and ratios; exits 1 if any variant disagrees on the counts.
// Machine-readable lines start with "BENCH " (used by run_scanner_bench.sh).
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <string>
#include <fcntl.h>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "scan/loggen.h"
#include "scan/scanner.h"

namespace po = boost::program_options;

namespace {

// The whole file mapped and scanned in one call: the yardstick for scan_file's read path.
std::optional<dla::Counts> mapped_counts(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return st.st_size == 0 ? std::optional<dla::Counts>(dla::Counts{}) : std::nullopt;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return std::nullopt;
  ::madvise(map, size, MADV_SEQUENTIAL);
  const dla::Counts c = dla::scan_buffer(static_cast<const char*>(map), size);
  ::munmap(map, size);
  return c;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_s() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Row {
  std::string name;
  std::function<dla::Counts()> run;
  double secs = 1e300;  // best wall time
  double cpu = 1e300;   // best thread CPU time (less disturbed by other processes on the machine)
  dla::Counts counts;
};

// Round-robin over the variants, `reps` times, keeping each one's best: a burst of load from
// other processes then hits all variants alike instead of one.
void measure_all(std::vector<Row>& rows, int reps) {
  for (int i = 0; i < reps; ++i) {
    for (auto& r : rows) {
      const double t0 = now_s(), c0 = cpu_s();
      r.counts = r.run();
      r.cpu = std::min(r.cpu, cpu_s() - c0);
      r.secs = std::min(r.secs, now_s() - t0);
    }
  }
}

std::string counts_text(const dla::Counts& c) {
  char b[200];
  std::snprintf(b, sizeof b, "DEBUG=%llu ERROR=%llu INFO=%llu WARN=%llu lines=%llu",
                static_cast<unsigned long long>(c[dla::Level::Debug]), static_cast<unsigned long long>(c[dla::Level::Error]),
                static_cast<unsigned long long>(c[dla::Level::Info]), static_cast<unsigned long long>(c[dla::Level::Warn]),
                static_cast<unsigned long long>(c.lines));
  return b;
}

bool read_whole(const std::string& path, std::string& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  double gb = 1.0;
  bool quick = false, mixed = false;
  int reps = 3;
  std::string dir;
  po::options_description desc("Usage: bench_scanner [options]\nOptions");
  desc.add_options()("help,h", "show this help")("gb", po::value(&gb)->default_value(gb), "data size in GB (1e9 bytes)")(
      "quick", po::bool_switch(&quick), "0.1 GB, 1 repetition (a smoke run)")(
      "dir", po::value(&dir), "generate into DIR and keep it (default: temp dir, deleted)")(
      "mixed", po::bool_switch(&mixed), "generator's mixed lines (no level, [WARNING], CRLF, ...)")(
      "reps", po::value(&reps)->default_value(reps), "repetitions per variant (best is kept)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << " (see --help)" << std::endl;
    return 1;
  }
  if (vm.count("help")) {
    std::cout << desc << std::endl;
    return 0;
  }
  if (quick) {
    if (vm["gb"].defaulted()) gb = 0.1;
    if (vm["reps"].defaulted()) reps = 1;
  }
  if (!(gb > 0) || gb > 64 || reps < 1) {
    std::cerr << "error: --gb must be in (0, 64] and --reps >= 1" << std::endl;
    return 1;
  }

  bool own_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/tmp/dla_bench_scanner.XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::cerr << "error: cannot create a temp dir: " << std::strerror(errno) << std::endl;
      return 1;
    }
    dir = tmpl;
    own_dir = true;
  }
  dla::GenOptions g;
  g.files = 8;
  g.mixed = mixed;
  g.seed = 7;
  const double line_bytes = 56.5;  // average line of the generator, assignment format
  g.lines = static_cast<std::uint64_t>(gb * 1e9 / line_bytes / g.files) + 1;
  std::cout << "generating ~" << gb << " GB (" << g.files << " files x " << g.lines << " lines) in " << dir
            << std::endl;
  const double tg = now_s();
  auto paths = dla::generate_logs(dir, g);
  if (!paths) {
    std::cerr << "error: " << paths.error() << std::endl;
    return 1;
  }
  std::string data;
  for (const auto& p : *paths) {
    if (!read_whole(p, data)) {
      std::cerr << "error: cannot read " << p << std::endl;
      return 1;
    }
  }
  const double bytes = static_cast<double>(data.size());
  std::cout << "generated and loaded " << data.size() << " bytes in " << (now_s() - tg) << " s" << std::endl;

  std::vector<Row> rows;
  auto add = [&](const std::string& name, std::function<dla::Counts()> f) {
    Row r;
    r.name = name;
    r.run = std::move(f);
    rows.push_back(std::move(r));
  };
  add("memchr", [&] {
    dla::Counts c;
    const char* p = data.data();
    const char* end = p + data.size();
    while (p < end) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      ++c.lines;
      if (!nl) break;
      p = static_cast<const char*>(nl) + 1;
    }
    return c;
  });
  add("scalar", [&] { return dla::detail::scan_buffer_scalar(data.data(), data.size()); });
  for (auto impl : dla::detail::available_impls()) {
    if (impl == dla::detail::ScanImpl::kScalar) continue;
    add(dla::detail::impl_name(impl), [&, impl] { return dla::detail::scan_buffer_with(impl, data.data(), data.size()); });
  }
  add("scan_buffer", [&] { return dla::scan_buffer(data.data(), data.size()); });
  bool io_ok = true;
  auto files_scanned = [&] {
    dla::Counts c;
    for (const auto& p : *paths) {
      auto r = dla::scan_file(p);
      if (!r) {
        std::cerr << "error: " << r.error() << std::endl;
        io_ok = false;
      } else {
        c += *r;
      }
    }
    return c;
  };
  add("file-mmap", [&] {
    dla::Counts c;
    for (const auto& p : *paths) {
      auto r = mapped_counts(p);
      if (!r) io_ok = false;
      else c += *r;
    }
    return c;
  });
  add("scan_file", files_scanned);
  measure_all(rows, reps);

  const Row& ref = rows[1];  // scalar
  const double memchr_gbps = bytes / rows[0].secs / 1e9;
  bool agree = io_ok;
  std::printf("\n%-12s %9s %9s %10s %10s %9s  %s\n", "variant", "seconds", "GB/s", "vs memchr", "vs scalar",
              "cpu GB/s", "counts");
  for (const auto& r : rows) {
    const double gbps = bytes / r.secs / 1e9;
    const bool same = r.name == "memchr" ? r.counts.lines == ref.counts.lines : r.counts == ref.counts;
    agree = agree && same;
    const std::string what = r.name == "memchr" ? "lines=" + std::to_string(r.counts.lines) : counts_text(r.counts);
    std::printf("%-12s %9.4f %9.2f %10.2f %10.2f %9.2f  %s%s\n", r.name.c_str(), r.secs, gbps, gbps / memchr_gbps,
                gbps / (bytes / ref.secs / 1e9), bytes / r.cpu / 1e9, what.c_str(), same ? "" : "   <-- MISMATCH");
  }
  std::printf("\nbest implementation: %s\n", dla::detail::impl_name(dla::detail::best_impl()));
  std::printf("BENCH bytes %.0f\n", bytes);
  for (const auto& r : rows) std::printf("BENCH time %s %.6f %.6f\n", r.name.c_str(), r.secs, r.cpu);
  std::printf("BENCH counts %llu %llu %llu %llu %llu\n", static_cast<unsigned long long>(ref.counts[dla::Level::Debug]),
              static_cast<unsigned long long>(ref.counts[dla::Level::Error]), static_cast<unsigned long long>(ref.counts[dla::Level::Info]),
              static_cast<unsigned long long>(ref.counts[dla::Level::Warn]), static_cast<unsigned long long>(ref.counts.lines));
  std::fflush(stdout);
  if (own_dir) {
    for (const auto& p : *paths) ::unlink(p.c_str());
    ::rmdir(dir.c_str());
  }
  if (!agree) {
    std::cerr << "error: the variants disagree on the counts" << std::endl;
    return 1;
  }
  return 0;
}
