#include "tessera/models/gbdt/histogram.h"

#include <gtest/gtest.h>

#include <random>

#include "synthetic_binned.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;


// The histogram of `rows`, one cell at a time.
std::vector<HistBin> NaiveHistogram(const data::BinnedDataset& ds, const HistogramLayout& layout,
                                    const std::vector<uint32_t>& rows, const std::vector<GradPair>& grads) {
  std::vector<HistBin> hist(layout.total_bins());
  for (uint32_t r : rows)
    for (size_t f = 0; f < ds.num_features(); ++f) hist[layout.offset(f) + ds.bin(r, f)] += grads[r];
  return hist;
}

TEST(Histogram, EqualsCellByCellSumsForAnyThreadsAndRowCount) {
  TempDir dir;
  const auto ds = tessera::testing::SyntheticBinned(dir, 30000, 11, false, 2, 0.05);
  const HistogramLayout layout(ds);
  std::mt19937_64 rng(5);
  std::vector<GradPair> grads(ds.num_rows());
  for (auto& p : grads) {
    p.g = static_cast<int64_t>(rng() % 2001) - 1000;
    p.h = static_cast<uint32_t>(rng() % 500);
    p.n = 1;
  }
  // Sizes that take each path: one thread, feature blocks, row blocks, and all rows.
  for (size_t count : {size_t{300}, size_t{3000}, size_t{20000}, ds.num_rows()}) {
    std::vector<uint32_t> rows;
    for (uint32_t r = 0; r < ds.num_rows() && rows.size() < count; r += static_cast<uint32_t>(ds.num_rows() / count)) rows.push_back(r);
    const auto expected = NaiveHistogram(ds, layout, rows, grads);
    for (int threads : {1, 2, 3}) {
      HistogramBuilder builder(ds, layout, threads);
      std::vector<HistBin> hist(layout.total_bins());
      const bool all = rows.size() == ds.num_rows();
      builder.Build(all ? std::span<const uint32_t>() : std::span<const uint32_t>(rows), grads, hist.data());
      for (size_t i = 0; i < hist.size(); ++i) {
        ASSERT_EQ(hist[i].g, expected[i].g) << "rows " << count << " threads " << threads << " bin " << i;
        ASSERT_EQ(hist[i].h, expected[i].h) << "rows " << count << " threads " << threads << " bin " << i;
        ASSERT_EQ(hist[i].n, expected[i].n) << "rows " << count << " threads " << threads << " bin " << i;
      }
    }
  }
}

TEST(Histogram, BinsAddAndSubtractFieldByField) {
  HistBin a{-5, 4000000000u, 7}, b{9, 123u, 2};
  HistBin sum = a;
  sum += b;
  EXPECT_EQ(sum.g, 4);
  EXPECT_EQ(sum.h, 4000000123u);
  EXPECT_EQ(sum.n, 9u);
  sum -= b;
  EXPECT_EQ(sum.g, a.g);
  EXPECT_EQ(sum.h, a.h);
  EXPECT_EQ(sum.n, a.n);
}

TEST(GradientScale, KeepsSumsInRangeAndHessiansUnbiased) {
  // 2^20 rows of hessian 0.3: the scale leaves about a thousand levels per row.
  const size_t rows = size_t{1} << 20;
  const GradientScale scale = GradientScale::For(0.5 * static_cast<double>(rows), 0.3 * static_cast<double>(rows));
  EXPECT_LE(0.3 * static_cast<double>(rows) * scale.h, 0x1p31);
  EXPECT_GT(0.3 * static_cast<double>(rows) * scale.h, 0x1p30);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0, 1);
  uint64_t h_sum = 0;
  for (size_t i = 0; i < rows; ++i) {
    const GradPair p = scale.Quantize(-0.5, 0.3, unit(rng));
    EXPECT_EQ(p.n, 1u);
    h_sum += p.h;
    if (i == 0) {
      EXPECT_NEAR(scale.Grad(p.g), -0.5, 1e-12);
    }
  }
  EXPECT_LT(h_sum, uint64_t{1} << 32);
  // Random rounding: the sum's error is about sqrt(rows) / 2 levels, not rows / 2.
  EXPECT_NEAR(scale.Hess(h_sum), 0.3 * static_cast<double>(rows), 4 * std::sqrt(static_cast<double>(rows)) * scale.inv_h);
  // Negative hessians (never produced by an objective) clamp to zero rather than wrap.
  EXPECT_EQ(scale.Quantize(0, -1, 0.5).h, 0u);
}

