// dla:uses-mpi
// dla_store: the replicated log store (issue 14). Rank 0 coordinates (the manifest, placement,
// repairs); ranks 1..N-1 hold the blocks in ROOT/<host>/<rank>.
//   mpirun -np 5 build/dla_store ingest --store /data/store --replicas 2 sample_logs
//   mpirun -np 5 build/dla_store status --store /data/store
//   mpirun -np 5 build/dla_store fsck --store /data/store [--repair]
//   smpirun -platform platforms/cluster8.xml -hostfile platforms/cluster8.hosts -np 8
//       build/dla_store_smpi ingest --store ROOT --replicas 2 DIR
// Exit: 0 ok; 1 bad usage or failure (one `error:` line on stderr); 2 fsck found problems that remain.
// The last stdout line says the same (RESULT OK | ERROR | PROBLEMS, mpi/store_cli.h), so that
// tools/dla-mpirun, whose mpirun loses the ranks' exit codes, exits with it too.
#include <boost/program_options.hpp>
#include <iostream>

#include "base/names.h"
#include "mpi/runtime.h"
#include "mpi/store_cli.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  if (dla::mpi::answer_version(argc, argv, "dla_store")) return 0;  // before MPI_Init
  dla::mpi::Session session(&argc, &argv);
  dla::mpi::StoreCli c;
  // (read as text: Boost parses "-5" into an unsigned as 2^64 - 5)
  std::string block_size = std::to_string(c.block_size);
  po::options_description desc(
      "Usage: dla_store ingest --store ROOT --replicas K [--block-size BYTES] [--pattern GLOB] [--recursive]\n"
      "                        [--sites FILE|prefix] [--timeout S] [--json] DIR\n"
      "       dla_store status --store ROOT [--json]\n"
      "       dla_store fsck   --store ROOT [--repair] [--json] [--timeout S]\n"
      "(an MPI program: mpirun -np N, N-1 data ranks)\nOptions");
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&c.root), "the store's ROOT directory (each rank keeps ROOT/<host>/<rank>)")(
      "replicas", po::value(&c.replicas), "ingest: K, the copies of every block (on distinct ranks, distinct hosts first)")(
      "block-size", po::value(&block_size)->default_value(block_size), "ingest: block size in bytes (blocks are line-aligned)")(
      "pattern", po::value(&c.pattern)->default_value(c.pattern), "ingest: which files of DIR (a glob on the file name)")(
      "recursive", po::bool_switch(&c.recursive), "ingest: also the files in DIR's subdirectories (named dir/file in the results)")(
      "timeout", po::value(&c.timeout)->default_value(c.timeout), "seconds a rank may stay silent before it counts as failed")(
      "window", po::value(&c.window)->default_value(c.window), "ingest: blocks in flight down their chains")(
      "sites", po::value(&c.sites), "ingest: sites (racks) above hosts for placement: a FILE of 'HOST SITE' lines, or "
      "'prefix' (a host's site is its name up to the last '-', e.g. hetero8's a-0 -> a); replicas go to distinct sites first")(
      "repair", po::bool_switch(&c.repair), "fsck: copy blocks until every block has K verified replicas")(
      "json", po::bool_switch(&c.json), "output as JSON")(
      "command", po::value(&c.command), "ingest | status | fsck")("dir", po::value(&c.dir), "ingest: the input directory");
  po::positional_options_description pos;
  pos.add("command", 1).add("dir", 1);
  po::variables_map vm;
  std::string bad;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    if (!dla::mpi::parse_block_size(block_size, &c.block_size)) bad = "--block-size must be a whole number of bytes, not '" + block_size + "'";
    else if (!vm.count("help")) bad = dla::mpi::validate_store_cli(c);
    // (an ingest option given to status or fsck would be silently ignored)
    for (const char* o : {"replicas", "block-size", "pattern", "window", "recursive"})
      if (bad.empty() && c.command != "ingest" && vm.count(o) && !vm[o].defaulted())
        bad = std::string("--") + o + " is for ingest (the store keeps what ingest chose)";
  } catch (const std::exception& e) {
    bad = e.what();
  }
  if (!bad.empty() || vm.count("help")) {
    if (session.rank() == 0) {
      if (bad.empty()) std::cout << desc << std::endl;
      else {
        std::cerr << "error: " << dla::escape_name(bad) << " (see --help)" << std::endl;
        std::cout << dla::mpi::store_result_line(c.command, dla::mpi::kStoreExitError, dla::escape_name(bad)) << std::endl;
      }
    }
    session.startup_done();
    return bad.empty() ? 0 : dla::mpi::kStoreExitError;
  }
  return dla::mpi::run_store(session, c);
}
