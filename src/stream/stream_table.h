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
// One stream per identity: a (dev, inode) listed is always the stream that has it, whatever its
// state, and whatever its content looks like now; a file is never read by two streams at once.
//
// What happens to a file (observe() reconciles each directory listing by identity):
//   new name, new identity   a new stream at offset 0, once its first line is complete (the
//                            fingerprint is known), unless it is a copy (below).
//   rename within the pattern   (a.log -> a.log.1 with --pattern '*.log*') same (dev, inode): the
//                            same stream, its name updated; nothing re-read.
//   rename out of the pattern, deletion   the identity is gone from the listing: the owner is told
//                            END; it keeps reading its open file for --rotate-wait s (a writer may
//                            still append to it), counts a last unterminated line, and reports
//                            ENDED; the stream's counts are retired into the totals. If the owner
//                            dies first, its successor cannot open the name: the unread tail is
//                            lost (counted in lost()). An identity listed again before its stream
//                            is retired is the same stream again (it is re-assigned, new epoch).
//   truncation, copytruncate, a reused inode   the identity's first bytes are no longer the
//                            stream's (or it is smaller than the committed offset): the generation
//                            ended at the committed offset, recorded (fingerprint, end, format); the
//                            same stream goes on from 0. The owner sees it on its open file and
//                            reports it (follow_file.h); if the owner does not within the grace (it
//                            is dead and not yet declared failed), the master ends the generation
//                            itself and re-assigns the stream under a new epoch, so that nothing
//                            the old owner says about it can apply any more. A reused inode is
//                            handled the same way (the old file is gone: nothing more can be read
//                            of it).
//   copies                   a new identity whose head agrees with a truncated generation's
//                            fingerprint (and covers it: the copy holds at least the first bytes
//                            the generation had) continues that generation from min(end, its size):
//                            the lines the owner had not yet read before the truncation are read
//                            from the copy, and a generation is continued by one copy at most. A
//                            new identity whose head agrees with a live stream's (as committed, or
//                            as listed now), or only with a part of a generation's fingerprint, may
//                            be a copy made just before a
//                            truncation (or still being written): it waits, at most `copy_wait`
//                            seconds from when it was first listed; if meanwhile its head
//                            diverges, or at the end of the wait, it is a file of its own and is
//                            read from 0. Two files that start with the same line (blank first
//                            lines, a banner at the top of every generation) are therefore both
//                            read, as soon as their heads differ. A generation is kept for two
//                            listings only: a copy exists before the truncation, so the first
//                            listing after it shows the copy; a file created later is no copy.
//                            Not seen: lines appended between the copy and the truncation (they
//                            exist nowhere), a copy whose first kFingerprintMax bytes equal a just
//                            truncated generation's though it is another file, and a file that is
//                            a plain `cp` of a followed file truncated more than copy_wait s later
//                            (read as a file of its own: its lines count twice).
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
  int prefer = -1;  // re-assigned under a new epoch: give it back to this worker if it is live
  std::uint64_t epoch = 0;
  bool ending = false;     // gone from the listing: to be drained and dropped
  bool end_sent = false;   // the owner was told
  double mismatch_since = -1;
};

struct Generation {  // a truncated generation: a copy with this fingerprint continues at `end`
  std::string fp;
  std::uint64_t end = 0;
  std::string format;
  int listings = 0;  // observe()s since it was recorded: it is kept for two (not saved)
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
  // grace: seconds a listed identity may show other first bytes before the master ends its
  // generation itself (its owner did not report the truncation). copy_wait: seconds a possible
  // copy waits for the truncation of its original (0: 2 * grace).
  explicit StreamTable(double grace = 2.0, double copy_wait = 0) : grace_(grace), copy_wait_(copy_wait > 0 ? copy_wait : 2 * grace) {}

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
  // Names the last observe() did not follow yet because they may be copies made before a
  // truncation (their head agrees with a followed file's): each waits at most copy_wait s.
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
  Stream* find_stream(std::uint64_t dev, std::uint64_t ino);
  void start_stream(const Listed& l, std::uint64_t offset, const std::string& format);
  void check_listed(Stream* s, const Listed& l, double t);
  void end_generation(Stream* s, std::uint64_t end);
  void revoke(Stream* s);
  void place_new(const Listed& l, const std::vector<const std::string*>& heads, double t);
  Stream* reporter(int worker, std::uint64_t key, std::uint64_t epoch);

  double grace_, copy_wait_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, double> candidates_;  // possible copies: first listed
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
