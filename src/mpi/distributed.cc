#include "mpi/distributed.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mpi/console.h"
#include "mpi/master.h"
#include "mpi/sim_hooks.h"
#include "mpi/worker.h"

namespace dla::mpi {
namespace {

nlohmann::json files_json(const std::vector<FileInfo>& files) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& f : files) j.push_back({{"path", f.path}, {"name", f.name}, {"size", f.size}, {"mtime_ns", f.mtime_ns}});
  return j;
}

}  // namespace

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

Status validate(const DistributedOptions& opt, int size) {
  if (opt.dir.empty()) return Error{"missing DIR"};
  if (!make_policy(opt.policy)) return Error{"--policy must be dynamic or static, not '" + opt.policy + "'"};
  if (!(opt.timeout > 0)) return Error{"--timeout must be > 0"};
  if (!(opt.heartbeat > 0) || opt.heartbeat >= opt.timeout) return Error{"--heartbeat must be > 0 and below --timeout"};
  if (!(opt.master_timeout > 0)) return Error{"--master-timeout must be > 0"};
  if (opt.throttle < 0) return Error{"--throttle must be >= 0"};
  if (!(opt.flops_per_byte > 0)) return Error{"--flops-per-byte must be > 0"};
  for (const auto& c : opt.crashes) {
    if (c.rank == 0) return Error{"--inject-crash: rank 0 is the master; only workers (1.." + std::to_string(size - 1) + ") can crash"};
    if (c.rank >= size) return Error{"--inject-crash: rank " + std::to_string(c.rank) + " does not exist (" + std::to_string(size) + " ranks)"};
  }
  for (const auto& s : opt.slow)
    if (s.rank <= 0 || s.rank >= size) return Error{"--inject-slow: rank " + std::to_string(s.rank) + " is not a worker"};
  return OkStatus();
}

int run_distributed(const Session& s, const DistributedOptions& opt) {
  sim::set_flops_per_byte(opt.flops_per_byte);
  const int rank = s.rank();
  // Rank 0 discovers the input and broadcasts it (everyone is alive at this point).
  std::string plan;
  if (rank == 0) {
    nlohmann::json j;
    auto st = validate(opt, s.size());
    if (!st) {
      j["error"] = st.error();
    } else {
      auto files = discover_logs(opt.dir);
      if (!files) j["error"] = files.error();
      else j["files"] = files_json(*files);
    }
    plan = j.dump();
  }
  broadcast(plan);
  auto j = nlohmann::json::parse(plan);
  if (j.contains("error")) {
    if (rank == 0) {
      std::cerr << "error: " << j["error"].get<std::string>() << std::endl;
      say("RESULT ERROR " + j["error"].get<std::string>());
    }
    return 1;
  }
  std::vector<FileInfo> files;
  for (const auto& f : j["files"])
    files.push_back({f["path"].get<std::string>(), f["name"].get<std::string>(), f["size"].get<std::uint64_t>(),
                     f["mtime_ns"].get<std::int64_t>()});
  barrier();
  const double t0 = wtime();
  if (rank == 0) return run_master(s.size(), opt, std::move(files), t0);
  return run_worker(rank, opt, std::move(files), t0);
}

}  // namespace dla::mpi
