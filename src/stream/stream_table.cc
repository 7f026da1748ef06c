#include "stream/stream_table.h"

#include <algorithm>
#include <set>

#include "base/names.h"
#include "scan/discovery.h"

namespace dla::stream {

using nlohmann::json;

std::string to_hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string o;
  o.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    o += d[c >> 4];
    o += d[c & 15];
  }
  return o;
}

Result<std::string> from_hex(const std::string& hex) {
  auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (hex.size() % 2) return Error{"odd-length hex string", Code::kCorruption};
  std::string o;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int a = v(hex[i]), b = v(hex[i + 1]);
    if (a < 0 || b < 0) return Error{"not a hex string", Code::kCorruption};
    o += static_cast<char>(a * 16 + b);
  }
  return o;
}

Result<std::vector<Listed>> list_followed(Env& env, const std::string& dir, const std::string& pattern) {
  auto names = env.list_dir(dir);
  if (!names) return names.err();
  std::vector<Listed> out;
  for (const auto& n : *names) {
    if (!glob_match(pattern, n)) continue;
    const std::string p = join_path(dir, n);
    auto f = env.open_read(p);
    if (!f) continue;  // gone meanwhile (or unreadable: not followed)
    auto s = (*f)->stat();
    if (!s || !s->regular()) continue;
    auto fp = read_fingerprint(**f, s->size);
    if (!fp) continue;
    out.push_back(Listed{n, s->dev, s->ino, s->size, *fp});
  }
  return out;
}

Stream* StreamTable::find_stream(std::uint64_t dev, std::uint64_t ino) {
  for (auto& [k, s] : streams_)
    if (s.pos.ino == ino && s.pos.dev == dev) return &s;
  return nullptr;
}

void StreamTable::start_stream(const Listed& l, std::uint64_t offset, const std::string& format) {
  Stream s;
  s.key = next_key_++;
  s.name = l.name;
  s.pos.dev = l.dev;
  s.pos.ino = l.ino;
  s.pos.fp = l.fp;
  s.pos.offset = offset;
  s.pos.format = format;
  streams_[s.key] = s;
  changed_ = true;
}

// The stream's current owner may no longer report about it: the next assignment (a new epoch)
// goes to the same worker if it is live, so that its follower is replaced, not duplicated.
void StreamTable::revoke(Stream* s) {
  if (s->owner >= 0) s->prefer = s->owner;
  s->owner = -1;
  s->end_sent = false;
  changed_ = true;
}

// The generation being read ended at `end`; a copy of it may continue it (observe()).
void StreamTable::end_generation(Stream* s, std::uint64_t end) {
  if (!s->pos.fp.empty() && end > 0) {
    gens_.push_back(Generation{s->pos.fp, end, s->pos.format});
    if (gens_.size() > 256) gens_.erase(gens_.begin());
  }
  s->pos.offset = 0;
  s->pos.fp.clear();
  s->pos.format.clear();
  s->mismatch_since = -1;
  changed_ = true;
}

// A known identity listed again: follow a rename; when its first bytes are no longer the stream's
// (or it shrank below the committed offset) for the grace, end the generation here, under a new
// epoch: its owner did not report the truncation (it is dead, not yet declared failed).
void StreamTable::check_listed(Stream* s, const Listed& l, double t) {
  if (s->name != l.name) {
    s->name = l.name;
    changed_ = true;
  }
  if (s->ending) {  // listed again before it was retired: the same stream again
    s->ending = false;
    if (s->end_sent) revoke(s);
    s->end_sent = false;
    changed_ = true;
  }
  const bool differs = l.size < s->pos.offset || (!s->pos.fp.empty() && !l.fp.empty() && !fp_compatible(s->pos.fp, l.fp)) ||
                       (!s->pos.fp.empty() && l.fp.empty() && l.size < s->pos.fp.size());
  if (!differs) {
    s->mismatch_since = -1;
    return;
  }
  if (s->mismatch_since < 0) s->mismatch_since = t;
  if (t - s->mismatch_since >= grace_) {
    end_generation(s, s->pos.offset);
    revoke(s);
  }
}

// A new identity: the copy of a truncated generation, a possible copy still waiting, or a file
// of its own.
void StreamTable::place_new(const Listed& l, const std::vector<const std::string*>& heads, double t) {
  const auto id = std::make_pair(l.dev, l.ino);
  const double first = candidates_.emplace(id, t).first->second;
  bool maybe_copy = false;
  auto best = gens_.end();
  for (auto g = gens_.begin(); g != gens_.end(); ++g) {
    if (!fp_compatible(g->fp, l.fp)) continue;
    if (l.fp.size() < g->fp.size()) maybe_copy = true;  // only a part of the generation's head so far
    else best = g;  // the most recent one
  }
  if (best != gens_.end()) {  // the copy of a truncated generation: continue where it ended
    const Generation gen = *best;
    gens_.erase(best);
    candidates_.erase(id);
    start_stream(l, std::min(gen.end, l.size), gen.format);
    return;
  }
  for (const auto& [k, s] : streams_)
    maybe_copy |= !s.ending && !s.pos.fp.empty() && fp_compatible(s.pos.fp, l.fp);
  for (const std::string* h : heads)  // a followed file as listed now (its new generation not yet reported)
    maybe_copy |= !h->empty() && fp_compatible(*h, l.fp);
  if (maybe_copy && t - first < copy_wait_) {
    waiting_.push_back(l.name);
    return;
  }
  candidates_.erase(id);
  start_stream(l, 0, "");
}

