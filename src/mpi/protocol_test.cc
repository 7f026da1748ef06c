#include "mpi/protocol.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

namespace dla::mpi::proto {
namespace {

std::string random_bytes(std::mt19937& rng, std::size_t max_len) {
  std::uniform_int_distribution<int> len(0, static_cast<int>(max_len)), byte(0, 255);
  std::string s(static_cast<std::size_t>(len(rng)), '\0');
  for (auto& c : s) c = static_cast<char>(byte(rng));
  return s;
}

// Any set of levels, not only the assignment's four (FATAL, NOTICE, a logcat VERBOSE...).
Counts random_counts(std::mt19937& rng) {
  static const char* kNames[] = {"DEBUG", "ERROR", "INFO", "WARN", "FATAL", "NOTICE", "TRACE", "VERBOSE", "SEVERE", "L_9"};
  Counts c;
  std::uniform_int_distribution<std::uint64_t> n(1, 1u << 20);
  for (const char* name : kNames)
    if (rng() % 3 == 0) c[name] = n(rng);
  c.lines = n(rng) + c.leveled();
  return c;
}

}  // namespace

TEST_CASE("protocol: the plan carries options or an error, never the file list") {
  auto p = decode_plan(encode_plan(Plan{"regex:(?<level>\\w+)\tx\n", ""}));
  REQUIRE(p);
  CHECK(p->format == "regex:(?<level>\\w+)\tx\n");
  CHECK(p->error.empty());
  auto e = decode_plan(encode_plan(Plan{"", "no such directory: a\nb"}));
  REQUIRE(e);
  CHECK(e->error == "no such directory: a\nb");
  CHECK_FALSE(decode_plan("plan\tx"));         // no newline
  CHECK_FALSE(decode_plan("{\"files\":[]}\n"));  // the old JSON plan
  CHECK_FALSE(decode_plan("plan\tx\ty\n"));
}

TEST_CASE("protocol: assignments and results round-trip any bytes in names, specs and errors") {
  std::mt19937 rng(7 + Catch::rngSeed());
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<TaskMsg> tasks;
    std::vector<ResultMsg> results;
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      TaskMsg t;
      t.id = static_cast<int>(rng() % 100000);
      t.offset = rng();
      t.length = rng();
      t.size = (std::uint64_t{rng()} << 32) | rng();
      t.attempt = 1 + static_cast<int>(rng() % 4);
      t.path = random_bytes(rng, 40);
      t.name = random_bytes(rng, 20);
      tasks.push_back(t);
      ResultMsg r;
      r.task = t.id;
      r.kind = static_cast<ResultMsg::Kind>(rng() % 3);
      r.started_us = rng() % 2 ? -1 : static_cast<long long>(rng());
      r.format = random_bytes(rng, 10);
      if (r.kind == ResultMsg::Ok) r.counts = random_counts(rng);
      if (r.kind == ResultMsg::Err) r.error = random_bytes(rng, 30);
      results.push_back(r);
    }
    const int refill = static_cast<int>(rng() % 5);
    const bool answer = rng() % 2;
    auto ta = decode_assign(encode_assign({refill, answer, tasks}));
    REQUIRE(ta);
    CHECK(ta->refill == refill);
    CHECK(ta->answer == answer);
    REQUIRE(ta->tasks.size() == tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const auto &a = ta->tasks[i], &b = tasks[i];
      CHECK((a.id == b.id && a.offset == b.offset && a.length == b.length && a.size == b.size &&
             a.attempt == b.attempt && a.path == b.path && a.name == b.name));
    }
    auto ra = decode_results(encode_results(results));
    REQUIRE(ra);
    REQUIRE(ra->size() == results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto &a = (*ra)[i], &b = results[i];
      CHECK((a.task == b.task && a.kind == b.kind && a.started_us == b.started_us && a.format == b.format &&
             a.counts == b.counts && a.error == b.error));
    }
  }
}

