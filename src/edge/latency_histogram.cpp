#include "tessera/edge/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tessera::edge {

namespace {

// Bucket b covers microseconds [lower(b), lower(b+1)); octave 0 holds 0..15 µs one by one.
uint64_t LowerEdgeMicros(size_t bucket, int sub_buckets) {
  const size_t octave = bucket / static_cast<size_t>(sub_buckets), sub = bucket % static_cast<size_t>(sub_buckets);
  if (octave == 0) return sub;
  return (static_cast<uint64_t>(sub_buckets) + sub) << (octave - 1);
}

}  // namespace

void LatencyHistogram::Add(double seconds) {
  const double micros = std::max(0.0, seconds * 1e6);
  const uint64_t us = micros >= 1.8e19 ? ~0ull : static_cast<uint64_t>(micros);
  size_t bucket;
  if (us < kSubBuckets) {
    bucket = us;
  } else {
    const int top = std::bit_width(us) - 1;   // >= 4
    const int octave = top - 3;               // 16..31 -> octave 1
    const uint64_t sub = (us >> (top - 4)) - kSubBuckets;
    bucket = static_cast<size_t>(octave) * kSubBuckets + sub;
  }
  bucket = std::min(bucket, buckets_.size() - 1);
  ++buckets_[bucket];
  ++count_;
  max_seconds_ = std::max(max_seconds_, seconds);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_seconds_ = std::max(max_seconds_, other.max_seconds_);
}

double LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= std::max<uint64_t>(rank, 1))
      return std::min(static_cast<double>(LowerEdgeMicros(b + 1, kSubBuckets)) * 1e-6, max_seconds_);
  }
  return max_seconds_;
}

}  // namespace tessera::edge