void StreamTable::observe(const std::vector<Listed>& now, double t) {
  std::set<std::uint64_t> seen;
  std::set<std::pair<std::uint64_t, std::uint64_t>> listed;
  std::vector<const Listed*> fresh;
  std::vector<const std::string*> heads;  // of the followed files listed
  waiting_.clear();
  for (const auto& l : now) {
    listed.insert({l.dev, l.ino});
    if (Stream* s = find_stream(l.dev, l.ino)) {
      check_listed(s, l, t);
      seen.insert(s->key);
      heads.push_back(&l.fp);
    } else {
      fresh.push_back(&l);
    }
  }
  for (auto& [k, s] : streams_)
    if (!s.ending && !seen.count(k)) {
      s.ending = true;  // renamed out of the pattern or deleted
      changed_ = true;
    }
  for (auto it = candidates_.begin(); it != candidates_.end();)
    it = listed.count(it->first) ? std::next(it) : candidates_.erase(it);
  for (const Listed* l : fresh)
    if (!l->fp.empty()) place_new(*l, heads, t);  // no complete first line yet: nothing to count
  // A copy exists before its original's truncation: the listings after the truncation show it.
  for (auto& g : gens_) ++g.listings;
  gens_.erase(std::remove_if(gens_.begin(), gens_.end(), [](const Generation& g) { return g.listings > 2; }), gens_.end());
}

Stream* StreamTable::reporter(int worker, std::uint64_t key, std::uint64_t epoch) {
  auto it = streams_.find(key);
  if (it == streams_.end() || it->second.owner != worker || it->second.epoch != epoch) {
    ++dropped_;
    return nullptr;
  }
  return &it->second;
}

bool StreamTable::on_delta(int worker, std::uint64_t key, std::uint64_t epoch, std::uint64_t from, std::uint64_t to,
                           const Counts& c, const std::string& fp, const std::string& format) {
  Stream* s = reporter(worker, key, epoch);
  if (!s) return false;
  if (from != s->pos.offset || to < from) {
    ++dropped_;
    return false;
  }
  s->counts += c;
  s->pos.offset = to;
  if (!fp.empty()) s->pos.fp = fp;
  if (!format.empty()) s->pos.format = format;
  changed_ = true;
  return true;
}

bool StreamTable::on_truncated(int worker, std::uint64_t key, std::uint64_t epoch, std::uint64_t end) {
  Stream* s = reporter(worker, key, epoch);
  if (!s) return false;
  if (end != s->pos.offset) {
    ++dropped_;
    return false;
  }
  end_generation(s, end);
  return true;
}

bool StreamTable::on_ended(int worker, std::uint64_t key, std::uint64_t epoch, bool lost) {
  Stream* s = reporter(worker, key, epoch);
  if (!s) return false;
  retired_ += s->counts;
  if (lost) ++lost_;
  streams_.erase(key);
  changed_ = true;
  return true;
}

void StreamTable::set_workers(const std::vector<int>& live) {
  workers_ = live;
  std::sort(workers_.begin(), workers_.end());
  for (auto& [k, s] : streams_)
    if (s.owner >= 0 && !std::binary_search(workers_.begin(), workers_.end(), s.owner)) {
      s.owner = -1;  // its successor starts from the committed offset
      s.end_sent = false;
    }
}

std::vector<Order> StreamTable::take_orders() {
  std::vector<Order> out;
  if (workers_.empty()) return out;
  std::map<int, int> load;
  for (int w : workers_) load[w] = 0;
  for (const auto& [k, s] : streams_)
    if (s.owner >= 0) ++load[s.owner];
  for (auto& [k, s] : streams_) {
    if (s.owner < 0) {
      int best = workers_.front();
      for (int w : workers_)
        if (load[w] < load[best]) best = w;
      if (s.prefer >= 0 && std::binary_search(workers_.begin(), workers_.end(), s.prefer)) best = s.prefer;
      s.prefer = -1;
      ++load[best];
      s.owner = best;
      s.epoch = next_epoch_++;
      s.end_sent = s.ending;
      out.push_back(Order{Order::kFollow, best, k, s.epoch, s.name, s.pos, s.ending});
    } else if (s.ending && !s.end_sent) {
      s.end_sent = true;
      out.push_back(Order{Order::kEnd, s.owner, k, s.epoch, s.name, s.pos, true});
    }
  }
  return out;
}

std::size_t StreamTable::unowned() const {
  std::size_t n = 0;
  for (const auto& [k, s] : streams_) n += s.owner < 0;
  return n;
}

