// LatencyHistogram, as `warden bench` reads it: percentiles of known inputs
// (exact below 256 us, within the bucket's 1/128 above), merging sessions'
// histograms, and the CDF the benchmark prints for plotting.
#include "net/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace warden::net {
namespace {

LatencyHistogram one_to(uint64_t last_us) {
  LatencyHistogram histogram;
  for (uint64_t v = 1; v <= last_us; ++v) histogram.record(v);
  return histogram;
}

// Within the relative error the buckets promise.
void expect_near_relative(uint64_t actual, double expected) {
  EXPECT_GE(static_cast<double>(actual), expected * (1 - 1.0 / 128)) << expected;
  EXPECT_LE(static_cast<double>(actual), expected * (1 + 1.0 / 128)) << expected;
}

TEST(LatencyHistogramTest, EmptyHasNoValues) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min_us(), 0u);
  EXPECT_EQ(histogram.max_us(), 0u);
  EXPECT_EQ(histogram.value_at_quantile_us(0.5), 0u);
  EXPECT_TRUE(histogram.cdf().empty());
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  const LatencyHistogram histogram = one_to(100);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.min_us(), 1u);
  EXPECT_EQ(histogram.max_us(), 100u);
  EXPECT_EQ(histogram.value_at_quantile_us(0.0), 1u);
  EXPECT_EQ(histogram.value_at_quantile_us(0.5), 50u);
  EXPECT_EQ(histogram.value_at_quantile_us(0.99), 99u);
  EXPECT_EQ(histogram.value_at_quantile_us(0.999), 100u);
  EXPECT_EQ(histogram.value_at_quantile_us(1.0), 100u);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformRunAreWithinTheBucketWidth) {
  const LatencyHistogram histogram = one_to(100000);
  expect_near_relative(histogram.value_at_quantile_us(0.5), 50000);
  expect_near_relative(histogram.value_at_quantile_us(0.99), 99000);
  expect_near_relative(histogram.value_at_quantile_us(0.999), 99900);
  EXPECT_EQ(histogram.value_at_quantile_us(1.0), 100000u);
  EXPECT_EQ(histogram.max_us(), 100000u);
}

TEST(LatencyHistogramTest, ATailOfSlowRequestsShowsOnlyInTheHighPercentiles) {
  LatencyHistogram histogram;
  for (int i = 0; i < 9990; ++i) histogram.record(1000);   // 1 ms
  for (int i = 0; i < 10; ++i) histogram.record(2000000);  // 2 s
  expect_near_relative(histogram.value_at_quantile_us(0.5), 1000);
  expect_near_relative(histogram.value_at_quantile_us(0.99), 1000);
  expect_near_relative(histogram.value_at_quantile_us(0.999), 1000);
  expect_near_relative(histogram.value_at_quantile_us(0.9991), 2000000);
  EXPECT_EQ(histogram.max_us(), 2000000u);
}

TEST(LatencyHistogramTest, EveryValueIsReadBackWithinItsBucket) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t value = random() % (uint64_t{1} << (1 + random() % 38));
    LatencyHistogram histogram;
    histogram.record(value);
    histogram.record(LatencyHistogram::kMaxValueUs);
    // The lower of the two: the top of value's bucket, no further from it
    // than the bucket is wide.
    const uint64_t read = histogram.value_at_quantile_us(0.5);
    EXPECT_GE(read, value);
    EXPECT_LE(static_cast<double>(read - value), static_cast<double>(value) / 128) << value;
  }
}

TEST(LatencyHistogramTest, ValuesPastTheRangeCountAsItsTop) {
  LatencyHistogram histogram;
  histogram.record(UINT64_MAX);
  EXPECT_EQ(histogram.count(), 1u);
  EXPECT_EQ(histogram.max_us(), LatencyHistogram::kMaxValueUs);
  EXPECT_EQ(histogram.value_at_quantile_us(0.5), LatencyHistogram::kMaxValueUs);
}

TEST(LatencyHistogramTest, MergingSessionsEqualsRecordingEverythingInOne) {
  std::mt19937_64 random(11);
  LatencyHistogram all;
  LatencyHistogram merged;
  for (int session = 0; session < 8; ++session) {
    LatencyHistogram own;
    for (int i = 0; i < 1000; ++i) {
      const uint64_t value = 100 + random() % (session == 3 ? 500000 : 5000);
      own.record(value);
      all.record(value);
    }
    merged.merge(own);
  }
  merged.merge(LatencyHistogram());  // an idle session changes nothing
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min_us(), all.min_us());
  EXPECT_EQ(merged.max_us(), all.max_us());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0})
    EXPECT_EQ(merged.value_at_quantile_us(q), all.value_at_quantile_us(q)) << q;
}

TEST(LatencyHistogramTest, TheCdfRisesToTheMaxAndMatchesThePercentiles) {
  const LatencyHistogram histogram = one_to(100000);
  const auto cdf = histogram.cdf();
  ASSERT_GE(cdf.size(), 50u);
  ASSERT_LE(cdf.size(), 100u);
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GT(cdf[i].value_us, cdf[i - 1].value_us) << i;
    EXPECT_GT(cdf[i].fraction, cdf[i - 1].fraction) << i;
  }
  EXPECT_EQ(cdf.back().value_us, 100000u);
  EXPECT_DOUBLE_EQ(cdf.back().fraction, 1.0);
  // On a uniform run the fraction at a point is the point over the range.
  for (const auto& point : cdf) {
    EXPECT_NEAR(point.fraction, static_cast<double>(point.value_us) / 100000, 0.01)
        << point.value_us;
  }
}

TEST(LatencyHistogramTest, TheCdfOfOneValueIsOnePoint) {
  LatencyHistogram histogram;
  for (int i = 0; i < 50; ++i) histogram.record(1234);
  const auto cdf = histogram.cdf();
  ASSERT_EQ(cdf.size(), 1u);
  EXPECT_EQ(cdf[0].value_us, 1234u);
  EXPECT_DOUBLE_EQ(cdf[0].fraction, 1.0);
}

}  // namespace
}  // namespace warden::net
