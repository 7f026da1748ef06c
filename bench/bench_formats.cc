// bench_formats: single-core throughput of the real-format scanners (detection + header parsers)
// and of .gz reading, against baselines measured in the same run on the same bytes.
//
//   bench_formats --samples DIR [--mb M] [--dir OUT] [--reps N]
//
// Builds a set of about M MB (default 600) by repeating each *.log sample of DIR (e.g.
// tests/data/loghub) into OUT/<name>.log (equal shares), gzips the largest leveled one into
// OUT/<name>.log.gz (zlib level 6, as gzip's default; OUT is left for the caller to remove), then times, best of N, thread CPU time:
//   memchr        a memchr('\n') pass over the set in memory (the floor of any line scanner)
//   parse         count_lines with each file's detected format, in memory (the parsers alone)
//   scan_file     scan_file with auto-detection over the files (what the analysers run)
//   inflate       zlib inflate of the .gz into a reused buffer, nothing else (zlib's own speed)
//   scan_file.gz  scan_file on the .gz (inflate + detection + parse)
// GB/s are per core over the uncompressed bytes. Prints the per-format figures too.
// Machine-readable lines start with "BENCH " (run_scanner_bench.sh adds `zcat` to the same table).
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <zlib.h>

#include "base/env.h"
#include "scan/scanner.h"

namespace po = boost::program_options;

namespace {

double cpu_s() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Best thread-CPU seconds of `reps` runs of f.
double best_of(int reps, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const double c0 = cpu_s();
    f();
    best = std::min(best, cpu_s() - c0);
  }
  return best;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::uint64_t inflate_only(const std::string& gz) {
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  std::vector<char> out(1 << 20);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::uint64_t total = 0;
  int r = Z_OK;
  while (r == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    r = inflate(&z, Z_NO_FLUSH);
    total += out.size() - z.avail_out;
  }
  inflateEnd(&z);
  return total;
}

struct Sample {
  std::string name, path, text;  // the repeated text written to path
  dla::LogFormat format;
};

// Writes each sample repeated to `share` bytes into `out`.
bool build_set(dla::Env& env, const std::string& samples, const std::string& out, double share, std::vector<Sample>& set) {
  auto names = env.list_dir(samples);
  if (!names) return false;
  for (const auto& n : *names) {
    if (n.size() < 5 || n.substr(n.size() - 4) != ".log") continue;
    auto one = dla::read_file(env, samples + "/" + n);
    if (!one || one->empty()) continue;
    std::string base = *one;
    if (base.back() != '\n') base += "\r\n";  // the samples end without one; repeats must not merge lines
    Sample s{n, out + "/" + n, {}, {}};
    while (static_cast<double>(s.text.size()) < share) s.text += base;
    s.format = dla::detect_format(s.text.data(), std::min(s.text.size(), dla::kDetectBytes), false);
    if (!dla::write_file(env, s.path, s.text, dla::WriteMode::kTruncate, false)) return false;
    set.push_back(std::move(s));
  }
  return !set.empty();
}

}  // namespace

