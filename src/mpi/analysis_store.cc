#include "mpi/analysis_store.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/mem_env.h"
#include "base/names.h"
#include "scan/formats.h"

namespace dla::mpi {

std::vector<Task> block_tasks(const Manifest& m) {
  std::vector<Task> out;
  out.reserve(m.blocks.size());
  for (const BlockRef& b : m.blocks) {
    Task t;
    t.id = b.id;
    t.file = b.file;
    t.range = {b.offset, b.length};
    out.push_back(t);
  }
  return out;
}

std::vector<std::vector<int>> block_holders(const Manifest& m, int size) {
  std::vector<std::vector<int>> out;
  out.reserve(m.blocks.size());
  for (const BlockRef& b : m.blocks) {
    std::vector<int> h;
    for (int r : b.replicas)
      if (r > 0 && r < size) h.push_back(r);
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

// A .gz block goes into an in-memory file and scan_file inflates and counts it (rare: whole small
// files). Measured: for plain blocks that path cost ~10x the scan itself (copies, the MemEnv's
// crash bookkeeping), hence count_plain.
Result<Counts> count_gzip(const std::string& bytes, const ScanOptions& so, const std::string& name) {
  MemEnv env;
  const std::string path = "/block.gz";
  if (Status st = write_file(env, path, bytes, WriteMode::kTruncate, false); !st) return st.err();
  ScanOptions o = so;
  o.expected_size = bytes.size();
  auto c = scan_file(path, ByteRange{0, bytes.size()}, o, env);
  if (c) return c;
  std::string why = c.error();
  if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);
  return Error{escape_name(name) + ": " + why + " (the input file itself: its stored copy matches the checksum taken at ingest)",
               c.code()};
}

// Whole lines in memory: the format as scan_file resolves it on a file's head (the block's first
// kDetectBytes; at_eof when that is all of it), then count_lines over pieces of about chunk_bytes
// ended at a line end, each followed by a progress report (the last one (size, size)).
Result<Counts> count_plain(const std::string& bytes, const ScanOptions& so) {
  LogFormat fmt = so.format.fixed;
  if (so.format.automatic) {
    const std::size_t n = std::min(bytes.size(), kDetectBytes);
    fmt = detect_format(bytes.data(), n, n == bytes.size());
  }
  if (so.format_used) *so.format_used = std::string(fmt.name());
  Counts c;
  const std::size_t size = bytes.size(), chunk = so.chunk_bytes ? so.chunk_bytes : (8u << 20);
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t end = std::min(size, pos + chunk);
    if (end < size) {
      const void* nl = std::memchr(bytes.data() + end - 1, '\n', size - (end - 1));
      end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) + 1 : size;
    }
    count_lines(fmt, bytes.data() + pos, end - pos, c);
    pos = end;
    if (so.on_progress) so.on_progress(pos, size);
  }
  if (size == 0 && so.on_progress) so.on_progress(0, 0);
  return c;
}

}  // namespace

Result<Counts> count_block(const std::string& bytes, bool gzip, const ScanOptions& so, const std::string& name) {
  return gzip ? count_gzip(bytes, so, name) : count_plain(bytes, so);
}

double StoreTotals::locality() const {
  const std::uint64_t all = local_bytes + remote_bytes;
  return all == 0 ? 100.0 : 100.0 * static_cast<double>(local_bytes) / static_cast<double>(all);
}

std::vector<std::pair<std::string, std::string>> store_footer(const StoreTotals& t) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%.1f%% of bytes read locally (%llu local, %llu remote bytes moved)", t.locality(),
                static_cast<unsigned long long>(t.local_bytes), static_cast<unsigned long long>(t.remote_bytes));
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("Store locality", buf);
  out.emplace_back("Re-replicated", std::to_string(t.rereplicated_blocks) + " blocks (" + std::to_string(t.rereplicated_bytes) + " bytes)");
  if (!t.corrupt_repaired.empty()) out.emplace_back("Corrupt replicas repaired", std::to_string(t.corrupt_repaired.size()));
  if (!t.lost.empty()) out.emplace_back("Blocks lost", std::to_string(t.lost.size()));
  return out;
}

nlohmann::json store_json(const StoreTotals& t) {
  nlohmann::json j;
  j["local_bytes"] = t.local_bytes;
  j["remote_bytes"] = t.remote_bytes;
  j["locality"] = t.locality();  // percent, as printed
  j["rereplicated_blocks"] = t.rereplicated_blocks;
  j["rereplicated_bytes"] = t.rereplicated_bytes;
  nlohmann::json c = nlohmann::json::array(), l = nlohmann::json::array(), n = nlohmann::json::array();
  for (const auto& s : t.corrupt_repaired) c.push_back(escape_name(s));
  for (const auto& s : t.lost) l.push_back(escape_name(s));
  for (const auto& s : t.repair_notes) n.push_back(escape_name(s));
  j["corrupt_repaired"] = c;
  j["lost"] = l;
  j["repair_notes"] = n;
  return j;
}

}  // namespace dla::mpi
