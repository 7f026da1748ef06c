#include "store/local_store.h"

#include <cstdio>

#include "base/names.h"
#include "store/block.h"

namespace dla {
namespace {

constexpr const char* kMarkerText = "dla replicated store: this directory is managed by dla_store\n";


bool parse_uint(std::string_view s, int base, std::uint64_t max, std::uint64_t* out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    v = v * base + d;
    if (v > max) return false;
  }
  *out = v;
  return true;
}

// A temporary of an interrupted put: "." + a block name + ".tmp-" + anything.
bool is_our_temporary(std::string_view name) {
  if (name.size() < 2 || name[0] != '.') return false;
  const auto t = name.find(".tmp-");
  if (t == std::string_view::npos) return false;
  int b;
  std::uint32_t c;
  return parse_block_name(name.substr(1, t - 1), &b, &c);
}

Error corrupt(int block, const std::string& path, const std::string& why) {
  return Error{"block " + std::to_string(block) + ": replica " + escape_name(path) + " is corrupt (" + why + ")",
               Code::kCorruption};
}

// Makes dir a store: marker written durably. Refuses a non-empty directory without the marker.
Status claim(Env& env, const std::string& dir) {
  const std::string marker = join_path(dir, kStoreMarker);
  if (is_regular_file(env, marker)) return OkStatus();
  auto names = env.list_dir(dir);
  if (!names) return escape_name_in(names.err(), dir);
  // A temporary of our own marker (a claim cut short by a crash) does not make the dir foreign.
  const std::string tmp_prefix = std::string(".") + kStoreMarker + ".tmp-";
  for (const std::string& n : *names) {
    if (n.compare(0, tmp_prefix.size(), tmp_prefix) != 0) {
      return Error{escape_name(dir) + " is not a dla store (no " + kStoreMarker + ") and is not empty: refusing to touch it",
                   Code::kInvalid};
    }
  }
  for (const std::string& n : *names) env.remove_file(join_path(dir, n));  // best effort
  return write_file_atomic(env, marker, kMarkerText);
}

}  // namespace

std::string block_file_name(int block, std::uint32_t crc) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "block-%06d-%08x", block, static_cast<unsigned>(crc));
  return buf;
}

bool parse_block_name(std::string_view name, int* block, std::uint32_t* crc) {
  constexpr std::string_view kPrefix = "block-";
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view rest = name.substr(kPrefix.size());
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos) return false;
  std::uint64_t b = 0, c = 0;
  if (!parse_uint(rest.substr(0, dash), 10, 0x7fffffff, &b) || !parse_uint(rest.substr(dash + 1), 16, 0xffffffffu, &c)) {
    return false;
  }
  // Only the exact names we write (zero-padding and all): "block-7-1" is not ours.
  if (block_file_name(static_cast<int>(b), static_cast<std::uint32_t>(c)) != name) return false;
  *block = static_cast<int>(b);
  *crc = static_cast<std::uint32_t>(c);
  return true;
}

Result<std::string> LocalStore::rank_dir(const std::string& root, const std::string& host, int rank) {
  if (host.empty() || host == "." || host == ".." || host.find('/') != std::string::npos || host.find('\0') != std::string::npos) {
    return Error{"host name \"" + escape_name(host) + "\" cannot name a store directory", Code::kInvalid};
  }
  if (rank < 0) return Error{"rank " + std::to_string(rank) + " cannot name a store directory", Code::kInvalid};
  return join_path(join_path(root, host), std::to_string(rank));
}

Result<LocalStore> LocalStore::open(Env& env, const std::string& root, const std::string& host, int rank, bool create) {
  auto dir = rank_dir(root, host, rank);
  if (!dir) return dir.err();
  if (create) {
    if (Status s = make_dirs(env, *dir, /*sync=*/true); !s) return escape_name_in(s.err(), *dir);
    if (Status s = claim(env, *dir); !s) return s.err();
  } else if (!is_regular_file(env, join_path(*dir, kStoreMarker))) {
    return Error{escape_name(*dir) + ": no dla store here (no " + kStoreMarker + ")", Code::kNotFound};
  }
  LocalStore store(&env, *dir);
  if (Status s = store.index_dir(/*clean=*/true); !s) return s.err();
  return store;
}

Result<LocalStore> LocalStore::open_coordinator(Env& env, const std::string& root, const std::string& host,
                                                bool* remade) {
  *remade = false;
  auto own = open(env, root, host, 0, /*create=*/false);
  if (own || own.code() != Code::kNotFound || !is_regular_file(env, join_path(root, kStoreMarker))) return own;
  auto made = open(env, root, host, 0, /*create=*/true);
  if (made) *remade = true;
  return made;
}

