#include "net/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace warden::net {

namespace {

// 128 buckets per power of two: a bucket is at most 1/128 of its values wide.
constexpr int kSubBucketBits = 7;
constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
// Below this every value has its own bucket.
constexpr uint64_t kExactBelowUs = 2 * kSubBuckets;

// The quantiles cdf() reads: evenly spaced, then the tail a plot's log
// scale shows.
std::vector<double> cdf_quantiles() {
  constexpr int kSteps = 80;
  std::vector<double> quantiles{0.0};
  for (int i = 1; i <= kSteps; ++i) quantiles.push_back(static_cast<double>(i) / kSteps);
  for (double tail : {0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999}) quantiles.push_back(tail);
  std::sort(quantiles.begin(), quantiles.end());
  return quantiles;
}

}  // namespace

size_t LatencyHistogram::bucket_of(uint64_t value_us) {
  if (value_us < kExactBelowUs) return static_cast<size_t>(value_us);
  // Shift so that the value's top kSubBucketBits + 1 bits remain: the
  // power of two picks the group, those bits the bucket in it.
  const int shift = std::bit_width(value_us) - (kSubBucketBits + 1);
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kSubBuckets + (value_us >> shift));
}

uint64_t LatencyHistogram::bucket_top_us(size_t bucket) {
  if (bucket < kExactBelowUs) return bucket;
  const uint64_t shift = bucket / kSubBuckets - 1;
  const uint64_t lowest = (bucket - shift * kSubBuckets) << shift;
  return lowest + (uint64_t{1} << shift) - 1;
}

void LatencyHistogram::record(uint64_t value_us) {
  value_us = std::min(value_us, kMaxValueUs);
  const size_t bucket = bucket_of(value_us);
  if (bucket >= counts_.size()) counts_.resize(bucket + 1, 0);
  ++counts_[bucket];
  ++count_;
  min_us_ = std::min(min_us_, value_us);
  max_us_ = std::max(max_us_, value_us);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_us_ = std::min(min_us_, other.min_us_);
  max_us_ = std::max(max_us_, other.max_us_);
}

uint64_t LatencyHistogram::rank_of(double q) const {
  q = std::clamp(q, 0.0, 1.0);
  // The epsilon keeps 0.99 * 100 at rank 99 despite rounding.
  const double rank = std::ceil(q * static_cast<double>(count_) - 1e-9);
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::max(rank, 0.0)), 1, count_);
}

size_t LatencyHistogram::bucket_at_rank(uint64_t rank) const {
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return i;
  }
  return counts_.size() - 1;
}

uint64_t LatencyHistogram::clamp_to_seen(uint64_t value_us) const {
  return std::clamp(value_us, min_us_, max_us_);
}

uint64_t LatencyHistogram::value_at_quantile_us(double q) const {
  if (count_ == 0) return 0;
  return clamp_to_seen(bucket_top_us(bucket_at_rank(rank_of(q))));
}

std::vector<LatencyHistogram::CdfPoint> LatencyHistogram::cdf() const {
  std::vector<CdfPoint> points;
  if (count_ == 0) return points;
  std::vector<uint64_t> running(counts_.size());
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) running[i] = seen += counts_[i];
  size_t last_bucket = SIZE_MAX;
  for (double q : cdf_quantiles()) {
    const size_t bucket = bucket_at_rank(rank_of(q));
    if (bucket == last_bucket) continue;
    last_bucket = bucket;
    points.push_back(CdfPoint{clamp_to_seen(bucket_top_us(bucket)),
                              static_cast<double>(running[bucket]) / static_cast<double>(count_)});
  }
  return points;
}

}  // namespace warden::net
