// The follow master's table of followed files ("streams"): which files exist, who reads each, how
// far each has been counted, and the totals. Pure: time is a `now` argument, the directory listing
// is given (list_followed reads it through an Env). Decisions that keep every complete line
// counted exactly once live here, where unit tests with a fake clock reach them.
//
// A stream is one file's content as we follow it: FollowPosition (identity, offset, format) and
// the counts of everything counted from it. One owner (a worker rank) reads it at a time, under an
// epoch: every assignment gets a new epoch, and a report (delta, truncation, end) is applied only
// if it carries the stream's current epoch and owner and, for a delta, starts exactly at the
// committed offset. So a late report of a worker declared failed is dropped, and the new owner
// starts from the committed offset: nothing counted twice, nothing skipped.
//
// What happens to a file (observe() reconciles each directory listing by identity):
//   new name, new identity   a new stream at offset 0, once its first line is complete (the
//                            fingerprint is known).
//   rename within the pattern   (a.log -> a.log.1 with --pattern '*.log*') same (dev, inode): the
//                            same stream, its name updated; nothing re-read.
//   rename out of the pattern, deletion   the identity is gone from the listing: the owner is told
//                            END; it keeps reading its open file for --rotate-wait s (a writer may
//                            still append to it), counts a last unterminated line, and reports
//                            ENDED; the stream's counts are retired into the totals. If the owner
//                            dies first, its successor cannot open the name: the unread tail is
//                            lost (counted in lost()).
//   truncation, copytruncate   seen by the owner on its open file (follow_file.h): the generation
//                            ended at the committed offset, recorded (fingerprint, end); the stream
//                            goes on from 0. A copy (new identity) whose fingerprint is that of an
//                            ended generation continues it from `end`: the lines the owner had not
//                            yet read before the truncation are read from the copy. A new file
//                            whose fingerprint equals a live stream's is taken for a copy made just
//                            before a truncation and waits (like Vector, a plain `cp` of a
//                            followed file is therefore never read twice, nor read at all).
//                            Lines appended between the copy and the truncation exist nowhere: not
//                            seen.
//   inode reuse              the identity is listed but its first line is no longer the stream's
//                            for longer than the grace (the owner did not report a truncation): the
//                            old file is gone; the stream ends (as a deletion) and the file under
//                            that identity starts as a new stream.
//
// The committed state (to_json/from_json) is stored in the checkpoint's "stream" section: per
// stream its name, identity, offset, format and counts, plus the ended generations, the retired
// counts and the totals, in one document: offsets and counts are saved together, atomically.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/levels.h"
#include "base/status.h"
#include "stream/follow_file.h"

namespace dla::stream {

// One regular file of the followed directory as a poll saw it.
struct Listed {
  std::string name;
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::string fp;  // fingerprint ("" = no complete first line yet)
};

// The regular files directly in `dir` whose name matches the glob `pattern`, each stat'ed and
// fingerprinted, in name order. A file that vanishes meanwhile is left out.
Result<std::vector<Listed>> list_followed(Env& env, const std::string& dir, const std::string& pattern);

struct Stream {
  std::uint64_t key = 0;
  std::string name;
  FollowPosition pos;
  Counts counts;  // everything counted from this stream (all its generations)
  int owner = -1;
  std::uint64_t epoch = 0;
  bool ending = false;     // gone from the listing: to be drained and dropped
  bool end_sent = false;   // the owner was told
  double mismatch_since = -1;
};

struct Generation {  // a truncated generation: a copy with this fingerprint continues at `end`
  std::string fp;
  std::uint64_t end = 0;
  std::string format;
};

// What the master must send.
struct Order {
  enum Kind { kFollow, kEnd } kind = kFollow;
  int worker = -1;
  std::uint64_t key = 0, epoch = 0;
  std::string name;     // kFollow: current name
  FollowPosition pos;   // kFollow: where to start
  bool ending = false;  // kFollow: the stream is already ending (drain it)
};

class StreamTable {
 public:
  // grace: seconds a listed identity may show another first line before it counts as reused.
  explicit StreamTable(double grace = 2.0) : grace_(grace) {}

  void observe(const std::vector<Listed>& now, double t);

  // Worker reports; false = dropped (stale epoch, other owner, unknown stream, gap).
  bool on_delta(int worker, std::uint64_t key, std::uint64_t epoch, std::uint64_t from, std::uint64_t to,
                const Counts& c, const std::string& fp, const std::string& format);
  bool on_truncated(int worker, std::uint64_t key, std::uint64_t epoch, std::uint64_t end);
  bool on_ended(int worker, std::uint64_t key, std::uint64_t epoch, bool lost);

  // The live workers now: streams of any other owner become unowned (their successor starts at the
  // committed offset). take_orders() assigns unowned streams to the least loaded live worker and
  // lists the ENDs still to send.
  void set_workers(const std::vector<int>& live);
  std::vector<Order> take_orders();

  Counts totals() const;  // retired + every stream
  const std::map<std::uint64_t, Stream>& streams() const { return streams_; }
  const std::vector<Generation>& generations() const { return gens_; }
  std::uint64_t lost() const { return lost_; }
  // Names the last observe() did not follow because their first line is a live stream's (taken
  // for copies made before a truncation): a caller may warn about them.
  const std::vector<std::string>& waiting_copies() const { return waiting_; }
  // Streams without an owner (no live worker): their new lines are not being read.
  std::size_t unowned() const;
  std::uint64_t dropped() const { return dropped_; }  // stale reports dropped
  bool changed() const { return changed_; }  // since the last clear_changed(): something to save
  void clear_changed() { changed_ = false; }

  // The checkpoint's "stream" section ({"counts", "lines", "files", ...}); epochs and owners are
  // not saved (a restarted job assigns anew).
  nlohmann::json to_json() const;
  static Result<StreamTable> from_json(const nlohmann::json& j, double grace = 2.0);

 private:
  Stream* find_live(std::uint64_t dev, std::uint64_t ino);
  bool fp_of_live(const std::string& fp) const;
  void start_stream(const Listed& l, std::uint64_t offset, const std::string& format);
  void check_listed(Stream* s, const Listed& l, double t);
  Stream* reporter(int worker, std::uint64_t key, std::uint64_t epoch);

  double grace_;
  std::map<std::uint64_t, Stream> streams_;
  std::vector<Generation> gens_;
  std::vector<int> workers_;
  std::vector<std::string> waiting_;
  Counts retired_;
  std::uint64_t next_key_ = 1, next_epoch_ = 1, lost_ = 0, dropped_ = 0;
  bool changed_ = false;
};

std::string to_hex(const std::string& bytes);
Result<std::string> from_hex(const std::string& hex);

}  // namespace dla::stream
