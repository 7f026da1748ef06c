#include "store/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/names.h"
#include "scan/formats.h"
#include "scan/gzip_file.h"

namespace dla {
namespace {

using nlohmann::json;

std::string hex8(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(v));
  return buf;
}

json block_json(const BlockRef& b) {
  return json{{"id", b.id}, {"offset", b.offset}, {"length", b.length}, {"crc", b.crc}, {"replicas", b.replicas}};
}

json manifest_json(const Manifest& m) {
  json ranks = json::array();
  for (const RankHost& r : m.ranks) ranks.push_back(json{{"rank", r.rank}, {"host", escape_name(r.host)}});
  json files = json::array();
  for (const StoredFile& f : m.files) {
    json blocks = json::array();
    for (int i = f.first_block; i < f.first_block + f.nblocks; ++i) blocks.push_back(block_json(m.blocks[i]));
    json jf{{"name", escape_name(f.name)}, {"size", f.size}, {"mtime_ns", f.mtime_ns}, {"blocks", blocks}};
    if (m.format >= 2) jf["format"] = f.format;
    files.push_back(std::move(jf));
  }
  json out{{"format", m.format},         {"block_size", m.block_size},
           {"replicas", m.k},            {"version", m.version},
           {"source_dir", escape_name(m.source_dir)}, {"ranks", ranks},
           {"files", files}};
  if (!m.sites.empty()) {
    json sites = json::object();
    for (const auto& [host, site] : m.sites) sites[escape_name(host)] = escape_name(site);
    out["sites"] = sites;
  }
  return out;
}

Error bad(const std::string& why) { return Error{"manifest: " + why, Code::kCorruption}; }

Result<std::string> raw_name(const json& j) {
  auto r = unescape_name(j.get<std::string>());
  if (!r) return bad("bad name: " + r.error());
  return r;
}

// One file and its blocks, appended to m. Checks that the blocks cover [0, size) in order.
Status parse_file(const json& jf, Manifest* m) {
  StoredFile f;
  auto name = raw_name(jf.at("name"));
  if (!name) return name.err();
  f.name = *name;
  if (m->format >= 2) {
    f.format = jf.at("format").get<std::string>();
    const auto& names = builtin_format_names();
    if (!f.format.empty() && std::find(names.begin(), names.end(), f.format) == names.end())
      return bad("file " + escape_name(f.name) + " has no known log format ('" + printable(f.format) + "')");
  }
  f.size = jf.at("size").get<std::uint64_t>();
  f.mtime_ns = jf.at("mtime_ns").get<std::int64_t>();
  f.first_block = static_cast<int>(m->blocks.size());
  std::uint64_t at = 0;
  for (const json& jb : jf.at("blocks")) {
    BlockRef b;
    b.id = jb.at("id").get<int>();
    b.file = static_cast<int>(m->files.size());
    b.offset = jb.at("offset").get<std::uint64_t>();
    b.length = jb.at("length").get<std::uint64_t>();
    b.crc = jb.at("crc").get<std::uint32_t>();
    b.replicas = jb.at("replicas").get<std::vector<int>>();
    if (b.id != static_cast<int>(m->blocks.size())) return bad("block ids are not 0..n-1 in order at block " + std::to_string(b.id));
    if (b.offset != at || (b.length == 0 && f.size != 0)) return bad("the blocks of " + escape_name(f.name) + " do not tile it");
    std::vector<int> reps = b.replicas;
    std::sort(reps.begin(), reps.end());
    if ((!reps.empty() && reps.front() < 0) || std::adjacent_find(reps.begin(), reps.end()) != reps.end()) {
      return bad("block " + std::to_string(b.id) + " lists a replica rank twice or a negative one");
    }
    at += b.length;
    m->blocks.push_back(std::move(b));
  }
  f.nblocks = static_cast<int>(m->blocks.size()) - f.first_block;
  if (f.nblocks == 0 || at != f.size) return bad("the blocks of " + escape_name(f.name) + " do not cover its " + std::to_string(f.size) + " bytes");
  if (is_gzip_name(f.name) && f.nblocks != 1) return bad(escape_name(f.name) + " is compressed but has several blocks");
  m->files.push_back(std::move(f));
  return OkStatus();
}

Result<Manifest> parse_manifest(const json& j) {
  Manifest m;
  m.format = j.at("format").get<int>();
  if (m.format > kManifestFormat) {
    return Error{"manifest: format " + std::to_string(m.format) + " is newer than this program's (" +
                     std::to_string(kManifestFormat) + ")",
                 Code::kInvalid};
  }
  if (m.format < 1) return bad("format " + std::to_string(m.format));
  m.block_size = j.at("block_size").get<std::uint64_t>();
  m.k = j.at("replicas").get<int>();
  m.version = j.at("version").get<std::uint64_t>();
  auto src = raw_name(j.at("source_dir"));
  if (!src) return src.err();
  m.source_dir = *src;
  if (m.block_size == 0 || m.k < 1) return bad("block_size 0 or replicas < 1");
  for (const json& jr : j.at("ranks")) {
    auto host = raw_name(jr.at("host"));
    if (!host) return host.err();
    m.ranks.push_back(RankHost{jr.at("rank").get<int>(), *host});
  }
  if (j.contains("sites")) {
    for (const auto& [host, site] : j.at("sites").items()) {
      auto h = unescape_name(host);
      auto st = raw_name(site);
      if (!h || !st) return bad("bad site map entry");
      m.sites[*h] = *st;
    }
  }
  for (const json& jf : j.at("files")) {
    if (Status s = parse_file(jf, &m); !s) return s.err();
  }
  return m;
}

}  // namespace