int main(int argc, char** argv) {
  std::string samples, dir;
  double mb = 600;
  int reps = 3;
  po::options_description desc("Usage: bench_formats --samples DIR [options]\nOptions");
  desc.add_options()("help,h", "show this help")("samples", po::value(&samples), "directory of *.log samples")(
      "mb", po::value(&mb)->default_value(mb), "size of the set in MB (1e6 bytes)")(
      "dir", po::value(&dir), "an empty directory to write the set into (default: a new temp dir; kept)")(
      "reps", po::value(&reps)->default_value(reps), "repetitions (best kept)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << " (see --help)" << std::endl;
    return 1;
  }
  if (vm.count("help") || samples.empty()) {
    std::cout << desc << std::endl;
    return samples.empty() && !vm.count("help") ? 1 : 0;
  }
  dla::Env& env = *dla::Env::posix();
  if (dir.empty()) {
    char tmpl[] = "/tmp/dla_bench_formats.XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    dir = tmpl;
  }
  if (!dla::make_dirs(env, dir)) return 1;
  std::vector<Sample> set;
  auto listed = env.list_dir(samples);
  std::size_t n_samples = 0;
  if (listed)
    for (const auto& n : *listed) n_samples += n.size() > 4 && n.substr(n.size() - 4) == ".log";
  if (!build_set(env, samples, dir, mb * 1e6 / static_cast<double>(std::max<std::size_t>(n_samples, 1)), set)) {
    std::cerr << "error: no samples in " << samples << std::endl;
    return 1;
  }
  std::string all;
  for (const auto& s : set) all += s.text;
  const double bytes = static_cast<double>(all.size());
  std::printf("set: %zu files, %.0f MB in %s\n", set.size(), bytes / 1e6, dir.c_str());

  const double t_memchr = best_of(reps, [&] {
    std::uint64_t n = 0;
    for (const char* p = all.data(); (p = static_cast<const char*>(std::memchr(p, '\n', all.data() + all.size() - p))); ++p) ++n;
    if (n == 0) std::puts("");
  });
  std::printf("\n%-22s %-8s %10s %10s\n", "file", "format", "parse GB/s", "lines");
  double t_parse = 0;
  for (const auto& s : set) {
    dla::LevelTally t;
    const double secs = best_of(reps, [&] {
      t = dla::LevelTally{};
      dla::count_lines(s.format, s.text.data(), s.text.size(), t);
    });
    t_parse += secs;
    std::printf("%-22s %-8s %10.2f %10llu\n", s.name.c_str(), std::string(s.format.name()).c_str(),
                static_cast<double>(s.text.size()) / secs / 1e9, static_cast<unsigned long long>(t.lines));
    std::printf("BENCH format %s %s %.0f %.6f\n", s.name.c_str(), std::string(s.format.name()).c_str(),
                static_cast<double>(s.text.size()), secs);
  }
  bool ok = true;
  const double t_file = best_of(reps, [&] {
    for (const auto& s : set) ok &= dla::scan_file(s.path).ok();
  });
  // The .gz: the largest leveled sample (Hadoop's in the loghub set).
  const Sample* big = &set[0];
  for (const auto& s : set)
    if (s.format.id != dla::FormatId::kNone && s.format.id != dla::FormatId::kSyslog && s.text.size() > big->text.size()) big = &s;
  const std::string gz = gzip(big->text), gz_path = big->path + ".gz";
  ok &= dla::write_file(env, gz_path, gz, dla::WriteMode::kTruncate, false).ok();
  const double t_inflate = best_of(reps, [&] { ok &= inflate_only(gz) == big->text.size(); });
  dla::Counts plain, zc;
  const double t_gz = best_of(reps, [&] {
    auto c = dla::scan_file(gz_path);
    ok &= c.ok();
    if (c) zc = *c;
  });
  plain = *dla::scan_file(big->path);
  ok &= plain == zc;
  const double zbytes = static_cast<double>(big->text.size());
  std::printf("\n%-14s %10s   (GB/s per core, thread CPU time, uncompressed bytes)\n", "variant", "GB/s");
  std::printf("%-14s %10.2f\n%-14s %10.2f\n%-14s %10.2f\n", "memchr", bytes / t_memchr / 1e9, "parse", bytes / t_parse / 1e9,
              "scan_file", bytes / t_file / 1e9);
  std::printf("%-14s %10.2f   %s, %.0f MB -> %.0f MB\n", "inflate", zbytes / t_inflate / 1e9, gz_path.c_str(),
              zbytes / 1e6, static_cast<double>(gz.size()) / 1e6);
  std::printf("%-14s %10.2f   (%.2fx zlib's inflate alone)\n", "scan_file.gz", zbytes / t_gz / 1e9, t_inflate / t_gz);
  std::printf("BENCH bytes %.0f\nBENCH time memchr %.6f\nBENCH time parse %.6f\nBENCH time scan_file %.6f\n", bytes,
              t_memchr, t_parse, t_file);
  std::printf("BENCH gz %s %.0f %.6f %.6f\n", gz_path.c_str(), zbytes, t_inflate, t_gz);
  std::fflush(stdout);
  if (!ok) std::cerr << "error: a scan failed or the .gz counts differ from the plain file's" << std::endl;
  return ok ? 0 : 1;
}
