#include "mpi/sim_hooks.h"

#include <mpi.h>

#include <csignal>
#include <cstdlib>
#include <unistd.h>

#if defined(DLA_SMPI)
#ifndef SMPI_H
#error "DLA_SMPI is set but this is not SMPI's mpi.h: build the _smpi targets with -include smpi_helpers.h -I/usr/include/smpi"
#endif
#pragma push_macro("exit")
#undef exit
#include <simgrid/s4u.hpp>
#pragma pop_macro("exit")
#include <smpi/smpi.h>
#else
#ifdef SMPI_H
#error "SMPI's mpi.h in the real-MPI build: define DLA_SMPI for the SMPI variant"
#endif
#endif

namespace dla::sim {
namespace {
double g_flops_per_byte = 1.0;  // per rank under SMPI privatization; set identically by every rank
}

#if defined(DLA_SMPI)
bool simulated() { return true; }
void charge_scan(std::uint64_t bytes) {
  if (bytes) smpi_execute_flops(static_cast<double>(bytes) * g_flops_per_byte);
}
bool peer_alive(int rank) {
  // SMPI actor pids are rank + 1 (pid 0 is maestro).
  return simgrid::s4u::Actor::by_pid(rank + 1) != nullptr;
}
bool kill_rank(int rank, long, bool) {
  auto a = simgrid::s4u::Actor::by_pid(rank + 1);
  if (!a) return false;
  a->kill();
  return true;
}
void crash_self(int) {
  (simgrid::s4u::this_actor::exit)();  // parenthesised: smpi_helpers.h defines exit() as a macro
  std::abort();  // unreachable
}
const char* host_name() { return simgrid::s4u::this_actor::get_host()->get_cname(); }
#else
bool simulated() { return false; }
void charge_scan(std::uint64_t) {}
bool peer_alive(int) { return true; }
bool kill_rank(int, long pid, bool same_host) {
  if (!same_host || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), SIGKILL) == 0;
}
void crash_self(int) {
  ::kill(::getpid(), SIGKILL);
  std::abort();
}
const char* host_name() {
  static char buf[256];
  if (::gethostname(buf, sizeof buf) != 0) buf[0] = 0;
  buf[sizeof buf - 1] = 0;
  return buf;
}
#endif

void set_flops_per_byte(double f) { g_flops_per_byte = f; }
double flops_per_byte() { return g_flops_per_byte; }

}  // namespace dla::sim
