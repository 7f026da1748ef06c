// Tests of the level scanner: hand-computed cases on every implementation, block-boundary sweeps,
// a randomized differential test against the scalar reference, and scan_file's range, progress,
// pipe and error behaviour (files that shrink while read: scan_file_test.cc).
#include "scan/scanner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "scan/loggen.h"

namespace dla {
namespace {

using detail::ScanImpl;

Counts make(std::uint64_t debug, std::uint64_t error, std::uint64_t info, std::uint64_t warn, std::uint64_t lines) {
  Counts c;
  c = Counts{}; c[Level::Debug] = debug; c[Level::Error] = error; c[Level::Info] = info; c[Level::Warn] = warn;
  c.lines = lines;
  return c;
}

std::string show(const Counts& c) {
  return "{D=" + std::to_string(c[Level::Debug]) + " E=" + std::to_string(c[Level::Error]) + " I=" + std::to_string(c[Level::Info]) +
         " W=" + std::to_string(c[Level::Warn]) + " lines=" + std::to_string(c.lines) + "}";
}

std::string printable(const std::string& s) {
  std::string o;
  for (unsigned char ch : s.substr(0, 200)) {
    if (ch == '\n') o += "\\n";
    else if (ch == '\r') o += "\\r";
    else if (ch < 32 || ch >= 127) { char b[8]; std::snprintf(b, sizeof b, "\\x%02x", ch); o += b; }
    else o += static_cast<char>(ch);
  }
  if (s.size() > 200) o += "...(" + std::to_string(s.size()) + " bytes)";
  return o;
}

// Every implementation this CPU can run, on a copy of `s` placed at every alignment 0..63.
// `beyond` is put in memory right after the buffer's end: a scanner that reads past the end
// would see it (e.g. the rest of a cut token) and count wrongly.
void check_all_impls(const std::string& s, const Counts& want, bool all_alignments = true,
                     const std::string& beyond = "") {
  INFO("input: \"" << printable(s) << "\" followed in memory by \"" << printable(beyond) << "\"");
  INFO("want " << show(want));
  std::vector<char> buf(s.size() + beyond.size() + 128);
  for (std::size_t align = 0; align < (all_alignments ? 64u : 1u); ++align) {
    char* p = buf.data() + align;
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    if (!beyond.empty()) std::memcpy(p + s.size(), beyond.data(), beyond.size());
    for (ScanImpl impl : detail::available_impls()) {
      INFO("impl " << detail::impl_name(impl) << " align " << align);
      const Counts got = detail::scan_buffer_with(impl, p, s.size());
      INFO("got " << show(got));
      CHECK(got == want);
    }
  }
  CHECK(scan_buffer(s) == want);
}

// A mkdtemp directory removed (with its files) at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/dla_scanner_test.XXXXXX";
    std::vector<char> t(tmpl.begin(), tmpl.end());
    t.push_back('\0');
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t.data();
  }
  ~TempDir() {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") ::unlink((path + "/" + n).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  }
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path + "/" + name;
    std::FILE* f = std::fopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(content.data(), 1, content.size(), f) == content.size());
    REQUIRE(std::fclose(f) == 0);
    return p;
  }
};

Counts file_counts(const std::string& path, ByteRange r = {}, std::size_t chunk = 8u << 20) {
  ScanOptions o;
  o.chunk_bytes = chunk;
  auto res = scan_file(path, r, o);
  INFO("scan_file error: " << (res ? std::string() : res.error()));
  REQUIRE(res.ok());
  return *res;
}

// Random buffer from a small alphabet of fragments that make tokens, near-tokens and line ends.
std::string random_fragments(SplitMix64& rng, std::size_t n) {
  static const char* const kFrags[] = {"[", "]", "INFO", "WARN", "WARNING", "ERROR", "DEBUG", "\n", "\r", "x", "I", "D"};
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t k = rng.below(14);
    if (k == 12) s.push_back('\0');
    else if (k == 13) s += "[INFO]";  // keep full tokens frequent
    else s += kFrags[k];
  }
  return s;
}

}  // namespace

