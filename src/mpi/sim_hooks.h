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

// A host name that is the same for ranks on one machine (real) or one simulated host (SMPI).
const char* host_name();

}  // namespace dla::sim
