// Unit tests for stream/follow_wire: orders and reports survive the trip; garbage is an error.
#include "stream/follow_wire.h"

#include <catch2/catch.hpp>

using namespace dla::stream;

TEST_CASE("follow wire: orders and reports round-trip, odd names and fingerprints included") {
  Order f;
  f.kind = Order::kFollow;
  f.key = 7;
  f.epoch = 42;
  f.ending = true;
  f.name = "we\tird\nname.log";
  f.pos = FollowPosition{2049, 123456, std::string("[x]\t\xff\n", 6), 987654321, "log4j"};
  Order e;
  e.kind = Order::kEnd;
  e.key = 8;
  e.epoch = 43;
  auto back = decode_orders(encode_orders({f, e}));
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].name == f.name);
  CHECK((*back)[0].pos.fp == f.pos.fp);
  CHECK((*back)[0].pos.offset == f.pos.offset);
  CHECK((*back)[0].pos.format == "log4j");
  CHECK((*back)[0].ending);
  CHECK((*back)[1].kind == Order::kEnd);
  CHECK((*back)[1].epoch == 43);

  Report d;
  d.key = 1;
  d.epoch = 2;
  d.from = 10;
  d.to = 50;
  d.fp = "[t] [INFO] a\n";
  d.format = "bracket";
  d.counts.lines = 3;
  d.counts["INFO"] = 2;
  d.counts["FATAL"] = 1;
  Report t;
  t.kind = Report::kTruncated;
  t.key = 1;
  t.epoch = 2;
  t.end = 50;
  Report x;
  x.kind = Report::kEnded;
  x.lost = true;
  Report z;
  z.kind = Report::kDone;
  auto rb = decode_reports(encode_reports({d, t, x, z}));
  REQUIRE(rb);
  REQUIRE(rb->size() == 4);
  CHECK((*rb)[0].counts == d.counts);
  CHECK((*rb)[0].fp == d.fp);
  CHECK((*rb)[0].to == 50);
  CHECK((*rb)[1].end == 50);
  CHECK((*rb)[2].lost);
  CHECK((*rb)[3].kind == Report::kDone);
}

TEST_CASE("follow wire: malformed messages are errors, never partial") {
  CHECK_FALSE(decode_orders("F\t1\t2\n"));
  CHECK_FALSE(decode_orders("Q\t1\t2\n"));
  CHECK_FALSE(decode_reports("D\t1\t2\t3\t4\tzz\tbracket\t1\n"));
  CHECK_FALSE(decode_reports("D\t1\t2\t3\t4\t\tbracket\tnot counts\n"));
  CHECK_FALSE(decode_reports("T\t-1\t2\t3\n"));
  CHECK(decode_reports("")->empty());
}
