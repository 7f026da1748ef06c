// .gz inputs: inflated through the Env, whole file only, damage reported with kCorruption.
#include <catch2/catch.hpp>
#include <string>
#include <zlib.h>

#include "base/mem_env.h"
#include "scan/gzip_file.h"
#include "scan/scanner.h"

namespace dla {
namespace {

// gzip of `data` (zlib's deflate with a gzip wrapper): the test's own compressor.
std::string gzip(const std::string& data, int level = 6) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
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

std::string lines_of(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "2015-10-18 18:01:47,978 " + std::string(i % 3 ? "INFO" : "WARN") + " [main] c: body ERROR\n";
  return s;
}

std::string inflate_all(Env& env, const std::string& path, std::size_t piece) {
  auto f = env.open_read(path);
  REQUIRE(f.ok());
  GzipReader gz(**f, path);
  std::string out, buf(piece, '\0');
  for (;;) {
    auto got = gz.read(piece, &buf[0]);
    REQUIRE(got.ok());
    if (*got == 0) break;
    out.append(buf, 0, *got);
  }
  return out;
}

}  // namespace

TEST_CASE("GzipReader: inflates in pieces of any size, concatenated members too", "[gzip]") {
  MemEnv env;
  const std::string a = lines_of(5000), b = "second member\n";
  REQUIRE(write_file(env, "/a.gz", gzip(a), WriteMode::kTruncate, false).ok());
  REQUIRE(write_file(env, "/ab.gz", gzip(a) + gzip(b, 1), WriteMode::kTruncate, false).ok());
  for (std::size_t piece : {1u, 7u, 4096u, 1u << 20}) {
    if (piece == 1) {
      CHECK(inflate_all(env, "/ab.gz", 3) == a + b);
      continue;
    }
    CHECK(inflate_all(env, "/a.gz", piece) == a);
    CHECK(inflate_all(env, "/ab.gz", piece) == a + b);
  }
  CHECK(is_gzip_name("x.log.2.gz"));
  CHECK_FALSE(is_gzip_name("x.log"));
  CHECK_FALSE(is_gzip_name(".gz"));
}

TEST_CASE("scan_file on a .gz: same counts as the plain file, detection on the inflated head", "[gzip]") {
  MemEnv env;
  const std::string text = lines_of(3001);
  REQUIRE(write_file(env, "/app.log", text, WriteMode::kTruncate, false).ok());
  const std::string z = gzip(text);
  REQUIRE(write_file(env, "/app.log.1.gz", z, WriteMode::kTruncate, false).ok());
  std::string used;
  ScanOptions so;
  so.format_used = &used;
  so.chunk_bytes = 4096;
  std::uint64_t last_done = 0, last_total = 0;
  so.on_progress = [&](std::uint64_t d, std::uint64_t t) {
    CHECK(d >= last_done);
    last_done = d;
    last_total = t;
  };
  auto plain = scan_file("/app.log", {}, {}, env);
  auto c = scan_file("/app.log.1.gz", {}, so, env);
  REQUIRE(plain.ok());
  REQUIRE(c.ok());
  CHECK(*c == *plain);
  CHECK(c->lines == 3001);
  CHECK((*c)[Level::Warn] == 1001);  // i % 3 == 0 for i < 3001
  CHECK((*c)[Level::Info] == 2000);
  CHECK((*c)[Level::Error] == 0);    // only in the messages
  CHECK(used == "log4j");
  CHECK(last_done == z.size());  // progress in compressed bytes, ending at the file size
  CHECK(last_total == z.size());
  // The whole file as an explicit range is fine; any other range is refused.
  CHECK(scan_file("/app.log.1.gz", {0, z.size()}, {}, env).ok());
  auto part = scan_file("/app.log.1.gz", {10, 100}, {}, env);
  REQUIRE_FALSE(part.ok());
  CHECK(part.code() == Code::kInvalid);
}

TEST_CASE("scan_file on a damaged .gz: kCorruption naming the file", "[gzip]") {
  MemEnv env;
  const std::string z = gzip(lines_of(20000));
  REQUIRE(z.size() > 1000);
  std::string flipped = z;
  flipped[z.size() / 2] = static_cast<char>(flipped[z.size() / 2] ^ 0x5a);
  flipped[z.size() / 2 + 1] = static_cast<char>(flipped[z.size() / 2 + 1] ^ 0xa5);
  const std::pair<const char*, std::string> bad[] = {
      {"/truncated.gz", z.substr(0, z.size() / 2)},
      {"/trailer-cut.gz", z.substr(0, z.size() - 4)},
      {"/corrupt.gz", flipped},
      {"/notgz.gz", "plain text, not gzip\n"},
      {"/empty.gz", ""},
      {"/garbage-after.gz", z + "garbage"},
  };
  for (const auto& [path, bytes] : bad) {
    INFO(path);
    REQUIRE(write_file(env, path, bytes, WriteMode::kTruncate, false).ok());
    auto r = scan_file(path, {}, {}, env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
    CHECK(r.error().find(path) != std::string::npos);
  }
  auto r = scan_file("/truncated.gz", {}, {}, env);
  CHECK(r.error().find("truncated") != std::string::npos);
}

}  // namespace dla

TEST_CASE("gzip_text and read_gzip_file round-trip", "[gzip]") {
  dla::MemEnv env;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "0.5 " + std::to_string(i % 97) + " result " + std::to_string(i) + "\n";
  auto gz = dla::gzip_text(text);
  REQUIRE(gz.ok());
  CHECK(gz->size() < text.size() / 4);
  REQUIRE(dla::write_file(env, "/t.gz", *gz, dla::WriteMode::kTruncate, false).ok());
  auto back = dla::read_gzip_file(env, "/t.gz");
  REQUIRE(back.ok());
  CHECK(*back == text);
  CHECK(dla::read_gzip_file(env, "/missing.gz").code() == dla::Code::kNotFound);
}
