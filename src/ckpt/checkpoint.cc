// The checkpoint store (see checkpoint.h for the layout, the ownership rules and the crash model)
// and resuming against the current input.
#include "ckpt/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <set>

#include "base/names.h"

namespace dla {
namespace {

constexpr const char* kTmpMarker = ".dla-tmp";  // first file of every directory a save creates
constexpr std::size_t kMaxSeqDigits = 18;        // 10^18 - 1 sequences: never overflows a uint64

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// "ckpt-" followed only by digits (any number of them): a name in our namespace.
bool ckpt_shaped(const std::string& n) {
  return starts_with(n, "ckpt-") && n.size() > 5 && n.find_first_not_of("0123456789", 5) == std::string::npos;
}

// "ckpt-00000007" -> 7; false when the name is not exactly that shape or its number has more
// digits than we ever write (then it is not ours, whatever it holds).
bool parse_ckpt_name(const std::string& n, std::uint64_t* seq) {
  if (!ckpt_shaped(n) || n.size() > 5 + kMaxSeqDigits) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 5; i < n.size(); ++i) v = v * 10 + static_cast<std::uint64_t>(n[i] - '0');
  *seq = v;
  return true;
}

std::string ckpt_name(std::uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "ckpt-%08llu", static_cast<unsigned long long>(seq));
  return buf;
}

// Missing is fine (a crash may have removed it already); anything else is an error.
Status remove_if_there(Env& env, const std::string& path) {
  Status s = env.remove_file(path);
  if (!s && s.code() == Code::kNotFound) return OkStatus();
  return s;
}

}  // namespace

struct CheckpointStore::Tmp {
  std::string name;                // ckpt-<seq>
  std::string dir;                 // root/.tmp-<seq>-<pid>
  std::string prev;                // newest existing checkpoint of ours (links from it), or ""
  std::set<std::string> have;      // snapshots already in dir (a recycled checkpoint)
  std::set<std::string> wanted;    // what the new checkpoint lists
  bool renamed = false;            // dir is now the checkpoint (never delete it on error)
};

CheckpointStore::CheckpointStore(CheckpointOptions opt, Env* env) : opt_(std::move(opt)), env_(env ? env : Env::posix()) {
  while (opt_.root.size() > 1 && opt_.root.back() == '/') opt_.root.pop_back();
  if (opt_.root.empty()) opt_.root = ".";
  if (opt_.keep < 1) opt_.keep = 1;
}

CheckpointStore::~CheckpointStore() = default;  // (lock_ released by its destructor)

std::string CheckpointStore::path(const std::string& name) const { return join_path(opt_.root, name); }

CheckpointMarker CheckpointStore::marker_of(const std::string& name) const {
  auto text = read_file(*env_, join_path(path(name), kCheckpointJson));
  if (!text) return {};
  return read_checkpoint_marker(*text);
}

long long read_term_mark(Env& env, const std::string& root) {
  auto text = read_file(env, join_path(root, ".term"));
  if (!text) return 0;
  long long t = 0;
  for (char c : *text) {
    if (c == '\n') break;
    if (c < '0' || c > '9' || t > 100000000000LL) return 0;
    t = t * 10 + (c - '0');
  }
  return t;
}

bool CheckpointStore::fenced() const { return opt_.term > 0 && read_term_mark(*env_, opt_.root) > opt_.term; }

// The first master (term 1, holding the lock) starts the root's reign count afresh; a takeover
// refuses a root already claimed by a newer term.
Status CheckpointStore::claim_term() {
  if (opt_.term <= 0) return OkStatus();
  if (opt_.takeover && fenced())
    return Error{"checkpoint directory " + opt_.root + " belongs to a newer master (term " +
                     std::to_string(read_term_mark(*env_, opt_.root)) + ")", Code::kBusy};
  return write_file_atomic(*env_, path(".term"), std::to_string(opt_.term) + "\n");
}

