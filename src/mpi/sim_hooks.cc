#include "mpi/sim_hooks.h"

#include <mpi.h>

#include <csignal>
#include <cstdio>
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
#include <xbt/config.hpp>
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
namespace {
// Per rank (SMPI privatizes globals).
int g_rank = -1;
double g_probe_cost = 0;   // seconds (smpi/iprobe as configured), taken over by on_mpi_init
double g_probe_share = 1;  // smpi/iprobe-cpu-usage
bool g_alone = false;      // no other rank on this rank's host (counted at start-up)
}  // namespace

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
void on_mpi_init(int rank) {
  g_rank = rank;
  // The environment is the process's (not privatized per rank like our globals): the first rank
  // leaves the configured cost there, exact (%a), before zeroing smpi/iprobe for everyone; the
  // others find smpi/iprobe at 0 and read it back.
  static const char kVar[] = "DLA_SMPI_IPROBE_COST";
  const double configured = simgrid::config::get_value<double>("smpi/iprobe");
  if (configured > 0) {
    g_probe_cost = configured;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", configured);
    ::setenv(kVar, buf, 1);
    simgrid::config::set_value<double>("smpi/iprobe", 0.0);
  } else if (const char* v = std::getenv(kVar)) {
    g_probe_cost = std::strtod(v, nullptr);
  }
  g_probe_share = simgrid::config::get_value<double>("smpi/iprobe-cpu-usage");
  g_alone = simgrid::s4u::this_actor::get_host()->get_actor_count() == 1;
}
void charge_probe() {
  if (!(g_probe_cost > 0)) return;
  auto* host = simgrid::s4u::this_actor::get_host();
  // A sleep lasts as long as the exec below when nothing else runs on the host and it is at full
  // speed (no speed profile slowing it now).
  if (g_rank == 0 && g_alone && host->get_available_speed() == 1.0) {
    simgrid::s4u::this_actor::sleep_for(g_probe_cost);
    return;
  }
  // As smpi_request.cpp (Request::iprobe) does it, same expression order.
  const double speed = host->get_speed();
  simgrid::s4u::this_actor::exec_init(1 * g_probe_cost * speed * g_probe_share)
      ->set_name("iprobe")
      ->set_bound(g_probe_share * speed)
      ->start()
      ->wait();
}
#else
void on_mpi_init(int) {}
void charge_probe() {}
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
