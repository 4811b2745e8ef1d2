// The fitted transforms of src/features/: each round-trips through JSON bit for bit, target
// encoding of a training row never uses that row's own label (out of fold), and unseen categories
// and missing values are handled.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "tessera/features/pipeline.h"

namespace tessera::features {
namespace {

const float kNaN = std::nanf("");

// Bitwise equality of two double vectors (so that -0.0 vs 0.0 or a rounding would fail).
void ExpectSameBits(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)), 0);
}

template <typename T>
T RoundTrip(const T& t) {
  auto back = T::FromJson(nlohmann::json::parse(t.ToJson().dump()));
  EXPECT_TRUE(back.ok()) << back.status().message();
  return std::move(back).value();
}

std::vector<double> Apply(const auto& t, const std::vector<float>& v) {
  std::vector<double> out(v.size() * t.num_outputs());
  t.Transform(ColumnView{v.data(), v.size(), 1}, OutputBlock{out.data(), v.size(), t.num_outputs(), 0});
  return out;
}

TEST(Imputer, MeanMedianIndicatorAndRoundTrip) {
  const std::vector<float> v = {1, kNaN, 2, 10, kNaN, 0.1f};
  Imputer mean = Imputer::Fit(ColumnView{v.data(), v.size(), 1}, Imputer::Strategy::kMean);
  EXPECT_DOUBLE_EQ(mean.fill(), (1.0 + 2 + 10 + double(0.1f)) / 4);
  EXPECT_TRUE(mean.indicator());
  Imputer median = Imputer::Fit(ColumnView{v.data(), v.size(), 1}, Imputer::Strategy::kMedian);
  EXPECT_DOUBLE_EQ(median.fill(), 1.5);
  const std::vector<double> out = Apply(median, v);
  EXPECT_EQ(out, (std::vector<double>{1, 0, 1.5, 1, 2, 0, 10, 0, 1.5, 1, double(0.1f), 0}));
  for (const Imputer& m : {mean, median}) {
    const Imputer back = RoundTrip(m);
    ExpectSameBits(Apply(back, v), Apply(m, v));
    EXPECT_EQ(back.ToJson(), m.ToJson());
  }
  const std::vector<float> full = {1, 2};
  EXPECT_FALSE(Imputer::Fit(ColumnView{full.data(), 2, 1}, Imputer::Strategy::kMean).indicator());
}

TEST(OneHot, UnseenCodesGoToOther) {
  const std::vector<float> train = {1, 2, 2, 0, 1};  // 0 = missing, seen in training
  OneHotEncoder e = OneHotEncoder::Fit(ColumnView{train.data(), train.size(), 1});
  EXPECT_EQ(e.levels(), (std::vector<uint32_t>{0, 1, 2}));
  const std::vector<float> test = {2, 7, 0};
  EXPECT_EQ(Apply(e, test), (std::vector<double>{0, 0, 1, 0, /**/ 0, 0, 0, 1, /**/ 1, 0, 0, 0}));
  ExpectSameBits(Apply(RoundTrip(e), test), Apply(e, test));
  EXPECT_EQ(e.OutputNames("c", {"<missing>", "a", "b"}).back(), "c=<other>");
}

TEST(FrequencyEncoder, SharesAndUnseen) {
  const std::vector<float> train = {3, 3, 3, 1};
  FrequencyEncoder e = FrequencyEncoder::Fit(ColumnView{train.data(), train.size(), 1});
  const std::vector<float> test = {3, 1, 9};
  EXPECT_EQ(Apply(e, test), (std::vector<double>{0.75, 0.25, 0}));
  ExpectSameBits(Apply(RoundTrip(e), test), Apply(e, test));
}

TEST(Standardizer, ZeroMeanUnitVarianceAndConstantColumns) {
  std::vector<double> x = {1, 5, 2, 5, 3, 5, 6, 5};  // 4 rows x 2 columns; column 1 constant
  Standardizer s = Standardizer::Fit(x, 4, 2);
  EXPECT_DOUBLE_EQ(s.mean()[0], 3);
  EXPECT_DOUBLE_EQ(s.scale()[0], std::sqrt(3.5));
  EXPECT_EQ(s.scale()[1], 1.0);
  std::vector<double> y = x;
  s.Transform(y.data(), 4);
  EXPECT_EQ(y[1], 0.0);
  std::vector<double> z = x;
  RoundTrip(s).Transform(z.data(), 4);
  ExpectSameBits(z, y);
}

TEST(TargetEncoder, OutOfFoldNeverSeesTheRowsOwnLabel) {
  // Every category is unique to one row (an ID-like column): with in-fold encoding a row's
  // encoding would pull towards its own label; out of fold it must not move when that label does.
  const size_t n = 200;
  std::vector<float> codes(n);
  std::vector<double> y(n);
  std::mt19937 rng(1);
  for (size_t i = 0; i < n; ++i) codes[i] = static_cast<float>(i + 1), y[i] = rng() % 2;
  TargetEncodingOptions o;
  o.folds = 5, o.smoothing = 1;
  auto encode = [&](const std::vector<double>& labels) {
    std::vector<double> oof(n);
    TargetEncoder::FitOutOfFold(ColumnView{codes.data(), n, 1}, labels, 1, o, OutputBlock{oof.data(), n, 1, 0});
    return oof;
  };
  const std::vector<double> base = encode(y);
  for (size_t i : {0u, 17u, 199u}) {
    std::vector<double> flipped = y;
    flipped[i] = 1 - y[i];
    EXPECT_EQ(encode(flipped)[i], base[i]) << "row " << i << " saw its own label";
  }
  // The in-fold (full-data) encoding does move: the check above can fail.
  TargetEncoder full = TargetEncoder::FitOutOfFold(ColumnView{codes.data(), n, 1}, y, 1, o, OutputBlock{std::vector<double>(n).data(), n, 1, 0});
  const std::vector<float> first = {codes[0]};
  const double prior = full.prior()[0];
  EXPECT_NE(Apply(full, first)[0], prior);
  EXPECT_DOUBLE_EQ(Apply(full, first)[0], (y[0] + prior) / 2);
}

