#include "mpi/distributed.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "base/names.h"
#include "mpi/analysis_reader.h"
#include "mpi/console.h"
#include "mpi/election.h"
#include "mpi/master.h"
#include "mpi/protocol.h"
#include "mpi/sim_hooks.h"
#include "mpi/store_cli.h"
#include "mpi/tags.h"
#include "obs/trace_target.h"
#include "mpi/transport.h"
#include "mpi/worker.h"

namespace dla::mpi {

const char* to_string(CrashSpec::Mode m) {
  switch (m) {
    case CrashSpec::Kill: return "kill";
    case CrashSpec::Hang: return "hang";
    case CrashSpec::Exit: return "exit";
  }
  return "?";
}

namespace {
bool parse_int(const std::string& s, int* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  long x = std::strtol(s.c_str(), &end, 10);
  if (*end || x < 0 || x > 1000000) return false;
  *v = static_cast<int>(x);
  return true;
}
bool parse_double(const std::string& s, double* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  double x = std::strtod(s.c_str(), &end);
  if (*end || !std::isfinite(x)) return false;
  *v = x;
  return true;
}
}  // namespace

Result<CrashSpec> parse_crash_spec(const std::string& s) {
  CrashSpec c;
  auto at = s.find('@');
  if (at == std::string::npos) return Error{"--inject-crash '" + s + "': expected RANK@SECONDS[:kill|hang|exit]"};
  std::string rest = s.substr(at + 1), mode = "kill";
  auto colon = rest.find(':');
  if (colon != std::string::npos) {
    mode = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!parse_int(s.substr(0, at), &c.rank) || !parse_double(rest, &c.at) || c.at < 0)
    return Error{"--inject-crash '" + s + "': expected RANK@SECONDS[:kill|hang|exit]"};
  if (mode == "kill") c.mode = CrashSpec::Kill;
  else if (mode == "hang") c.mode = CrashSpec::Hang;
  else if (mode == "exit") c.mode = CrashSpec::Exit;
  else return Error{"--inject-crash '" + s + "': mode must be kill, hang or exit"};
  return c;
}

Result<SlowSpec> parse_slow_spec(const std::string& s) {
  SlowSpec p;
  auto at = s.find('@');
  if (at == std::string::npos || !parse_int(s.substr(0, at), &p.rank) || !parse_double(s.substr(at + 1), &p.factor) ||
      p.factor < 1)
    return Error{"--inject-slow '" + s + "': expected RANK@FACTOR with FACTOR >= 1"};
  return p;
}

namespace {

// A time option: a finite number of seconds, > 0 (or >= 0 when zero means "off").
Status check_seconds(const char* name, double v, bool zero_ok = false) {
  if (!std::isfinite(v) || v < 0 || (!zero_ok && v == 0))
    return Error{std::string(name) + " must be a finite number of seconds " + (zero_ok ? ">= 0" : "> 0")};
  return OkStatus();
}

}  // namespace

int standby_count(const DistributedOptions& opt, int size) {
  if (opt.standbys >= 0) return opt.standbys;
  return size >= 3 ? 1 : 0;
}

Status validate(const DistributedOptions& opt, int size) {
  if (auto spec = parse_format_spec(opt.format.empty() ? "auto" : opt.format); !spec) return Error{"--format: " + spec.error()};
  if (opt.dir.empty() && opt.store_root.empty()) return Error{"missing DIR"};
  if (!opt.store_root.empty() && (!std::isfinite(opt.locality_wait) || opt.locality_wait < 0))
    return Error{"--locality-wait must be a finite number of seconds >= 0"};
  if (!make_policy(opt.policy)) {
    std::string names;
    for (const auto& n : policy_names()) names += (names.empty() ? "" : ", ") + n;
    return Error{"--policy must be one of " + names + ", not '" + escape_name(opt.policy) + "'"};
  }
  if (opt.speculate && !policy_is_dynamic(opt.policy))
    return Error{"--speculate needs a policy that hands out tasks on demand (not " + opt.policy + ")"};
  if (opt.detector != "fixed" && opt.detector != "phi")
    return Error{"--detector must be fixed or phi, not '" + escape_name(opt.detector) + "'"};
  if (!std::isfinite(opt.phi_threshold) || !(opt.phi_threshold > 0) || opt.phi_threshold > 300)
    return Error{"--phi-threshold must be a number > 0 and <= 300"};
  for (auto st : {check_seconds("--timeout", opt.timeout), check_seconds("--heartbeat", opt.heartbeat),
                  check_seconds("--master-timeout", opt.master_timeout), check_seconds("--poll", opt.poll),
                  check_seconds("--startup-timeout", opt.startup_timeout)})
    if (!st) return st;
  if (opt.heartbeat >= opt.timeout) return Error{"--heartbeat must be > 0 and below --timeout"};
  if (!std::isfinite(opt.throttle) || opt.throttle < 0) return Error{"--throttle must be a finite number >= 0"};
  if (!std::isfinite(opt.flops_per_byte) || !(opt.flops_per_byte > 0)) return Error{"--flops-per-byte must be a finite number > 0"};
  if (opt.split_bytes < 0) return Error{"--split-bytes must be >= 0 (0 = whole files)"};
  for (const auto& c : opt.crashes) {
    if (c.rank == 0) return Error{"--inject-crash: rank 0 is the master; only workers (1.." + std::to_string(size - 1) + ") can crash"};
    if (c.rank >= size) return Error{"--inject-crash: rank " + std::to_string(c.rank) + " does not exist (" + std::to_string(size) + " ranks)"};
  }
  for (const auto& s : opt.slow)
    if (s.rank <= 0 || s.rank >= size) return Error{"--inject-slow: rank " + std::to_string(s.rank) + " is not a worker"};
  if (opt.standbys < -1 || (opt.standbys > 0 && opt.standbys > size - 1))
    return Error{"--standbys must be between 0 and the number of workers (" + std::to_string(size - 1) + ")"};
  return OkStatus();
}

namespace {

// Rank 0, before anything is sent: the options, the input, the task count and the trace target.
Result<std::vector<FileInfo>> prepare(const DistributedOptions& opt, int size) {
  auto st = validate(opt, size);
  if (!st) return Error{st.error()};
  auto files = discover_logs(opt.dir, opt.discover);
  if (!files) return Error{files.error()};
  // Counted, not built: --split-bytes 1 on a large input would not fit in memory.
  std::uint64_t ntasks = 0;
  const auto split = static_cast<std::uint64_t>(opt.split_bytes);
  for (const auto& f : *files) ntasks += split > 0 && f.size > split ? (f.size + split - 1) / split : 1;
  if (ntasks > kMaxTasks)
    return Error{"--split-bytes " + std::to_string(opt.split_bytes) + " makes " + std::to_string(ntasks) +
                 " tasks (at most " + std::to_string(kMaxTasks) + "): use a larger value"};
  if (!opt.trace_file.empty()) {
    auto tst = check_trace_target(opt.trace_file, *files, opt.checkpoint_dir);
    if (!tst) return Error{tst.error()};
  }
  return files;
}

// Rank 1..n-1: waits for the master's PLAN (the start-up watchdog bounds the wait on real MPI; in
// SMPI a vanished master ends it). Empty text: the master is gone. --store: meanwhile it serves the
// store requests (rank 0 may ask for this rank's manifest copy before it can send the plan).
std::string wait_plan(const DistributedOptions& opt, int rank) {
  Outbox out;
  std::unique_ptr<BlockReader> server;
  if (!opt.store_root.empty()) server = std::make_unique<BlockReader>(rank, &out, opt.store_root, opt.timeout, /*quiet=*/true);
  while (true) {
    Incoming m;
    if (try_recv(server ? MPI_ANY_SOURCE : 0, &m)) {
      if (server && server->handle(m, 0)) continue;
      if (m.source == 0 && m.tag == wire::kPlan) {
        out.flush(1.0, opt.poll);
        out.abandon();
        return m.text;
      }
      continue;  // (nothing else is sent before the plan)
    }
    out.progress();
    const auto errs = take_peer_errors();  // (--store: an error on another rank is not the master's)
    if (!sim::peer_alive(0) || std::find(errs.begin(), errs.end(), 0) != errs.end()) {
      out.abandon();
      return {};
    }
    sleep_seconds(opt.poll);
  }
}

// Rank 0 could not start the run: every worker gets the error as its PLAN (so none waits for
// work), and the error and a RESULT ERROR line are printed. Returns the exit status.
int fail_start(const Session& s, const std::string& msg) {
  Outbox out;
  for (int w = 1; w < s.size(); ++w) out.send_text(w, wire::kPlan, proto::encode_plan({"", msg}));
  s.startup_done();
  std::cerr << "error: " << msg << std::endl;
  say("RESULT ERROR " + msg);
  out.abandon();
  return 1;
}

// --store: what this job can analyse of the store. A manifest without per-file formats (format 1,
// or a file's format not recorded) with detection on: an error (the blocks could not be counted as a directory run counts them).
// Data ranks of the ingest that this job lacks (a smaller -np): an error if some block then has no
// replica on the job's data ranks; else one note, and the absent ranks are treated as lost nodes
// (their blocks are read from the other replicas and re-replicated at the end).
Status check_store_job(const Manifest& m, const DistributedOptions& opt, int size) {
  const std::string root = "--store " + escape_name(opt.store_root);
  auto spec = parse_format_spec(opt.format.empty() ? "auto" : opt.format);
  const bool unrecorded = std::any_of(m.files.begin(), m.files.end(), [](const StoredFile& f) { return f.format.empty(); });
  if (spec && spec->automatic && unrecorded)
    return Error{root + ": its manifest (format " + std::to_string(m.format) +
                 ") records no log format per file; run dla_store ingest again with the same DIR into the same ROOT "
                 "(it adds them; stored blocks are not sent again), or give --format NAME"};
  return check_job_coverage(m, root, size, "the end-of-run repair restores K on the ranks of this job");
}

// --store: the manifest instead of discovery (rank 0's own copy).
int run_rank0_store(const Session& s, const DistributedOptions& opt) {
  auto st = validate(opt, s.size());
  Result<std::unique_ptr<MasterStore>> store = st ? open_master_store(opt.store_root, s.size(), opt.timeout, opt.poll) : Error{st.error()};
  if (store && (*store)->manifest.blocks.size() > kMaxTasks)
    store = Error{"the store holds " + std::to_string((*store)->manifest.blocks.size()) + " blocks (at most " +
                  std::to_string(kMaxTasks) + " tasks)"};
  if (store)
    if (Status cs = check_store_job((*store)->manifest, opt, s.size()); !cs) store = Error{cs.error()};
  if (!store) return fail_start(s, printable(store.error()));
  return run_master_store(s, opt, std::move(*store));
}

int run_rank0(const Session& s, const DistributedOptions& opt) {
  if (!opt.store_root.empty()) return run_rank0_store(s, opt);
  auto files = prepare(opt, s.size());
  if (!files) return fail_start(s, printable(files.error()));
  return run_master(s, opt, std::move(*files));
}

// A worker that won an election becomes the master: the input is discovered again (the same
// options on every rank), the checkpoint directory claimed for its term, and the run taken over.
int take_over(const Session& s, const DistributedOptions& opt, TakeoverInfo info) {
  auto files = discover_logs(opt.dir, opt.discover);
  if (!files) {
    std::cerr << "error: rank " << s.rank() << " cannot take over: " << printable(files.error()) << std::endl;
    return 1;
  }
  return run_master_takeover(s, opt, std::move(*files), std::move(info));
}

int run_worker_rank(const Session& s, const DistributedOptions& opt) {
  const std::string text = wait_plan(opt, s.rank());
  s.startup_done();
  if (text.empty()) {
    std::fprintf(stderr, "[Worker %d] master is gone before sending the plan - leaving\n", s.rank());
    return 0;
  }
  auto plan = proto::decode_plan(text);
  if (!plan) {
    std::fprintf(stderr, "[Worker %d] %s - leaving\n", s.rank(), plan.error().c_str());
    return 1;
  }
  if (!plan->error.empty()) return 1;  // bad input: the master prints the error
  TakeoverInfo won;
  const int rc = run_worker(s.rank(), s.size(), opt, std::move(*plan), wtime(), &won);
  if (won.term > 0) return take_over(s, opt, std::move(won));
  return rc;
}

}  // namespace

int run_distributed(const Session& s, const DistributedOptions& opt) {
  sim::set_flops_per_byte(opt.flops_per_byte);
  return s.rank() == 0 ? run_rank0(s, opt) : run_worker_rank(s, opt);
}

}  // namespace dla::mpi