TEST_CASE("scanner: implementations", "[scanner]") {
  const auto impls = detail::available_impls();
  REQUIRE(impls.size() >= 2);
  CHECK(impls.front() == ScanImpl::kScalar);
  CHECK(std::find(impls.begin(), impls.end(), detail::best_impl()) != impls.end());
#if defined(__x86_64__)
  // Every x86-64 CPU has SSE2; the vector path must really be used.
  CHECK(detail::best_impl() != ScanImpl::kScalar);
  CHECK(detail::best_impl() != ScanImpl::kPortable);
#endif
  // An implementation the CPU lacks still answers (by falling back), and correctly.
  for (ScanImpl i : {ScanImpl::kScalar, ScanImpl::kPortable, ScanImpl::kSse2, ScanImpl::kAvx2, ScanImpl::kAvx512})
    CHECK(detail::scan_buffer_with(i, "[INFO] a\nb\n", 11) == make(0, 0, 1, 0, 2));
}

TEST_CASE("scanner: hand-computed cases", "[scanner]") {
  struct Case {
    std::string in;
    Counts want;
  };
  using S = std::string;
  const std::vector<Case> cases = {
      {"", make(0, 0, 0, 0, 0)},
      {"\n", make(0, 0, 0, 0, 1)},
      {"\n\n\n", make(0, 0, 0, 0, 3)},
      {"x", make(0, 0, 0, 0, 1)},
      {"[INFO] a", make(0, 0, 1, 0, 1)},  // no final newline
      {"[INFO] a\n[ERROR] b", make(0, 1, 1, 0, 2)},
      {"[2025-10-29T00:00:00.000448] [DEBUG] Request processed\n", make(1, 0, 0, 0, 1)},
      {"[2025-10-29T00:00:00.000448] [DEBUG] Request processed", make(1, 0, 0, 0, 1)},
      {"[2025] [WARN] x\r\n[2025] [DEBUG] y\r\n", make(1, 0, 0, 1, 2)},  // CRLF
      {"\r\n\r\n", make(0, 0, 0, 0, 2)},
      {"[INFO]\r", make(0, 0, 1, 0, 1)},
      {"[WARNING] disk\n", make(0, 0, 0, 1, 1)},
      {"[WARN] disk\n", make(0, 0, 0, 1, 1)},
      {"[info] x\n[Info] y\n[INFO ] z\n[ INFO] w\n", make(0, 0, 0, 0, 4)},  // case-sensitive, exact
      {"[ERROR] x [INFO]\n", make(0, 1, 0, 0, 1)},                          // first token wins
      {"a [DEBUG] b [ERROR] c [WARN]\n", make(1, 0, 0, 0, 1)},
      {"x [INF", make(0, 0, 0, 0, 1)},  // token cut by the end of the buffer
      {"x [INFO", make(0, 0, 0, 0, 1)},
      {"x [WARNING", make(0, 0, 0, 0, 1)},
      {"x [WARN", make(0, 0, 0, 0, 1)},
      {"x [D", make(0, 0, 0, 0, 1)},
      {"abc [", make(0, 0, 0, 0, 1)},  // '[' as the last byte
      {"[", make(0, 0, 0, 0, 1)},
      {"]", make(0, 0, 0, 0, 1)},
      {"[INFO]", make(0, 0, 1, 0, 1)},  // token ending exactly at the end
      {"[WARNING]", make(0, 0, 0, 1, 1)},
      {"[[INFO]\n", make(0, 0, 1, 0, 1)},
      {"[[[[WARN]]]]\n", make(0, 0, 0, 1, 1)},
      {"[INFO\n", make(0, 0, 0, 0, 1)},  // no ']'
      {"[INFO x]\n", make(0, 0, 0, 0, 1)},
      {"[INFO\n]\n", make(0, 0, 0, 0, 2)},  // a token never spans lines
      {"[WARNINGS]\n", make(0, 0, 0, 0, 1)},  // ']' must follow WARN or WARNING exactly
      {"[WARNS]\n", make(0, 0, 0, 0, 1)},
      {"[WARNIN]\n", make(0, 0, 0, 0, 1)},
      {"[WARN]ING]\n", make(0, 0, 0, 1, 1)},
      {"[DEBUGGING]\n", make(0, 0, 0, 0, 1)},
      {"[ERRORS] [ERROR]\n", make(0, 1, 0, 0, 1)},  // first candidate fails, a later one counts
      {"[Disk] [info] [Db]\n", make(0, 0, 0, 0, 1)},
      {"[Dx\n[INFO]\n", make(0, 0, 1, 0, 2)},  // the retry stops at the end of its line
      {"[Dx\n[Ix\n[WARN]\n[E", make(0, 0, 0, 1, 4)},
      {S("[INFO]\0x\n", 9), make(0, 0, 1, 0, 1)},  // NUL is an ordinary byte
      {S("\0[DEBUG]\0\n\0\n", 12), make(1, 0, 0, 0, 2)},
      {S("[\0INFO]\n", 8), make(0, 0, 0, 0, 1)},
      {S("[INFO\0]\n", 8), make(0, 0, 0, 0, 1)},
      {"\xff\xfe[ERROR]\xc3\n\xc3\xa9[WARN]\n", make(0, 1, 0, 1, 2)},  // invalid / non-ASCII UTF-8
      {"[\xc3\x89RROR]\n", make(0, 0, 0, 0, 1)},
      {"\n[INFO]\n\n[DEBUG]", make(1, 0, 1, 0, 4)},
  };
  for (const auto& c : cases) check_all_impls(c.in, c.want);
}

