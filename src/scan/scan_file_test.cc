// scan_file through a test Env: a file that shrinks while it is read (copytruncate rotation, a
// truncation between discovery and the scan) is an error naming it, never a smaller count.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include <zlib.h>

#include "base/mem_env.h"
#include "base/test_util.h"
#include "scan/level_names.h"
#include "scan/loggen.h"
#include "scan/scanner.h"

namespace dla {
namespace {

// Forwards to a MemEnv; the files it opens truncate their file to `cut` bytes once `after_reads`
// reads have been served, as a log rotation running beside the scanner would.
class ShrinkingEnv final : public test::EnvWrapper {
 public:
  ShrinkingEnv(MemEnv& mem, std::uint64_t cut, int after_reads) : EnvWrapper(mem), mem_(mem), cut_(cut), after_(after_reads) {}
  Result<std::unique_ptr<ReadFile>> open_read(const std::string& path) override {
    auto f = mem_.open_read(path);
    if (!f) return f.err();
    return std::unique_ptr<ReadFile>(new Shrinking(*this, std::move(*f), path));
  }

 private:
  class Shrinking final : public ReadFile {
   public:
    Shrinking(ShrinkingEnv& env, std::unique_ptr<ReadFile> f, std::string path)
        : env_(env), f_(std::move(f)), path_(std::move(path)) {}
    Result<std::size_t> read_at(std::uint64_t offset, std::size_t n, char* dst) override {
      maybe_cut();
      return f_->read_at(offset, n, dst);
    }
    Result<std::size_t> read(std::size_t n, char* dst) override {
      maybe_cut();
      return f_->read(n, dst);
    }
    Result<FileStat> stat() override { return f_->stat(); }

   private:
    void maybe_cut() {
      if (reads_++ != env_.after_) return;
      auto all = read_file(env_.mem_, path_);
      REQUIRE(all.ok());
      REQUIRE(write_file(env_.mem_, path_, all->substr(0, env_.cut_), WriteMode::kTruncate, false).ok());
    }
    ShrinkingEnv& env_;
    std::unique_ptr<ReadFile> f_;
    std::string path_;
    int reads_ = 0;
  };
  MemEnv& mem_;
  std::uint64_t cut_;
  int after_;
};

}  // namespace

TEST_CASE("scan_file: a file that shrinks while it is read is an error, not a smaller count", "[scanner]") {
  MemEnv mem;
  std::string content;
  for (int i = 0; i < 4000; ++i) content += i % 2 ? "[2025] [ERROR] disk\n" : "[2025] [INFO] ok\n";
  const std::uint64_t size = content.size();
  REQUIRE(make_dirs(mem, "/logs").ok());
  REQUIRE(write_file(mem, "/logs/app.log", content, WriteMode::kTruncate, false).ok());
  ScanOptions o;
  o.chunk_bytes = 4096;  // many reads
  SECTION("read through the Env, untouched: the same counts as the buffer") {
    auto r = scan_file("/logs/app.log", {}, o, mem);
    REQUIRE(r.ok());
    CHECK(*r == detail::scan_buffer_scalar(content.data(), content.size()));
  }
  SECTION("cut to 1000 bytes after the first read") {
    ShrinkingEnv env(mem, 1000, 1);
    auto r = scan_file("/logs/app.log", {}, o, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank from " + std::to_string(size) + " to 1000 bytes while it was read");
  }
  SECTION("a range of the second half, the file cut below the range's start before any read") {
    ShrinkingEnv env(mem, 100, 0);
    auto r = scan_file("/logs/app.log", {size / 2, size - size / 2}, o, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error().find("shrank from " + std::to_string(size) + " to 100 bytes") != std::string::npos);
  }
  SECTION("a range of the first half survives a cut past its last line") {
    ShrinkingEnv env(mem, size - 10, 0);
    auto r = scan_file("/logs/app.log", {0, size / 2}, o, env);
    REQUIRE(r.ok());
  }
  SECTION("already shorter than the range planned for it when opened") {
    REQUIRE(write_file(mem, "/logs/app.log", content.substr(0, 1000), WriteMode::kTruncate, false).ok());
    auto r = scan_file("/logs/app.log", {0, size}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank to 1000 bytes before it was read (the range planned for it ends at " +
                           std::to_string(size) + ")");
  }
  SECTION("smaller than discovery saw: an error before reading") {
    o.expected_size = size + 1;
    auto r = scan_file("/logs/app.log", {}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error() == "/logs/app.log shrank from " + std::to_string(size + 1) + " to " + std::to_string(size) +
                           " bytes before it was read");
  }
}

TEST_CASE("scan_file: an error names the file escaped, so a newline in its name cannot forge a line", "[scanner][names]") {
  MemEnv mem;
  REQUIRE(make_dirs(mem, "/logs").ok());
  const std::string forged = "/logs/x\nRESULT OK total=0\n.log";
  SECTION("a missing file") {
    auto r = scan_file(forged, {}, {}, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find('\n') == std::string::npos);
    CHECK(r.error().find("/logs/x\\x0aRESULT OK total=0\\x0a.log") != std::string::npos);
  }
  SECTION("a file that shrank before it was read") {
    REQUIRE(write_file(mem, forged, "INFO a\n", WriteMode::kTruncate, false).ok());
    ScanOptions o;
    o.expected_size = 100;
    auto r = scan_file(forged, {}, o, mem);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "/logs/x\\x0aRESULT OK total=0\\x0a.log shrank from 100 to 7 bytes before it was read");
  }
}


TEST_CASE("scan_file: progress keeps coming inside one huge line (a worker must keep heartbeating)", "[scanner]") {
  MemEnv env;
  REQUIRE(env.make_dir("/d"));
  const std::string line = "[INFO] " + std::string(5u << 20, 'x');  // 5 MiB, no newline at all
  REQUIRE(write_file(env, "/d/one.log", line, WriteMode::kCreateExclusive, false));
  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{100}}) {
    ScanOptions so;
    so.chunk_bytes = 64u << 10;
    std::vector<std::uint64_t> seen;
    so.on_progress = [&](std::uint64_t done, std::uint64_t) { seen.push_back(done); };
    auto r = scan_file("/d/one.log", {offset, line.size() - offset}, so, env);
    REQUIRE(r);
    INFO("offset " << offset << ", progress calls " << seen.size());
    CHECK(seen.size() >= 4);  // every 16 pieces of 64 KiB: about 5 calls, plus the final one
    CHECK(seen.back() == line.size() - offset);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK((*r)[Level::Info] == (offset == 0 ? 1u : 0u));
  }
}

