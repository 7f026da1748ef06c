// The only place in dla that knows whether it runs on real MPI or inside SimGrid SMPI.
// Everything else compiles identically for both back-ends.
#pragma once
#include <cstdint>

namespace dla::sim {

// True in the SMPI build (the <app>_smpi shared objects run by smpirun).
bool simulated();

// Modelled compute cost of scanning `bytes`: in simulation, smpi_execute_flops(bytes *
// flops_per_byte()), so simulated time depends only on bytes and host speed (run smpirun with
// --cfg=smpi/simulate-computation:no). On real MPI: nothing (the real scan took real time).
void charge_scan(std::uint64_t bytes);
void set_flops_per_byte(double f);
double flops_per_byte();

// Whether a send to `rank` is safe. In SMPI a send to a rank whose actor is gone aborts the whole
// simulation, so every send to a peer that may have died must ask first. On real MPI: true (a send
// to a dead peer is harmless there if never waited on).
bool peer_alive(int rank);

// Ends a rank that stopped answering, so that it cannot keep the job alive: in SMPI kills its actor;
// on real MPI sends SIGKILL to `pid` if it runs on this host (`same_host`). Returns whether it did.
bool kill_rank(int rank, long pid, bool same_host);

// This process ends now, like a crash (SIGKILL on real MPI; in SMPI the actor is killed).
[[noreturn]] void crash_self(int rank);

// Called by every rank right after MPI_Init (mpi/runtime.cc). In SMPI this rank takes over the
// cost MPI_Iprobe injects (--cfg=smpi/iprobe, as an exec of that many seconds of its CPU): the
// first rank to start reads the configured cost, leaves it in the process environment for the
// others (globals are per rank) and sets smpi/iprobe to 0; charge_probe then charges it.
// On real MPI: nothing.
void on_mpi_init(int rank);

// The simulated cost of one MPI_Iprobe, charged by the transport just before each probe.
// Workers: exactly what SMPI 3.32 would inject (an exec of cost x host speed x
// smpi/iprobe-cpu-usage flops, bounded at that share of the CPU; smpi/grow-injected-times must be
// off, as dla-scenario sets it). Rank 0 (the master), when it is the only rank on its host and the
// host runs at full speed: a sleep of the same length, which then takes the same simulated time
// (otherwise the exec, as a worker). Why: SimGrid 3.32 never
// removes a receive completed by MPI_Test from the receiving actor's activity list, and every exec
// scans that list (std::list::remove in ExecImpl::post); the master completes every message with
// MPI_Test, so each of its probe execs cost O(messages received so far): ~30 % of the real time of
// large-1024, quadratic in the number of tasks. A sleep touches no such list.
void charge_probe();

// A host name that is the same for ranks on one machine (real) or one simulated host (SMPI).
const char* host_name();

}  // namespace dla::sim
