#include "sched/rate.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace dla;

TEST_CASE("rate: warm-up is throughput with a weak prior (the mean, else the option)", "[rate]") {
  RateOptions o;
  o.prior = 1000;
  o.tau = 1;
  o.prior_seconds = 0.05;
  RateEstimator r(o);
  CHECK(r.rate(1) == 1000);  // nobody measured: the prior
  r.sample(1, 1, 0.01);      // 10 ms: blended with the prior
  CHECK(r.rate(1) == Approx((1000 * 0.05 + 1) / 0.06));
  r.sample(1, 50, 0.2);      // a slow task: from now on its own throughput only
  CHECK(r.rate(1) == Approx(51 / 0.21));
  r.sample(1, 50, 0.2);
  CHECK(r.rate(1) == Approx(101 / 0.41));
  CHECK(r.known(1));
  CHECK_FALSE(r.known(2));
  CHECK(r.rate(2) == Approx(r.rate(1)));  // unknown: the mean of the measured ones
  const double mean = r.mean_rate();
  r.sample(2, 1, 0.001);  // a 1 ms first task (latency): stays near its prior, not 1000 B/s
  CHECK(r.rate(2) == Approx((mean * 0.05 + 1) / 0.051));
  CHECK(r.mean_rate() == Approx((r.rate(1) + r.rate(2)) / 2));
}

TEST_CASE("rate: after the warm-up, a time-weighted EWMA", "[rate]") {
  RateOptions o;
  o.tau = 1.0;
  o.prior = 100;
  RateEstimator a(o);
  a.sample(1, 200, 2.0);  // warm-up over at once: its throughput
  const double r0 = a.rate(1);
  CHECK(r0 == Approx(100));
  a.sample(1, 2, 0.01);  // 200 B/s over 0.01 s: weight 1 - e^-0.01
  CHECK(a.rate(1) == Approx(r0 + (1 - std::exp(-0.01)) * (200 - r0)));
  const double r1 = a.rate(1);
  a.sample(1, 400, 2.0);  // 200 B/s over 2 s: weight 1 - e^-2
  CHECK(a.rate(1) == Approx(r1 + (1 - std::exp(-2.0)) * (200 - r1)));
  CHECK(a.samples(1) == 3);
}

TEST_CASE("rate: follows a worker that slows down 10x within a few tau", "[rate]") {
  RateEstimator r;
  for (int i = 0; i < 40; ++i) r.sample(1, 1000, 0.5);  // 2000 B/s
  CHECK(r.rate(1) == Approx(2000).epsilon(1e-2));
  for (int i = 0; i < 10; ++i) r.sample(1, 100, 0.5);  // 200 B/s for 5 s = 5 tau
  CHECK(r.rate(1) < 200 * 1.1);
}

TEST_CASE("rate: meaningless samples are ignored", "[rate]") {
  RateEstimator r;
  r.sample(1, 100, 0);
  r.sample(1, 100, -1);
  r.sample(1, 0, 1);
  CHECK_FALSE(r.known(1));
  CHECK(r.rate(1) > 0);
}
