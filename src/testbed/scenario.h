// Simulation scenarios (issue 5): a JSON file that describes a platform, an input set, the
// analyser's options, faults, slowdowns, network changes and what the run must show. This module is
// pure C++ (no MPI, no process spawning): it parses and validates a scenario, writes the material a
// run needs (SimGrid platform XML, hostfile, profiles, generated logs), builds the smpirun command
// line, and checks a finished run (its JSON result and event trace) against the expectations.
// Every file it reads or writes goes through an Env (default: the POSIX one). testbed/runner.h
// drives one run; src/apps/dla_scenario.cc spawns the processes. Format reference: scenarios/README.md.
//
// Units in scenario files: times and durations are seconds (numbers) or strings with a unit
// ("50us", "10ms", "2s"); speeds are Gflop/s (numbers) or strings ("250Mf", "4Gf"); bandwidths
// bytes/s (numbers) or strings ("1.25GBps", "1Gbps"); sizes bytes (numbers) or "64KiB", "2MiB".
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "base/trace.h"
#include "scan/growth.h"
#include "scan/loggen.h"

namespace dla::scen {

struct HostSpec {
  std::string name;
  double speed = 1e9;  // flop/s at full speed
  int cores = 1;
};

struct PlatformSpec {
  // Either a platform file (XML + hostfile, paths relative to the repository root) ...
  std::string file, hostfile;
  // ... or a generated star: every host has its own link to one backbone (SimGrid "Cluster" zone).
  bool generated = false;
  std::vector<HostSpec> hosts;  // generated: all; file: only those named in the hostfile, speeds unknown (0)
  double bandwidth = 1.25e9, latency = 50e-6;            // per-host link (bytes/s, s)
  double backbone_bandwidth = 10e9, backbone_latency = 50e-6;
};

struct InputSpec {
  enum Kind { Dir, Lines, Sizes } kind = Lines;
  std::string dir;                   // Dir: path relative to the repository root
  GenOptions gen;                    // Lines: core/loggen.h
  std::vector<std::uint64_t> sizes;  // Sizes: exact byte size of each generated file
  std::uint64_t seed = 1;            // Sizes: content seed
};

struct SlowRank {
  int rank = 0;
  double factor = 1;
};

struct ProgramOptions {
  std::string policy = "dynamic";  // static | dynamic | lpt | guided | steal
  bool speculate = false;          // --speculate (backup copies of long-running tasks; not with static)
  std::string detector;            // "" (the program's default, fixed) | fixed | phi
  double phi_threshold = -1;       // --phi-threshold (< 0: the program's default)
  double timeout = 3, heartbeat = 0.5, master_timeout = 10;
  double poll = -1;  // idle polling interval of master and waiting workers (< 0: the program's default)
  std::uint64_t split_bytes = 0;
  double flops_per_byte = 1;
  double throttle = 0;  // bytes/s, 0 = off
  std::vector<SlowRank> slow;
  bool checkpoint = false;
  int checkpoint_every = 5;
  double checkpoint_interval = 0;
  std::vector<std::string> extra_args;
};

struct Fault {
  enum Kind { Crash, Hang, Exit, HostOff } kind = Crash;
  double at = 0;
  int rank = -1;      // Crash/Hang/Exit (0 = the master); HostOff: -1 unless given as a rank
  std::string host;   // HostOff
  double duration = -1;  // HostOff: back on after this long (< 0: never)
};

struct Slowdown {
  std::string host;
  double at = 0, speed = 1, duration = -1;  // speed: fraction of peak
};

struct NetChange {
  std::string link;
  double at = 0, duration = -1;
  double latency = -1, bandwidth = -1;  // new values (absolute); < 0 = unchanged
};

struct Expectations {
  bool counts_match_base = true;
  // `"counts": {"DEBUG": n, ..., "lines": n}`: these exact numbers too (counted independently, e.g.
  // with awk, when the scenario was written), besides being equal to base_log_analyser's.
  std::map<std::string, std::uint64_t> exact_counts;
  std::string result = "OK";  // "OK" | "INCOMPLETE" | "none" (the master dies: no RESULT line) | "" (any)
  std::optional<std::vector<int>> failed_workers;  // exact set, ascending
  double makespan_max = -1, makespan_min = -1;
  double detection_max = -1;  // every faulted rank's `timeout` event within this many s of the fault
  int reassigned_min = -1, reassigned_max = -1;
  // The longest silence of a rank as the master saw it: the largest gap between consecutive trace
  // events about that rank (up to its stop/timeout), within [min, max] (< 0: unchecked). Shows
  // that a delay scenario really produced long silences (and not a vacuous pass).
  struct Silence {
    int rank = 0;
    double min = -1, max = -1;
  };
  std::vector<Silence> silences;
};

// `"follow": {"for": SEC, "seed": N, "growth": [...]}` (scenario_follow.cc): the run is
// `--follow input --follow-for SEC` and the input grows at scripted simulated times (scan/growth.h,
// carried out by the follow master under --sim-growth); crash faults become crash steps. The run
// must end with the initial input's counts (base_log_analyser, before the run) plus every line the
// script appends (expected_growth_counts): computed from the script, never from the program.
struct FollowSpec {
  bool on = false;
  double for_s = 0;
  std::uint64_t seed = 1;
  std::vector<GrowthStep> growth;  // sorted by time, crash steps included
};
inline constexpr const char* kGrowthFile = "growth.txt";  // in the run dir
// What a follow run writes instead of an event trace (--follow writes none): the golden .trace of a
// follow scenario is this line, its .out the program's output.
inline constexpr const char* kFollowTraceNote = "# follow scenario: --follow writes no event trace; see the .out golden\n";

// `"store": {"replicas": K, "block_size": B, "corrupt": [{"block": i, "replica": j}], "fsck": true,
// "lose_disks": true, "locality_wait": S, "expect": {...}}` (scenario_store.cc, run by store_run.h): the
// run is `dla_store_smpi ingest` of the input into a replicated store (K replicas per block), the
// named replica files corrupted (bytes flipped), the analyser run with `--store` and the scenario's
// faults, then `dla_store_smpi fsck --repair` and `fsck`. Ingest and fsck run on the platform
// without faults, slowdowns or network changes (they are not what the scenario times); with
// `lose_disks` the store directories of the ranks a host-off fault switched off are removed before
// fsck (the site is gone with its disks; a killed process keeps its disk).
struct StoreCorrupt {
  int block = 0;    // global block id (the manifest's)
  int replica = 0;  // index in the block's replica list (0 = the head of its chain)
};
struct StoreExpect {
  double locality_min = -1, locality_max = -1;  // the analyser's "store.locality" (percent of bytes read locally); < 0 unchecked
  // The files the analysis must report lost (a block with no replica left), sorted; empty = none
  // may be lost. With losses, the counts must be base_log_analyser's minus those of the lost files
  // (a file with a lost block is reported unreadable and not counted at all; counted by
  // base_log_analyser on a copy of each).
  std::vector<std::string> lost_files;
  int rereplicated_min = -1;     // blocks the analysis re-replicated, at least
  int corrupt_repaired_min = -1; // corrupt replicas the analysis repaired, at least
  int missing_blocks = 0;        // blocks the final fsck reports missing (0: FSCK OK expected)
};
struct StoreSpec {
  bool on = false;
  int replicas = 2;
  std::uint64_t block_size = 64 * 1024;
  std::vector<StoreCorrupt> corrupt;
  bool fsck = true;
  bool lose_disks = true;
  // "" (hosts are the only level above ranks) or "prefix": sites above hosts, a host's site being
  // its name up to the last '-' (hetero8's a-0 -> a): ingest --sites prefix puts a block's replicas
  // on distinct sites first.
  std::string sites;
  double locality_wait = -1;  // --locality-wait (< 0: the program's default)
  StoreExpect expect;
};
inline constexpr const char* kStoreRoot = "store";  // in the run dir

struct Scenario {
  std::string name;    // folder name
  std::string path;    // the scenario.json as given
  std::string description;
  std::vector<std::string> tags;
  PlatformSpec platform;
  int ranks_per_host = 1;
  int ranks = 0;  // total ranks (np)
  InputSpec input;
  ProgramOptions options;
  std::vector<Fault> faults;
  std::vector<Slowdown> slowdowns;
  std::vector<NetChange> network;
  Expectations expect;
  FollowSpec follow;
  StoreSpec store;
  double time_limit = 120;  // real seconds before smpirun is killed
  nlohmann::json document;  // the scenario file as parsed (sweep re-parses it with one option changed)

