// generate_logs: writes <prefix>1.log .. <prefix>N.log in the assignment's line format
// `[ISO timestamp] [LEVEL] message`, deterministic per --seed.
#include <boost/program_options.hpp>
#include <iostream>

#include "scan/loggen.h"
#include "base/version.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  dla::GenOptions o;
  std::string out = "sample_logs";
  po::options_description desc("Usage: generate_logs [options]\nOptions");
  desc.add_options()("help,h", "show this help")("out,o", po::value(&out)->default_value(out), "output directory")(
      "files,f", po::value(&o.files)->default_value(o.files), "number of files")(
      "lines,n", po::value(&o.lines)->default_value(o.lines), "lines per file (average when skewed)")(
      "seed,s", po::value(&o.seed)->default_value(o.seed), "random seed")(
      "skew", po::value(&o.skew)->default_value(o.skew), "size skew: file i gets lines ∝ 1/i^skew (0 = equal)")(
      "mixed", po::bool_switch(&o.mixed), "add tricky lines: no level, [WARNING], CRLF, lower case, blank")(
      "prefix", po::value(&o.prefix)->default_value(o.prefix), "file name prefix");
  desc.add_options()("version", "print the version (git describe at build time) and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << " (see --help)" << std::endl;
    return 1;
  }
  if (vm.count("version")) {
    std::cout << dla::version_line("generate_logs") << std::endl;
    return 0;
  }
  if (vm.count("help")) {
    std::cout << desc << std::endl;
    return 0;
  }
  if (o.skew < 0 || o.files < 1) {
    std::cerr << "error: --files must be >= 1 and --skew >= 0" << std::endl;
    return 1;
  }
  auto r = dla::generate_logs(out, o);
  if (!r) {
    std::cerr << "error: " << r.error() << std::endl;
    return 1;
  }
  std::cout << "Wrote " << r->size() << " file(s) to " << out << std::endl;
  return 0;
}