TEST_CASE("scanner: a token at every offset around the 64-byte blocks", "[scanner]") {
  const std::vector<std::pair<std::string, int>> tokens = {
      {"[DEBUG]", 0}, {"[ERROR]", 1}, {"[INFO]", 2}, {"[WARN]", 3}, {"[WARNING]", 3}};
  for (const auto& [tok, level] : tokens) {
    Counts one;
    one[static_cast<Level>(level)] = 1;
    for (std::size_t off = 0; off <= 140; ++off) {
      // Token at `off` in a line of filler: alone, followed by text, and ending the buffer.
      const std::string pre(off, 'x');
      Counts w = one;
      w.lines = 1;
      check_all_impls(pre + tok, w, off % 16 == 0);
      check_all_impls(pre + tok + " msg\n", w, false);
      // A non-token candidate first, then the token (the retry path), across the boundary.
      check_all_impls("[Dx" + pre + tok + "\n", w, false);
      // A second line starting right after `off` bytes; the first line has no token.
      Counts w2 = one;
      w2.lines = 2;
      if (off > 0) check_all_impls(std::string(off - 1, 'y') + "\n" + tok + "\n", w2, false);
      // The first token of the line is in the previous block; the second must not count.
      Counts w3;
      w3[Level::Debug] = 1;
      w3.lines = 1;
      check_all_impls("[DEBUG]" + pre + tok + "\n", w3, false);
      // Cut tokens at the end: every proper prefix of the token counts nothing.
      for (std::size_t k = 1; k < tok.size(); ++k)
        check_all_impls(pre + tok.substr(0, k), make(0, 0, 0, 0, 1), off % 8 == 0, tok.substr(k) + "\n");
    }
  }
}

