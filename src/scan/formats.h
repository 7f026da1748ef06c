// Log formats: where a line's level is, for the formats dla knows, and how a file's format is
// chosen. The level is read from the line's HEADER only (the part before the message), never from
// the message body; a line whose header holds no level name is unleveled.
//
// Builtin formats, in detection priority order (a tie in detection goes to the earlier one). The
// header formats come first: a log4j or syslog file whose messages hold "[ERROR]" ties with
// bracket and must stay log4j/syslog; bracket comes before apache, which also fits the
// assignment's `[time] [LEVEL]` lines, so the assignment's files keep the assignment's rule.
//   logcat   Android `logcat -v threadtime`: `03-17 16:13:38.811  1702  2395 D Tag: msg` (date,
//            time, 2 or 3 numeric columns, one priority letter V D I W E F A) or `-v brief`
//            `D/Tag( 123): msg`.
//   json     a JSON object per line; the level is the string value of a TOP-LEVEL key level, lvl,
//            severity, loglevel, log_level, log.level, levelname or severitytext (key case
//            ignored); a number is a syslog severity (0-7) or a pino/bunyan level (10 TRACE, 20
//            DEBUG, 30 INFO, 40 WARN, 50 ERROR, 60 FATAL). A JSON line without one is unleveled.
//   logfmt   key=value pairs from the line start (Go logrus, Heroku): `time=... level=warn msg=..`;
//            the value (quoted or not) of the first key named as for json. Pairs without one:
//            unleveled.
//   glog     Google glog / Kubernetes klog: `I0117 12:00:00.123456    1234 file.go:42] msg`, the
//            first letter I W E F -> INFO WARN ERROR FATAL.
//   log4j    a bare level token among the first 12 whitespace-separated tokens of the line:
//            Hadoop, HDFS, Spark, Zookeeper (`- WARN  [`), OpenStack, BGL, Windows CBS (`, Info`),
//            Python logging (`WARNING:root:msg`, `asctime - name - LEVEL - msg`). The token is a
//            level name in UPPER case or Title case (a lowercase bare word is prose), optionally
//            followed by ':' or ','. Every token before it must look like a header field: it
//            holds a digit, or is punctuation only, or starts with '[' or '(', or is an UPPER-case
//            word, or is followed by a "-" token (a logger name). Any other token (a word of the
//            message, or `prog[pid]:`-like token ending in ':') ends the header: no level.
//   syslog   BSD syslog `Mmm dd hh:mm:ss host prog[pid]: msg` (the timestamp at the start or after
//            at most 4 prefix tokens, as in Thunderbird), or an ISO timestamp + host + `tag:`:
//            no level (unleveled). `<PRI>` at the start gives the severity PRI % 8 (EMERGENCY
//            ALERT CRITICAL ERROR WARN NOTICE INFO DEBUG).
//   bracket  the assignment's rule, exactly scan_buffer's: the first [DEBUG] [ERROR] [INFO] [WARN]
//            or [WARNING] token anywhere in the line (case-sensitive). Vectorised.
//   apache   bracketed groups at the start of the line (after optional tokens holding digits,
//            e.g. nginx's date): the first group whose text, after its last ':', is a level name
//            in any case: `[Sun Dec 04 04:47:44 2005] [notice] ...`, `[...] [core:error] ...`,
//            `2023/01/02 10:00:00 [warn] 12#0: ...`. In detection only a level written with a
//            lowercase letter counts (Apache and nginx write lowercase): a file of upper-case
//            `[ts] [INFO]` lines is the assignment's, even with a stray `[info]` (which the
//            assignment says is no level). `--format apache` counts `[FATAL]` and the like.
//   none     no level on any line.
//   regex:P  a user ECMAScript pattern with a group named `level` (see parse_format_spec).
// Level names are normalised by the one table in scan/level_names.h.
//
// Detection (detect_format) reads the head of the FILE (its first 64 KiB, at most 200 lines,
// whatever byte range a task scans, so every range of a file uses the same format), counts for
// each builtin format the lines whose header it matches (bracket: a line with a token; syslog: the
// timestamp shape; json: a JSON object; the others: a level found), and takes the format with the
// most; ties go to the earlier format above. A format other than bracket must match at least 10%
// of the non-empty sampled lines (one stray line is not a format); bracket needs one line (it is
// the assignment's rule: a file the seed counted is counted the same way unless another format
// fits more lines). Nothing qualifies: `none`.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/levels.h"
#include "base/status.h"
#include "scan/level_names.h"

namespace dla {

enum class FormatId { kLogcat, kJson, kLogfmt, kGlog, kLog4j, kSyslog, kBracket, kApache, kNone, kRegex };

struct CompiledRegex;  // a user pattern and the index of its `level` group (format_spec.cc)

// A format resolved for one file: what the scanner runs.
struct LogFormat {
  FormatId id = FormatId::kBracket;  // the default: the assignment's rule
  std::shared_ptr<const CompiledRegex> regex;  // kRegex only
  std::string_view name() const;               // "bracket", ..., "none", "regex"
};

// What the user asked for: detection per file, or one format for every file.
struct FormatSpec {
  bool automatic = true;
  LogFormat fixed;           // used when !automatic
  std::string text = "auto";  // as given; parse_format_spec(text) gives this spec back (for messages)
};

// "auto", a builtin name ("logcat", "json", "logfmt", "glog", "log4j", "syslog", "bracket",
// "apache", "none") or
// "regex:PATTERN". PATTERN is ECMAScript (std::regex) with one group named level, written
// (?<level>...) or (?P<level>...); std::regex has no named groups, so every (?<name>...) and
// (?P<name>...) is rewritten to a plain numbered group and the level's number remembered. The
// pattern is searched (not anchored: use ^) in the first 1 KiB of each line; it is std::regex:
// about 0.25 GB/s per core on Hadoop's lines, some 10x slower than the builtin parsers. Errors (kInvalid): unknown name, a pattern std::regex
// rejects, a pattern without a level group.
Result<FormatSpec> parse_format_spec(std::string_view text);

// The builtin names in priority order (none last).
const std::vector<std::string_view>& builtin_format_names();

// Line classification results besides a level id (>= 0).
inline constexpr int kUnleveled = -1;  // the line has the format's header, without a level
inline constexpr int kNoMatch = -2;    // the line does not have the format's header

// Classifies one line (without its '\n'); looks at its first head_bytes(f) bytes only.
int classify_line(const LogFormat& f, const char* line, std::size_t len);
// How many bytes of a line's start decide its level (0 = the whole line: bracket, none).
std::size_t head_bytes(const LogFormat& f);

// The format of a file whose first n bytes are `head` (at_eof: the head is the whole file, so its
// last line counts even without a final '\n').
LogFormat detect_format(const char* head, std::size_t n, bool at_eof);
inline constexpr std::size_t kDetectBytes = 64 * 1024;
inline constexpr int kDetectLines = 200;

// Adds the lines of data[0, size) to `out` (the end of the buffer ends the last line).
void count_lines(const LogFormat& f, const char* data, std::size_t size, Counts& out);
void count_lines(const LogFormat& f, const char* data, std::size_t size, LevelTally& out);

}  // namespace dla