// Lists the dir: block files into the index; with `clean`, temporaries of an interrupted put removed.
Status LocalStore::index_dir(bool clean) {
  auto names = env_->list_dir(dir_);
  if (!names) return escape_name_in(names.err(), dir_);
  index_.clear();
  for (const std::string& n : *names) {
    int b;
    std::uint32_t c;
    if (parse_block_name(n, &b, &c)) index_[b].insert(c);
    else if (clean && is_our_temporary(n)) env_->remove_file(join_path(dir_, n));  // best effort: a later open retries
  }
  return OkStatus();
}

std::string LocalStore::path_of(int block, std::uint32_t crc) const { return join_path(dir_, block_file_name(block, crc)); }

Status LocalStore::put(int block, std::uint32_t crc, std::string_view bytes) {
  const std::uint32_t got = block_crc(bytes);
  if (got != crc) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "crc %08x, expected %08x", static_cast<unsigned>(got), static_cast<unsigned>(crc));
    return Error{"block " + std::to_string(block) + ": refusing to store bytes that do not match their checksum (" + buf + ")",
                 Code::kCorruption};
  }
  const std::string path = path_of(block, crc);
  if (Status s = write_file_atomic(*env_, path, bytes); !s) return escape_name_in(s.err(), path);
  index_[block].insert(crc);
  // The new copy is durable: older files of the same block (another crc) are stale now.
  return remove_files_of(block, &crc);
}

Result<std::string> LocalStore::get(int block, std::uint32_t crc) {
  const std::string path = path_of(block, crc);
  auto bytes = read_file(*env_, path);
  if (!bytes) {
    if (bytes.code() == Code::kNotFound) {
      return Error{"block " + std::to_string(block) + ": no replica in " + escape_name(dir_), Code::kNotFound};
    }
    return escape_name_in(bytes.err(), path);
  }
  if (block_crc(*bytes) != crc) return corrupt(block, path, "checksum mismatch");
  return bytes;
}

Result<std::vector<Held>> LocalStore::inventory(bool verify) {
  if (Status s = index_dir(/*clean=*/false); !s) return s.err();
  std::vector<Held> out;  // (index_ is ordered by block, then crc)
  for (const auto& [block, crcs] : index_) {
    for (std::uint32_t crc : crcs) {
      Held h;
      h.block = block;
      h.crc = crc;
      const std::string path = path_of(block, crc);
      if (verify) {
        auto bytes = read_file(*env_, path);
        if (!bytes && bytes.code() == Code::kNotFound) continue;  // dropped meanwhile
        h.size = bytes ? bytes->size() : 0;
        h.ok = bytes && block_crc(*bytes) == h.crc;  // an unreadable replica is as good as corrupt
      } else {
        auto st = env_->stat(path);
        if (!st) continue;
        h.size = st->size;
      }
      out.push_back(h);
    }
  }
  return out;
}

Status LocalStore::drop(int block) { return remove_files_of(block, nullptr); }

Status LocalStore::remove(int block, std::uint32_t crc) {
  return remove_versions(block, [crc](std::uint32_t c) { return c == crc; });
}

Status LocalStore::remove_files_of(int block, const std::uint32_t* keep) {
  return remove_versions(block, [keep](std::uint32_t c) { return !keep || c != *keep; });
}

// Removes this rank's files of `block` whose crc `which` picks, as the index knows them; a file
// already gone is no error. The directory is synced when something was removed.
Status LocalStore::remove_versions(int block, const std::function<bool(std::uint32_t)>& which) {
  auto it = index_.find(block);
  if (it == index_.end()) return OkStatus();
  std::vector<std::uint32_t> removed;
  for (std::uint32_t c : it->second) {
    if (!which(c)) continue;
    const std::string path = path_of(block, c);
    Status s = env_->remove_file(path);
    if (!s && s.code() != Code::kNotFound) return escape_name_in(s.err(), path);
    removed.push_back(c);
  }
  if (removed.empty()) return OkStatus();
  // Forgotten only once the removal is durable: a failed sync leaves them indexed, so that a retry
  // (the next put, drop or remove) syncs again.
  if (Status d = env_->sync_dir(dir_); !d) return d;
  for (std::uint32_t c : removed) it->second.erase(c);
  if (it->second.empty()) index_.erase(it);
  return OkStatus();
}

}  // namespace dla
