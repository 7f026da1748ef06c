#include "mpi/store_wire.h"

#include <catch2/catch.hpp>

namespace w = dla::mpi::store_wire;

TEST_CASE("store_wire: a header and a binary body survive a round trip", "[store_wire]") {
  std::string body("a\0b\nc\n\xff", 7);
  auto m = w::decode(w::encode({1, -2, 4000000000LL}, body));
  REQUIRE(m.ok());
  CHECK(m->head == std::vector<long long>{1, -2, 4000000000LL});
  CHECK(m->body == body);
  auto e = w::decode(w::encode({}, "x"));
  REQUIRE(e.ok());
  CHECK(e->head.empty());
  CHECK(e->body == "x");
}

TEST_CASE("store_wire: malformed headers are errors, never a crash", "[store_wire]") {
  CHECK_FALSE(w::decode("12 34").ok());       // no newline
  CHECK_FALSE(w::decode("12 x4\n").ok());     // not a number
  CHECK_FALSE(w::decode("12  4\n").ok());     // empty field
  CHECK_FALSE(w::decode("1 2\n", 3).ok());    // too short
  CHECK_FALSE(w::decode_put("1 2 3 0 0 2 5\nzz").ok());  // chain says 2, carries 1
  CHECK_FALSE(w::decode_put("1 2 3 0 2 2 5 6\nzz").ok());  // position outside the chain
  CHECK_FALSE(w::decode_inventory("7 2\n1 2 3 1\n").ok());  // count says 2, carries 1
  CHECK_FALSE(w::decode_inventory("7 1\n1 2 3 1").ok());    // line without newline
}

TEST_CASE("store_wire: PUT keeps its chain, forwarding moves one step and keeps the bytes", "[store_wire]") {
  w::Put p;
  p.block = 17;
  p.crc = 0xdeadbeefu;
  p.attempt = 3;
  p.ack_to = 0;
  p.pos = 0;
  p.chain = {4, 2, 7};
  p.bytes = std::string("line1\nline2\n\0", 13);
  auto d = w::decode_put(w::encode_put(p));
  REQUIRE(d.ok());
  CHECK(d->block == 17);
  CHECK(d->crc == 0xdeadbeefu);
  CHECK(d->attempt == 3);
  CHECK(d->chain == std::vector<int>{4, 2, 7});
  CHECK(d->pos == 0);
  CHECK(d->bytes == p.bytes);
  auto f = w::decode_put(w::encode_put_forward(*d));
  REQUIRE(f.ok());
  CHECK(f->pos == 1);
  CHECK(f->chain == d->chain);
  CHECK(f->bytes == p.bytes);
  auto g = w::decode_put(w::encode_put_forward(*f));
  REQUIRE(g.ok());
  CHECK(g->pos == 2);
  CHECK_FALSE(w::decode_put(w::encode_put_forward(*g)).ok());  // past the tail
}

TEST_CASE("store_wire: ACK, NACK, COPY and inventories round-trip", "[store_wire]") {
  auto a = w::decode_ack(w::encode_ack({5, 9, 3, 1}));
  REQUIRE(a.ok());
  CHECK((a->block == 5 && a->attempt == 9 && a->rank == 3 && a->pos == 1));
  auto n = w::decode_nack(w::encode_nack({5, 9, 3, 2, "disk full\nreally"}));
  REQUIRE(n.ok());
  CHECK((n->block == 5 && n->code == 2 && n->message == "disk full\nreally"));
  auto c = w::decode_copy(w::encode_copy({11, 6, 4294967295u, 2}));
  REQUIRE(c.ok());
  CHECK((c->order == 11 && c->block == 6 && c->crc == 4294967295u && c->to == 2));
  std::vector<w::InvEntry> held{{0, 1, 10, true}, {3, 4294967295u, 8388608, false}};
  auto i = w::decode_inventory(w::encode_inventory(42, held));
  REQUIRE(i.ok());
  CHECK(i->req == 42);
  REQUIRE(i->held.size() == 2);
  CHECK((i->held[1].block == 3 && i->held[1].crc == 4294967295u && i->held[1].size == 8388608 && !i->held[1].ok));
  auto empty = w::decode_inventory(w::encode_inventory(1, {}));
  REQUIRE(empty.ok());
  CHECK(empty->held.empty());
}

TEST_CASE("store_wire: the drop list of a trimming inventory request round-trips", "[store_wire]") {
  const std::vector<w::FileId> files{{0, 0}, {42, 0xffffffffu}, {7, 0x1a2b3c4du}};
  auto back = w::decode_drop_list(w::encode_drop_list(files));
  REQUIRE(back);
  CHECK(*back == files);
  CHECK(w::decode_drop_list("").ok());
  CHECK(w::decode_drop_list("")->empty());
  for (const char* badtext : {"1 2", "1\n", "-1 2\n", "1 4294967296\n", "x y\n"}) {
    INFO(badtext);
    CHECK_FALSE(w::decode_drop_list(badtext).ok());
  }
}
