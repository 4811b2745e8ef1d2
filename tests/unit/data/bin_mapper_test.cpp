#include "tessera/data/bin_mapper.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

namespace tessera::data {
namespace {

TEST(BinMapper, FewDistinctValuesGetOneBinEach) {
  QuantileSketch s;
  for (float v : {3.0f, 1.0f, 2.0f, 2.0f, 1.0f}) s.Push(v);
  BinMapper m = BinMapper::FromSketch(s, 255);
  EXPECT_EQ(m.num_bins(), 4u);  // missing + 3 values
  EXPECT_EQ(m.BinOfValue(1.0f), 1u);
  EXPECT_EQ(m.BinOfValue(2.0f), 2u);
  EXPECT_EQ(m.BinOfValue(3.0f), 3u);
  EXPECT_EQ(m.BinOfValue(1.4f), 1u);    // unseen values fall between the midpoints
  EXPECT_EQ(m.BinOfValue(1.6f), 2u);
  EXPECT_EQ(m.BinOfValue(-100.0f), 1u);
  EXPECT_EQ(m.BinOfValue(100.0f), 3u);
  EXPECT_EQ(m.BinOfValue(NAN), BinMapper::kMissingBin);
}

TEST(BinMapper, ManyValuesGiveEvenlyFilledBins) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  std::vector<float> data(100000);
  QuantileSketch s;
  for (auto& v : data) s.Push(v = dist(rng));
  BinMapper m = BinMapper::FromSketch(s, 64);
  EXPECT_LE(m.num_bins(), 64u);
  EXPECT_GE(m.num_bins(), 60u);
  std::vector<int> counts(m.num_bins(), 0);
  for (float v : data) ++counts[m.BinOfValue(v)];
  EXPECT_EQ(counts[0], 0);
  double expected = data.size() / 63.0;
  for (size_t b = 1; b < counts.size(); ++b) EXPECT_NEAR(counts[b], expected, expected * 0.25) << "bin " << b;
}

TEST(BinMapper, HeavyValueGetsItsOwnBin) {
  std::vector<float> data(5000, 0.0f);
  for (int i = 0; i < 5000; ++i) data.push_back(static_cast<float>(i + 1) / 10);
  QuantileSketch s;
  for (float v : data) s.Push(v);
  BinMapper m = BinMapper::FromSketch(s, 16);
  uint32_t zero = m.BinOfValue(0.0f);
  int in_zero_bin = 0;
  for (float v : data) in_zero_bin += m.BinOfValue(v) == zero;
  EXPECT_EQ(in_zero_bin, 5000);  // half the data is 0 and nothing else shares its bin
  EXPECT_EQ(m.num_bins(), 16u);
}

TEST(BinMapper, CategoriesByFrequencyWithRareBucket) {
  std::vector<std::pair<std::string, uint64_t>> counts = {{"a", 50}, {"b", 100}, {"c", 2}, {"d", 1}, {"e", 100}};
  BinMapper m = BinMapper::FromCategoryCounts(counts, 5, 1);  // room for 3 categories
  EXPECT_EQ(m.kind(), BinMapper::Kind::kCategorical);
  EXPECT_EQ(m.num_bins(), 5u);
  EXPECT_EQ(m.categories(), (std::vector<std::string>{"b", "e", "a"}));  // ties broken by name
  EXPECT_EQ(m.BinOfCategory("b"), 1u);
  EXPECT_EQ(m.BinOfCategory("a"), 3u);
  EXPECT_EQ(m.BinOfCategory("c"), m.rare_bin());
  EXPECT_EQ(m.BinOfCategory("never seen"), m.rare_bin());
  BinMapper min_count = BinMapper::FromCategoryCounts(counts, 255, 10);
  EXPECT_EQ(min_count.categories().size(), 3u);
  EXPECT_EQ(min_count.BinOfCategory("c"), min_count.rare_bin());
}

TEST(BinMapper, JsonRoundTripAndValidation) {
  QuantileSketch s;
  for (int i = 0; i < 1000; ++i) s.Push(static_cast<float>(i % 37) * 0.5f);
  BinMapper m = BinMapper::FromSketch(s, 16);
  auto back = BinMapper::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->thresholds(), m.thresholds());
  for (float v = -1; v < 20; v += 0.25f) EXPECT_EQ(back->BinOfValue(v), m.BinOfValue(v));
  auto cat = BinMapper::FromCategoryCounts({{"x", 3}, {"y", 1}}, 255);
  auto cat_back = BinMapper::FromJson(cat.ToJson());
  ASSERT_TRUE(cat_back.ok());
  EXPECT_EQ(cat_back->BinOfCategory("y"), cat.BinOfCategory("y"));
  auto bad = m.ToJson();
  bad["num_bins"] = 3;
  EXPECT_FALSE(BinMapper::FromJson(bad).ok());
  EXPECT_FALSE(BinMapper::FromJson(nlohmann::json::parse(R"({"kind":"weird","num_bins":2})")).ok());
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(BinMapper, BatchBinningMatchesOneByOne) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist;
  for (int max_bin : {2, 3, 17, 255, 1000}) {
    QuantileSketch s;
    for (int i = 0; i < 5000; ++i) s.Push(dist(rng));
    BinMapper m = BinMapper::FromSketch(s, max_bin);
    std::vector<float> values(1003);
    for (auto& v : values) v = dist(rng);
    values[5] = NAN;
    values[17] = m.thresholds().empty() ? 0 : m.thresholds()[0];  // exactly on a threshold
    std::vector<uint16_t> out(values.size() * 2, 0xFFFF);
    m.BinValues(values.data(), values.size(), out.data(), 2);
    for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(out[i * 2], m.BinOfValue(values[i])) << "max_bin " << max_bin << " i " << i;
  }
}

}  // namespace
}  // namespace tessera::data
