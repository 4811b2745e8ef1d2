// Gradient histograms: per feature and bin, the summed gradient, hessian and row count of the
// rows in a tree node. Gradients are summed as 64-bit fixed-point integers (GradientScale), so a
// sum is exact and the same in any order: histograms are identical for any thread count, the
// sibling histogram is exactly parent minus child, and later the histograms of shards on other
// machines add up to exactly the histogram of the whole.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "tessera/data/binned_dataset.h"

namespace tessera::models::gbdt {

// One histogram bin, 16 bytes: the gradient sum as 64-bit fixed point, the hessian sum as 32-bit
// fixed point (hessians are never negative, and GradientScale keeps any sum of them below 2^32)
// and the row count. h and n share one 64-bit word, so a row is added to a bin by two 64-bit
// additions (one 128-bit vector addition): the histogram loop's only work per cell.
struct alignas(16) HistBin {
  int64_t g = 0;
  uint32_t h = 0, n = 0;
  HistBin& operator+=(const HistBin& o) {
    g += o.g, h += o.h, n += o.n;
    return *this;
  }
  HistBin& operator-=(const HistBin& o) {
    g -= o.g, h -= o.h, n -= o.n;
    return *this;
  }
};
static_assert(sizeof(HistBin) == 16);

// A row's fixed-point gradient and hessian: a bin holding that one row (n = 1).
using GradPair = HistBin;

// Fixed-point scales: the sum of |g| over all rows stays below 2^62, of h below 2^31 (so that
// with each row's rounding, under 2^32 rows, the sum still fits h's 32 bits).
struct GradientScale {
  double g = 1, h = 1;
  double inv_g = 1, inv_h = 1;  // exact inverses: the scales are powers of two
  double max_g_level = 0, max_h_level = 0;  // ForLevels: the largest |g| * g and h * h
  // Chooses powers of two for the given totals of |grad| and hess.
  static GradientScale For(double sum_abs_grad, double sum_hess);
  static GradientScale Of(double g, double h) { return {g, h, 1 / g, 1 / h}; }
  // Quantized training (use_quantized_grad): scales that put the largest |grad| at levels/2 and
  // the largest hess at `levels`, so a row's pair is a few small integers.
  static GradientScale ForLevels(double max_abs_grad, double max_hess, int levels);
  double Grad(int64_t q) const { return static_cast<double>(q) * inv_g; }
  double Hess(uint64_t q) const { return static_cast<double>(q) * inv_h; }
  // A row's pair: g rounded to nearest; h rounded up or down at random (`unit` uniform in [0,1)),
  // so that hessian sums stay unbiased even when many rows leave few levels per row.
  GradPair Quantize(double grad, double hess, double unit) const {
    const double gs = grad * g;
    GradPair p;
    p.g = static_cast<int64_t>(gs >= 0 ? gs + 0.5 : gs - 0.5);  // inline: llround is a library call
    p.h = static_cast<uint32_t>(std::max(0.0, hess) * h + unit);
    p.n = 1;
    return p;
  }
  // Both rounded up or down at random (units uniform in [0,1)): unbiased on a coarse grid. With
  // ForLevels' scale, |g| <= ceil(levels / 2) and h <= levels.
  GradPair QuantizeStochastic(double grad, double hess, double unit_g, double unit_h) const {
    GradPair p;
    // Clamped: rounding in grad * g must not reach a level past the largest.
    p.g = static_cast<int64_t>(std::floor(std::clamp(grad * g, -max_g_level, max_g_level) + unit_g));
    p.h = static_cast<uint32_t>(std::clamp(hess * h, 0.0, max_h_level) + unit_h);
    p.n = 1;
    return p;
  }
};

// Quantized training: a row's g and h are a few integer levels, so the bin of a node of up to
// MaxRows rows fits one 64-bit word: g in the top 22 bits (signed), h in the next 22, the row count
// in the low 20. Adding (or subtracting) words adds each field, and none carries into the next, so
// a bin takes half the cache of a HistBin and a row's update is one 64-bit addition.
struct PackedBin {
  static constexpr int kCountBits = 20, kHessBits = 22, kGradShift = kCountBits + kHessBits;
  static uint64_t Pack(const GradPair& p) {
    return (static_cast<uint64_t>(p.g) << kGradShift) + (uint64_t{p.h} << kCountBits) + p.n;
  }
  static HistBin Unpack(uint64_t w) {
    HistBin b;
    b.g = static_cast<int64_t>(w) >> kGradShift;  // arithmetic shift: the fields below are never negative
    b.h = static_cast<uint32_t>((w >> kCountBits) & ((uint64_t{1} << kHessBits) - 1));
    b.n = static_cast<uint32_t>(w & ((uint64_t{1} << kCountBits) - 1));
    return b;
  }
  // Most rows a packed node may hold when rows' |g| <= max_abs_g and h <= max_h.
  static uint64_t MaxRows(uint64_t max_abs_g, uint64_t max_h);
};

// Where each feature's bins start in a flat histogram.
class HistogramLayout {
 public:
  explicit HistogramLayout(const data::BinnedDataset& ds);
  size_t total_bins() const { return total_; }
  size_t offset(size_t feature) const { return offsets_[feature]; }
  uint32_t num_bins(size_t feature) const { return num_bins_[feature]; }
  size_t num_features() const { return num_bins_.size(); }

 private:
  std::vector<size_t> offsets_;
  std::vector<uint32_t> num_bins_;
  size_t total_ = 0;
};

// Builds histograms over a list of rows on many threads (each thread its own buffer, then added).
class HistogramBuilder {
 public:
  HistogramBuilder(const data::BinnedDataset& ds, const HistogramLayout& layout, int threads);
  // hist (layout.total_bins() entries) = sums over `rows`, or over every row when `rows` is empty.
  void Build(std::span<const uint32_t> rows, std::span<const GradPair> grads, HistBin* hist);
  // The same with packed bins (PackedBin::Pack of each row's pair).
  void Build(std::span<const uint32_t> rows, std::span<const uint64_t> grads, uint64_t* hist);

 private:
  template <typename Bin>
  void BuildBins(std::span<const uint32_t> rows, std::span<const Bin> grads, Bin* hist,
                 std::vector<std::vector<Bin>>& scratch);
  // Adds rows [begin, end) of `rows` into the bins of features [f_begin, f_end).
  template <typename Cell, typename Bin>
  void Accumulate(std::span<const uint32_t> rows, size_t begin, size_t end, size_t f_begin, size_t f_end,
                  std::span<const Bin> grads, Bin* hist) const;
  // Below this many rows one thread is quicker than waking others.
  static constexpr size_t kMinParallelRows = 1024;
  // Row blocks (private buffers, added up after) from this many rows per thread; feature blocks below.
  static constexpr size_t kMinRowBlocks = 2048;
  // A second histogram per thread for Accumulate's alternate rows.
  template <typename Bin>
  static std::vector<Bin>& twin_scratch();
  const data::BinnedDataset& ds_;
  const HistogramLayout& layout_;
  int threads_;
  std::vector<std::vector<HistBin>> scratch_;
  std::vector<std::vector<uint64_t>> packed_scratch_;
};

}  // namespace tessera::models::gbdt
