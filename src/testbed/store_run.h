// One run of a store scenario (issue 14; the "store" object of scenario.h), end to end:
//   1. the run directory, the input and base_log_analyser's count (runner.h set_up_scenario_run);
//   2. `smpirun dla_store_smpi ingest` of the input into RUN/store (K replicas, the block size), on
//      the platform without faults (calm_scenario); then an independent check of what it wrote: the
//      manifest of rank 0, and every replica of every block byte-equal to its range of the input file,
//      on K distinct ranks (and distinct hosts when there are K hosts);
//   3. the replica files named by store.corrupt get bytes flipped;
//   4. `smpirun distributed_log_analyser_smpi --store store` with the scenario's faults: its RESULT,
//      JSON and trace checked like any run's; counts equal base_log_analyser's, or with lost files,
//      base_log_analyser's minus those of the whole lost files (a file with a lost block is reported
//      unreadable and not counted; each counted by base_log_analyser on a copy); the "store" result
//      against store.expect (locality, lost files, repairs);
//   5. with store.lose_disks, the store dirs of the ranks on switched-off hosts are removed;
//      `smpirun dla_store_smpi fsck --repair`, then `fsck`: its last line must be FSCK OK (or the
//      expected missing blocks), and again independently: every block at least K verified replicas
//      (each listed replica byte-exact; K+1 is allowed: a falsely suspected holder keeps its copy).
// The run's output (golden traces/NAME.out, and stdout.txt) is every step's output under a "== step"
// header; its trace (traces/NAME.trace) is the analyser's. Processes are started by the SpawnFn;
// every file goes through the Env.
#pragma once
#include "base/env.h"
#include "base/status.h"
#include "testbed/runner.h"
#include "testbed/scenario.h"

namespace dla::scen {

// `s.store.on` must be set. An Error means the run could not be set up (missing programs, run
// directory not ours, base_log_analyser failing); everything else is a RunResult with failures.
Result<RunResult> run_store_scenario(const Scenario& s, const RunPaths& paths, const RunRequest& req, const SpawnFn& spawn,
                                     Env& env = *Env::posix());

}  // namespace dla::scen