namespace {

// A level as written in a file, and its canonical id (from the table in level_names.h, written
// out here by hand) or -1: an unleveled line.
struct Spelling {
  const char* text;
  int id;
};

// One generated line per format with a known level; the message always holds decoys (level words
// and bracket tokens) that a header format must not count.
struct FormatCase {
  const char* format;
  std::vector<Spelling> spellings;
  std::string (*line)(const Spelling&, SplitMix64&);
};

std::string body(SplitMix64& rng) {
  static const char* kDecoys[] = {"ERROR", "[ERROR]", "FATAL", "level=warn", "\"level\":\"error\"", "WARN"};
  std::string b = "message";
  const std::uint64_t n = rng.below(4);
  for (std::uint64_t i = 0; i < n; ++i) b += std::string(" ") + kDecoys[rng.below(6)];
  if (rng.below(50) == 0) b += " " + std::string(700 + rng.below(9000), 'x');  // longer than any head
  return b;
}

using namespace level_id;
const std::vector<FormatCase>& format_cases() {
  static const std::vector<FormatCase> cases = {
      {"log4j",
       {{"INFO", kInfo}, {"WARN", kWarn}, {"WARNING", kWarn}, {"ERROR", kError}, {"FATAL", kFatal}, {"TRACE", kTrace},
        {"Info", kInfo}, {"SEVERE", 15}, {"words", -1}},
       [](const Spelling& s, SplitMix64& r) {
         return "2015-10-18 18:01:47," + std::to_string(r.below(1000)) + " " + s.text + " [main] a.b.C: " + body(r);
       }},
      {"apache",
       {{"notice", kNotice}, {"error", kError}, {"warn", kWarn}, {"crit", kCritical}, {"emerg", kEmergency},
        {"Debug", kDebug}, {"client 1.2.3.4", -1}},
       [](const Spelling& s, SplitMix64& r) { return std::string("[Sun Dec 04 04:47:44 2005] [") + s.text + "] " + body(r); }},
      {"logcat",
       {{"V", kVerbose}, {"D", kDebug}, {"I", kInfo}, {"W", kWarn}, {"E", kError}, {"F", kFatal}, {"A", kAssert}},
       [](const Spelling& s, SplitMix64& r) {
         return "03-17 16:13:38.811  1702  " + std::to_string(r.below(9000)) + " " + s.text + " Tag: " + body(r);
       }},
      {"json",
       {{"info", kInfo}, {"warning", kWarn}, {"ERROR", kError}, {"critical", kCritical}, {"trace", kTrace}, {"x", -1}},
       [](const Spelling& s, SplitMix64& r) {
         return std::string("{\"ts\":1,\"ctx\":{\"level\":\"fatal\"},\"level\":\"") + s.text + "\",\"msg\":\"" + body(r) + "\"}";
       }},
      {"logfmt",
       {{"info", kInfo}, {"WARN", kWarn}, {"\"error\"", kError}, {"fatal", kFatal}, {"dbg", kDebug}, {"none", -1}},
       [](const Spelling& s, SplitMix64& r) {
         return "time=2023-01-01T12:00:0" + std::to_string(r.below(10)) + "Z level=" + s.text + " msg=\"" + body(r) + "\"";
       }},
      {"glog",
       {{"I", kInfo}, {"W", kWarn}, {"E", kError}, {"F", kFatal}},
       [](const Spelling& s, SplitMix64& r) {
         return std::string(s.text) + "0117 12:00:00.123456    " + std::to_string(1 + r.below(9000)) + " main.go:42] " + body(r);
       }},
      {"syslog",
       {{"", -1}},
       [](const Spelling&, SplitMix64& r) { return "Dec 10 06:55:46 LabSZ sshd[" + std::to_string(r.below(99999)) + "]: " + body(r); }},
      {"bracket",
       {{"[INFO]", kInfo}, {"[WARNING]", kWarn}, {"[DEBUG]", kDebug}, {"[ERROR]", kError}, {"no level:", -1}},
       [](const Spelling& s, SplitMix64& r) { return std::string("[2025-10-29T00:00:00] ") + s.text + " x"; }},
  };
  return cases;
}

// gzip of `data` (zlib's deflate with a gzip wrapper).
std::string gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A file of `n` lines of one format (CRLF ends on some, no final newline on odd n) and its
// counts, known by construction.
std::string make_file(const FormatCase& fc, int n, SplitMix64& rng, Counts& want) {
  std::string text;
  LevelTally t;
  for (int i = 0; i < n; ++i) {
    const Spelling& s = fc.spellings[rng.below(fc.spellings.size())];
    text += fc.line(s, rng);
    t.add_line(s.id);
    if (i + 1 < n || n % 2 == 0) text += rng.below(5) == 0 ? "\r\n" : "\n";
  }
  add_tally(want, t);
  return text;
}

}  // namespace