TEST_CASE("scanner: a 10 MB line", "[scanner]") {
  const std::size_t n = 10u << 20;
  std::string s(n, 'x');
  s[3] = '[';  // lots of near-candidates: '[' then 'D'
  for (std::size_t i = 1000; i + 2 < n; i += 4099) {
    s[i] = '[';
    s[i + 1] = 'D';
  }
  check_all_impls(s, make(0, 0, 0, 0, 1), false);
  const std::size_t mid = n / 2 + 13;
  std::memcpy(&s[mid], "[WARNING]", 9);
  std::memcpy(&s[n - 20], "[ERROR]", 7);
  check_all_impls(s, make(0, 0, 0, 1, 1), false);
  check_all_impls(s + "\n[INFO]\n", make(0, 0, 1, 1, 2), false);
  check_all_impls("[DEBUG]\n" + s, make(1, 0, 0, 1, 2), false);
}

TEST_CASE("scanner: randomized differential test against the scalar reference", "[scanner]") {
  SplitMix64 rng(20261124 + Catch::rngSeed());  // DLA_TEST_SEED shifts it (tests/unit_main.cc)
  const auto impls = detail::available_impls();
  std::uint64_t leveled = 0, lines = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const std::size_t frags = iter < 3000 ? rng.below(60) : rng.below(2000);
    const std::string s = random_fragments(rng, frags);
    // The whole buffer and a few random windows (every alignment and length over the run).
    for (int w = 0; w < 4; ++w) {
      std::size_t off = 0, len = s.size();
      if (w > 0 && !s.empty()) {
        off = rng.below(s.size());
        len = rng.below(s.size() - off + 1);
      }
      const Counts want = detail::scan_buffer_scalar(s.data() + off, len);
      leveled += want.leveled();
      lines += want.lines;
      for (ScanImpl impl : impls) {
        const Counts got = detail::scan_buffer_with(impl, s.data() + off, len);
        if (got != want) {
          INFO("impl " << detail::impl_name(impl) << " iter " << iter << " off " << off << " len " << len);
          INFO("input: \"" << printable(s.substr(off, len)) << "\"");
          INFO("want " << show(want) << " got " << show(got));
          REQUIRE(got == want);
        }
      }
    }
  }
  // The alphabet really produces tokens and lines (the test is not vacuous).
  CHECK(leveled > 10000);
  CHECK(lines > 50000);
}

TEST_CASE("scanner: generator output, every implementation agrees with the reference", "[scanner]") {
  TempDir td;
  GenOptions g;
  g.files = 2;
  g.lines = 20000;
  g.mixed = true;
  auto paths = generate_logs(td.path, g);
  REQUIRE(paths.ok());
  for (const auto& p : *paths) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    REQUIRE(f);
    std::string s;
    char b[65536];
    std::size_t n;
    while ((n = std::fread(b, 1, sizeof b, f)) > 0) s.append(b, n);
    std::fclose(f);
    const Counts want = detail::scan_buffer_scalar(s.data(), s.size());
    CHECK(want.lines == 20000);
    CHECK(want.leveled() > 10000);
    check_all_impls(s, want, false);
    CHECK(file_counts(p) == want);
    CHECK(file_counts(p, {}, 4096) == want);
  }
}

