#include "sched/rate.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace dla;

TEST_CASE("rate: a worker starts from the prior (the mean, else the option), then moves by time weight", "[rate]") {
  RateOptions o;
  o.prior = 1000;
  o.tau = 1;
  RateEstimator r(o);
  CHECK(r.rate(1) == 1000);  // nobody measured: the prior
  r.sample(1, 500, 100.0);   // a long sample: weight ~1
  CHECK(r.rate(1) == Approx(5));
  CHECK(r.known(1));
  CHECK_FALSE(r.known(2));
  CHECK(r.rate(2) == Approx(5));  // unknown: the mean of the measured ones
  r.sample(2, 1, 0.001);          // a 1 ms first task: stays near the prior (5), not 1000 B/s
  CHECK(r.rate(2) == Approx(5 + (1 - std::exp(-0.001)) * (1000 - 5)));
  CHECK(r.mean_rate() == Approx((r.rate(1) + r.rate(2)) / 2));
}

TEST_CASE("rate: time-weighted EWMA, a short sample moves it less than a long one", "[rate]") {
  RateOptions o;
  o.tau = 1.0;
  o.prior = 100;
  RateEstimator a(o), b(o);
  a.sample(1, 100, 1.0);
  b.sample(1, 100, 1.0);
  a.sample(1, 1, 0.01);  // 100 B/s... and then a 0.01 s sample at 100 B/s: no change
  CHECK(a.rate(1) == Approx(100));
  a.sample(1, 2, 0.01);  // 200 B/s over 0.01 s: weight 1 - e^-0.01 ~ 0.00995
  CHECK(a.rate(1) == Approx(100 + (1 - std::exp(-0.01)) * 100));
  b.sample(1, 400, 2.0);  // 200 B/s over 2 s: weight 1 - e^-2 ~ 0.865
  CHECK(b.rate(1) == Approx(100 + (1 - std::exp(-2.0)) * 100));
  CHECK(b.samples(1) == 2);
}

TEST_CASE("rate: follows a worker that slows down 10x within a few tau", "[rate]") {
  RateEstimator r;
  for (int i = 0; i < 40; ++i) r.sample(1, 1000, 0.5);  // 2000 B/s
  CHECK(r.rate(1) == Approx(2000).epsilon(1e-3));
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
