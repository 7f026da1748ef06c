// Helpers shared by the C++ benchmarks in bench/ (not part of any program).
#pragma once
#include <boost/program_options.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <iostream>

namespace dla::bench {

// Wall-clock seconds `f` takes (steady clock; benchmarks only: the layers below mpi take time as a
// parameter).
inline double seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Parses argv into the variables of `desc`: -1 to go on, else the exit status (0 after printing
// --help, 1 after printing the error).
inline int parse_options(int argc, char** argv, const boost::program_options::options_description& desc) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  return -1;
}

}  // namespace dla::bench
