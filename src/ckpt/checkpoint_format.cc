#include "ckpt/checkpoint_format.h"

#include <climits>
#include <cstdio>
#include <set>

#include "base/names.h"

namespace dla {
namespace {

using nlohmann::json;

// Deeper nesting than this is not a checkpoint (ours is 3 deep); refusing it before parsing keeps
// a hostile file from exhausting the stack in the parser or the json destructor.
constexpr int kMaxDepth = 32;

// A JSON integer >= 0 (nlohmann stores a parsed positive number as unsigned, an assigned int as signed).
bool is_count(const json& j) {
  return j.is_number_unsigned() || (j.is_number_integer() && j.get<long long>() >= 0);
}

// The member `key` of an object, or nullptr (never throws, whatever `j` is).
const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

Result<std::uint64_t> count_field(const json& j, const std::string& where) {
  if (!is_count(j)) return Error{where + " is not a non-negative integer", Code::kCorruption};
  return j.get<std::uint64_t>();
}

// An optional string member: "" when absent, an error when present with another type.
Result<std::string> string_field(const json& obj, const char* key, bool required) {
  const json* v = member(obj, key);
  if (!v) {
    if (required) return Error{std::string(key) + " missing", Code::kCorruption};
    return std::string();
  }
  if (!v->is_string()) return Error{std::string(key) + " is not a string", Code::kCorruption};
  return v->get_ref<const std::string&>();
}

// A stored name back to the raw name (format 2 escapes names, format 1 stored them raw).
Result<std::string> stored_name(const json& e, const std::string& where, bool escaped) {
  if (!e.is_string()) return Error{where + " has a non-string entry", Code::kCorruption};
  const std::string& text = e.get_ref<const std::string&>();
  if (!escaped) return text;
  auto raw = unescape_name(text);
  if (!raw) return Error{where + ": " + raw.error(), Code::kCorruption};
  return std::move(*raw);
}

json file_counts_json(const Counts& c) {
  json j = counts_json(c);
  j["lines"] = c.lines;
  return j;
}

// Strict reading of a counts object: every key a level name (base/levels.h valid_level_name) with
// an unsigned integer, and "lines" when asked (and only then). The set of levels is open: a
// checkpoint of Hadoop logs holds FATAL, one of the assignment's format the four seed levels.
Result<Counts> read_counts(const json* j, const std::string& where, bool with_lines) {
  if (!j) return Error{where + " missing", Code::kCorruption};
  if (!j->is_object()) return Error{where + " is not an object", Code::kCorruption};
  Counts c;
  for (const auto& [k, v] : j->items()) {
    if (k == "lines" && with_lines) continue;
    if (!valid_level_name(k)) return Error{where + ": '" + printable(k) + "' is not a level name", Code::kCorruption};
    if (!is_count(v)) return Error{where + "." + k + " is not a non-negative integer", Code::kCorruption};
    if (v.get<std::uint64_t>() != 0) c[k] = v.get<std::uint64_t>();
  }
  if (with_lines) {
    const json* v = member(*j, "lines");
    if (!v || !is_count(*v)) return Error{where + ".lines missing or not a non-negative integer", Code::kCorruption};
    c.lines = v->get<std::uint64_t>();
    if (c.leveled() > c.lines) return Error{where + ": more leveled lines than lines", Code::kCorruption};
  }
  return c;
}

Result<std::vector<std::string>> read_names(const json& j, const char* key, bool escaped) {
  const json* list = member(j, key);
  if (!list || !list->is_array()) return Error{std::string(key) + " missing or not a list", Code::kCorruption};
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& e : *list) {
    auto n = stored_name(e, key, escaped);
    if (!n) return n.err();
    if (!valid_checkpoint_name(*n)) return Error{std::string(key) + " has an invalid file name \"" + escape_name(*n) + "\"", Code::kCorruption};
    if (!seen.insert(*n).second) return Error{std::string(key) + " lists " + escape_name(*n) + " twice", Code::kCorruption};
    out.push_back(std::move(*n));
  }
  return out;
}

Result<std::vector<int>> read_ranks(const json& j) {
  const json* fw = member(j, "failed_workers");
  if (!fw || !fw->is_array()) return Error{"failed_workers missing or not a list", Code::kCorruption};
  std::vector<int> out;
  for (const auto& r : *fw) {
    if (!r.is_number_integer() || (!r.is_number_unsigned() && r.get<long long>() < 0) || r.get<unsigned long long>() > INT_MAX)
      return Error{"failed_workers has an entry that is not a rank", Code::kCorruption};
    out.push_back(static_cast<int>(r.get<long long>()));
  }
  return out;
}

// One file_info entry; `name` is what processed_files says at the same index.
Result<CheckpointFile> read_file_info(const json& e, const std::string& name, std::size_t i, bool escaped) {
  const std::string where = "file_info[" + std::to_string(i) + "]";
  if (!e.is_object()) return Error{where + " is not an object", Code::kCorruption};
  CheckpointFile f;
  const json* nj = member(e, "name");
  if (!nj) return Error{where + ".name missing", Code::kCorruption};
  auto n = stored_name(*nj, where + ".name", escaped);
  if (!n) return n.err();
  f.name = std::move(*n);
  if (f.name != name) return Error{where + " is \"" + escape_name(f.name) + "\", processed_files says " + escape_name(name), Code::kCorruption};
  const json* sz = member(e, "size");
  const json* mt = member(e, "mtime_ns");
  if (!sz || !is_count(*sz) || !mt || !mt->is_number_integer() || (mt->is_number_unsigned() && mt->get<std::uint64_t>() > INT64_MAX))
    return Error{"file_info for " + escape_name(f.name) + ": size or mtime_ns missing or not an integer", Code::kCorruption};
  f.size = sz->get<std::uint64_t>();
  f.mtime_ns = mt->get<std::int64_t>();
  auto c = read_counts(member(e, "counts"), "file_info[" + escape_name(f.name) + "].counts", true);
  if (!c) return c.err();
  f.counts = *c;
  return f;
}

// format and format_version; returns whether names are escaped (format 2) or raw (format 1).
Result<bool> read_format(const json& j) {
  if (!j.is_object()) return Error{"checkpoint.json is not a JSON object", Code::kCorruption};
  const json* f = member(j, "format");
  if (!f || !f->is_string() || f->get_ref<const std::string&>() != kCheckpointFormat)
    return Error{"not a dla checkpoint (format field)", Code::kCorruption};
  const json* fv = member(j, "format_version");
  if (!fv || !fv->is_number_integer()) return Error{"format_version missing or not an integer", Code::kCorruption};
  if (fv->dump() != "1" && fv->dump() != "2")
    return Error{"unsupported format_version " + fv->dump() + " (this build reads 1 and " + std::to_string(kCheckpointFormatVersion) + ")",
                 Code::kCorruption};
  return fv->dump() == "2";
}

// Everything but file_info and the sum check.
Status read_header(const json& j, bool escaped, CheckpointState* s) {
  auto ts = string_field(j, "timestamp", true);
  if (!ts) return ts.err();
  s->timestamp = *ts;
  auto counts = read_counts(member(j, "counts"), "counts", false);
  if (!counts) return counts.err();
  s->counts = *counts;
  const json* lj = member(j, "lines");
  if (!lj) return Error{"lines missing", Code::kCorruption};
  auto lines = count_field(*lj, "lines");
  if (!lines) return lines.err();
  s->counts.lines = *lines;
  auto pending = read_names(j, "pending_files", escaped);
  if (!pending) return pending.err();
  s->pending_files = std::move(*pending);
  auto ranks = read_ranks(j);
  if (!ranks) return ranks.err();
  s->failed_workers = std::move(*ranks);
  const json* sq = member(j, "sequence");
  if (!sq) return Error{"sequence missing", Code::kCorruption};
  auto seq = count_field(*sq, "sequence");
  if (!seq) return seq.err();
  s->sequence = *seq;
  auto in = string_field(j, "input_dir", false);
  if (!in) return in.err();
  auto in_raw = escaped ? unescape_name(*in) : Result<std::string>(*in);
  if (!in_raw) return Error{"input_dir: " + in_raw.error(), Code::kCorruption};
  s->input_dir = std::move(*in_raw);
  auto lf = string_field(j, "log_format", false);  // (absent before formats: the bracket rule)
  if (!lf) return lf.err();
  auto lf_raw = escaped ? unescape_name(*lf) : Result<std::string>(*lf);
  if (!lf_raw) return Error{"log_format: " + lf_raw.error(), Code::kCorruption};
  s->log_format = std::move(*lf_raw);
  auto cons = string_field(j, "consistency", false);
  if (!cons) return cons.err();
  s->consistency = *cons;
  return OkStatus();
}

// The follow-mode section: kept as text for src/stream; its counts join the invariant.
Status read_stream_section(const json& j, CheckpointState* s) {
  const json* st = member(j, "stream");
  if (!st) return OkStatus();
  if (!st->is_object()) return Error{"stream is not an object", Code::kCorruption};
  auto c = read_counts(member(*st, "counts"), "stream.counts", false);
  if (!c) return c.err();
  const json* lj = member(*st, "lines");
  if (!lj) return Error{"stream.lines missing", Code::kCorruption};
  auto lines = count_field(*lj, "stream.lines");
  if (!lines) return lines.err();
  s->stream_counts = *c;
  s->stream_counts.lines = *lines;
  s->stream = st->dump();
  return OkStatus();
}

Status read_processed(const json& j, bool escaped, CheckpointState* s) {
  auto processed = read_names(j, "processed_files", escaped);
  if (!processed) return processed.err();
  std::set<std::string> pset(processed->begin(), processed->end());
  for (const auto& n : s->pending_files)
    if (pset.count(n)) return Error{escape_name(n) + " is both processed and pending", Code::kCorruption};
  const json* fi = member(j, "file_info");
  if (!fi || !fi->is_array()) return Error{"file_info missing or not a list", Code::kCorruption};
  if (fi->size() != processed->size())
    return Error{"file_info has " + std::to_string(fi->size()) + " entries for " + std::to_string(processed->size()) + " processed files",
                 Code::kCorruption};
  for (std::size_t i = 0; i < fi->size(); ++i) {
    auto f = read_file_info((*fi)[i], (*processed)[i], i, escaped);
    if (!f) return f.err();
    s->processed.push_back(std::move(*f));
  }
  Counts sum = sum_counts(s->processed);
  if (auto st = read_stream_section(j, s); !st) return st;
  sum += s->stream_counts;
  if (sum != s->counts || sum.lines != s->counts.lines) {
    const std::string got = counts_json(s->counts).dump(), want = counts_json(sum).dump();
    return Error{"counts " + got + " (lines " + std::to_string(s->counts.lines) + ") differ from the sum over processed files " + want +
                     " (lines " + std::to_string(sum.lines) + ")",
                 Code::kCorruption};
  }
  return OkStatus();
}

bool too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// JSON string literal of text that is already valid UTF-8 without control characters (every name
// goes through escape_name first); control characters are still escaped for safety.
void put_string(std::string& o, std::string_view v) {
  o += '"';
  for (unsigned char ch : v) {
    if (ch == '"') o += "\\\"";
    else if (ch == '\\') o += "\\\\";
    else if (ch < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      o += b;
    } else {
      o += static_cast<char>(ch);
    }
  }
  o += '"';
}

void put_counts(std::string& o, const Counts& c, bool lines) {
  o += '{';
  bool first = true;
  for (const auto& name : report_levels(c)) {
    if (!first) o += ", ";
    first = false;
    o += '"' + name + "\": " + std::to_string(c.get(name));
  }
  if (lines) o += ", \"lines\": " + std::to_string(c.lines);
  o += '}';
}

void put_names(std::string& o, const char* key, const std::vector<std::string>& v) {
  o += "  \"";
  o += key;
  o += "\": [";
  for (std::size_t i = 0; i < v.size(); ++i) {
    o += i ? ",\n    " : "\n    ";
    put_string(o, escape_name(v[i]));
  }
  o += v.empty() ? "],\n" : "\n  ],\n";
}

std::vector<std::string> escaped(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(escape_name(n));
  return out;
}

}  // namespace

