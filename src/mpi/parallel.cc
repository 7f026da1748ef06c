#include "mpi/parallel.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/names.h"
#include "scan/discovery.h"
#include "obs/report.h"
#include "scan/scanner.h"
#include "mpi/sim_hooks.h"

namespace dla::mpi {
namespace {

// Per-rank partial result, gathered at rank 0 as a flat array in ONE collective (each collective
// costs at least a network latency: 10 ms per WAN crossing on hetero8). kScanTime holds the bits
// of the rank's scan time (a double), kScanCpu of its scan CPU time (real MPI only: on a shared
// machine it shows the work each rank needed, whatever CPU share the scheduler gave it); kErrText
// the length of its error text, gathered next.
enum Slot { kCountsText, kLines, kBytes, kFiles, kErrors, kScanTime, kScanCpu, kErrText, kSlots };

// CPU seconds (user + sys) of the calling thread: the scan, without Open MPI's helper threads.
// Under SMPI all ranks are threads of one simulator and time is simulated: not reported there.
double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

Counts scan_counted(const std::string& path, std::uint64_t size, const FormatSpec& format, std::uint64_t* bytes,
                    std::string* err) {
  ScanOptions so;
  so.format = format;
  so.expected_size = size;  // a file cut since the plan (copytruncate) is an error, not a short count
  std::uint64_t charged = 0;
  so.on_progress = [&](std::uint64_t done, std::uint64_t) {
    sim::charge_scan(done - charged);
    charged = done;
  };
  auto r = scan_file(path, {}, so);
  *bytes += charged;
  if (!r) {
    *err = r.error();
    return {};
  }
  return *r;
}

// Concatenation, in rank order, of every rank's `mine` at rank 0 (empty elsewhere); `lens` (rank
// 0 only) holds every rank's length, already gathered.
std::string gather_text(const std::string& mine, int rank, int size, std::vector<int> lens) {
  int n = static_cast<int>(mine.size());
  std::vector<int> displs(rank == 0 ? size : 0);
  std::string all;
  if (rank == 0) {
    int off = 0;
    for (int r = 0; r < size; ++r) {
      displs[r] = off;
      off += lens[r];
    }
    all.resize(static_cast<std::size_t>(off));
  }
  MPI_Gatherv(const_cast<char*>(mine.data()), n, MPI_CHAR, rank == 0 ? all.data() : nullptr, lens.data(), displs.data(),
              MPI_CHAR, 0, MPI_COMM_WORLD);
  return all;
}

std::string format_time(double s) {
  if (!sim::simulated()) return format_seconds(s);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6fs (simulated)", s);
  return buf;
}

// A barrier whose waiters sleep between tests instead of spinning (Open MPI's blocking collectives
// busy-poll: waiting ranks would steal the CPU from rank 0's timed sequential pass).
void idle_barrier() {
  MPI_Request r;
  MPI_Ibarrier(MPI_COMM_WORLD, &r);
  for (int done = 0;;) {
    MPI_Test(&r, &done, MPI_STATUS_IGNORE);
    if (done) return;
    sleep_seconds(0.001);
  }
}

// --baseline: rank 0 does base_log_analyser's work itself (discovery, then every file in order) and
// returns the time it took (and the counts, for a consistency check); the others just wait. Run
// after the parallel pass, so the baseline reads files the parallel pass has just read: if anything,
// the page cache favours the baseline and the speedup is understated.
double measure_baseline(const ParallelOptions& opt, const nlohmann::json& files, int rank, Counts* counts) {
  double secs = 0;
  if (rank == 0) {
    const double t = wtime();
    std::uint64_t bytes = 0;
    (void)discover_logs(opt.dir, opt.discover);  // (the parallel run's time includes its discovery too)
    for (const auto& f : files) {
      std::string err;
      auto path = unescape_name(f["path"].get<std::string>());  // (escaped by make_plan: always valid)
      *counts += scan_counted(path ? *path : std::string(), f["size"].get<std::uint64_t>(), opt.format, &bytes, &err);
    }
    secs = wtime() - t;
  }
  idle_barrier();
  return secs;
}

// The footer's baseline and speedup lines: measured (--baseline), given (--baseline-seconds) or n/a.
void add_speedup_lines(const ParallelOptions& opt, double measured, double total,
                       std::vector<std::pair<std::string, std::string>>* footer) {
  char buf[160];
  if (opt.measure_baseline) {
    std::string shown = format_time(measured);
    if (!sim::simulated() && measured < 0.1) {  // (more digits: sample_logs scans in about a millisecond)
      std::snprintf(buf, sizeof buf, "%.4fs", measured);
      shown = buf;
    }
    footer->emplace_back("Baseline (sequential, measured in this run)", shown);
    std::snprintf(buf, sizeof buf, "%.2fx (baseline / total time)", measured / total);
    footer->emplace_back("Speedup", measured > 0 && total > 0 ? buf : "n/a (the baseline took no measurable time)");
  } else if (opt.baseline_seconds > 0) {
    std::snprintf(buf, sizeof buf, "%.2fx (sequential baseline %.2fs / this run)", opt.baseline_seconds / total, opt.baseline_seconds);
    footer->emplace_back("Speedup", buf);
  } else {
    footer->emplace_back("Speedup", "n/a (pass --baseline to measure one, or --baseline-seconds)");
  }
}

// Rank 0: discovery and the static plan, as JSON ({"files": [{path, name, size, rank}...]} or
// {"error": message}).
std::string make_plan(const ParallelOptions& opt, int size) {
  auto files = discover_logs(opt.dir, opt.discover);
  nlohmann::json j;
  if (!files) {
    j["error"] = printable(files.error());
    return j.dump();
  }
  std::vector<std::uint64_t> w;
  for (const auto& f : *files) w.push_back(f.size);
  std::vector<int> owner(files->size());
  if (opt.partition == "roundrobin") {
    for (std::size_t i = 0; i < files->size(); ++i) owner[i] = static_cast<int>(i % static_cast<std::size_t>(size));
  } else {
    auto bins = partition_lpt(w, size);
    for (int b = 0; b < size; ++b)
      for (int i : bins[b]) owner[i] = b;
  }
  for (std::size_t i = 0; i < files->size(); ++i)
    j["files"].push_back({{"path", escape_name((*files)[i].path)}, {"name", escape_name((*files)[i].name)},
                          {"size", (*files)[i].size}, {"rank", owner[i]}});
  return j.dump();
}

// This rank's share of the plan, counted.
struct Share {
  std::uint64_t slots[kSlots] = {};
  std::string errors;  // one message per line; printed by rank 0 only
  Counts counts;       // sent as counts_to_wire text: the set of levels is open
};

Share count_share(const ParallelOptions& opt, const nlohmann::json& files, int rank) {
  Share mine;
  const double ts = wtime();
  const double cpu0 = cpu_seconds();
  for (const auto& f : files) {
    if (f["rank"].get<int>() != rank) continue;
    std::string err;
    auto path = unescape_name(f["path"].get<std::string>());  // (escaped by make_plan: always valid)
    Counts c = scan_counted(path ? *path : std::string(), f["size"].get<std::uint64_t>(), opt.format, &mine.slots[kBytes], &err);
    if (!err.empty()) {
      mine.errors += printable(err) + "\n";  // one line per error, whatever the name holds
      ++mine.slots[kErrors];
      continue;
    }
    mine.counts += c;
    mine.slots[kLines] += c.lines;
    ++mine.slots[kFiles];
  }
  const double scan_s = wtime() - ts;
  std::memcpy(&mine.slots[kScanTime], &scan_s, sizeof scan_s);
  const double scan_cpu = cpu_seconds() - cpu0;
  std::memcpy(&mine.slots[kScanCpu], &scan_cpu, sizeof scan_cpu);
  mine.slots[kErrText] = mine.errors.size();
  mine.slots[kCountsText] = counts_to_wire(mine.counts).size();
  return mine;
}

// Every rank's share at rank 0 (empty elsewhere): the slots in one collective, then the error texts.
struct Gathered {
  std::vector<std::uint64_t> all;  // kSlots per rank
  std::vector<double> times, cpus;
  std::string error_text;
  std::vector<std::string> counts_text;  // per rank
  const std::uint64_t* rank_slots(int r) const { return &all[static_cast<std::size_t>(r) * kSlots]; }
};

Gathered gather_shares(const Share& mine, int rank, int size) {
  Gathered g;
  const bool root = rank == 0;
  g.all.resize(root ? static_cast<std::size_t>(kSlots) * size : 0);
  g.times.resize(root ? size : 0);
  g.cpus.resize(root ? size : 0);
  std::vector<int> err_lens(root ? size : 0), counts_lens(root ? size : 0);
  MPI_Gather(mine.slots, kSlots, MPI_UINT64_T, g.all.data(), kSlots, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  for (int r = 0; r < (root ? size : 0); ++r) {
    std::memcpy(&g.times[r], &g.rank_slots(r)[kScanTime], sizeof(double));
    std::memcpy(&g.cpus[r], &g.rank_slots(r)[kScanCpu], sizeof(double));
    err_lens[r] = static_cast<int>(g.rank_slots(r)[kErrText]);
    counts_lens[r] = static_cast<int>(g.rank_slots(r)[kCountsText]);
  }
  g.error_text = gather_text(mine.errors, rank, size, err_lens);
  const std::string all_counts = gather_text(counts_to_wire(mine.counts), rank, size, counts_lens);
  std::size_t at = 0;
  for (int r = 0; r < (root ? size : 0); ++r) {
    g.counts_text.push_back(all_counts.substr(at, static_cast<std::size_t>(counts_lens[r])));
    at += static_cast<std::size_t>(counts_lens[r]);
  }
  return g;
}

// The merged result, as rank 0 prints it.
struct Merged {
  Counts counts;
  std::uint64_t errors = 0, bytes_sum = 0;
  double imbalance = 1.0;  // largest share / mean share, by bytes
  double total = 0;
  double measured_baseline = 0;  // --baseline: the sequential pass's time
};

Merged merge(const Gathered& g, int size, double total) {
  Merged m;
  m.total = total;
  std::uint64_t bytes_max = 0;
  for (int r = 0; r < size; ++r) {
    const std::uint64_t* p = g.rank_slots(r);
    auto c = counts_from_wire(g.counts_text[static_cast<std::size_t>(r)]);  // (made by counts_to_wire)
    if (c) m.counts += *c;
    m.errors += p[kErrors];
    m.bytes_sum += p[kBytes];
    bytes_max = std::max(bytes_max, p[kBytes]);
  }
  if (m.bytes_sum) m.imbalance = static_cast<double>(bytes_max) * size / static_cast<double>(m.bytes_sum);
  return m;
}

void print_json(const ParallelOptions& opt, const Gathered& g, const Merged& m, std::size_t nfiles, int size) {
  nlohmann::json out;
  out["files"] = nfiles;
  out["processes"] = size;
  out["counts"] = counts_json(m.counts);
  out["lines"] = m.counts.lines;
  out["unleveled"] = m.counts.unleveled();
  out["total_time_s"] = m.total;
  out["simulated"] = sim::simulated();
  out["unreadable_files"] = m.errors;
  out["partition"] = opt.partition;
  out["bytes"] = m.bytes_sum;
  out["max_over_mean_bytes"] = m.imbalance;
  const double baseline = opt.measure_baseline ? m.measured_baseline : opt.baseline_seconds;
  if (baseline > 0) out["speedup"] = baseline / m.total;
  if (opt.measure_baseline) out["baseline_measured_s"] = m.measured_baseline;
  for (int r = 0; r < size; ++r) {
    const std::uint64_t* p = g.rank_slots(r);
    nlohmann::json jr = {{"rank", r}, {"files", p[kFiles]}, {"bytes", p[kBytes]}, {"scan_s", g.times[r]}};
    if (!sim::simulated()) jr["scan_cpu_s"] = g.cpus[r];
    out["ranks"].push_back(jr);
  }
  std::cout << out.dump(2) << std::endl;
}

void print_text(const ParallelOptions& opt, const Gathered& g, const Merged& m, int size) {
  if (opt.verbose) {
    for (int r = 0; r < size; ++r) {
      const std::uint64_t* p = g.rank_slots(r);
      std::cout << "[Rank " << r << "] files " << p[kFiles] << ", bytes " << p[kBytes] << ", scan " << format_time(g.times[r]) << "\n";
    }
  }
  std::vector<std::pair<std::string, std::string>> footer;
  footer.emplace_back("Total time", format_time(m.total));
  add_speedup_lines(opt, m.measured_baseline, m.total, &footer);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d process(es), %s plan, largest share %.2fx the mean (bytes)", size,
                opt.partition == "roundrobin" ? "round-robin" : "LPT-by-bytes", m.imbalance);
  footer.emplace_back("Distribution", buf);
  if (m.errors) footer.emplace_back("Unreadable files", std::to_string(m.errors));
  std::cout << format_results(m.counts, footer) << std::flush;
}

}  // namespace

int run_parallel(const Session& s, const ParallelOptions& opt) {
  sim::set_flops_per_byte(opt.flops_per_byte);
  barrier();
  const double t0 = wtime();
  const int rank = s.rank(), size = s.size();
  std::string plan = rank == 0 ? make_plan(opt, size) : std::string();
  broadcast(plan);
  s.startup_done();
  auto j = nlohmann::json::parse(plan);
  if (j.contains("error")) {
    if (rank == 0) std::cerr << "error: " << j["error"].get<std::string>() << std::endl;
    return 1;
  }
  const auto& files = j["files"];
  if (rank == 0 && !opt.json) {
    std::cout << "Found " << files.size() << " log file(s) to analyse\n"
              << "Starting parallel analysis with " << size << " process(es)...\n"
              << std::endl;
  }
  const Gathered g = gather_shares(count_share(opt, files, rank), rank, size);
  const double total = wtime() - t0;
  Counts base_counts;
  const double measured = opt.measure_baseline ? measure_baseline(opt, files, rank, &base_counts) : 0;
  int status = 0;
  if (rank == 0) {
    Merged m = merge(g, size, total);
    m.measured_baseline = measured;
    status = m.errors ? 2 : 0;
    if (opt.measure_baseline && base_counts != m.counts)
      std::cerr << "warning: the sequential baseline pass counted differently (files changed during the run?)" << std::endl;
    // Unreadable files: the master reports each one (the owning rank only collected the message).
    std::istringstream es(g.error_text);
    for (std::string line; std::getline(es, line);)
      if (!line.empty()) std::cerr << "error: " << line << std::endl;
    if (opt.json) print_json(opt, g, m, files.size(), size);
    else print_text(opt, g, m, size);
  }
  broadcast(status);
  return status;
}

}  // namespace dla::mpi