TEST(TargetEncoder, SmoothedMeansUnseenPriorAndRoundTrip) {
  // Codes 1 (labels 1,1,1,0) and 2 (0,0); multiclass-style two target columns.
  const std::vector<float> codes = {1, 1, 1, 1, 2, 2};
  const std::vector<double> y = {1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1};  // rows x 2 (class 0 share, class 1 share)
  TargetEncodingOptions o;
  o.folds = 2, o.smoothing = 2;
  std::vector<double> oof(12);
  TargetEncoder e = TargetEncoder::FitOutOfFold(ColumnView{codes.data(), 6, 1}, y, 2, o, OutputBlock{oof.data(), 6, 2, 0});
  EXPECT_DOUBLE_EQ(e.prior()[0], 3.0 / 6);
  const std::vector<float> test = {1, 2, 5};
  const std::vector<double> enc = Apply(e, test);
  EXPECT_DOUBLE_EQ(enc[0], (3 + 2 * 0.5) / 6);  // code 1, class 0
  EXPECT_DOUBLE_EQ(enc[2], (0 + 2 * 0.5) / 4);  // code 2, class 0
  EXPECT_DOUBLE_EQ(enc[4], 0.5);                // unseen: the prior
  ExpectSameBits(Apply(RoundTrip(e), test), enc);
}

TEST(FeaturePipeline, FitTransformRoundTripAndNames) {
  // x0 numeric with missing values, c1 low-cardinality (one-hot), c2 high-cardinality (target +
  // frequency encoding).
  const size_t n = 300;
  std::mt19937 rng(2);
  std::vector<float> coded(n * 3);
  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) {
    coded[i * 3] = i % 7 == 0 ? kNaN : static_cast<float>(rng() % 100) / 10;
    coded[i * 3 + 1] = static_cast<float>(rng() % 3);
    coded[i * 3 + 2] = static_cast<float>(1 + rng() % 40);
    y[i] = coded[i * 3 + 1] == 2 ? 1 : 0;
  }
  std::vector<InputColumn> inputs = {{"x0", false, {}}, {"c1", true, {"a", "b"}}, {"c2", true, {}}};
  PipelineOptions o;
  o.one_hot_max_levels = 5;
  std::vector<double> train;
  auto p = FeaturePipeline::Fit(inputs, coded, n, y, {"y"}, o, &train);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"x0", "x0:missing", "c1=<missing>", "c1=a", "c1=b", "c1=<other>",
                                                         "c2:target", "c2:frequency"}));
  ASSERT_EQ(train.size(), n * 8);
  // Standardized training columns: mean 0 (constant "other" stays 0).
  for (size_t j = 0; j < 8; ++j) {
    double m = 0;
    for (size_t i = 0; i < n; ++i) m += train[i * 8 + j];
    EXPECT_NEAR(m / n, 0, 1e-12) << p->output_names()[j];
  }
  // The training matrix's target column is out of fold, so it differs from Transform's (full fit)
  // while every other column is the same.
  const std::vector<double> again = p->Transform(coded, n);
  bool target_differs = false;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < 8; ++j)
      if (j != 6) {
        ASSERT_EQ(again[i * 8 + j], train[i * 8 + j]) << i << "," << j;
      }
    target_differs |= again[i * 8 + 6] != train[i * 8 + 6];
  }
  EXPECT_TRUE(target_differs);
  auto back = FeaturePipeline::FromJson(nlohmann::json::parse(p->ToJson().dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameBits(back->Transform(coded, n), again);
  EXPECT_EQ(back->ToJson(), p->ToJson());
  // Unseen category and missing values at predict time.
  const std::vector<float> odd = {kNaN, 9, 1000};
  const std::vector<double> row = back->Transform(odd, 1);
  EXPECT_GT(row[1], 0);  // the missing indicator
  EXPECT_GT(row[5], 0);  // c1=<other>
  EXPECT_DOUBLE_EQ(row[7], (0 - p->standardizer().mean()[7]) / p->standardizer().scale()[7]);  // frequency 0
}

TEST(FeaturePipeline, RejectsMalformedDocuments) {
  auto bad = FeaturePipeline::FromJson(nlohmann::json::parse(
      R"({"steps": [{"input": "x", "kind": "numeric", "transform": "one_hot", "levels": []}], "standardize": {"mean": [0], "scale": [1]}, "outputs": ["x"]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("one_hot"), std::string::npos) << bad.status().message();
  auto counts = FeaturePipeline::FromJson(nlohmann::json::parse(
      R"({"steps": [{"input": "x", "kind": "numeric", "transform": "impute", "strategy": "mean", "fill": 0, "indicator": true}], "standardize": {"mean": [0], "scale": [1]}, "outputs": ["x"]})"));
  ASSERT_FALSE(counts.ok());
  EXPECT_NE(counts.status().message().find("2 columns"), std::string::npos) << counts.status().message();
}

}  // namespace
}  // namespace tessera::features