std::vector<std::string> CheckpointState::processed_names() const {
  std::vector<std::string> v;
  v.reserve(processed.size());
  for (const auto& f : processed) v.push_back(f.name);
  return v;
}

Counts sum_counts(const std::vector<CheckpointFile>& files) {
  Counts c;
  for (const auto& f : files) c += f.counts;
  return c;
}

// A file's name, or (--recursive) its path relative to the input directory: '/'-separated
// components, none empty, "." or "..", so it always stays inside the checkpoint directory.
bool valid_checkpoint_name(const std::string& n) {
  if (n.empty() || n.find('\0') != std::string::npos || n == kCheckpointJson || n == ".dla-tmp") return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = n.find('/', start);
    const std::string part = n.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

json checkpoint_to_json(const CheckpointState& s) {
  json j = json::object();
  // The assignment's five fields first (nlohmann keeps keys sorted; order is cosmetic anyway).
  j["timestamp"] = s.timestamp;
  j["counts"] = counts_json(s.counts);
  j["processed_files"] = escaped(s.processed_names());
  j["pending_files"] = escaped(s.pending_files);
  j["failed_workers"] = s.failed_workers;
  // Extras.
  j["format"] = kCheckpointFormat;
  j["format_version"] = kCheckpointFormatVersion;
  j["sequence"] = s.sequence;
  j["lines"] = s.counts.lines;
  j["input_dir"] = escape_name(s.input_dir);
  if (!s.log_format.empty()) j["log_format"] = escape_name(s.log_format);
  j["consistency"] = s.consistency;
  json fi = json::array();
  for (const auto& f : s.processed)
    fi.push_back({{"name", escape_name(f.name)}, {"size", f.size}, {"mtime_ns", f.mtime_ns}, {"counts", file_counts_json(f.counts)}});
  j["file_info"] = fi;
  if (!s.stream.empty()) j["stream"] = json::parse(s.stream, nullptr, false);
  return j;
}

std::string checkpoint_json_text(const CheckpointState& s) {
  std::string o;
  o.reserve(256 + s.processed.size() * 160 + s.pending_files.size() * 24);
  // Keys in nlohmann's (sorted) order, so both writers produce the same layout.
  o += "{\n  \"consistency\": ";
  put_string(o, escape_name(s.consistency));
  o += ",\n  \"counts\": ";
  put_counts(o, s.counts, false);
  o += ",\n  \"failed_workers\": [";
  for (std::size_t i = 0; i < s.failed_workers.size(); ++i) o += (i ? ", " : "") + std::to_string(s.failed_workers[i]);
  o += "],\n  \"file_info\": [";
  for (std::size_t i = 0; i < s.processed.size(); ++i) {
    const auto& f = s.processed[i];
    o += i ? ",\n    {\"counts\": " : "\n    {\"counts\": ";
    put_counts(o, f.counts, true);
    o += ", \"mtime_ns\": " + std::to_string(f.mtime_ns) + ", \"name\": ";
    put_string(o, escape_name(f.name));
    o += ", \"size\": " + std::to_string(f.size) + "}";
  }
  o += s.processed.empty() ? "],\n" : "\n  ],\n";
  o += "  \"format\": \"" + std::string(kCheckpointFormat) + "\",\n  \"format_version\": " + std::to_string(kCheckpointFormatVersion) +
       ",\n  \"input_dir\": ";
  put_string(o, escape_name(s.input_dir));
  o += ",\n  \"lines\": " + std::to_string(s.counts.lines) + ",\n";
  if (!s.log_format.empty()) {
    o += "  \"log_format\": ";
    put_string(o, escape_name(s.log_format));
    o += ",\n";
  }
  put_names(o, "pending_files", s.pending_files);
  put_names(o, "processed_files", s.processed_names());
  o += "  \"sequence\": " + std::to_string(s.sequence) + ",\n";
  if (!s.stream.empty()) o += "  \"stream\": " + s.stream + ",\n";
  o += "  \"timestamp\": ";
  put_string(o, escape_name(s.timestamp));
  o += "\n}\n";
  return o;
}

Result<CheckpointState> checkpoint_from_json(const json& j) {
  try {
    auto escaped_names = read_format(j);
    if (!escaped_names) return escaped_names.err();
    CheckpointState s;
    if (auto r = read_header(j, *escaped_names, &s); !r) return r.err();
    if (auto r = read_processed(j, *escaped_names, &s); !r) return r.err();
    return s;
  } catch (const std::exception& e) {
    // Every access above is checked first; this is the last line of defence, not the plan.
    return Error{std::string("unexpected content: ") + e.what(), Code::kCorruption};
  }
}

Result<CheckpointState> checkpoint_from_text(std::string_view text) {
  if (too_deep(text)) return Error{std::string(kCheckpointJson) + " is nested too deeply to be a checkpoint", Code::kCorruption};
  try {
    const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Error{std::string(kCheckpointJson) + " is not valid JSON (truncated or corrupt)", Code::kCorruption};
    return checkpoint_from_json(j);
  } catch (const std::exception& e) {
    return Error{std::string(kCheckpointJson) + ": unexpected content: " + e.what(), Code::kCorruption};
  }
}

CheckpointMarker read_checkpoint_marker(std::string_view text) {
  CheckpointMarker m;
  if (too_deep(text)) return m;
  try {
    const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    const json* f = member(j, "format");  // (member() is null unless j is an object)
    if (!f || !f->is_string() || f->get_ref<const std::string&>() != kCheckpointFormat) return m;
    m.ours = true;
    const json* fv = member(j, "format_version");
    const bool escaped_names = !fv || fv->dump() != "1";
    const json* list = member(j, "processed_files");
    if (!list || !list->is_array()) return m;
    for (const auto& e : *list) {
      auto n = stored_name(e, "processed_files", escaped_names);
      if (n && valid_checkpoint_name(*n)) m.names.push_back(std::move(*n));
    }
  } catch (const std::exception&) {
    // (a file we cannot read as ours is not ours)
  }
  return m;
}

}  // namespace dla