TEST(PackedBin, WordsAddAndSubtractAsTheirFieldsUpToMaxRows) {
  // Rows of the largest levels 4 quantization gives (|g| <= 2, h <= 4), as many as MaxRows allows.
  const uint64_t rows = PackedBin::MaxRows(2, 4);
  EXPECT_EQ(rows, (uint64_t{1} << 20) - 1);
  std::mt19937_64 rng(3);
  HistBin wide;
  uint64_t word = 0, half = 0;
  HistBin wide_half;
  for (uint64_t i = 0; i < rows; ++i) {
    // Mostly the extremes, so every field gets near its limit.
    GradPair p{i % 7 == 0 ? 2 : -2, static_cast<uint32_t>(i % 11 == 0 ? 3 : 4), 1};
    if (rng() % 5 == 0) p.g = static_cast<int64_t>(rng() % 5) - 2;
    wide += p;
    word += PackedBin::Pack(p);
    if (i % 3 == 0) wide_half += p, half += PackedBin::Pack(p);
  }
  const HistBin got = PackedBin::Unpack(word);
  EXPECT_EQ(got.g, wide.g);
  EXPECT_LT(wide.g, 0);
  EXPECT_EQ(got.h, wide.h);
  EXPECT_EQ(got.n, wide.n);
  // The sibling by subtraction.
  const HistBin rest = PackedBin::Unpack(word - half);
  HistBin expected = wide;
  expected -= wide_half;
  EXPECT_EQ(rest.g, expected.g);
  EXPECT_EQ(rest.h, expected.h);
  EXPECT_EQ(rest.n, expected.n);
  EXPECT_EQ(PackedBin::MaxRows(8, 16), ((uint64_t{1} << 21) - 1) / 8);
}

TEST(Histogram, PackedBinsEqualCellByCellSums) {
  TempDir dir;
  const auto ds = tessera::testing::SyntheticBinned(dir, 30000, 12, false, 2, 0.05);
  const HistogramLayout layout(ds);
  std::mt19937_64 rng(6);
  std::vector<GradPair> grads(ds.num_rows());
  std::vector<uint64_t> packed(ds.num_rows());
  for (size_t r = 0; r < grads.size(); ++r) {
    grads[r] = {static_cast<int64_t>(rng() % 5) - 2, static_cast<uint32_t>(rng() % 5), 1};
    packed[r] = PackedBin::Pack(grads[r]);
  }
  for (size_t count : {size_t{300}, size_t{3000}, ds.num_rows()}) {
    std::vector<uint32_t> rows;
    for (uint32_t r = 0; r < ds.num_rows() && rows.size() < count; r += static_cast<uint32_t>(ds.num_rows() / count)) rows.push_back(r);
    const auto expected = NaiveHistogram(ds, layout, rows, grads);
    for (int threads : {1, 2}) {
      HistogramBuilder builder(ds, layout, threads);
      std::vector<uint64_t> hist(layout.total_bins());
      const bool all = rows.size() == ds.num_rows();
      builder.Build(all ? std::span<const uint32_t>() : std::span<const uint32_t>(rows), packed, hist.data());
      for (size_t i = 0; i < hist.size(); ++i) {
        const HistBin got = PackedBin::Unpack(hist[i]);
        ASSERT_EQ(got.g, expected[i].g) << "rows " << count << " threads " << threads << " bin " << i;
        ASSERT_EQ(got.h, expected[i].h) << "rows " << count << " threads " << threads << " bin " << i;
        ASSERT_EQ(got.n, expected[i].n) << "rows " << count << " threads " << threads << " bin " << i;
      }
    }
  }
}

TEST(GradientScale, LevelsAreBoundedAndUnbiased) {
  const GradientScale scale = GradientScale::ForLevels(0.8, 0.25, 4);
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> unit(0, 1);
  const int n = 200000;
  double g_sum = 0, h_sum = 0;
  for (int i = 0; i < n; ++i) {
    const GradPair p = scale.QuantizeStochastic(-0.3, 0.1, unit(rng), unit(rng));
    ASSERT_GE(p.g, -2);
    ASSERT_LE(p.g, 2);
    ASSERT_LE(p.h, 4u);
    g_sum += scale.Grad(p.g), h_sum += scale.Hess(p.h);
  }
  EXPECT_NEAR(g_sum / n, -0.3, 0.005);
  EXPECT_NEAR(h_sum / n, 0.1, 0.002);
  // The largest values land on the last level even when rounding pushes them past it.
  for (double u : {0.0, 0.999999}) {
    EXPECT_EQ(scale.QuantizeStochastic(-0.8 * (1 + 1e-15), 0.25, u, u).g, -2);
    EXPECT_EQ(scale.QuantizeStochastic(0.8, 0.25 * (1 + 1e-15), u, u).h, 4u);
  }
}

}  // namespace
}  // namespace tessera::models::gbdt
