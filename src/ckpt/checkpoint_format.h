// The checkpoint format: what one checkpoint records (CheckpointState) and its checkpoint.json,
// both ways. Pure: no file system. Reading is the trust boundary: the text may be anything (a
// truncated write, a hand edit, another program's file), so checkpoint_from_text() never throws
// and never trusts a type: anything unexpected is an error naming the field, and the caller skips
// that checkpoint.
//
// checkpoint.json keeps the assignment's five fields exactly (timestamp, counts, processed_files,
// pending_files, failed_workers) and adds: format ("dla-checkpoint": the marker that says we wrote
// it), format_version, sequence, lines (all lines of the processed files), input_dir (absolute),
// consistency, and file_info: per processed file its size, mtime_ns and counts. Invariant, checked
// on read: counts (and lines) equal the sum of the per-file counts over processed_files, so a
// checkpoint never holds a partial file. A follow-mode checkpoint (src/stream) adds "stream": an
// object whose "counts"/"lines" are added to that sum (offsets and counts of growing files, stored
// with them in the same document); a checkpoint without it reads as before.
//
// Names: a file name is any byte string, JSON needs UTF-8. Format 2 stores every name (and
// input_dir) as escape_name() text (base/names.h: "\xff.log" for a 0xff byte, "\x0a" for a
// newline, "\\" for a backslash); format 1 (older builds) stored them raw and is still read.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/levels.h"
#include "base/status.h"

namespace dla {

inline constexpr int kCheckpointFormatVersion = 2;
inline constexpr const char* kCheckpointJson = "checkpoint.json";
inline constexpr const char* kCheckpointFormat = "dla-checkpoint";

// One processed file as recorded in a checkpoint.
struct CheckpointFile {
  std::string name;          // raw name inside the input directory (--recursive: a relative path with /)
  std::uint64_t size = 0;    // at the time it was processed
  std::int64_t mtime_ns = 0;
  Counts counts;             // its own counts (levels and lines)
  friend bool operator==(const CheckpointFile& a, const CheckpointFile& b) {
    return a.name == b.name && a.size == b.size && a.mtime_ns == b.mtime_ns && a.counts == b.counts;
  }
};

struct CheckpointState {
  // --- the assignment's fields ---
  std::string timestamp;                    // ISO-8601, given by the caller
  Counts counts;                            // sum over `processed` (levels; .lines too)
  std::vector<CheckpointFile> processed;    // -> "processed_files" (names) + "file_info"
  std::vector<std::string> pending_files;   // names not yet processed
  std::vector<int> failed_workers;          // ranks this run declared failed so far
  // --- extras ---
  std::uint64_t sequence = 0;               // set by save(); directory ckpt-<sequence>
  std::string input_dir;                    // absolute path of the analysed directory
  std::string consistency;                  // "eventual" or "strong": the model of the run
  std::string log_format;                   // --format the counts were made with ("" = not recorded)
  // --follow (src/stream): the "stream" section, compact JSON text ("" = none; older checkpoints
  // have none and load as before). Its "counts" and "lines" are part of `counts`: the invariant
  // read back is counts = sum over processed files + stream_counts. src/stream owns the rest of it.
  std::string stream;
  Counts stream_counts;
  std::vector<std::string> processed_names() const;
};

// Sum of the per-file counts.
Counts sum_counts(const std::vector<CheckpointFile>& files);

// A name a checkpoint may hold: '/'-separated components (a --recursive relative path), none
// empty, "." or ".."; no NUL; not checkpoint.json and not one of the store's own marker names
// (".dla-tmp").
bool valid_checkpoint_name(const std::string& n);

// JSON <-> state. from_json validates everything that can be checked without the file system
// (types, duplicates, names, counts = sum of per-file counts, processed and pending disjoint).
nlohmann::json checkpoint_to_json(const CheckpointState& s);
Result<CheckpointState> checkpoint_from_json(const nlohmann::json& j);
// The text save() writes: the same document as checkpoint_to_json(), one file per line, built
// directly (10x cheaper than building and dumping a json tree for 1000 files, and it never throws).
std::string checkpoint_json_text(const CheckpointState& s);
// Parses and validates checkpoint.json's text. Never throws, whatever the text.
Result<CheckpointState> checkpoint_from_text(std::string_view text);

// What deleting needs to know about a directory's checkpoint.json, read leniently (a checkpoint
// that fails validation may still be ours to delete): whether it carries our marker
// ("format": "dla-checkpoint"), and the raw names it lists in processed_files (entries that are
// not valid names are left out). Never throws.
struct CheckpointMarker {
  bool ours = false;
  std::vector<std::string> names;
};
CheckpointMarker read_checkpoint_marker(std::string_view text);

}  // namespace dla