TEST_CASE("scan_file: each format, detected, counts as generated; any partition; gzip'd", "[scanner][formats]") {
  SplitMix64 rng(99 + Catch::rngSeed());
  MemEnv env;
  for (const FormatCase& fc : format_cases()) {
    INFO("format " << fc.format << ", seed " << 99 + Catch::rngSeed());
    Counts want;
    const std::string text = make_file(fc, 401, rng, want);
    REQUIRE(write_file(env, "/f.log", text, WriteMode::kTruncate, false).ok());
    std::string used;
    ScanOptions so;
    so.format_used = &used;
    auto whole = scan_file("/f.log", {}, so, env);
    REQUIRE(whole.ok());
    CHECK(used == fc.format);
    CHECK(*whole == want);
    // forced by name: the same; gzip'd: the same, detected on the inflated head
    so.format = *parse_format_spec(fc.format);
    CHECK(*scan_file("/f.log", {}, so, env) == want);
    REQUIRE(write_file(env, "/f.log.gz", gzip(text), WriteMode::kTruncate, false).ok());
    ScanOptions gz;
    gz.format_used = &used;
    gz.chunk_bytes = 1 + rng.below(5000);
    used.clear();
    CHECK(*scan_file("/f.log.gz", {}, gz, env) == want);
    CHECK(used == fc.format);
    // random partitions in small pieces: every line once
    for (int iter = 0; iter < 40; ++iter) {
      std::vector<std::uint64_t> cuts{0, text.size()};
      for (int i = 0, parts = 1 + static_cast<int>(rng.below(8)); i < parts; ++i) cuts.push_back(rng.below(text.size() + 1));
      std::sort(cuts.begin(), cuts.end());
      Counts sum;
      ScanOptions piece;
      piece.chunk_bytes = 1 + rng.below(3000);
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        auto c = scan_file("/f.log", {cuts[i], cuts[i + 1] - cuts[i]}, piece, env);
        REQUIRE(c.ok());
        sum += *c;
      }
      REQUIRE(sum == want);
    }
  }
}

