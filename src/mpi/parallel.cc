#include "mpi/parallel.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

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
enum Slot { kDebug, kError, kInfo, kWarn, kLines, kBytes, kFiles, kErrors, kScanTime, kScanCpu, kErrText, kSlots };

// CPU seconds (user + sys) of the calling thread: the scan, without Open MPI's helper threads.
// Under SMPI all ranks are threads of one simulator and time is simulated: not reported there.
double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

Counts scan_counted(const std::string& path, std::uint64_t* bytes, std::string* err) {
  ScanOptions so;
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
double measure_baseline(const std::string& dir, const nlohmann::json& files, int rank, Counts* counts) {
  double secs = 0;
  if (rank == 0) {
    const double t = wtime();
    std::uint64_t bytes = 0;
    (void)discover_logs(dir);  // (the parallel run's time includes its discovery too)
    for (const auto& f : files) {
      std::string err;
      *counts += scan_counted(f["path"].get<std::string>(), &bytes, &err);
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

}  // namespace

int run_parallel(const Session& s, const ParallelOptions& opt) {
  sim::set_flops_per_byte(opt.flops_per_byte);
  barrier();
  const double t0 = wtime();
  const int rank = s.rank(), size = s.size();

  // ---- rank 0: discovery and the static plan, broadcast as JSON ----
  std::string plan;
  if (rank == 0) {
    auto files = discover_logs(opt.dir);
    nlohmann::json j;
    if (!files) {
      j["error"] = files.error();
    } else {
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
        j["files"].push_back({{"path", (*files)[i].path}, {"name", (*files)[i].name}, {"size", (*files)[i].size}, {"rank", owner[i]}});
    }
    plan = j.dump();
  }
  broadcast(plan);
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

  // ---- every rank: count its share ----
  std::uint64_t mine[kSlots] = {};
  std::string my_errors;  // one message per line; printed by rank 0 only
  const double ts = wtime();
  const double cpu0 = cpu_seconds();
  for (const auto& f : files) {
    if (f["rank"].get<int>() != rank) continue;
    std::string err;
    Counts c = scan_counted(f["path"].get<std::string>(), &mine[kBytes], &err);
    if (!err.empty()) {
      my_errors += err + "\n";
      ++mine[kErrors];
      continue;
    }
    for (int l = 0; l < kNumLevels; ++l) mine[l] += c.level[l];
    mine[kLines] += c.lines;
    ++mine[kFiles];
  }
  const double scan_s = wtime() - ts;
  std::memcpy(&mine[kScanTime], &scan_s, sizeof scan_s);
  const double scan_cpu = cpu_seconds() - cpu0;
  std::memcpy(&mine[kScanCpu], &scan_cpu, sizeof scan_cpu);
  mine[kErrText] = my_errors.size();

  // ---- rank 0: gather and merge ----
  std::vector<std::uint64_t> all(rank == 0 ? static_cast<std::size_t>(kSlots) * size : 0);
  std::vector<double> times(rank == 0 ? size : 0), cpus(rank == 0 ? size : 0);
  std::vector<int> err_lens(rank == 0 ? size : 0);
  MPI_Gather(mine, kSlots, MPI_UINT64_T, all.data(), kSlots, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  for (int r = 0; r < (rank == 0 ? size : 0); ++r) {
    std::memcpy(&times[r], &all[static_cast<std::size_t>(r) * kSlots + kScanTime], sizeof(double));
    std::memcpy(&cpus[r], &all[static_cast<std::size_t>(r) * kSlots + kScanCpu], sizeof(double));
    err_lens[r] = static_cast<int>(all[static_cast<std::size_t>(r) * kSlots + kErrText]);
  }
  const std::string error_text = gather_text(my_errors, rank, size, err_lens);
  const double total = wtime() - t0;
  Counts base_counts;
  const double measured = opt.measure_baseline ? measure_baseline(opt.dir, files, rank, &base_counts) : 0;
  const double baseline = opt.measure_baseline ? measured : opt.baseline_seconds;
  int status = 0;
  if (rank == 0) {
    Counts c;
    std::uint64_t errors = 0, bytes_max = 0, bytes_sum = 0;
    for (int r = 0; r < size; ++r) {
      const std::uint64_t* p = &all[static_cast<std::size_t>(r) * kSlots];
      for (int l = 0; l < kNumLevels; ++l) c.level[l] += p[l];
      c.lines += p[kLines];
      errors += p[kErrors];
      bytes_sum += p[kBytes];
      bytes_max = std::max(bytes_max, p[kBytes]);
    }
    status = errors ? 2 : 0;
    if (opt.measure_baseline && base_counts != c)
      std::cerr << "warning: the sequential baseline pass counted differently (files changed during the run?)" << std::endl;
    // Unreadable files: the master reports each one (the owning rank only collected the message).
    std::istringstream es(error_text);
    for (std::string line; std::getline(es, line);)
      if (!line.empty()) std::cerr << "error: " << line << std::endl;
    double imbalance = bytes_sum ? static_cast<double>(bytes_max) * size / static_cast<double>(bytes_sum) : 1.0;
    if (opt.json) {
      nlohmann::json out;
      out["files"] = files.size();
      out["processes"] = size;
      out["counts"] = counts_json(c);
      out["lines"] = c.lines;
      out["total_time_s"] = total;
      out["simulated"] = sim::simulated();
      out["unreadable_files"] = errors;
      out["partition"] = opt.partition;
      out["bytes"] = bytes_sum;
      out["max_over_mean_bytes"] = imbalance;
      if (baseline > 0) out["speedup"] = baseline / total;
      if (opt.measure_baseline) out["baseline_measured_s"] = measured;
      for (int r = 0; r < size; ++r) {
        const std::uint64_t* p = &all[static_cast<std::size_t>(r) * kSlots];
        nlohmann::json jr = {{"rank", r}, {"files", p[kFiles]}, {"bytes", p[kBytes]}, {"scan_s", times[r]}};
        if (!sim::simulated()) jr["scan_cpu_s"] = cpus[r];
        out["ranks"].push_back(jr);
      }
      std::cout << out.dump(2) << std::endl;
    } else {
      if (opt.verbose) {
        for (int r = 0; r < size; ++r) {
          const std::uint64_t* p = &all[static_cast<std::size_t>(r) * kSlots];
          std::cout << "[Rank " << r << "] files " << p[kFiles] << ", bytes " << p[kBytes] << ", scan " << format_time(times[r]) << "\n";
        }
      }
      std::vector<std::pair<std::string, std::string>> footer;
      footer.emplace_back("Total time", format_time(total));
      char buf[160];
      add_speedup_lines(opt, measured, total, &footer);
      std::snprintf(buf, sizeof buf, "%d process(es), %s plan, largest share %.2fx the mean (bytes)", size,
                    opt.partition == "roundrobin" ? "round-robin" : "LPT-by-bytes", imbalance);
      footer.emplace_back("Distribution", buf);
      if (errors) footer.emplace_back("Unreadable files", std::to_string(errors));
      std::cout << format_results(c, footer) << std::flush;
    }
  }
  broadcast(status);
  return status;
}

}  // namespace dla::mpi