  // Host of a rank: ranks go round-robin over the hostfile lines (smpirun's rule).
  const HostSpec& host_of(int rank) const;
};

// ---- units ----
Result<double> parse_duration(const nlohmann::json& v);   // seconds
Result<double> parse_speed(const nlohmann::json& v);      // flop/s (number = Gf)
Result<double> parse_bandwidth(const nlohmann::json& v);  // bytes/s
Result<std::uint64_t> parse_size(const nlohmann::json& v);

// ---- limits (checked by parse_scenario, so `dla-scenario check` refuses what SimGrid would die of)
// Bounds for this 2-core, 24 GB machine: 1024 ranks x 16 tasks simulate in ~3 s (measured, see
// the project's backends notes); SMPI gives every rank a stack and privatised globals, so 100,000 ranks exhaust
// memory inside SimGrid with the cause only in its log. Other bounds: input <= 4 GB and <= 200
// million generated lines, time_limit <= 3600 s, times <= 1e6 s (each checked where parsed).
constexpr int kMaxRanks = 4096;    // ranks, hosts, ranks_per_host * hosts
constexpr int kMaxFiles = 100000;  // input files

// ---- loading ----
// A scenario's name names its run directory (RUNS/NAME): non-empty, no '/', no leading '.' (so
// neither ".." nor a hidden name); anything else is an error.
Status check_scenario_name(const std::string& name);
// `j`: the scenario document; `name`: its name; `repo_root`: where platform files and input dirs
// are looked up. Every unknown key and impossible value is an error naming the JSON path.
Result<Scenario> parse_scenario(const nlohmann::json& j, const std::string& name, const std::string& repo_root,
                                Env& env = *Env::posix());
// `path`: a scenario folder (holding scenario.json) or the JSON file itself.
Result<Scenario> load_scenario(const std::string& path, const std::string& repo_root, Env& env = *Env::posix());

// ---- materialisation ----
// Draws the file sizes of a `{"files": n, "size": {...}}` input (deterministic in its seed).
Result<std::vector<std::uint64_t>> draw_sizes(const nlohmann::json& size_spec, int files, std::uint64_t seed);
// Writes `sizes.size()` log files of exactly those sizes (names t00001.log ...), levelled lines.
Status write_sized_logs(const std::string& dir, const std::vector<std::uint64_t>& sizes, std::uint64_t seed,
                        Env& env = *Env::posix());

// SimGrid profile text ("date value" lines) for a value that starts at `base` and changes at the
// given times; `changes` are (time, value) pairs, sorted here.
std::string profile_text(double base, std::vector<std::pair<double, double>> changes);

struct Materialized {
  std::string platform_xml;  // file names, relative to the run dir
  std::string hostfile;
  std::string input_dir;     // absolute path
  std::map<std::string, std::string> files;  // every file written: name -> content (for tests)
  // TMPDIR for smpirun ("" = leave it): SMPI copies the program once per rank into TMPDIR
  // (privatization by dlopen), ~1.2 MB each; on tmpfs that costs half the CPU of ext4 /tmp
  // (large-1024 start-up: 2.4-2.8 s instead of 5.3-5.6 s). materialize() sets kSmpiTmpdir when it
  // is a directory. (smpirun 3.32's own -tmpdir option is broken and --cfg=smpi/tmpdir is
  // overridden by smpirun: only the environment variable works.) No effect on simulated results.
  std::string smpi_tmpdir;
};
inline constexpr const char* kSmpiTmpdir = "/dev/shm";
// Writes platform, hostfile, profiles and input into `run_dir` (created). Generated input goes to
// `run_dir/input`, or, when `input_cache` is given, to `input_cache/<hash of the input spec>` (shared
// by every run of the same input); it is reused while its `.stamp` matches the input spec.
// `input_dir` is absolute.
Result<Materialized> materialize(const Scenario& s, const std::string& run_dir, const std::string& repo_root,
                                 const std::string& input_cache = "", Env& env = *Env::posix());
// The platform XML and profiles only (no files written): name -> content.
Result<std::map<std::string, std::string>> platform_files(const Scenario& s, const std::string& repo_root,
                                                          Env& env = *Env::posix());

// The policies a scenario or a comparison may name. A comparison's policy may carry "+speculate"
// ("steal+speculate" = --policy steal --speculate); split_policy separates the two.
const std::vector<std::string>& known_policies();
struct PolicyChoice {
  std::string policy;
  bool speculate = false;
};
// "steal+speculate" -> {steal, true}; Error for an unknown policy or suffix, or static+speculate.
Result<PolicyChoice> split_policy(const std::string& name);

// The pinned determinism flags.
std::vector<std::string> determinism_flags();
// smpirun argv (starting with "smpirun"), to be run with cwd = run_dir. `program`: the
// distributed_log_analyser_smpi path; `policy_override` (a split_policy name) replaces
// options.policy and options.speculate when not empty.
std::vector<std::string> smpirun_argv(const Scenario& s, const Materialized& m, const std::string& program,
                                      const std::string& trace_file, bool paje, const std::string& policy_override = "");
// The same for any program of the project and its arguments (the store runs' dla_store_smpi).
std::vector<std::string> smpirun_command(const Scenario& s, const Materialized& m, const std::string& program,
                                         const std::vector<std::string>& args, bool paje = false);
// The analyser's own options (after the program path).
std::vector<std::string> program_args(const Scenario& s, const std::string& input_dir, const std::string& trace_file,
                                      const std::string& policy_override = "");

// ---- checking a run ----
struct RunOutput {
  int rc = 0;
  bool timed_out = false;
  std::string stdout_text, stderr_text;
};
// smpirun's own lines removed from the program's stdout: on a non-zero exit it echoes the
// simulator command line (absolute paths: not reproducible) and "Execution failed with code N.".
std::string strip_smpirun_lines(const std::string& stdout_text, const std::string& program);
// The JSON object printed by --json (the last top-level {...} block of stdout).
Result<nlohmann::json> extract_result_json(const std::string& stdout_text);
// Failures of the run itself (rc, deadlock, "is gone??", missing RESULT line, or with
// `expect_result_line` false: a RESULT line). Empty = fine.
std::vector<std::string> run_failures(const RunOutput& r, bool expect_result_line = true);
// Count failures only (empty = the counts are right): every level and `lines` equal to
// base_log_analyser's (`base`, its --json) and to the scenario's exact counts if it gives them.
std::vector<std::string> count_failures(const Scenario& s, const nlohmann::json& result, const nlohmann::json& base);
// Expectation failures (empty = all met). `base`: base_log_analyser --json.
std::vector<std::string> check_expectations(const Scenario& s, const nlohmann::json& result, const nlohmann::json& base,
                                            const Trace& trace);

// ---- follow scenarios (scenario_follow.cc) ----
// The analyser's options of a follow run (after the program path).
std::vector<std::string> follow_program_args(const Scenario& s, const std::string& input_dir);
// The counts the run must end with: `base` (base_log_analyser --json of the initial input) plus
// every line the growth script appends.
Counts follow_expected_counts(const Scenario& s, const nlohmann::json& base);
// The RESULT line of a follow run's stdout checked against the expected counts, verdict and failed
// workers (the crashed ranks, or expect.failed_workers when given). Empty = fine.
std::vector<std::string> follow_failures(const Scenario& s, const std::string& stdout_text, const nlohmann::json& base);

// ---- store scenarios (scenario_store.cc; the run: store_run.h) ----
// `dla_store_smpi` arguments: ingest of `input_dir` into kStoreRoot (K, block size, sites, --json), and
// fsck (with --repair or not).
std::vector<std::string> store_ingest_args(const Scenario& s, const std::string& input_dir);
std::vector<std::string> store_fsck_args(bool repair);
// The failure domain above hosts of `host`: its site with store.sites "prefix", else the host itself.
std::string site_of(const StoreSpec& st, const std::string& host);
// The analyser's options of a store run: program_args without the input dir, plus --store (and
// --locality-wait); --policy only when the scenario names one (the store default is locality).
std::vector<std::string> store_analyse_args(const Scenario& s, const std::string& trace_file);
// The scenario without faults, slowdowns and network changes: the platform of ingest and fsck.
Scenario calm_scenario(const Scenario& s);
// The data ranks whose store directories go before fsck (store.lose_disks): every rank on a host
// that a host-off fault switches off. Sorted.
std::vector<int> lost_disk_ranks(const Scenario& s);
// store.corrupt resolved against the manifest's replica lists (replicas_by_block[b] = the ranks
// holding block b, head first). An Error names the entry and the blocks the ingest made.
struct CorruptTarget {
  int block = 0, replica = 0, rank = 0;
};
Result<std::vector<CorruptTarget>> plan_corruption(const StoreSpec& st, const std::vector<std::vector<int>>& replicas_by_block);
// A replica file's bytes with up to three bytes flipped (its checksum no longer matches).
std::string flip_bytes(std::string bytes);
// The byte ranges the analyser's JSON reports lost (store.lost entries "FILE [a,b)" or objects
// {"file", "offset", "end" | "length"}), in its order; empty ranges are skipped.
struct LostRange {
  std::string file;
  std::uint64_t offset = 0, end = 0;
};
std::vector<LostRange> store_lost_ranges(const nlohmann::json& result);
// The files the analyser's JSON reports lost (store.lost), sorted, without duplicates.
std::vector<std::string> store_lost_files(const nlohmann::json& result);
// The analyser's "store" result against store.expect: locality bounds, lost files (exactly),
// re-replicated blocks and repaired corrupt replicas (at least). Empty = fine.
std::vector<std::string> store_result_failures(const Scenario& s, const nlohmann::json& result);
// The last fsck (after fsck --repair): `FSCK OK blocks=B replicas=R` (R = the replicas the final
// manifest lists, at least B*K: a block may keep an extra replica after a false suspicion) and exit
// 0, or with store.expect.missing_blocks M > 0 `FSCK PROBLEMS under=0 corrupt=0 missing=M`, exit 2.
std::vector<std::string> fsck_final_failures(const Scenario& s, const RunOutput& fsck, std::size_t blocks, std::size_t replicas);

// ---- analysis ----
// Work lower bound (testbed/bound.h work_bound: capacity integrated over time, so slowdowns and
// faults count): max(time for all workers to do the total work, time for the fastest to do the
// largest task). `task_bytes`: the tasks the analyser makes. Needs host speeds (generated platforms,
// or file platforms whose hosts' speeds could be read). Rank 0 (the master) does not count.
Result<double> lower_bound(const Scenario& s, const std::vector<std::uint64_t>& task_bytes);

// The largest gap between consecutive events about `rank` (until its timeout or stop).
double longest_silence(const Trace& t, int rank);

// First difference between two texts: "" when equal, else "line N: expected '...' got '...'".
std::string first_difference(const std::string& expected, const std::string& got);

// ---- replay of a real run ----
struct ReplayOptions {
  double speed = 1e9;          // flop/s of every simulated host
  std::string policy;          // "" = the one in the trace header, else dynamic
  double timeout = -1, heartbeat = -1;  // < 0 = from the trace header, else the defaults
  std::uint64_t max_file_bytes = 256 * 1024;  // the longest task becomes a file this large
};
// Turns a real run's trace into a scenario document: one generated file per task whose size
// reproduces the task's measured duration at `speed` (flops_per_byte chosen accordingly), one host
// per rank, and a crash fault for every rank the master timed out (at its last sign of life).
// `header`: the trace's comment lines ("key=value" tokens give policy, timeout, heartbeat, ranks).
Result<nlohmann::json> replay_scenario(const Trace& real, const std::vector<std::string>& header, const ReplayOptions& o);
// `dla-scenario replay`: the replay scenario of trace text `trace_text` (read from `trace_name`)
// written as OUT_DIR/scenario.json (validated exactly as `run` will read it) with the source trace
// beside it as OUT_DIR/real.trace. An existing scenario.json is an error unless `force`. Returns the
// line to print ("wrote ...").
Result<std::string> write_replay(const std::string& trace_text, const std::string& trace_name, const std::string& out_dir,
                                 const ReplayOptions& o, bool force, const std::string& repo_root, Env& env = *Env::posix());
// The comment lines of a trace text (without the leading "# ").
std::vector<std::string> trace_comments(const std::string& text);

}  // namespace dla::scen
