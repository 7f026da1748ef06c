#include "sched/master_log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "scan/loggen.h"

using namespace dla;

namespace {

LogEntry done(int task, int file, std::uint64_t off, std::uint64_t len, int worker, std::uint64_t lines,
              std::string format) {
  LogEntry e;
  e.kind = LogEntry::Done;
  e.task = task, e.file = file, e.offset = off, e.length = len, e.worker = worker;
  e.counts.lines = lines;
  if (lines > 1) e.counts["ERROR"] = 1, e.counts["FATAL"] = lines - 1;
  e.format = std::move(format);
  return e;
}

std::string random_text(SplitMix64& rng, std::size_t max) {
  static const char kBytes[] = {'a', 'Z', '0', ' ', '\t', '\n', '\\', 'x', '\x7f', '\x01', '\xc3', '\xa9', '\xff', '=', '-'};
  std::string s;
  for (auto n = rng.below(max + 1); n > 0; --n) s += kBytes[rng.below(sizeof kBytes)];
  return s;
}

LogEntry random_entry(SplitMix64& rng) {
  LogEntry e;
  e.kind = static_cast<LogEntry::Kind>(rng.below(4));
  const auto big = [&] { return rng.below(2) ? rng.below(1000) : rng.next() >> 1; };
  e.task = static_cast<int>(rng.below(1u << 31));
  e.file = static_cast<int>(rng.below(100));
  e.offset = big();
  e.length = rng.below(2) ? rng.below(1000) : (~e.offset) >> rng.below(3);  // (offset + length fits)
  if (e.kind == LogEntry::Split) e.from = static_cast<int>(rng.below(1000));
  e.worker = static_cast<int>(rng.below(64));
  if (e.kind == LogEntry::Done) {
    e.counts.lines = big();
    std::uint64_t left = e.counts.lines;
    for (const char* lv : {"DEBUG", "ERROR", "NOTICE", "X_1"}) {
      const std::uint64_t n = rng.below(left / 2 + 1);
      if (n) e.counts[lv] = n, left -= n;
    }
    e.format = random_text(rng, 12);
  }
  if (e.kind == LogEntry::Error) e.error = random_text(rng, 30);
  return e;
}

}  // namespace

TEST_CASE("master log: each kind round-trips, only the fields it uses", "[master_log]") {
  LogEntry err;
  err.kind = LogEntry::Error;
  err.task = 3, err.file = 1, err.offset = 10, err.length = 20, err.worker = 0, err.error = "read failed: f\tg\nRESULT OK";
  LogEntry split;
  split.kind = LogEntry::Split;
  split.task = 9, split.from = 2, split.file = 1, split.offset = 131072, split.length = 7;
  LogEntry failed;
  failed.kind = LogEntry::Failed;
  failed.worker = 4;
  const std::vector<LogEntry> v = {done(0, 0, 0, 100, 2, 5, "bracket"), err, split, failed, done(1, 0, 100, 0, 0, 0, "")};
  const std::string text = encode_log(v);
  CHECK(text ==
        "done\t0\t0\t0\t100\t2\t5 ERROR=1 FATAL=4\tbracket\n"
        "error\t3\t1\t10\t20\t0\tread failed: f\\x09g\\x0aRESULT OK\n"
        "split\t9\t2\t1\t131072\t7\n"
        "failed\t4\n"
        "done\t1\t0\t100\t0\t0\t0\t\n");
  auto back = decode_log(text);
  REQUIRE(back.ok());
  CHECK(*back == v);
  // Fields a kind does not use are not carried.
  LogEntry f2 = failed;
  f2.task = 7, f2.format = "x";
  CHECK(encode_log({f2}) == "failed\t4\n");
  CHECK(f2 == failed);
}

TEST_CASE("master log: a field can never forge a field or a line", "[master_log]") {
  LogEntry e = done(1, 2, 3, 4, 5, 1, "fmt\tdone\t9\t9\t9\t9\t9\t1\tx\nfailed\t1");
  const std::string text = encode_log({e});
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(std::count(text.begin(), text.end(), '\t') == 7);
  auto back = decode_log(text);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 1);
  CHECK(back->front().format == e.format);
}