TEST_CASE("scan_file: any split of a file counts every line once", "[scanner]") {
  TempDir td;
  SplitMix64 rng(7 + Catch::rngSeed());
  std::string content;
  for (int i = 0; i < 60; ++i) content += random_fragments(rng, 12) + "\n";
  content += "[2025] [WARNING] tail without newline";
  const std::string path = td.write("split.log", content);
  const Counts whole = detail::scan_buffer_scalar(content.data(), content.size());
  REQUIRE(whole.lines >= 61);  // the fragments hold newlines too
  REQUIRE(whole.leveled() >= 10);
  const std::uint64_t size = content.size();
  {
    CHECK(file_counts(path) == whole);
    CHECK(file_counts(path, {0, size}) == whole);
    {  // a range planned for a larger file: the file shrank
      auto r = scan_file(path, {0, size * 5});
      REQUIRE_FALSE(r.ok());
      CHECK(r.code() == Code::kCorruption);
    }
    CHECK(file_counts(path, {size, 0}) == Counts{});
    CHECK(file_counts(path, {size + 100, ByteRange::kToEnd}) == Counts{});
    for (std::uint64_t k = 0; k <= size; ++k) {
      const std::size_t chunk = 1 + k % 97;  // tiny pieces too: split at line ends, carried lines
      const Counts a = file_counts(path, {0, k}, chunk);
      const Counts b = file_counts(path, {k, ByteRange::kToEnd}, chunk);
      if (a + b != whole) {
        INFO("split at " << k << ": " << show(a) << " + " << show(b) << " != " << show(whole));
        REQUIRE(a + b == whole);
      }
    }
    for (int iter = 0; iter < 300; ++iter) {
      std::vector<std::uint64_t> cuts{0, size};
      const int parts = 1 + static_cast<int>(rng.below(12));
      for (int i = 1; i < parts; ++i) cuts.push_back(rng.below(size + 1));
      std::sort(cuts.begin(), cuts.end());
      Counts sum;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
        sum += file_counts(path, {cuts[i], cuts[i + 1] - cuts[i]}, 1 + rng.below(200));
      REQUIRE(sum == whole);
    }
  }
}

TEST_CASE("scan_file: progress reports the range's bytes", "[scanner]") {
  TempDir td;
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "[2025-10-29T00:00:00.000448] [INFO] Request processed\n";
  const std::string path = td.write("p.log", content);
  const std::uint64_t size = content.size();
  {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    ScanOptions o;
    o.chunk_bytes = 4096;
    o.on_progress = [&](std::uint64_t d, std::uint64_t t) { calls.emplace_back(d, t); };
    auto r = scan_file(path, {}, o);
    REQUIRE(r.ok());
    CHECK((*r)[Level::Info] == 1000);
    REQUIRE(calls.size() >= size / 4096 / 2);  // read(2) pieces may be up to the chunk size
    for (std::size_t i = 0; i < calls.size(); ++i) {
      CHECK(calls[i].second == size);
      if (i > 0) CHECK(calls[i].first >= calls[i - 1].first);
    }
    CHECK(calls.back() == std::make_pair(size, size));
    // A partition's totals add up to the file size, each range ending with (total, total).
    const std::uint64_t cuts[] = {0, 1, 777, 778, 30000, size};
    std::uint64_t total = 0;
    Counts sum;
    for (int i = 0; i + 1 < 6; ++i) {
      calls.clear();
      auto rr = scan_file(path, {cuts[i], cuts[i + 1] - cuts[i]}, o);
      REQUIRE(rr.ok());
      sum += *rr;
      REQUIRE(!calls.empty());
      CHECK(calls.back().first == calls.back().second);
      CHECK(calls.back().second == cuts[i + 1] - cuts[i]);
      total += calls.back().second;
    }
    CHECK(total == size);
    CHECK(sum[Level::Info] == 1000);
  }
}

TEST_CASE("scan_file: empty file, missing file, directory", "[scanner]") {
  TempDir td;
  const std::string empty = td.write("empty.log", "");
  {
    int calls = 0;
    std::uint64_t last_total = 99;
    ScanOptions o;
    o.on_progress = [&](std::uint64_t d, std::uint64_t t) {
      ++calls;
      CHECK(d == 0);
      last_total = t;
    };
    auto r = scan_file(empty, {}, o);
    REQUIRE(r.ok());
    CHECK(*r == Counts{});
    CHECK(calls == 1);
    CHECK(last_total == 0);
  }
  const std::string missing = td.path + "/no_such_file.log";
  auto r = scan_file(missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find(missing) != std::string::npos);
  auto d = scan_file(td.path);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().find(td.path) != std::string::npos);
}