TEST_CASE("scan_file: a header format never counts a level that is only in the message", "[scanner][formats]") {
  MemEnv env;
  const std::string text =
      "2015-10-18 18:01:47,978 INFO [main] a: all fine\n"
      "2015-10-18 18:01:48,000 WARN [main] a: lease renew failed ERROR [ERROR] FATAL\n"
      "2015-10-18 18:01:49,000 INFO [main] a: [ERROR] in the message\n";
  REQUIRE(write_file(env, "/h.log", text, WriteMode::kTruncate, false).ok());
  auto c = scan_file("/h.log", {}, {}, env);
  REQUIRE(c.ok());
  CHECK((*c)[Level::Info] == 2);
  CHECK((*c)[Level::Warn] == 1);
  CHECK((*c)[Level::Error] == 0);
  CHECK(c->lines == 3);
  ScanOptions bracket;
  bracket.format = *parse_format_spec("bracket");  // the assignment's rule counts the message token
  CHECK((*scan_file("/h.log", {}, bracket, env))[Level::Error] == 2);
  ScanOptions none;
  none.format = *parse_format_spec("none");
  auto n = scan_file("/h.log", {}, none, env);
  CHECK(n->leveled() == 0);
  CHECK(n->lines == 3);
}

TEST_CASE("detect_file_format: scan_file's format for the whole file, from its head, whatever a block holds", "[scanner][formats]") {
  SplitMix64 rng(7 + Catch::rngSeed());
  MemEnv env;
  for (const FormatCase& fc : format_cases()) {
    INFO("format " << fc.format);
    Counts want;
    const std::string text = make_file(fc, 301, rng, want);
    REQUIRE(write_file(env, "/f.log", text, WriteMode::kTruncate, false).ok());
    REQUIRE(write_file(env, "/f.log.gz", gzip(text), WriteMode::kTruncate, false).ok());
    auto plain = detect_file_format("/f.log", env);
    auto gz = detect_file_format("/f.log.gz", env);
    REQUIRE(plain.ok());
    REQUIRE(gz.ok());
    CHECK(plain->name() == fc.format);
    CHECK(gz->name() == fc.format);
  }
  // The store's case: the first line alone looks like apache (a lowercase [info]); the file's head,
  // as scan_file reads it, is bracket (50 [WARN] lines against 11 [info] ones).
  std::string text = "[t] [info] start\n";
  for (int i = 0; i < 50; ++i) text += "[t] [WARN] w\n";
  for (int i = 0; i < 10; ++i) text += "[t] [info] i\n";
  REQUIRE(write_file(env, "/mixed.log", text, WriteMode::kTruncate, false).ok());
  CHECK(detect_format(text.data(), 17, false).name() == "apache");  // (what a 16-byte first block saw)
  std::string used;
  ScanOptions so;
  so.format_used = &used;
  REQUIRE(scan_file("/mixed.log", {}, so, env).ok());
  CHECK(used == "bracket");
  CHECK(detect_file_format("/mixed.log", env)->name() == "bracket");
  // Only the head counts: bracket lines after the first kDetectBytes change nothing.
  std::string head_then_other;
  while (head_then_other.size() < kDetectBytes) head_then_other += "2015-10-18 18:01:47,978 INFO [main] a: fine\n";
  for (int i = 0; i < 5000; ++i) head_then_other += "[t] [ERROR] e\n";
  REQUIRE(write_file(env, "/late.log", head_then_other, WriteMode::kTruncate, false).ok());
  used.clear();
  REQUIRE(scan_file("/late.log", {}, so, env).ok());
  CHECK(used == "log4j");
  CHECK(detect_file_format("/late.log", env)->name() == "log4j");
  // an empty file: as scan_file; a missing one and a directory: errors naming them
  REQUIRE(write_file(env, "/empty.log", "", WriteMode::kTruncate, false).ok());
  used.clear();
  REQUIRE(scan_file("/empty.log", {}, so, env).ok());
  CHECK(detect_file_format("/empty.log", env)->name() == used);
  auto missing = detect_file_format("/nope.log", env);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("/nope.log") != std::string::npos);
  REQUIRE(env.make_dir("/d").ok());
  CHECK_FALSE(detect_file_format("/d", env).ok());
}

}  // namespace dla