Status CheckpointStore::open() {
  if (auto s = make_dirs(*env_, opt_.root, /*sync=*/true); !s) return s;
  if (!lock_) {
    auto l = env_->lock(path(".lock"));
    // (a takeover: the old master may be paused, not dead, and still hold the lock; the term mark
    // written below fences it instead)
    if (!l && l.code() == Code::kBusy && !opt_.takeover)
      return Error{"checkpoint directory " + opt_.root + " is in use by another run", Code::kBusy};
    if (!l && l.code() != Code::kBusy) return l.err();
    if (l) lock_ = std::move(*l);
  }
  if (auto r = claim_term(); !r) return r;
  auto names = env_->list_dir(opt_.root);
  if (!names) return names.err();
  foreign_.clear();
  for (const auto& n : *names) {
    std::uint64_t seq = 0;
    if (ckpt_shaped(n) && !parse_ckpt_name(n, &seq)) foreign_.push_back(n);  // too many digits: not ours
    if (!starts_with(n, ".tmp-")) continue;
    // Leftover of a crashed save or gc: never loaded; ours to delete now that we hold the lock.
    if (auto r = remove_leftover(n); !r) return r;
  }
  // The next sequence follows our newest checkpoint; a foreign ckpt-<digits> never sets it.
  auto entries = checkpoints();
  if (!entries) return entries.err();
  next_seq_ = 1;
  for (const auto& e : *entries) {
    if (!marker_of(e.name).ours) {
      foreign_.push_back(e.name);
      continue;
    }
    next_seq_ = e.seq + 1;
    break;
  }
  return OkStatus();
}

Status CheckpointStore::remove_leftover(const std::string& name) {
  const std::string dir = path(name);
  auto st = env_->lstat(join_path(dir, kTmpMarker));
  if (st && st->regular()) return remove_tree(*env_, dir);  // a directory a save created: all ours
  const CheckpointMarker m = marker_of(name);              // a renamed checkpoint of ours (gc, recycling)
  if (m.ours) return remove_ours(name, m);
  foreign_.push_back(name);
  return OkStatus();
}

// The subdirectories a save made for names holding '/' (--recursive), deepest first; one that is
// not empty (something not ours inside) stays.
void CheckpointStore::remove_subdirs(const std::string& dir, const std::vector<std::string>& names) {
  std::set<std::string, std::greater<>> subdirs;  // "a/b" before "a"
  for (const auto& n : names)
    for (std::size_t s = n.find('/'); s != std::string::npos; s = n.find('/', s + 1)) subdirs.insert(n.substr(0, s));
  for (const auto& d : subdirs) (void)env_->remove_dir(join_path(dir, d));
}

Status CheckpointStore::remove_ours(const std::string& name, const CheckpointMarker& m) {
  std::string dir = path(name);
  if (!starts_with(name, ".tmp-")) {
    // Out of the ckpt- namespace first (atomic), so a crash mid-delete never leaves a half
    // checkpoint under a loadable name.
    const std::string gc = path(".tmp-gc-" + name);
    if (auto r = env_->rename(dir, gc); !r) return r;
    dir = gc;
  }
  for (const auto& n : m.names)
    if (auto r = remove_if_there(*env_, join_path(dir, n)); !r) return r;
  remove_subdirs(dir, m.names);
  if (auto r = remove_if_there(*env_, join_path(dir, kTmpMarker)); !r) return r;
  if (auto r = remove_if_there(*env_, join_path(dir, kCheckpointJson)); !r) return r;  // the marker goes last
  if (!env_->remove_dir(dir)) foreign_.push_back(dir.substr(opt_.root.size() + 1));  // something not ours inside
  return OkStatus();
}

Result<std::vector<CheckpointStore::Entry>> CheckpointStore::checkpoints() const {
  auto names = env_->list_dir(opt_.root);
  if (!names) return names.err();
  std::vector<Entry> out;
  for (const auto& n : *names) {
    std::uint64_t seq = 0;
    if (parse_ckpt_name(n, &seq)) out.push_back({seq, n});
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.seq > b.seq; });
  return out;
}

