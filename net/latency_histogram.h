// LatencyHistogram: request latencies in microseconds, counted in buckets
// that widen with the value as HdrHistogram's do, so that a run of millions
// of requests costs a few kilobytes and any percentile is read to within
// 0.8% (two to three significant digits). `warden bench` keeps one per
// session and phase, merges them at the end of the phase, and prints its
// percentiles and its CDF.
//
// Values below 256 us have a bucket each; above, every power of two is cut
// into 128 equal buckets. Min, max and count are kept exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace warden::net {

class LatencyHistogram {
 public:
  // One point of the cumulative distribution: `fraction` of the values are
  // at most `value_us`.
  struct CdfPoint {
    uint64_t value_us = 0;
    double fraction = 0;
  };

  // Values past this (about 12.7 days) are counted as this.
  static constexpr uint64_t kMaxValueUs = (uint64_t{1} << 40) - 1;

  void record(uint64_t value_us);
  // Adds every value `other` holds.
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min_us() const { return count_ > 0 ? min_us_ : 0; }
  uint64_t max_us() const { return max_us_; }
  // The least value v, to the bucket's precision, such that at least a
  // fraction q (0..1) of the values are <= v; 0 when empty. The answer is
  // the top of v's bucket, kept within [min_us(), max_us()].
  uint64_t value_at_quantile_us(double q) const;
  // The CDF at about 90 quantiles (every 1/80th, then 0.99 ... 0.99999 and
  // 1), one point per distinct bucket: both coordinates rise strictly, the
  // last point is (max_us(), 1). Empty when nothing was recorded.
  std::vector<CdfPoint> cdf() const;

 private:
  static size_t bucket_of(uint64_t value_us);
  static uint64_t bucket_top_us(size_t bucket);
  // The first bucket whose running count reaches `rank` (1-based).
  size_t bucket_at_rank(uint64_t rank) const;
  uint64_t rank_of(double q) const;
  uint64_t clamp_to_seen(uint64_t value_us) const;

  std::vector<uint64_t> counts_;  // by bucket; grows to the highest bucket used
  uint64_t count_ = 0;
  uint64_t min_us_ = UINT64_MAX;
  uint64_t max_us_ = 0;
};

}  // namespace warden::net
