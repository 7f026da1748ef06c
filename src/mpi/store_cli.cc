// dla_store's start-up, the data ranks' serving loop and rank 0's dispatch (store_cli.h).
#include "mpi/store_cli.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "base/names.h"
#include "mpi/sim_hooks.h"
#include "mpi/store_run.h"
#include "mpi/tags.h"
#include "mpi/transport.h"
#include "scan/discovery.h"
#include "store/nesting.h"

namespace dla::mpi {

namespace w = store_wire;

namespace {
std::string g_last_error;  // the last store_error message (rank 0's main thread), for the RESULT line
}  // namespace

int store_error(const std::string& message) {
  g_last_error = escape_name(message);
  std::cerr << "error: " << g_last_error << std::endl;
  return kStoreExitError;
}

std::string store_result_line(const std::string& command, int code, const std::string& error) {
  if (code == kStoreExitOk) return "RESULT OK " + command;
  if (code == kStoreExitProblems) return "RESULT PROBLEMS " + command + " (under-replicated, corrupt or missing blocks remain)";
  return "RESULT ERROR " + (error.empty() ? command + " failed" : error);
}

std::vector<int> ranks_of(const std::vector<RankHost>& v) {
  std::vector<int> out;
  for (const auto& rh : v) out.push_back(rh.rank);
  return out;
}

namespace {
std::string rank_list(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : " ") + std::to_string(r);
  return out;
}
}  // namespace

Status check_job_coverage(const Manifest& m, const std::string& root, int size, const std::string& then) {
  const JobCoverage c = job_coverage(m, size);
  if (c.absent.empty()) return OkStatus();
  const std::string job = "ingested by " + std::to_string(c.ingest_size) + " ranks, this job has " + std::to_string(size);
  const std::string ranks = (c.absent.size() == 1 ? "data rank " : "data ranks ") + rank_list(c.absent);
  const std::string here = size > 1 ? "on ranks 1.." + std::to_string(size - 1) : "in this job (it has no data rank)";
  if (!c.uncovered.empty())
    return Error{root + " was " + job + ": the stores of " + ranks + " are absent and " + std::to_string(c.uncovered.size()) +
                 " of " + std::to_string(m.blocks.size()) + " blocks (in " + std::to_string(c.uncovered_files.size()) +
                 (c.uncovered_files.size() == 1 ? " file" : " files") + ") have no replica " + here + "; run with -np " +
                 std::to_string(c.ingest_size)};
  std::cerr << "note: " << root << " was " << job << ": " << ranks
            << " absent, treated as lost (every block still has a replica here; " << then << ")" << std::endl;
  return OkStatus();
}

bool parse_block_size(const std::string& text, std::uint64_t* out) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoull(text);
  return true;
}

std::string validate_store_cli(const StoreCli& c) {
  if (c.command.empty()) return "a command is required: ingest, status or fsck";
  if (c.command != "ingest" && c.command != "status" && c.command != "fsck")
    return "unknown command '" + c.command + "' (ingest, status or fsck)";
  if (c.root.empty()) return "--store ROOT is required";
  if (!(c.timeout > 0) || !std::isfinite(c.timeout)) return "--timeout must be a positive, finite number of seconds";
  if (c.command == "ingest") {
    if (c.dir.empty()) return "ingest needs the input DIR";
    if (c.replicas < 1) return "--replicas K (K >= 1) is required for ingest";
    if (c.block_size < 1) return "--block-size must be at least 1 byte";
    if (c.window < 1) return "--window must be at least 1";
  } else if (!c.dir.empty()) {
    return c.command + " takes no DIR";
  }
  if (c.repair && c.command != "fsck") return "--repair is for fsck";
  if (!c.sites.empty() && c.command != "ingest") return "--sites is for ingest (the manifest keeps the map)";
  return "";
}

