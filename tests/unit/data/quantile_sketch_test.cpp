#include "tessera/data/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tessera::data {
namespace {

// Distance from `rank` to the true rank interval [weight below v, weight at or below v].
double RankDistance(const std::vector<float>& sorted, float v, double rank) {
  double below = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  double at_or_below = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  return std::max({0.0, below - rank, rank - at_or_below});
}

std::vector<float> Data(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<float> dist(0, 1.5);
  std::vector<float> v(n);
  for (auto& x : v) x = std::round(dist(rng) * 1000) / 1000;  // many ties, like real data
  return v;
}

// Every query answers within the sketch's own stated error.
void ExpectWithinStatedError(const QuantileSketch& s, const std::vector<float>& data) {
  std::vector<float> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  double err = s.RankError();
  EXPECT_EQ(s.TotalWeight(), static_cast<double>(data.size()));
  for (double q = 0; q <= 1.0; q += 0.01) {
    float v = s.Query(q);
    EXPECT_LE(RankDistance(sorted, v, q * data.size()), err + 1e-6) << "q=" << q;
  }
}

TEST(QuantileSketch, ExactWhileFewDistinctValues) {
  QuantileSketch s(64, 16);
  for (int i = 0; i < 1000; ++i) s.Push(static_cast<float>(i % 10));
  EXPECT_TRUE(s.Exact());
  auto summary = s.Summary();
  ASSERT_EQ(summary.size(), 10u);
  for (const auto& e : summary) EXPECT_EQ(e.w, 100);
  EXPECT_EQ(s.RankError(), 0);
  EXPECT_EQ(s.Query(0.5), 4.0f);
}

TEST(QuantileSketch, StatesAnErrorItKeepsOnLargeStreams) {
  auto data = Data(200000, 1);
  QuantileSketch s(256, 4096);
  for (float v : data) s.Push(v);
  EXPECT_FALSE(s.Exact());
  EXPECT_LE(s.Summary().size(), 256u);
  EXPECT_LT(s.RankError(), 0.05 * data.size());  // small relative error with only 256 entries
  ExpectWithinStatedError(s, data);
}

TEST(QuantileSketch, MergeOfHalvesMatchesTheWholeWithinStatedError) {
  auto data = Data(100000, 2);
  QuantileSketch whole(512, 4096), left(512, 4096), right(512, 4096);
  for (size_t i = 0; i < data.size(); ++i) {
    whole.Push(data[i]);
    (i < data.size() / 2 ? left : right).Push(data[i]);
  }
  QuantileSketch merged = left;
  merged.Merge(right);
  ExpectWithinStatedError(whole, data);
  ExpectWithinStatedError(merged, data);
  // The two answers are both within their errors of the same true rank, hence of each other.
  std::vector<float> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  for (double q = 0.05; q < 1; q += 0.05) {
    double a = RankDistance(sorted, whole.Query(q), q * data.size());
    double b = RankDistance(sorted, merged.Query(q), q * data.size());
    EXPECT_LE(std::abs(a - b), whole.RankError() + merged.RankError() + 1e-6);
  }
}

TEST(QuantileSketch, MergeIsAssociativeWithinStatedError) {
  auto data = Data(90000, 3);
  QuantileSketch parts[3] = {QuantileSketch(256, 2048), QuantileSketch(256, 2048), QuantileSketch(256, 2048)};
  for (size_t i = 0; i < data.size(); ++i) parts[i % 3].Push(data[i]);
  QuantileSketch ab_c = parts[0];
  ab_c.Merge(parts[1]);
  ab_c.Merge(parts[2]);
  QuantileSketch bc = parts[1];
  bc.Merge(parts[2]);
  QuantileSketch a_bc = parts[0];
  a_bc.Merge(bc);
  ExpectWithinStatedError(ab_c, data);
  ExpectWithinStatedError(a_bc, data);
}

TEST(QuantileSketch, WeightsCountAsRepeatedValues) {
  QuantileSketch weighted, repeated;
  weighted.Push(1.0f, 3);
  weighted.Push(2.0f, 1);
  for (int i = 0; i < 3; ++i) repeated.Push(1.0f);
  repeated.Push(2.0f);
  EXPECT_EQ(weighted.TotalWeight(), 4);
  EXPECT_EQ(weighted.Query(0.5), repeated.Query(0.5));
  EXPECT_EQ(weighted.Query(0.9), 2.0f);
}

TEST(QuantileSketch, SameStreamSameSummary) {
  auto data = Data(50000, 4);
  QuantileSketch a(128, 1000), b(128, 1000);
  for (float v : data) a.Push(v), b.Push(v);
  auto sa = a.Summary(), sb = b.Summary();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(sa[i].value, sb[i].value);
}

}  // namespace
}  // namespace tessera::data