TEST_CASE("scan_file: a 10 MB line and tokens across read boundaries", "[scanner]") {
  TempDir td;
  const std::size_t n = 10u << 20;
  std::string line(n, 'x');
  // "[WARNING]" straddling the 1 MiB read buffer, a later token that must not count.
  std::memcpy(&line[(1u << 20) - 4], "[WARNING]", 9);
  std::memcpy(&line[(3u << 20) + 1], "[ERROR]", 7);
  const std::string content = "[INFO] a\n" + line + "\n[DEBUG] b\n" + std::string(n, 'y') + "\n[ERROR] tail";
  const std::string path = td.write("long.log", content);
  const Counts want = make(1, 1, 1, 1, 5);
  REQUIRE(detail::scan_buffer_scalar(content.data(), content.size()) == want);
  {
    CHECK(file_counts(path) == want);
    CHECK(file_counts(path, {}, 1000) == want);  // the line is far longer than a piece
    CHECK(file_counts(path, {}, 1u << 20) == want);
    // Ranges cutting the long lines: each line is counted by the range of its first byte.
    const std::uint64_t size = content.size();
    for (std::uint64_t cut : {std::uint64_t{5}, std::uint64_t{9}, std::uint64_t{10}, std::uint64_t{(1u << 20) + 3},
                              std::uint64_t{n + 9}, std::uint64_t{n + 10}, std::uint64_t{n + 15}, size - 3}) {
      INFO("cut " << cut);
      CHECK(file_counts(path, {0, cut}, 65536) + file_counts(path, {cut, ByteRange::kToEnd}, 65536) == want);
    }
  }
  // The token found in a piece of the line: the rest of the line is skipped, not re-counted.
  std::string t(3u << 20, 'z');
  std::memcpy(&t[100], "[DEBUG]", 7);
  std::memcpy(&t[(2u << 20) + 5], "[INFO]", 6);
  const std::string p2 = td.write("long2.log", t + "\n" + t);
  CHECK(file_counts(p2, {}, 4096) == make(2, 0, 0, 0, 2));
}

TEST_CASE("scan_file: pipes are read with read(2)", "[scanner]") {
  TempDir td;
  std::string content;
  for (int i = 0; i < 5000; ++i)
    content += (i % 3 == 0 ? "[2025] [ERROR] x\n" : i % 3 == 1 ? "[2025] [WARNING] y\r\n" : "no level\n");
  content += "[INFO] last";
  const Counts whole = detail::scan_buffer_scalar(content.data(), content.size());
  REQUIRE(whole.lines == 5001);
  const std::string fifo = td.path + "/pipe.log";
  // If the reader ever stopped early, the writer must see EPIPE (not die of SIGPIPE) so that the
  // test fails on its checks instead of killing the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{17}, std::uint64_t{20}}) {
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] {
      const int fd = ::open(fifo.c_str(), O_WRONLY);
      if (fd < 0) return;
      std::size_t done = 0;
      while (done < content.size()) {
        const ssize_t w = ::write(fd, content.data() + done, std::min<std::size_t>(4000, content.size() - done));
        if (w <= 0) break;
        done += static_cast<std::size_t>(w);
      }
      ::close(fd);
    });
    std::uint64_t last_done = 0, last_total = 1;
    ScanOptions o;
    o.chunk_bytes = 1000;
    o.on_progress = [&](std::uint64_t d, std::uint64_t t) {
      last_done = d;
      last_total = t;
    };
    auto r = scan_file(fifo, {offset, ByteRange::kToEnd}, o);
    if (!r.ok()) {  // never opened: release the writer blocked in open()
      const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
    writer.join();
    ::unlink(fifo.c_str());
    REQUIRE(r.ok());
    // Offset 17 is the start of the 2nd line ([WARNING]); 20 is inside it, so it belongs to the
    // previous range too.
    Counts want = whole;
    if (offset >= 17) {
      want[Level::Error] -= 1;
      want.lines -= 1;
    }
    if (offset > 17) {
      want[Level::Warn] -= 1;
      want.lines -= 1;
    }
    CHECK(*r == want);
    CHECK(last_done == content.size() - offset);
    CHECK(last_total == content.size() - offset);
  }
}

}  // namespace dla
