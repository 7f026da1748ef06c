#include "sched/detector.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace dla;

TEST_CASE("phi: values of the normal tail", "[detector]") {
  CHECK(phi_value(1.0, 1.0, 0.1) == Approx(-std::log10(0.5)));  // at the mean: 50 %
  CHECK(phi_value(1.0 + 0.1 * 1.2815515655, 1.0, 0.1) == Approx(1.0).epsilon(1e-6));  // 10 %
  CHECK(phi_value(1.0 + 0.1 * 5.612, 1.0, 0.1) == Approx(8.0).epsilon(1e-3));  // the default threshold
  CHECK(phi_value(0, 1.0, 0.1) < 1e-10);
  CHECK(phi_value(100, 1.0, 0.1) == 1000);  // capped, never inf
  CHECK(phi_value(2.0, 1.0, 0.2) > phi_value(1.9, 1.0, 0.2));  // increasing in the silence
}

TEST_CASE("fixed detector: silence longer than the timeout", "[detector]") {
  DetectorOptions o;
  o.timeout = 3;
  auto d = make_detector(o);
  REQUIRE(d);
  CHECK(d->name() == "fixed");
  CHECK_FALSE(d->suspect(1, 100));  // never heard: not tracked
  d->heard(1, 0);
  CHECK_FALSE(d->suspect(1, 3.0));
  CHECK(d->suspect(1, 3.0001));
  d->heard(1, 2);
  CHECK_FALSE(d->suspect(1, 4.9));
  CHECK(d->level(1, 3.5) == Approx(0.5));
  CHECK(d->silence_bound(1) == 3);
}

TEST_CASE("phi detector: steady heartbeats are detected fast when they stop, capped by the timeout", "[detector]") {
  DetectorOptions o;
  o.kind = "phi";
  o.timeout = 3;
  o.threshold = 8;
  o.min_std = 0.1;
  o.acceptable_pause = 0;
  auto d = make_detector(o);
  REQUIRE(d);
  double t = 0;
  for (int i = 0; i < 50; ++i, t += 0.5) d->heard(1, t);
  t -= 0.5;  // last heartbeat
  // mean 0.5, std floor 0.1: suspected after 0.5 + 5.61 * 0.1 = 1.06 s of silence
  const double bound = d->silence_bound(1);
  CHECK(bound == Approx(0.5 + 5.612 * 0.1).epsilon(1e-3));
  CHECK_FALSE(d->suspect(1, t + 1.0));
  CHECK(d->suspect(1, t + 1.1));
  CHECK(d->level(1, t + 0.5) < 1);
  // A jittery worker (gaps 0.2 .. 1.8 s) gets a wide bound: the cap (timeout) applies.
  for (int i = 0; i < 50; ++i) d->heard(2, i % 2 ? i * 1.0 + 0.8 : i * 1.0 - 0.8 + 1.6 * (i % 3 == 0));
  CHECK(d->silence_bound(2) <= 3.0);
  CHECK(d->silence_bound(2) > bound);
  d->heard(3, 0);  // one arrival: bootstrapped, and always suspected beyond the cap
  CHECK(d->suspect(3, 3.01));
}

TEST_CASE("phi detector: messages at one instant count as one arrival", "[detector]") {
  DetectorOptions o;
  o.kind = "phi";
  auto a = make_detector(o), b = make_detector(o);
  for (int i = 0; i < 20; ++i) {
    a->heard(1, i * 0.5);
    b->heard(1, i * 0.5);
    b->heard(1, i * 0.5);  // a result and the request it carries, handled together
  }
  CHECK(a->level(1, 10.5) == Approx(b->level(1, 10.5)));
}

TEST_CASE("detector: unknown kind", "[detector]") {
  DetectorOptions o;
  o.kind = "psychic";
  CHECK(make_detector(o) == nullptr);
}

TEST_CASE("phi detector: the acceptable pause defaults to one heartbeat interval", "[detector]") {
  DetectorOptions o;
  o.kind = "phi";
  o.first_interval = 0.5;
  o.timeout = 3;
  auto d = make_detector(o);
  double t = 0;
  for (int i = 0; i < 50; ++i, t += 0.01) d->heard(1, t);  // a burst of results 10 ms apart
  t -= 0.01;
  // Then a big task: heartbeats every 0.5 s must not look like a death.
  CHECK_FALSE(d->suspect(1, t + 0.55));
  CHECK(d->silence_bound(1) == Approx(0.01 + 0.5 + 5.612 * 0.1).epsilon(1e-3));
}
