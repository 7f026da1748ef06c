// Starting and timing processes for dla_scenario (the testbed layer below is pure: it hands these
// functions to the runner as its SpawnFn / SuperviseFn). Header-only because every src/apps/*.cc
// is a program of its own.
//   run_process: one process, stdout/stderr into files, its process group killed after its limit.
//   supervise:   a real run (testbed/real.h): the main process (dla-lab mpirun ...), the fault
//                commands at their times on the run's clock (which starts when the main process
//                prints the start line on stderr), and its end `grace` s after its RESULT line.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "testbed/real.h"
#include "testbed/runner.h"

namespace dla::apps {

using Clock = std::chrono::steady_clock;

// Set by SIGINT/SIGTERM (install_interrupt_handler): a supervised run then ends its job at once, so
// that the caller still takes its lab down, and the caller stops after that scenario.
inline volatile sig_atomic_t g_interrupted = 0;
inline void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted = 1; };
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// fork + exec in its own process group, stdout/stderr to files (relative to cwd); -1 on failure.
inline pid_t start_process(const scen::ProcessSpec& p) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::chdir(p.cwd.c_str()) != 0) _exit(126);
    int o = ::open(p.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(p.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    ::dup2(o, 1);
    ::dup2(e, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    std::vector<char*> a;
    for (const auto& s : p.argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    std::fprintf(stderr, "error: cannot run %s: %s\n", a[0], std::strerror(errno));
    _exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

inline int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// SIGTERM to the group, up to `patience` s for it to end, then SIGKILL.
inline int end_group(pid_t pid, double patience) {
  int status = 0;
  ::kill(-pid, SIGTERM);
  const auto t0 = Clock::now();
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (seconds_since(t0) > patience) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);  // whatever is left of the group
  return status;
}

inline scen::RunOutput run_process(const scen::ProcessSpec& p, double* real_seconds) {
  scen::RunOutput r;
  const auto t0 = Clock::now();
  pid_t pid = start_process(p);
  if (pid < 0) {
    r.rc = 127;
    return r;
  }
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (seconds_since(t0) > p.limit) {
      status = end_group(pid, 2);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (real_seconds) *real_seconds = seconds_since(t0);
  r.rc = exit_code(status);
  return r;
}

// Whether the file holds `needle` at the start of a line.
inline bool file_has_line_start(const std::string& path, const std::string& needle) {
  auto text = read_file(*Env::posix(), path);
  if (!text) return false;
  return text->rfind(needle, 0) == 0 || text->find("\n" + needle) != std::string::npos;
}

// The pids a resolve command printed (one or more per line).
inline std::vector<pid_t> read_pids(const scen::ProcessSpec& p) {
  std::vector<pid_t> pids;
  auto text = read_file(*Env::posix(), p.cwd + "/" + p.stdout_file);
  if (!text) return pids;
  std::istringstream in(*text);
  for (long x; in >> x;)
    if (x > 1) pids.push_back(static_cast<pid_t>(x));
  return pids;
}

// The fault commands of a supervised run: resolved when the clock starts, started at their times,
// reaped as they end.
struct Commands {
  const std::vector<scen::TimedCommand>& list;
  scen::SupervisedOutput& out;
  std::vector<pid_t> pids, resolvers;
  Commands(const std::vector<scen::TimedCommand>& l, scen::SupervisedOutput& o)
      : list(l), out(o), pids(l.size(), 0), resolvers(l.size(), 0) {}
  void resolve_all() {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!list[i].resolve.argv.empty()) resolvers[i] = start_process(list[i].resolve);
  }
  // SIGKILL (or the command's signal) to what the resolver found; whether it found anything.
  bool signal_resolved(std::size_t i) {
    if (resolvers[i] <= 0) return false;
    int status = 0;
    ::waitpid(resolvers[i], &status, 0);
    resolvers[i] = 0;
    bool any = false;
    for (pid_t p : read_pids(list[i].resolve)) any |= ::kill(p, list[i].signal) == 0;
    return any;
  }
  void start_due(double clock, Clock::time_point started) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (out.ran_at[i] >= 0 || clock < list[i].at) continue;
      const bool hit = signal_resolved(i);
      out.ran_at[i] = seconds_since(started);
      if (list[i].fallback_only && hit) continue;
      pids[i] = start_process(list[i].spec);
      if (pids[i] < 0) out.rcs[i] = 127;
    }
  }
  void reap(bool block) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (pids[i] <= 0) continue;
      int status = 0;
      if (::waitpid(pids[i], &status, block ? 0 : WNOHANG) == pids[i]) {
        out.rcs[i] = exit_code(status);
        pids[i] = 0;
      }
    }
    if (!block) return;
    for (pid_t& r : resolvers)
      if (r > 0) ::waitpid(r, nullptr, 0), r = 0;
  }
};

inline scen::SupervisedOutput supervise(const scen::SupervisedSpec& s, double* real_seconds) {
  scen::SupervisedOutput out;
  out.ran_at.assign(s.commands.size(), -1);
  out.rcs.assign(s.commands.size(), 0);
  Commands cmds(s.commands, out);
  const auto t0 = Clock::now();
  Clock::time_point started, result_seen;
  bool have_result = false;
  const std::string err_path = s.main.cwd + "/" + s.main.stderr_file, out_path = s.main.cwd + "/" + s.main.stdout_file;
  pid_t pid = start_process(s.main);
  int status = 0;
  for (int tick = 0; pid > 0 && ::waitpid(pid, &status, WNOHANG) != pid; ++tick) {
    if (!out.started && file_has_line_start(err_path, s.start_line)) {
      out.started = true;
      started = Clock::now();
      cmds.resolve_all();
    }
    if (out.started) cmds.start_due(seconds_since(started), started);
    cmds.reap(false);
    if (!have_result && tick % 20 == 0 && file_has_line_start(out_path, "RESULT ")) {
      have_result = true;
      result_seen = Clock::now();
    }
    if (g_interrupted) {
      out.out.timed_out = true;
      status = end_group(pid, 8);
      break;
    }
    if (!out.started && seconds_since(t0) > s.start_limit) {
      out.start_hung = true;
      status = end_group(pid, 8);
      break;
    }
    if (seconds_since(t0) > s.main.limit || (have_result && seconds_since(result_seen) > s.grace)) {
      out.out.timed_out = !have_result;
      out.ended_by_grace = have_result;
      status = end_group(pid, 8);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  cmds.reap(true);
  if (real_seconds) *real_seconds = seconds_since(t0);
  out.out.rc = pid > 0 ? exit_code(status) : 127;
  return out;
}

}  // namespace dla::apps