Result<CheckpointState> CheckpointStore::validate(const std::string& dir, std::vector<std::string>* recount) const {
  auto text = read_file(*env_, join_path(dir, kCheckpointJson));
  if (!text) return text.err();
  auto s = checkpoint_from_text(*text);
  if (!s) return s;
  std::uint64_t seq = 0;
  const std::string base = dir.substr(dir.find_last_of('/') == std::string::npos ? 0 : dir.find_last_of('/') + 1);
  if (parse_ckpt_name(base, &seq) && seq != s->sequence)
    return Error{"sequence " + std::to_string(s->sequence) + " does not match the directory name", Code::kCorruption};
  // Every processed file must be there (the assignment's layout). One whose copy differs from what
  // was counted (a hard link to an input that changed since) goes back to pending, its counts
  // subtracted: the checkpoint stays usable for the rest.
  std::vector<CheckpointFile> kept;
  for (auto& f : s->processed) {
    auto st = env_->stat(join_path(dir, f.name));
    if (!st || !st->regular())
      return Error{"processed file " + escape_name(f.name) + " missing from the checkpoint" + (st ? std::string() : ": " + st.error()),
                   Code::kCorruption};
    if (st->size == f.size && st->mtime_ns == f.mtime_ns) {
      kept.push_back(std::move(f));
      continue;
    }
    recount->push_back(escape_name(f.name) + " changed since it was counted (size " + std::to_string(st->size) + ", recorded " +
                       std::to_string(f.size) + "): counted again");
    s->pending_files.push_back(f.name);
  }
  s->processed = std::move(kept);
  s->counts = sum_counts(s->processed) + s->stream_counts;
  return s;
}

LoadResult CheckpointStore::load_latest() const {
  LoadResult out;
  auto names = env_->list_dir(opt_.root);
  if (!names) return out;  // no root: nothing to load
  for (const auto& n : *names) {
    std::uint64_t seq = 0;
    if (starts_with(n, ".tmp-")) ++out.leftovers;
    if (ckpt_shaped(n) && !parse_ckpt_name(n, &seq))
      out.skipped.push_back({n, "its number has more than " + std::to_string(kMaxSeqDigits) + " digits: not a checkpoint this program writes"});
  }
  auto entries = checkpoints();
  if (!entries) return out;
  for (const auto& e : *entries) {
    const std::string dir = path(e.name);
    std::vector<std::string> recount;
    auto s = validate(dir, &recount);
    if (!s) {
      out.skipped.push_back({e.name, s.error()});
      continue;
    }
    out.found = true;
    out.recount = std::move(recount);
    out.state = std::move(*s);
    out.dir = dir;
    return out;
  }
  return out;
}

Result<int> CheckpointStore::clear() {
  auto entries = checkpoints();
  if (!entries) return entries.err();
  int removed = 0;
  for (const auto& e : *entries) {
    const CheckpointMarker m = marker_of(e.name);
    if (!m.ours) continue;  // not ours: left alone (open() reported it)
    if (auto r = remove_ours(e.name, m); !r) return r.err();
    written_.erase(e.name);
    ++removed;
  }
  if (auto r = env_->sync_dir(opt_.root); !r) return r.err();
  return removed;
}

// ---- save, in steps ---------------------------------------------------------------------------
Result<SaveStats> CheckpointStore::save(CheckpointState s, const std::string& input_dir) {
  if (sum_counts(s.processed) + s.stream_counts != s.counts)
    return Error{"internal: checkpoint counts differ from the sum over its processed files"};
  for (const auto& f : s.processed)
    if (!valid_checkpoint_name(f.name)) return Error{"internal: invalid file name in checkpoint: " + escape_name(f.name)};
  if (next_seq_ > 999999999999999999ULL) return Error{"checkpoint sequence numbers exhausted in " + opt_.root};
  if (fenced()) return Error{"fenced: a master of a newer term writes in " + opt_.root, Code::kBusy};
  while (env_->lstat(path(ckpt_name(next_seq_)))) ++next_seq_;  // (a foreign directory took the name)
  s.sequence = next_seq_++;
  Tmp t;
  t.name = ckpt_name(s.sequence);
  t.dir = path(".tmp-" + t.name.substr(5) + "-" + std::to_string(env_->process_id()));
  for (const auto& f : s.processed) t.wanted.insert(f.name);
  std::string in = input_dir;
  while (in.size() > 1 && in.back() == '/') in.pop_back();
  SaveStats st;
  Status r = prepare_tmp(&t);
  if (r) r = snapshot_files(&s, in, &t, &st);
  if (r) {
    s.input_dir = s.input_dir.empty() ? in : s.input_dir;
    r = commit(s, &t);
  }
  if (!r) {
    if (!t.renamed) remove_tree(*env_, t.dir);  // ours; best effort (a leftover .tmp- is never loaded)
    return Error{"checkpoint " + t.name + ": " + r.error(), r.code()};
  }
  ++saved_;
  st.dir = path(t.name);
  st.files = static_cast<int>(s.processed.size());
  written_[t.name] = std::move(t.wanted);
  drop_old(&st);
  return st;
}