TEST_CASE("master log: batches concatenate; empty text is no entries", "[master_log]") {
  const std::vector<LogEntry> a = {done(0, 0, 0, 10, 1, 1, "a")}, b = {done(1, 0, 10, 10, 2, 2, "b\\")};
  std::vector<LogEntry> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  CHECK(encode_log(a) + encode_log(b) == encode_log(ab));
  auto back = decode_log(encode_log(a) + encode_log(b));
  REQUIRE(back.ok());
  CHECK(*back == ab);
  auto none = decode_log("");
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(encode_log({}).empty());
}

TEST_CASE("master log: decoding is strict", "[master_log]") {
  const char* bad[] = {
      "done\t0\t0\t0\t100\t2\t5\tbracket",             // no final newline
      "\n",                                             // empty line
      "done\t0\t0\t0\t100\t2\t5\n",                     // a field missing
      "done\t0\t0\t0\t100\t2\t5\tx\ty\n",               // one too many
      "Done\t0\t0\t0\t100\t2\t5\tx\n",                  // unknown kind
      "done\t-1\t0\t0\t100\t2\t5\tx\n",                 // negative id
      "done\t+1\t0\t0\t100\t2\t5\tx\n",                 // sign
      "done\t01\t0\t0\t100\t2\t5\tx\n",                 // leading zero
      "done\t 1\t0\t0\t100\t2\t5\tx\n",                 // space
      "done\t2147483648\t0\t0\t100\t2\t5\tx\n",         // above INT_MAX
      "done\t0\t0\t18446744073709551615\t1\t2\t5\tx\n", // offset + length overflows
      "done\t0\t0\t0\t18446744073709551616\t2\t5\tx\n", // above 64 bits
      "done\t0\t0\t0\t100\t2\t5 ERROR=6\tx\n",          // a level above the line count
      "done\t0\t0\t0\t100\t2\t5 INFO=1 ERROR=1\tx\n",   // counts not in name order
      "done\t0\t0\t0\t100\t2\t5 ERROR=0\tx\n",          // a zero level
      "done\t0\t0\t0\t100\t2\t5\tx\\q\n",               // bad escape
      "done\t0\t0\t0\t100\t2\t5\t\\x61\n",              // escape of a printable byte (non-canonical)
      "done\t0\t0\t0\t100\t2\t5\t\x01\n",               // raw control byte
      "error\t0\t0\t0\t100\t2\n",                       // no message
      "split\t1\t0\t0\t5\n",                            // split without length
      "failed\n",                                       // failed without worker
      "failed\t1\t2\n",                                 // failed with more
      "failed\t1\r\n",                                  // CR
  };
  for (const char* t : bad) {
    INFO("text: " << t);
    auto r = decode_log(t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kCorruption);
  }
  auto r = decode_log("failed\t1\nfailed\tx\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("line 2") != std::string::npos);
}

TEST_CASE("master log: random entries round-trip; random edits decode to what re-encodes to them", "[master_log]") {
  SplitMix64 rng(0x10c + Catch::rngSeed());
  int decoded_edits = 0, refused = 0;
  for (int run = 0; run < 3000; ++run) {
    std::vector<LogEntry> v;
    for (auto n = rng.below(6); n > 0; --n) v.push_back(random_entry(rng));
    const std::string text = encode_log(v);
    auto back = decode_log(text);
    INFO("run " << run << " text " << text);
    REQUIRE(back.ok());
    REQUIRE(*back == v);
    // Fuzz: flip, insert or delete bytes. Whatever decodes must be canonical: its encoding is the
    // input itself (so no two texts decode to the same log, and nothing is silently dropped).
    std::string t = text;
    for (auto k = 1 + rng.below(3); k > 0; --k) {
      const std::size_t at = t.empty() ? 0 : rng.below(t.size());
      const char c = "\t\n\\x0a9-= Z\x01\xff"[rng.below(13)];
      switch (rng.below(3)) {
        case 0: if (!t.empty()) t[at] = c; break;
        case 1: t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: if (!t.empty()) t.erase(at, 1); break;
      }
    }
    auto f = decode_log(t);
    if (!f.ok()) {
      ++refused;
      continue;
    }
    ++decoded_edits;
    INFO("edited " << t);
    REQUIRE(encode_log(*f) == t);
  }
  CHECK(refused > 1000);
  CHECK(decoded_edits > 100);
}

TEST_CASE("master log: describe is the line, tabs as spaces", "[master_log]") {
  CHECK(describe(done(0, 1, 2, 3, 4, 1, "a\tb")) == "done 0 1 2 3 4 1 a\\x09b");
}
