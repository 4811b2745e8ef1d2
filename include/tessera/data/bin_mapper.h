// BinMapper: turns one feature's raw values into small integer bins for histogram training.
// Bin 0 always holds missing values. Numeric features: bins 1..n split the value range at
// thresholds chosen from a QuantileSketch (v <= threshold[k-1] falls in bin k). Categorical
// features: the most frequent categories get bins 1..m, and bin m+1 is the rare bucket that also
// takes categories never seen in training. Immutable after construction; thread-safe to read.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/quantile_sketch.h"

namespace tessera::data {

constexpr int kDefaultMaxBin = 255;

// A fast hash for the short strings categories usually are (whole 8-byte words, then a mix).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 29;
    }
    if (i < s.size()) {
      uint64_t w = 0;
      std::memcpy(&w, s.data() + i, s.size() - i);
      h = (h ^ w) * 0x94D049BB133111EBull;
    }
    return static_cast<size_t>(h ^ (h >> 31));
  }
};
using CategoryIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

class BinMapper {
 public:
  enum class Kind { kNumeric, kCategorical };
  static constexpr uint32_t kMissingBin = 0;

  BinMapper() = default;
  // Numeric: at most `max_bin` bins in all (including the missing bin).
  static BinMapper FromSketch(const QuantileSketch& sketch, int max_bin);
  static BinMapper FromSummary(const std::vector<SketchEntry>& summary, int max_bin);
  // Categorical: `counts` holds each category with its count. Categories seen fewer than
  // `min_count` times, or beyond the max_bin - 2 most frequent, go to the rare bucket.
  static BinMapper FromCategoryCounts(const std::vector<std::pair<std::string, uint64_t>>& counts,
                                      int max_bin, uint64_t min_count = 1);

  Kind kind() const { return kind_; }
  uint32_t num_bins() const { return num_bins_; }

  uint32_t BinOfValue(float v) const {
    if (std::isnan(v)) return kMissingBin;
    // Branch-light binary search over the sorted thresholds.
    const float* t = thresholds_.data();
    size_t lo = 0, n = thresholds_.size();
    while (n > 0) {
      size_t half = n / 2;
      if (t[lo + half] < v) lo += half + 1, n -= half + 1;
      else n = half;
    }
    return static_cast<uint32_t>(lo) + 1;
  }
  // Bins of n values, written to out[0], out[stride], ... Same answers as BinOfValue, but eight
  // searches run interleaved so the processor overlaps them (the hot loop of ingest).
  template <typename Cell>
  void BinValues(const float* values, size_t n, Cell* out, size_t stride) const {
    constexpr size_t kLanes = 8;
    const float* t = thresholds_.data();
    const size_t nt = thresholds_.size();
    size_t i = 0;
    if (nt > 0) {
      for (; i + kLanes <= n; i += kLanes) {
        size_t base[kLanes] = {};
        for (size_t len = nt; len > 1;) {
          size_t half = len / 2;
          for (size_t k = 0; k < kLanes; ++k) base[k] = t[base[k] + half - 1] < values[i + k] ? base[k] + half : base[k];
          len -= half;
        }
        for (size_t k = 0; k < kLanes; ++k) {
          float v = values[i + k];
          uint32_t bin = static_cast<uint32_t>(base[k] + (t[base[k]] < v)) + 1;
          out[(i + k) * stride] = static_cast<Cell>(v != v ? kMissingBin : bin);
        }
      }
    }
    for (; i < n; ++i) out[i * stride] = static_cast<Cell>(BinOfValue(values[i]));
  }
  // `missing` says the field was empty/NA. Unknown categories go to the rare bucket.
  uint32_t BinOfCategory(std::string_view category) const {
    auto it = index_.find(category);
    return it == index_.end() ? rare_bin() : it->second;
  }
  uint32_t rare_bin() const { return num_bins_ - 1; }

  // Numeric: thresholds between bins (size num_bins - 2). Categorical: categories of bins 1..m.
  const std::vector<float>& thresholds() const { return thresholds_; }
  const std::vector<std::string>& categories() const { return categories_; }
  // A representative value for a numeric bin (for partial dependence and reports).
  float BinUpperBound(uint32_t bin) const;

  nlohmann::json ToJson() const;
  static Result<BinMapper> FromJson(const nlohmann::json& j);

 private:
  void BuildIndex();
  Kind kind_ = Kind::kNumeric;
  uint32_t num_bins_ = 1;
  std::vector<float> thresholds_;
  std::vector<std::string> categories_;
  CategoryIndex index_;
};

}  // namespace tessera::data