TEST_CASE("protocol: a damaged message is an error, never a wrong task or count") {
  std::vector<TaskMsg> tasks = {{3, 0, 10, 10, 1, "d/a.log", "a.log"}};
  const std::string a = encode_assign({0, true, tasks});
  ResultMsg r;
  r.task = 3;
  r.counts[Level::Debug] = 2;
  r.counts["FATAL"] = 1;
  r.counts.lines = 5;
  const std::string res = encode_results({r});
  CHECK(res == "3\tok\t-1\t\t5 DEBUG=2 FATAL=1\n");
  // A cut message (any strict prefix) never decodes: the last line must end with a newline.
  for (std::size_t cut = 0; cut < a.size(); ++cut) CHECK_FALSE(decode_assign(a.substr(0, cut)));
  for (std::size_t cut = 0; cut < res.size(); ++cut) CHECK_FALSE(decode_results(res.substr(0, cut)));
  CHECK_FALSE(decode_results("3\tok\t-1\t\t5 DEBUG=x\n"));
  CHECK_FALSE(decode_results("3\tok\t-1\t\t5 lower=1\n"));
  CHECK_FALSE(decode_results("3\tok\t-1\t\t5 DEBUG=6\n"));  // more leveled lines than lines
  CHECK_FALSE(decode_results("3\tok\t-1\t\t5 DEBUG=1 \n"));
  CHECK_FALSE(decode_results("3\tmaybe\t-1\t\t5\n"));
  CHECK_FALSE(decode_results("3\tcancel\t-1\t\tjunk\n"));
  CHECK(decode_assign("assign\t0\t1\n3\t0\t10\t10\t1\tp\tn\n"));
  CHECK_FALSE(decode_assign("assign\t0\t1\n3\t0\t10\t10\t0\tp\tn\n"));  // attempt 0
  CHECK_FALSE(decode_assign("assign\t0\t1\n-3\t0\t10\t10\t1\tp\tn\n"));
  CHECK_FALSE(decode_assign("assign\t0\t1\n3\t0\t10\t10\t1\tp\\q\tn\n"));  // bad escape
  CHECK_FALSE(decode_assign("assign\t-1\t1\n3\t0\t10\t10\t1\tp\tn\n"));
  CHECK_FALSE(decode_assign("assign\t0\t1\n"));  // no task
  CHECK_FALSE(decode_assign("3\t0\t10\t10\t1\tp\tn\n"));  // no header
  CHECK_FALSE(decode_assign("assign\t0\t2\n3\t0\t10\t10\t1\tp\tn\n"));
  CHECK_FALSE(decode_assign(""));
}

TEST_CASE("protocol: a REJOIN carries every kept result with its range and file, any bytes") {
  std::mt19937 rng(11 + Catch::rngSeed());
  for (int trial = 0; trial < 200; ++trial) {
    Rejoin in;
    in.term = 1 + static_cast<long long>(rng() % 1000);
    in.pid = static_cast<long>(rng() % 100000);
    in.host = random_bytes(rng, 12);
    const int n = static_cast<int>(rng() % 12);  // (none is valid: a worker that finished nothing)
    for (int i = 0; i < n; ++i) {
      KeptResult k;
      k.offset = (std::uint64_t{rng()} << 32) | rng();
      k.length = rng();
      k.name = random_bytes(rng, 20);
      k.result.task = static_cast<int>(rng() % 100000);
      k.result.kind = rng() % 4 ? ResultMsg::Ok : ResultMsg::Err;
      k.result.format = random_bytes(rng, 8);
      if (k.result.kind == ResultMsg::Ok) k.result.counts = random_counts(rng);
      else k.result.error = random_bytes(rng, 30);
      in.results.push_back(k);
    }
    const std::string text = encode_rejoin(in);
    auto out = decode_rejoin(text);
    REQUIRE(out);
    CHECK((out->term == in.term && out->pid == in.pid && out->host == in.host));
    REQUIRE(out->results.size() == in.results.size());
    for (std::size_t i = 0; i < in.results.size(); ++i) {
      const auto &a = out->results[i], &b = in.results[i];
      CHECK((a.offset == b.offset && a.length == b.length && a.name == b.name && a.result.task == b.result.task &&
             a.result.kind == b.result.kind && a.result.format == b.result.format && a.result.counts == b.result.counts &&
             a.result.error == b.result.error));
    }
    // A strict prefix cut inside a line is an error (every line must end with a newline); one cut
    // right after a newline is a shorter REJOIN (MPI delivers whole messages: no cut arrives).
    const std::size_t cut = rng() % text.size();
    const auto part = decode_rejoin(text.substr(0, cut));
    if (cut == 0 || text[cut - 1] != '\n') {
      CHECK_FALSE(part);
    } else {
      REQUIRE(part);
      CHECK(part->results.size() == static_cast<std::size_t>(std::count(text.begin(), text.begin() + cut, '\n') - 1));
    }
  }
  CHECK(decode_rejoin("rejoin\t2\t7\th\n0\t10\ta.log\t3\tok\t-1\t\t5 DEBUG=2\n"));
  CHECK_FALSE(decode_rejoin("rejoin\t0\t7\th\n"));                                        // term 0
  CHECK_FALSE(decode_rejoin("rejoin\t2\t7\th\n0\t10\ta.log\t3\tcancel\t-1\t\t\n"));  // nothing to apply
  CHECK_FALSE(decode_rejoin("rejoin\t2\t7\th\n0\t10\ta.log\t-3\tok\t-1\t\t5\n"));
  CHECK_FALSE(decode_rejoin("rejoin\t2\t7\th\n10\ta.log\t3\tok\t-1\t\t5\n"));       // no offset
  CHECK_FALSE(decode_rejoin("3\tok\t-1\t\t5\n"));                                       // no header
}