Result<Manifest> load_current_manifest(StoreRun& run) {
  auto own = load_manifest(*Env::posix(), run.own->dir());
  if (!own && own.code() != Code::kNotFound)
    std::fprintf(stderr, "[Store 0] own manifest unusable (%s): using the data ranks' copies\n", own.error().c_str());
  auto other = run.coord->fetch_manifest(ranks_of(run.data));
  if (other && (!own || other->version > own->version)) {
    std::fprintf(stderr, "[Store 0] using a data rank's manifest copy (version %llu%s)\n",
                 static_cast<unsigned long long>(other->version), own ? ", newer than mine" : "");
    return other;
  }
  if (own) return own;
  return own.code() == Code::kNotFound ? other : own;
}

namespace {

// The ROOT of this host: a dir that does not exist yet, or is empty, becomes ours (marker); one
// with our marker is ours; anything else is a user's directory and is never written into.
Status claim_root(Env& env, const std::string& root, bool create) {
  const std::string marker = join_path(root, kStoreMarker);
  auto st = env.stat(root);
  if (!st) {
    if (st.code() != Code::kNotFound) return st.err();
    if (!create) return Error{"no dla store at " + root, Code::kNotFound};
    if (auto md = make_dirs(env, root, true); !md) return md;
    return write_file_atomic(env, marker, "dla store root\n");
  }
  if (env.stat(marker)) return OkStatus();
  auto names = env.list_dir(root);
  if (!names) return names.err();
  // (a claim cut short by a crash leaves only write_file_atomic's temporary of our marker)
  const std::string ours = std::string(".") + kStoreMarker + ".tmp-";
  names->erase(std::remove_if(names->begin(), names->end(), [&](const std::string& n) { return n.rfind(ours, 0) == 0; }),
               names->end());
  if (!names->empty())
    return Error{root + " is not a dla store (no " + kStoreMarker + ") and is not empty: refusing to touch it"};
  if (!create) return Error{"no dla store at " + root, Code::kNotFound};
  return write_file_atomic(env, marker, "dla store root\n");
}

// Long: rank 0 may spend minutes cutting a large DIR before its first PUT (real MPI cannot tell a
// dead peer from a busy one; under SMPI peer_alive does).
double idle_limit(const StoreCli& c) { return std::max(600.0, 12 * c.timeout); }

// Opens this rank's store dir (claiming ROOT first when told to).
Result<LocalStore> open_store(const StoreCli& c, int rank, bool create, bool claim) {
  Env& env = *Env::posix();
  if (claim || !create) {
    auto st = claim_root(env, c.root, create);
    if (!st) return st.err();
  }
  if (rank == 0 && !create) {
    bool remade = false;
    auto own = LocalStore::open_coordinator(env, c.root, sim::host_name(), &remade);
    if (remade)
      std::fprintf(stderr, "[Store 0] %s was missing: made again (rank 0 keeps only a MANIFEST copy; the data ranks' is used)\n",
                   escape_name(own->dir()).c_str());
    return own;
  }
  return LocalStore::open(env, c.root, sim::host_name(), rank, create);
}

bool wants_create(const StoreCli& c) { return c.command == "ingest" || (c.command == "fsck" && c.repair); }

// A data rank: HELLO, wait for START (open the store) or QUIT, then serve until QUIT.
int run_data_rank(Session& session, const StoreCli& c) {
  const int rank = session.rank();
  Outbox out;
  out.send_text(0, wire::kStoreHello, w::encode({}, sim::host_name()));
  session.startup_done();
  std::optional<LocalStore> store;
  BlockServer server(rank, nullptr, &out);
  double heard = wtime();
  int code = kStoreExitOk;
  bool last_look = false;
  for (bool quit = false; !quit;) {
    out.progress();
    Incoming m;
    bool any = false;
    while (!quit && try_recv(MPI_ANY_SOURCE, &m)) {
      any = true;
      if (m.source == 0) heard = wtime();
      if (m.tag == wire::kStoreQuit) {
        // (the command's status is rank 0's: mpirun and smpirun report a non-zero rank's)
        code = kStoreExitOk;
        quit = true;
        out.send_text(0, wire::kStoreBye, w::encode({}));
      } else if (m.tag == wire::kStoreStart) {
        auto s = w::decode(m.text, 2);
        auto opened = open_store(c, rank, s && s->head[0] != 0, s && s->head[1] != 0);
        if (opened) store.emplace(std::move(*opened));
        server = BlockServer(rank, store ? &*store : nullptr, &out);
        out.send_text(0, wire::kStoreOpened,
                      opened ? w::encode({1, 0}) : w::encode({0, static_cast<long long>(opened.code())}, opened.error()));
      } else {
        server.handle(m);
      }
      m = Incoming{};
    }
    if (quit) break;
    const bool gone = !any && !sim::peer_alive(0);  // (after one more look at what arrived)
    if (gone && !last_look) {
      last_look = true;
      continue;
    }
    if (gone || wtime() - heard > idle_limit(c)) {
      std::fprintf(stderr, "[Store %d] rank 0 is gone or silent: leaving\n", rank);
      code = kStoreExitError;
      break;
    }
    if (!any) sleep_seconds(0.0005);
  }
  out.flush(c.timeout, 0.001);
  out.abandon();
  return code;
}

// What the data ranks said at start-up (rank 0).
struct Roll {
  std::map<int, std::string> hosts;                     // HELLO: rank -> host
  std::map<int, std::pair<bool, std::string>> opened;  // OPENED: rank -> ok, error line
  std::set<int> bye;                                    // BYE: rank -> left
};

// Waits until `done()` or nothing new came for --timeout.
template <class F>
void wait_for(StoreCoordinator& coord, const Roll& roll, double timeout, F done) {
  double last = wtime();
  std::size_t seen = roll.hosts.size() + roll.opened.size();
  while (!done() && wtime() - last < timeout) {
    coord.step();
    const std::size_t n = roll.hosts.size() + roll.opened.size();
    if (n != seen) {
      seen = n;
      last = wtime();
    }
  }
}

// START to the first rank of every other host (it claims that host's ROOT), then to the rest.
void start_data_ranks(StoreCoordinator& coord, const StoreCli& c, Roll& roll) {
  std::map<std::string, int> first;
  first[sim::host_name()] = 0;  // rank 0 claimed its host's ROOT already
  std::vector<int> phase_a, phase_b;
  for (const auto& [r, h] : roll.hosts) (first.emplace(h, r).second ? phase_a : phase_b).push_back(r);
  const long long create = wants_create(c) ? 1 : 0;
  for (auto* phase : {&phase_a, &phase_b}) {
    std::size_t asked = 0;
    for (int r : *phase)
      if (coord.link().out->send_text(r, wire::kStoreStart, w::encode({create, phase == &phase_a ? 1 : 0}))) ++asked;
    std::size_t want = roll.opened.size() + asked;
    wait_for(coord, roll, c.timeout, [&] { return roll.opened.size() >= want; });
  }
}

// The data ranks whose store opened; a start-up problem is an error for ingest, a note otherwise.
Result<std::vector<RankHost>> data_ranks(const StoreCli& c, const Roll& roll, int size) {
  std::vector<RankHost> data;
  for (int r = 1; r < size; ++r) {
    auto h = roll.hosts.find(r);
    auto o = roll.opened.find(r);
    std::string why;
    if (h == roll.hosts.end()) why = "did not start within --timeout";
    else if (o == roll.opened.end()) why = "did not open its store within --timeout";
    else if (!o->second.first) why = o->second.second;
    if (why.empty()) {
      data.push_back({r, h->second});
      continue;
    }
    if (c.command == "ingest") return Error{"rank " + std::to_string(r) + ": " + why};
    std::fprintf(stderr, "[Store 0] note: rank %d left out: %s\n", r, why.c_str());
  }
  return data;
}

// Rank 0's checks that need no other rank, before any data rank creates anything.
Status precheck(const StoreCli& c, int size) {
  if (c.command != "ingest") return OkStatus();
  DiscoverOptions d;
  d.pattern = c.pattern;
  d.recursive = c.recursive;
  if (Env::posix()->stat(c.dir))  // (a missing DIR: discovery's error)
    if (auto nest = check_store_nesting(*Env::posix(), c.root, c.dir); !nest) return nest;
  auto files = discover_logs(c.dir, d, *Env::posix());
  if (!files) return files.err();
  if (c.replicas > size - 1)
    return Error{"K=" + std::to_string(c.replicas) + " replicas need " + std::to_string(c.replicas) +
                 " data ranks, only " + std::to_string(size - 1) + " in this job (ranks 1.." +
                 std::to_string(size - 1) + ")"};
  return OkStatus();
}

int coordinate(Session& session, const StoreCli& c, Outbox& out, BlockServer& server, StoreCoordinator& coord,
               Roll& roll) {
  const int size = session.size();
  if (auto st = precheck(c, size); !st) return store_error(st.error());
  auto own = open_store(c, 0, wants_create(c), true);
  if (!own) return store_error(own.error());
  server = BlockServer(0, &*own, &out);
  coord.set_own_dir(own->dir());
  wait_for(coord, roll, c.timeout, [&] { return static_cast<int>(roll.hosts.size()) >= size - 1; });
  start_data_ranks(coord, c, roll);
  auto data = data_ranks(c, roll, size);
  if (!data) return store_error(data.error());
  StoreRun run(c);
  run.size = size;
  run.ranks.push_back({0, sim::host_name()});
  for (const auto& [r, h] : roll.hosts) run.ranks.push_back({r, h});
  run.data = std::move(*data);
  run.own = &*own;
  run.coord = &coord;
  run.t0 = wtime();
  if (c.command == "ingest") return run_ingest(run);
  if (c.command == "status") return run_status(run);
  return run_fsck(run);
}

int run_rank0(Session& session, const StoreCli& c) {
  session.startup_done();
  Outbox out;
  BlockServer server(0, nullptr, &out);
  Roll roll;
  StoreLink link;
  link.out = &out;
  link.server = &server;
  link.timeout = c.timeout;
  link.other = [&roll](const Incoming& m) {
    auto d = w::decode(m.text);
    if (!d) return;
    if (m.tag == wire::kStoreHello) roll.hosts[m.source] = d->body;
    if (m.tag == wire::kStoreOpened && !d->head.empty()) roll.opened[m.source] = {d->head[0] != 0, d->body};
    if (m.tag == wire::kStoreBye) roll.bye.insert(m.source);
  };
  StoreCoordinator coord(link);
  const int code = coordinate(session, c, out, server, coord, roll);
  // The verdict, last on stdout: tools/dla-mpirun (--enable-recovery: mpirun exits 0 whatever the
  // ranks did) takes the exit status from it. Printed before the QUITs' wait, so that it is there
  // even if a data rank's goodbye never comes.
  std::cout << store_result_line(c.command, code, g_last_error) << std::endl;
  std::size_t asked = 0;
  for (int r = 1; r < session.size(); ++r)
    if (out.send_text(r, wire::kStoreQuit, w::encode({code})) && roll.hosts.count(r)) ++asked;
  // Each started rank says BYE: then nothing is in flight to it (SMPI loses a message whose sender
  // ended). Bounded: a dead rank never answers.
  const double until = wtime() + c.timeout;
  while (roll.bye.size() < asked && wtime() < until) coord.step();
  out.flush(c.timeout, 0.001);
  out.abandon();
  return code;
}

}  // namespace

int run_store(Session& session, const StoreCli& c) {
  return session.rank() == 0 ? run_rank0(session, c) : run_data_rank(session, c);
}

}  // namespace dla::mpi
