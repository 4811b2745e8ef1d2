// Latency percentiles in fixed memory however long a stream runs: log-linear buckets (16 per
// power of two of microseconds), so a percentile is exact to within 1/16 (6%) of its value.
#pragma once

#include <array>
#include <cstdint>

namespace tessera::edge {

class LatencyHistogram {
 public:
  void Add(double seconds);
  void Merge(const LatencyHistogram& other);
  void Clear() { *this = LatencyHistogram(); }
  uint64_t count() const { return count_; }
  // The q-quantile in seconds (0 when empty): the upper edge of the bucket holding it.
  double Quantile(double q) const;
  double max_seconds() const { return max_seconds_; }

 private:
  static constexpr int kSubBuckets = 16;
  static constexpr int kOctaves = 40;  // 1 µs .. 2^40 µs
  std::array<uint64_t, kSubBuckets * kOctaves> buckets_{};
  uint64_t count_ = 0;
  double max_seconds_ = 0;
};

}  // namespace tessera::edge