Counts StreamTable::totals() const {
  Counts c = retired_;
  for (const auto& [k, s] : streams_) c += s.counts;
  return c;
}

namespace {

json counts_with_lines(const Counts& c) {
  json j = counts_json(c);
  j["lines"] = c.lines;
  return j;
}

Result<Counts> read_counts_with_lines(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("lines") || !j["lines"].is_number_unsigned())
    return Error{"stream: " + where + " is not a counts object with lines", Code::kCorruption};
  json levels = j;
  levels.erase("lines");
  auto c = counts_from_json(levels);
  if (!c) return Error{"stream: " + where + ": " + c.error(), Code::kCorruption};
  c->lines = j["lines"].get<std::uint64_t>();
  return c;
}

bool is_u64(const json& j, const char* k) { return j.contains(k) && j[k].is_number_unsigned(); }
bool is_str(const json& j, const char* k) { return j.contains(k) && j[k].is_string(); }

Result<Stream> read_stream(const json& e, std::size_t i) {
  const std::string where = "files[" + std::to_string(i) + "]";
  if (!e.is_object() || !is_u64(e, "key") || !is_str(e, "name") || !is_u64(e, "dev") || !is_u64(e, "ino") ||
      !is_str(e, "fp") || !is_u64(e, "offset") || !is_str(e, "format") || !e.contains("counts"))
    return Error{"stream: " + where + " lacks a field or has a wrong type", Code::kCorruption};
  Stream s;
  s.key = e["key"].get<std::uint64_t>();
  auto name = unescape_name(e["name"].get<std::string>());
  auto fp = from_hex(e["fp"].get<std::string>());
  auto c = read_counts_with_lines(e["counts"], where + ".counts");
  if (!name || !fp || !c) return Error{"stream: " + where + " has a bad name, fingerprint or counts", Code::kCorruption};
  s.name = *name;
  s.pos = FollowPosition{e["dev"].get<std::uint64_t>(), e["ino"].get<std::uint64_t>(), *fp, e["offset"].get<std::uint64_t>(),
                         e["format"].get<std::string>()};
  s.counts = *c;
  s.ending = e.contains("ending") && e["ending"].is_boolean() && e["ending"].get<bool>();
  return s;
}

}  // namespace

json StreamTable::to_json() const {
  json files = json::array();
  for (const auto& [k, s] : streams_)
    files.push_back({{"key", k}, {"name", escape_name(s.name)}, {"dev", s.pos.dev}, {"ino", s.pos.ino}, {"fp", to_hex(s.pos.fp)},
                     {"offset", s.pos.offset}, {"format", s.pos.format}, {"counts", counts_with_lines(s.counts)},
                     {"ending", s.ending}});
  json gens = json::array();
  for (const auto& g : gens_) gens.push_back({{"fp", to_hex(g.fp)}, {"end", g.end}, {"format", g.format}});
  const Counts t = totals();
  json j = {{"counts", counts_json(t)}, {"lines", t.lines}, {"retired", counts_with_lines(retired_)}, {"files", files},
            {"generations", gens}, {"lost", lost_}, {"next_key", next_key_}};
  return j;
}

Result<StreamTable> StreamTable::from_json(const json& j, double grace) {
  StreamTable t(grace);
  if (!j.is_object() || !j.contains("files") || !j["files"].is_array() || !j.contains("retired") || !is_u64(j, "next_key") ||
      !is_u64(j, "lost") || !j.contains("generations") || !j["generations"].is_array())
    return Error{"stream: section lacks files, retired, generations, lost or next_key", Code::kCorruption};
  auto r = read_counts_with_lines(j["retired"], "retired");
  if (!r) return r.err();
  t.retired_ = *r;
  t.lost_ = j["lost"].get<std::uint64_t>();
  t.next_key_ = j["next_key"].get<std::uint64_t>();
  for (std::size_t i = 0; i < j["files"].size(); ++i) {
    auto s = read_stream(j["files"][i], i);
    if (!s) return s.err();
    if (s->key >= t.next_key_ || t.streams_.count(s->key)) return Error{"stream: duplicate or bad key", Code::kCorruption};
    t.streams_[s->key] = std::move(*s);
  }
  for (const auto& g : j["generations"]) {
    if (!g.is_object() || !is_str(g, "fp") || !is_u64(g, "end") || !is_str(g, "format"))
      return Error{"stream: a generation lacks fp, end or format", Code::kCorruption};
    auto fp = from_hex(g["fp"].get<std::string>());
    if (!fp) return fp.err();
    t.gens_.push_back(Generation{*fp, g["end"].get<std::uint64_t>(), g["format"].get<std::string>()});
  }
  auto total = read_counts_with_lines([&] { json c = j.value("counts", json::object()); c["lines"] = j.value("lines", json()); return c; }(), "counts");
  if (!total || *total != t.totals() || total->lines != t.totals().lines)
    return Error{"stream: counts differ from the sum over files and retired", Code::kCorruption};
  return t;
}

}  // namespace dla::stream