std::vector<FileInfo> Manifest::file_infos() const {
  std::vector<FileInfo> out;
  for (const StoredFile& f : files) out.push_back(FileInfo{join_path(source_dir, f.name), f.name, f.size, f.mtime_ns});
  return out;
}

Manifest make_manifest(const std::string& source_dir, const std::vector<FileInfo>& files,
                       std::vector<BlockRef> blocks, std::uint64_t block_size, int k, std::vector<RankHost> ranks,
                       SiteMap sites) {
  Manifest m;
  m.block_size = block_size;
  m.k = k;
  m.version = 1;
  m.source_dir = source_dir;
  m.ranks = std::move(ranks);
  m.sites = std::move(sites);
  std::sort(m.ranks.begin(), m.ranks.end(), [](const RankHost& a, const RankHost& b) { return a.rank < b.rank; });
  for (const FileInfo& fi : files) m.files.push_back(StoredFile{fi.name, fi.size, fi.mtime_ns, 0, 0});
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    StoredFile& f = m.files.at(blocks[i].file);
    if (f.nblocks == 0) f.first_block = static_cast<int>(i);
    ++f.nblocks;
  }
  m.blocks = std::move(blocks);
  return m;
}

std::string encode_manifest(const Manifest& m) {
  const json body = manifest_json(m);
  const std::string compact = body.dump();
  const json whole{{"crc", hex8(block_crc(compact))}, {"manifest", body}};
  return whole.dump(1) + "\n";
}

Result<Manifest> decode_manifest(std::string_view text) {
  json whole;
  try {
    whole = json::parse(text.begin(), text.end());
    if (!whole.is_object() || whole.size() != 2) return bad("not a dla manifest");
    const json& body = whole.at("manifest");
    if (whole.at("crc").get<std::string>() != hex8(block_crc(body.dump()))) return bad("checksum mismatch");
    auto m = parse_manifest(body);
    if (!m) return m;
    // Every byte counts: a copy whose text differs from ours in any way (whitespace too) is not one we wrote.
    if (encode_manifest(*m) != text) return bad("not in canonical form (edited?)");
    return m;
  } catch (const json::exception& e) {
    return bad(std::string("does not parse: ") + printable(e.what()));
  }
}

Status save_manifest(Env& env, const std::string& rank_dir, const Manifest& m) {
  return write_file_atomic(env, join_path(rank_dir, kManifestName), encode_manifest(m));
}

Result<Manifest> load_manifest(Env& env, const std::string& rank_dir) {
  const std::string path = join_path(rank_dir, kManifestName);
  auto text = read_file(env, path);
  if (!text) return escape_name_in(text.err(), path);
  auto m = decode_manifest(*text);
  if (!m) return Error{escape_name(path) + ": " + m.error(), m.code()};
  return m;
}

bool same_dataset(const Manifest& a, const Manifest& b) {
  if (a.source_dir != b.source_dir || a.files.size() != b.files.size()) return false;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    const StoredFile &x = a.files[i], &y = b.files[i];
    if (x.name != y.name || x.size != y.size || x.mtime_ns != y.mtime_ns) return false;
  }
  return true;
}

std::map<int, RankLoad> load_by_rank(const Manifest& m) {
  std::map<int, RankLoad> out;
  for (const BlockRef& b : m.blocks) {
    for (int r : b.replicas) {
      ++out[r].blocks;
      out[r].bytes += b.length;
    }
  }
  return out;
}

JobCoverage job_coverage(const Manifest& m, int size) {
  JobCoverage c;
  std::set<int> absent;
  for (const RankHost& r : m.ranks) {
    c.ingest_size = std::max(c.ingest_size, r.rank + 1);
    if (r.rank > 0 && r.rank >= size) absent.insert(r.rank);
  }
  std::set<int> files;
  for (const BlockRef& b : m.blocks) {
    bool reachable = false;
    for (int r : b.replicas) {
      if (r > 0 && r < size) reachable = true;
      if (r > 0 && r >= size) absent.insert(r);
    }
    if (reachable) continue;
    c.uncovered.push_back(b.id);
    files.insert(b.file);
  }
  c.absent.assign(absent.begin(), absent.end());
  c.uncovered_files.assign(files.begin(), files.end());
  return c;
}

}  // namespace dla