// The save's temporary directory, marked as ours from its first instant: new, or (keep >= 2) the
// oldest checkpoint this save makes superfluous, if this store wrote it, renamed out of the ckpt-
// namespace first (so it is never loaded half-updated): its snapshots are already there, so a save
// costs O(files new since then). Only with keep >= 2, so that a valid checkpoint stays on disk.
Status CheckpointStore::prepare_tmp(Tmp* t) {
  std::vector<Entry> ours;
  if (auto entries = checkpoints())
    for (const auto& e : *entries)
      if (written_.count(e.name) || marker_of(e.name).ours) ours.push_back(e);
  if (!ours.empty()) t->prev = path(ours.front().name);
  auto it = opt_.keep >= 2 && ours.size() >= static_cast<std::size_t>(opt_.keep) ? written_.find(ours.back().name) : written_.end();
  if (it == written_.end()) {
    if (auto r = env_->make_dir(t->dir); !r) return r;
    return write_file(*env_, join_path(t->dir, kTmpMarker), "", WriteMode::kCreateExclusive, /*sync=*/false);
  }
  if (auto r = env_->rename(path(it->first), t->dir); !r) return r;
  t->have = std::move(it->second);
  written_.erase(it);
  if (auto r = write_file(*env_, join_path(t->dir, kTmpMarker), "", WriteMode::kCreateExclusive, false); !r) return r;
  if (auto r = env_->remove_file(join_path(t->dir, kCheckpointJson)); !r) return r;
  for (auto h = t->have.begin(); h != t->have.end();) {
    if (t->wanted.count(*h)) {
      ++h;
      continue;
    }
    if (auto r = remove_if_there(*env_, join_path(t->dir, *h)); !r) return r;
    h = t->have.erase(h);
  }
  return OkStatus();
}

// Every processed file into the temporary directory as it was counted. A file whose snapshot is
// not what was counted (changed since) goes back to pending, its counts subtracted.
Status CheckpointStore::snapshot_files(CheckpointState* s, const std::string& in, Tmp* t, SaveStats* st) {
  std::vector<CheckpointFile> kept;
  kept.reserve(s->processed.size());
  for (auto& f : s->processed) {
    bool same = true;
    if (auto r = snapshot_file(f, in, t, st, &same); !r) return r;
    if (same) {
      kept.push_back(std::move(f));
      continue;
    }
    st->changed.push_back(f.name);
    s->pending_files.push_back(f.name);
    t->wanted.erase(f.name);
  }
  s->processed = std::move(kept);
  s->counts = sum_counts(s->processed) + s->stream_counts;
  return OkStatus();
}

Status CheckpointStore::snapshot_file(const CheckpointFile& f, const std::string& in, Tmp* t, SaveStats* st, bool* same) {
  const std::string to = join_path(t->dir, f.name);
  if (f.name.find('/') != std::string::npos)
    if (auto r = make_dirs(*env_, parent_dir(to)); !r) return r;  // --recursive: a relative path
  auto matches = [&](const std::string& p) {
    auto x = env_->stat(p);
    return x && x->regular() && x->size == f.size && x->mtime_ns == f.mtime_ns;
  };
  if (t->have.count(f.name)) {
    if (matches(to)) {
      ++st->reused;
      return OkStatus();
    }
    t->have.erase(f.name);  // a stale snapshot (the file was counted again since): replace it
    if (auto r = remove_if_there(*env_, to); !r) return r;
  }
  if (!t->prev.empty() && matches(join_path(t->prev, f.name)) && env_->link(join_path(t->prev, f.name), to)) {
    ++st->linked;
    return OkStatus();
  }
  const std::string from = join_path(in, f.name);
  Status c = opt_.no_clone ? Status(Error{"", Code::kInvalid}) : env_->clone_file(from, to);
  if (!c && c.code() == Code::kInvalid && opt_.files == CheckpointFiles::kLink) {
    c = env_->link(from, to);  // no reflinks here: share the input's inode (O(1))
    if (c) ++st->input_links;
  }
  if (!c && (c.code() == Code::kInvalid || c.code() == Code::kCrossDevice)) {
    c = copy_file(*env_, from, to);  // no reflinks here: a real copy
    if (c) ++st->copied;
  } else if (c) {
    ++st->cloned;
  }
  if (!c && c.code() == Code::kNotFound && !env_->lstat(to)) {
    *same = false;  // the input is gone since it was counted
    return OkStatus();
  }
  if (!c) return c;
  if (matches(to)) return OkStatus();
  *same = false;  // changed between counting and now: not this checkpoint's to claim
  return env_->remove_file(to);
}

