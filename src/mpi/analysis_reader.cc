#include "mpi/analysis_reader.h"

#include <algorithm>
#include <cstdio>

#include "base/names.h"
#include "mpi/console.h"
#include "mpi/sim_hooks.h"
#include "mpi/store_coord.h"
#include "store/block.h"
#include "mpi/tags.h"

namespace dla::mpi {
namespace {

std::optional<LocalStore> open_own(int rank, const std::string& root, bool quiet) {
  auto s = LocalStore::open(*Env::posix(), root, sim::host_name(), rank, /*create=*/false);
  if (s) return std::move(*s);
  if (!quiet) std::fprintf(stderr, "[Worker %d] no local store (%s): every block is read remotely\n", rank, printable(s.error()).c_str());
  return std::nullopt;
}

std::string where(const proto::TaskMsg& t) {
  return "block " + std::to_string(t.block) + " of " + escape_name(t.name) + " [" + std::to_string(t.offset) + "," +
         std::to_string(t.offset + t.length) + ")";
}

}  // namespace

BlockReader::BlockReader(int rank, Outbox* out, const std::string& root, double timeout, bool quiet)
    : rank_(rank), store_(open_own(rank, root, quiet)), server_(rank, store_ ? &*store_ : nullptr, out, 0, Env::posix()),
      fetcher_(rank, out, timeout) {}

bool BlockReader::handle(const Incoming& m, double now) {
  if (!wire::is_store_tag(m.tag)) return false;
  if (server_.handle(m)) return true;
  fetcher_.handle(m, now);
  return true;  // (a store message for nobody here: dropped)
}

Result<BlockReader::Read> BlockReader::read(const proto::TaskMsg& t, double now, const std::function<double()>& pump) {
  Read out;
  const bool holder = std::find(t.holders.begin(), t.holders.end(), rank_) != t.holders.end();
  std::string local_problem;
  if (store_ && holder) {
    auto got = store_->get(t.block, t.crc);  // verified (read_file reads it in one buffer of its size)
    if (got) {
      out.bytes = std::move(*got);
      out.local = true;
      return out;
    }
    local_problem = got.error();
    std::fprintf(stderr, "[Worker %d] local replica of %s unusable (%s): reading another replica\n", rank_, where(t).c_str(),
                 printable(got.error()).c_str());
  }
  const long long id = fetcher_.start(t.block, t.crc, t.holders, now);
  while (!fetcher_.done(id)) {
    now = pump();
    if (now < 0) return Error{where(t) + ": cancelled", Code::kInvalid};
    fetcher_.poll(now);
  }
  BlockFetcher::Result r = fetcher_.take(id);
  if (!r.ok) {
    std::string why = r.error.empty() ? "no holder left" : r.error;
    if (!local_problem.empty()) why = "local replica: " + local_problem + "; " + why;
    return Error{"no reachable replica of " + where(t) + ": " + why, Code::kNotFound};
  }
  out.bytes = std::move(r.bytes);
  if (!local_problem.empty()) {  // repair in place: the fetched bytes were verified against the crc
    if (Status st = store_->put(t.block, t.crc, out.bytes); st) out.repaired = t.block;
    else std::fprintf(stderr, "[Worker %d] could not repair %s: %s\n", rank_, where(t).c_str(), printable(st.error()).c_str());
  }
  return out;
}

namespace {

// Rank 0's own MANIFEST copy is missing or damaged: the newest valid copy among the data ranks
// (they answer from wait_plan, before their PLAN), saved again in rank 0's dir.
Result<Manifest> manifest_from_peers(const LocalStore& own, int size, double timeout, double poll, const std::string& why) {
  std::fprintf(stderr, "[Master] own manifest copy unusable (%s): asking the data ranks for theirs\n", printable(why).c_str());
  Outbox out;
  StoreLink link;
  link.out = &out;
  link.timeout = timeout;
  link.poll = poll;
  StoreCoordinator coord(link);
  std::vector<int> ranks;
  for (int r = 1; r < size; ++r) ranks.push_back(r);
  auto m = coord.fetch_manifest(ranks);
  out.flush(1.0, poll);
  out.abandon();
  if (!m) return Error{why + "; " + m.error()};
  std::fprintf(stderr, "[Master] using the data ranks' manifest (version %llu)\n", static_cast<unsigned long long>(m->version));
  if (Status st = save_manifest(*Env::posix(), own.dir(), *m); !st)
    std::fprintf(stderr, "[Master] could not save it in %s: %s\n", escape_name(own.dir()).c_str(), printable(st.error()).c_str());
  return m;
}

}  // namespace

Result<std::unique_ptr<MasterStore>> open_master_store(const std::string& root, int size, double timeout, double poll) {
  auto st = std::make_unique<MasterStore>();
  bool remade = false;
  auto own = LocalStore::open_coordinator(*Env::posix(), root, sim::host_name(), &remade);
  if (!own) return Error{"--store " + escape_name(root) + ": " + own.error()};
  if (remade)
    std::fprintf(stderr, "[Master] %s was missing: made again (rank 0 keeps only a MANIFEST copy; the data ranks' is used)\n",
                 escape_name(own->dir()).c_str());
  auto m = load_manifest(*Env::posix(), own->dir());
  if (!m && (m.code() == Code::kNotFound || m.code() == Code::kCorruption))
    m = manifest_from_peers(*own, size, timeout, poll, m.error());
  if (!m) return Error{"--store " + escape_name(root) + ": " + m.error()};
  st->own = std::move(*own);
  st->manifest = std::move(*m);
  st->holders = block_holders(st->manifest, size);
  return st;
}

namespace {

// Replicas a holder reported corrupt while serving a fetch leave the manifest's lists, so that
// run_repair counts their blocks under-replicated and copies them again (onto the same rank
// possibly: a put replaces the bad file). Returns them: they count as repaired only once a copy
// of their block is made (report_corrupt).
std::vector<CorruptReport> forget_corrupt(MasterStore& st) {
  std::vector<CorruptReport> out;
  if (!st.server) return out;
  for (const CorruptReport& c : st.server->corrupt_reports()) {
    if (c.block < 0 || c.block >= static_cast<int>(st.manifest.blocks.size())) continue;
    BlockRef& b = st.manifest.blocks[static_cast<std::size_t>(c.block)];
    auto it = std::find(b.replicas.begin(), b.replicas.end(), c.rank);
    if (it == b.replicas.end()) continue;
    b.replicas.erase(it);
    out.push_back(c);
  }
  return out;
}

// Each forgotten corrupt replica: repaired if a copy of its block was made, else said not repaired.
void report_corrupt(MasterStore& st, const std::vector<CorruptReport>& bad, const std::vector<CopyOrder>& done,
                    const std::string& why_not) {
  for (const CorruptReport& c : bad) {
    const BlockRef& b = st.manifest.blocks[static_cast<std::size_t>(c.block)];
    const std::string what = "block " + std::to_string(b.id) + " " +
                             st.manifest.files[static_cast<std::size_t>(b.file)].name + " " + range_text(b) + " on rank " +
                             std::to_string(c.rank);
    auto d = std::find_if(done.begin(), done.end(), [&](const CopyOrder& o) { return o.block == c.block; });
    if (d != done.end())
      st.totals.corrupt_repaired.push_back(what + " (copied again: rank " + std::to_string(d->from) + " -> rank " +
                                           std::to_string(d->to) + ")");
    else
      st.totals.repair_notes.push_back("corrupt replica not repaired, " + what + ": " + why_not);
  }
}

}  // namespace

void final_repair(MasterStore& st, Outbox* out, const std::vector<RankHost>& live, double timeout, double poll,
                  double deadline, const std::function<void(const Incoming&)>& other, bool chatty,
                  const std::function<bool(int)>& alive, const std::function<void()>& on_step) {
  st.repaired = true;
  const auto bad = forget_corrupt(st);
  StoreLink link;
  link.rank = 0;
  link.out = out;
  link.server = st.server.get();
  link.own_dir = st.own ? st.own->dir() : "";
  link.timeout = timeout;
  link.poll = poll;
  link.other = other;
  link.alive = alive;
  link.on_step = on_step;
  StoreCoordinator coord(link);
  coord.set_targets(live);  // (a target that dies during the repair: another live rank)
  RepairOptions ro;
  ro.verify = false;
  ro.deadline = deadline;
  auto r = run_repair(&st.manifest, live, &coord, ro);
  if (!r) {
    st.totals.repair_notes.push_back("repair not done: " + r.error());
    report_corrupt(st, bad, {}, "repair not done");
    if (chatty) say("[Master] Store repair not done: " + printable(r.error()));
    return;
  }
  st.totals.rereplicated_blocks = r->done.size();
  st.totals.rereplicated_bytes = r->bytes;
  for (const auto& line : r->lines) {
    if (line.rfind("repaired ", 0) != 0) st.totals.repair_notes.push_back(line);
    if (chatty) say("[Master] " + printable(line));
  }
  report_corrupt(st, bad, r->done, "no copy of the block was made (see the copy lines)");
}

}  // namespace dla::mpi
