// bench_store_local: what one rank's store dir costs as it fills (src/store/local_store.h), against
// baselines measured in the same run:
//   put n      LocalStore::put of n small blocks into one dir (what a data rank does during an
//              ingest), timed for n, 2n, 4n: a put that lists the dir makes this O(n^2) (the time
//              per put grows with n); the baseline is write_file_atomic of the same bytes under the
//              same names (the put's own file work, no bookkeeping), so put/baseline stays ~1 when
//              put costs O(1) per block
//   read_file  read_file of one large block file (LocalStore::get's read) against one read_at
//              into a buffer of the file's size (the floor)
// On MemEnv by default (no disk: the algorithm alone; --posix uses a temporary dir on the real
// disk, fsyncs and all, so keep --blocks small there). Best of --reps. Not a ctest test.
//
//   bench_store_local [--blocks N] [--mb M] [--reps R] [--posix]
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/mem_env.h"
#include "store/block.h"
#include "store/local_store.h"
#include "bench_util.h"

namespace po = boost::program_options;
using namespace dla;

namespace {

using bench::seconds;

void must(const Status& s) {
  if (!s) {
    std::cerr << "error: " << s.error() << "\n";
    std::exit(1);
  }
}

struct Scratch {
  std::unique_ptr<MemEnv> mem;
  Env* env = nullptr;
  std::string root;
  Scratch(bool posix, const std::string& tag) {
    if (!posix) {
      mem = std::make_unique<MemEnv>();
      env = mem.get();
      root = "/bench-" + tag;
      return;
    }
    env = Env::posix();
    root = "/tmp/bench-store-local-" + std::to_string(env->process_id()) + "-" + tag;
    remove_tree(*env, root);
  }
  ~Scratch() {
    if (!mem) remove_tree(*env, root);
  }
};

std::string block_bytes(int b) { return "2026-12-02 block " + std::to_string(b) + " INFO a line of a log\n"; }

// Seconds for n puts into a fresh store dir (put) and for the same files written with
// write_file_atomic (base).
void fill(bool posix, int n, double* put, double* base) {
  {
    Scratch s(posix, "put");
    auto st = LocalStore::open(*s.env, s.root, "h", 1, true);
    must(st ? OkStatus() : Status(st.err()));
    *put = seconds([&] {
      for (int b = 0; b < n; ++b) {
        const std::string d = block_bytes(b);
        must(st->put(b, block_crc(d), d));
      }
    });
  }
  Scratch s(posix, "base");
  const std::string dir = s.root + "/h/1";
  must(make_dirs(*s.env, dir));
  *base = seconds([&] {
    for (int b = 0; b < n; ++b) {
      const std::string d = block_bytes(b);
      must(write_file_atomic(*s.env, join_path(dir, block_file_name(b, block_crc(d))), d));
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  int blocks = 2000, mb = 100, reps = 3;
  bool posix = false;
  po::options_description desc("bench_store_local");
  desc.add_options()("help,h", "this text")("blocks", po::value(&blocks), "n (puts timed for n, 2n, 4n)")(
      "mb", po::value(&mb), "size of the read_file test file")("reps", po::value(&reps), "best of")(
      "posix", po::bool_switch(&posix), "the real disk (fsyncs) instead of MemEnv");
  if (const int rc = bench::parse_options(argc, argv, desc); rc >= 0) return rc;
  std::printf("env: %s\n", posix ? "posix (/tmp)" : "MemEnv");
  double first = 0;
  for (int n : {blocks, 2 * blocks, 4 * blocks}) {
    double put = 1e300, base = 1e300;
    for (int r = 0; r < reps; ++r) {
      double p, b;
      fill(posix, n, &p, &b);
      put = std::min(put, p);
      base = std::min(base, b);
    }
    if (n == blocks) first = put / n;
    std::printf("put n=%-7d %8.3f s (%6.2f us/put)  baseline %8.3f s  put/baseline %5.2f  us/put vs n=%d: x%.2f\n", n, put,
                put / n * 1e6, base, put / base, blocks, put / n / first);
  }
  Scratch s(posix, "read");
  const std::string path = s.root + "/big";
  must(make_dirs(*s.env, s.root));
  must(write_file(*s.env, path, std::string(static_cast<std::size_t>(mb) << 20, 'x'), WriteMode::kTruncate, false));
  double rf = 1e300, floor = 1e300;
  for (int r = 0; r < reps; ++r) {
    rf = std::min(rf, seconds([&] { must(read_file(*s.env, path) ? OkStatus() : Status(Error{"read_file"})); }));
    floor = std::min(floor, seconds([&] {
                       auto f = s.env->open_read(path);
                       std::string out(static_cast<std::size_t>(mb) << 20, '\0');
                       must(f && (*f)->read_at(0, out.size(), &out[0]) ? OkStatus() : Status(Error{"read_at"}));
                     }));
  }
  std::printf("read_file %d MB %8.3f s  one read_at into a sized buffer %8.3f s  ratio %5.2f\n", mb, rf, floor, rf / floor);
  return 0;
}