// checkpoint.json (synced) replaces the temporary marker, the directory is synced, renamed to its
// final name and the root synced: from then on the checkpoint survives any crash.
Status CheckpointStore::commit(const CheckpointState& s, Tmp* t) {
  const std::string json_path = join_path(t->dir, kCheckpointJson);
  if (auto r = write_file(*env_, json_path, checkpoint_json_text(s), WriteMode::kCreateExclusive, /*sync=*/true); !r) return r;
  if (auto r = env_->remove_file(join_path(t->dir, kTmpMarker)); !r) return r;
  if (auto r = env_->sync_dir(t->dir); !r) return r;
  if (fenced()) return Error{"fenced: a master of a newer term writes in " + opt_.root, Code::kBusy};
  if (auto r = env_->rename(t->dir, path(t->name)); !r) return r;
  t->renamed = true;  // from here the checkpoint exists; syncing the root makes it durable
  return env_->sync_dir(opt_.root);
}

// Keep our newest `keep` checkpoints; older ones of ours are deleted (foreign ones never count).
void CheckpointStore::drop_old(SaveStats* st) {
  auto entries = checkpoints();
  if (!entries) return;
  int ours = 0;
  for (const auto& e : *entries) {
    auto w = written_.find(e.name);
    CheckpointMarker m;
    if (w != written_.end()) m = {true, std::vector<std::string>(w->second.begin(), w->second.end())};
    else m = marker_of(e.name);
    if (!m.ours || ++ours <= opt_.keep) continue;
    if (!remove_ours(e.name, m)) break;
    written_.erase(e.name);
    ++st->removed;
  }
}

// ---- resume ---------------------------------------------------------------------------------
Result<ResumePlan> plan_resume(const CheckpointState& s, const std::string& input_dir, const std::vector<FileInfo>& current) {
  if (!s.input_dir.empty() && !input_dir.empty() && s.input_dir != input_dir)
    return Error{"the checkpoint was made for input " + escape_name(s.input_dir) + ", not " + escape_name(input_dir) +
                 " (use --fresh to start over, or another --checkpoint-dir)"};
  std::map<std::string, const CheckpointFile*> byname;
  for (const auto& f : s.processed) byname[f.name] = &f;
  ResumePlan p;
  p.done.assign(current.size(), false);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < current.size(); ++i) {
    auto it = byname.find(current[i].name);
    if (it == byname.end()) continue;
    seen.insert(current[i].name);
    const CheckpointFile& f = *it->second;
    if (f.size != current[i].size || f.mtime_ns != current[i].mtime_ns) {
      p.notes.push_back(escape_name(f.name) + " changed since the checkpoint (size " + std::to_string(f.size) + " -> " +
                        std::to_string(current[i].size) + (f.mtime_ns != current[i].mtime_ns ? ", mtime differs" : "") +
                        "): processing it again");
      continue;
    }
    p.done[i] = true;
    p.kept.push_back(f);
    p.base += f.counts;
  }
  for (const auto& f : s.processed)
    if (!seen.count(f.name)) p.notes.push_back(escape_name(f.name) + " is no longer in the input: its counts are dropped");
  p.already = static_cast<int>(p.kept.size());
  return p;
}

Result<std::string> absolute_path(const std::string& path, Env& env) { return env.real_path(path); }

std::string iso8601_utc(double seconds_since_epoch) {
  long long ms = static_cast<long long>(seconds_since_epoch * 1000.0 + 0.5);
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lld", ms % 1000);
  return buf;
}

}  // namespace dla
