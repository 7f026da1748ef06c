// bench_store_cut: what cutting files into replicated-store blocks costs (dla_store ingest's
// local work, src/store/block.h cut_blocks), against baselines measured in the same run on the
// same bytes (page cache warm):
//   read        the files read through the Env in 4 MiB buffers, nothing else (the floor)
//   read+crc    the same plus block_crc (CRC-32C) over every byte (the floor for cut_blocks)
//   read+zlib   the same with zlib's crc32 instead (what block_crc was before: the comparison)
//   cut_blocks  cut_blocks with --block-size (line starts found near each boundary, crc per block)
//   scan_file   the level scan of the same files (what the analysis spends on them, for scale)
// Best of N, variants round-robin. Prints GB/s and ratios to `read`. Exits 1 if the blocks do not
// tile the files (their lengths must sum to the input's bytes).
//
//   bench_store_cut [--gb G] [--block-size B] [--reps N] [--dir DIR]
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include "scan/discovery.h"
#include "scan/loggen.h"
#include "scan/scanner.h"
#include "store/block.h"
#include "bench_util.h"

namespace po = boost::program_options;
using namespace dla;

namespace {

using bench::seconds;

// crc: 0 none, 1 block_crc, 2 zlib crc32.
std::uint64_t read_all(Env& env, const std::vector<FileInfo>& files, int crc) {
  std::vector<char> buf(std::size_t{4} << 20);
  std::uint64_t total = 0;
  std::uint32_t c = 0;
  for (const FileInfo& f : files) {
    auto in = env.open_read(f.path);
    if (!in) continue;
    for (std::uint64_t at = 0;;) {
      auto n = (*in)->read_at(at, buf.size(), buf.data());
      if (!n || *n == 0) break;
      if (crc == 1) c = block_crc_extend(c, buf.data(), *n);
      if (crc == 2) c = static_cast<std::uint32_t>(::crc32(c, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(*n)));
      at += *n;
      total += *n;
    }
  }
  return total + (c & 0);  // (c kept alive)
}

}  // namespace

int main(int argc, char** argv) {
  double gb = 0.5;
  std::uint64_t block_size = std::uint64_t{8} << 20;
  int reps = 5;
  std::string dir;
  po::options_description desc("bench_store_cut options");
  desc.add_options()("help", "this help")("gb", po::value(&gb), "about G GB of logs (default 0.5)")(
      "block-size", po::value(&block_size), "block size in bytes (default 8 MiB)")("reps", po::value(&reps), "best of N (default 5)")(
      "dir", po::value(&dir), "generate into DIR and keep it (default: temp dir, deleted)");
  if (const int rc = bench::parse_options(argc, argv, desc); rc >= 0) return rc;
  Env& env = *Env::posix();
  const bool keep = !dir.empty();
  if (!keep) {
    char tmpl[] = "/tmp/dla-bench-store-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::cerr << "error: cannot create a temp dir: " << std::strerror(errno) << std::endl;
      return 1;
    }
    dir = tmpl;
  }
  GenOptions g;
  g.files = 16;
  g.lines = static_cast<std::uint64_t>(gb * 1e9 / 16 / 60);  // loggen lines average ~60 bytes
  if (auto r = generate_logs(dir, g, env); !r) {
    std::cerr << "error: " << r.error() << std::endl;
    return 1;
  }
  auto files = discover_logs(dir, env);
  if (!files) {
    std::cerr << "error: " << files.error() << std::endl;
    return 1;
  }
  std::uint64_t bytes = 0;
  for (const FileInfo& f : *files) bytes += f.size;
  double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
  std::uint64_t tiled = 0;
  std::size_t nblocks = 0;
  read_all(env, *files, 0);  // warm the page cache
  for (int r = 0; r < reps; ++r) {
    best[0] = std::min(best[0], seconds([&] { read_all(env, *files, 0); }));
    best[1] = std::min(best[1], seconds([&] { read_all(env, *files, 1); }));
    best[4] = std::min(best[4], seconds([&] { read_all(env, *files, 2); }));
    best[2] = std::min(best[2], seconds([&] {
      auto b = cut_blocks(dir, *files, block_size, env);
      tiled = 0;
      nblocks = b ? b->size() : 0;
      if (b) for (const BlockRef& x : *b) tiled += x.length;
    }));
    best[3] = std::min(best[3], seconds([&] {
      for (const FileInfo& f : *files) scan_file(f.path, {}, {}, env);
    }));
  }
  const char* names[5] = {"read", "read+crc", "cut_blocks", "scan_file", "read+zlib"};
  std::printf("%llu bytes in %zu files, block size %llu: %zu blocks; best of %d\n", static_cast<unsigned long long>(bytes),
              files->size(), static_cast<unsigned long long>(block_size), nblocks, reps);
  for (int i = 0; i < 5; ++i) {
    std::printf("BENCH %-10s %7.3f s  %6.2f GB/s  %5.2fx read\n", names[i], best[i], bytes / best[i] / 1e9, best[i] / best[0]);
  }
  if (!keep) remove_tree(env, dir);
  if (tiled != bytes) {
    std::cerr << "error: the blocks cover " << tiled << " bytes, the files hold " << bytes << std::endl;
    return 1;
  }
  return 0;
}