TEST_CASE("protocol: --store fields of ASSIGN and RESULT round-trip; plain lines stay as they were") {
  Assignment a;
  TaskMsg t;
  t.id = 4;
  t.offset = 8388608;
  t.length = 100;
  t.size = 9000000;
  t.path = "/d/a\tb.log";
  t.name = "a\tb.log";
  t.block = 17;
  t.crc = 4294967295u;
  t.holders = {3, 1};
  t.format = "log4j";
  a.tasks.push_back(t);
  TaskMsg plain;
  plain.id = 5;
  plain.path = plain.name = "c.log";
  a.tasks.push_back(plain);
  auto out = decode_assign(encode_assign(a));
  REQUIRE(out);
  REQUIRE(out->tasks.size() == 2);
  const auto& u = out->tasks[0];
  CHECK((u.block == 17 && u.crc == 4294967295u && u.holders == std::vector<int>{3, 1} && u.format == "log4j" &&
         u.path == t.path && u.offset == t.offset));
  CHECK((out->tasks[1].block == -1 && out->tasks[1].holders.empty()));
  t.holders.clear();  // a block nobody holds any more: still a valid line
  auto none = decode_assign(encode_assign({0, true, {t}}));
  REQUIRE(none);
  CHECK(none->tasks[0].holders.empty());
  CHECK_FALSE(decode_assign("assign\t0\t1\n1\t0\t5\t5\t1\ta\ta\t-2\t0\t\t\n"));   // negative block
  CHECK_FALSE(decode_assign("assign\t0\t1\n1\t0\t5\t5\t1\ta\ta\t2\t0\t1,x\t\n"));  // bad holder
  CHECK_FALSE(decode_assign("assign\t0\t1\n1\t0\t5\t5\t1\ta\ta\t2\t0\n"));          // 9 fields

  ResultMsg r;
  r.task = 4;
  r.counts.lines = 3;
  r.store = true;
  r.local_bytes = 0;
  r.remote_bytes = 8388608;
  r.repaired = 17;
  ResultMsg e;
  e.task = 5;
  e.kind = ResultMsg::Err;
  e.error = "no replica";
  e.store = true;
  auto rs = decode_results(encode_results({r, e, ResultMsg{}}));
  REQUIRE(rs);
  REQUIRE(rs->size() == 3);
  CHECK(((*rs)[0].store && (*rs)[0].remote_bytes == 8388608 && (*rs)[0].repaired == 17 && (*rs)[0].counts == r.counts));
  CHECK(((*rs)[1].store && (*rs)[1].repaired == -1 && (*rs)[1].error == "no replica"));
  CHECK_FALSE((*rs)[2].store);
  CHECK_FALSE(decode_results("4\tok\t-1\t\t3\t1,2\n"));      // two stats, not three
  CHECK_FALSE(decode_results("4\tok\t-1\t\t3\t1,2,-2\n"));   // repaired < -1
}

}  // namespace dla::mpi::proto
