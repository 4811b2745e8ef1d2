// Quantized training (use_quantized_grad, LightGBM's names): gradients rounded at random to a few
// levels, histograms in packed bins. The same model for any thread count, accuracy close to exact
// training, leaf values renewed from the exact gradients when asked, and the settings kept in the
// model file.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "synthetic_binned.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/gbdt/split.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;
using Settings = std::map<std::string, std::string>;

GbdtParams Params(const Settings& settings) {
  GbdtParams p;
  Status st = ApplyGbdtParams(settings, &p);
  EXPECT_TRUE(st.ok()) << st.message();
  return p;
}

nlohmann::json Comparable(const GbdtModel& m) {
  nlohmann::json j = GbdtModelToJson(m);
  j.erase("training");
  j["params"].erase("num_threads");
  return j;
}

TEST(QuantizedTraining, SameModelForAnyThreadCountAndCloseToExact) {
  TempDir dir;
  auto train = tessera::testing::SyntheticBinned(dir, 30000, 41, false, 2);
  auto test = tessera::testing::SyntheticBinned(dir, 10000, 42, false, 2);
  Settings s = {{"num_iterations", "40"}, {"num_leaves", "63"}, {"bagging_fraction", "0.8"}, {"bagging_freq", "1"},
                {"seed", "3"},           {"num_threads", "1"}};
  auto exact = TrainGbdt(train, Params(s));
  s["use_quantized_grad"] = "true";
  auto one = TrainGbdt(train, Params(s));
  s["num_threads"] = "2";
  auto two = TrainGbdt(train, Params(s));
  ASSERT_TRUE(exact.ok() && one.ok() && two.ok());
  EXPECT_EQ(Comparable(*one).dump(), Comparable(*two).dump());
  EXPECT_NE(Comparable(*one)["trees"].dump(), Comparable(*exact)["trees"].dump()) << "nothing was quantized";
  const double auc_exact = metrics::Auc(test.labels(), exact->Predict(test));
  const double auc_quantized = metrics::Auc(test.labels(), one->Predict(test));
  EXPECT_GT(auc_exact, 0.65);
  EXPECT_NEAR(auc_quantized, auc_exact, 0.01);
  // The settings travel with the model (and only quantized models carry them).
  const auto params = Comparable(*one)["params"];
  EXPECT_EQ(params["use_quantized_grad"], true);
  EXPECT_EQ(params["num_grad_quant_bins"], 4);
  EXPECT_FALSE(Comparable(*exact)["params"].contains("use_quantized_grad"));
  auto back = GbdtParamsFromJson(params);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->use_quantized_grad);
}

TEST(QuantizedTraining, RenewedLeavesAreTheExactGradientsOptimum) {
  TempDir dir;
  auto train = tessera::testing::SyntheticBinned(dir, 5000, 43);
  const Settings s = {{"num_iterations", "1"},        {"num_leaves", "15"},   {"learning_rate", "1"},
                      {"use_quantized_grad", "true"}, {"lambda_l2", "0.5"},   {"quant_train_renew_leaf", "true"}};
  auto model = TrainGbdt(train, Params(s));
  ASSERT_TRUE(model.ok()) << model.status().message();
  // First iteration: every row's gradient is p0 - y and hessian p0 (1 - p0) at the start score.
  const double p0 = 1 / (1 + std::exp(-model->init_score()[0]));
  const auto leaf_of = model->PredictLeaf(train);
  const Tree& tree = model->trees()[0];
  ASSERT_GT(tree.num_leaves(), 4u);
  std::vector<double> g(tree.num_leaves()), h(tree.num_leaves());
  for (size_t r = 0; r < train.num_rows(); ++r) {
    g[static_cast<size_t>(leaf_of[r])] += p0 - train.labels()[r];
    h[static_cast<size_t>(leaf_of[r])] += p0 * (1 - p0);
  }
  // To the precision of the fixed-point sums (every row's hessian here rounds the same way).
  for (size_t l = 0; l < tree.num_leaves(); ++l) {
    const double expected = LeafValue(g[l], h[l], 0, 0.5);
    EXPECT_NEAR(tree.leaf_value(static_cast<int>(l)), expected, 1e-5 * std::abs(expected)) << "leaf " << l;
  }
  // Without renewal the leaves come from the quantized sums: close, but not those values.
  Settings plain = s;
  plain["quant_train_renew_leaf"] = "false";
  auto coarse = TrainGbdt(train, Params(plain));
  ASSERT_TRUE(coarse.ok());
  double largest_gap = 0;
  const auto coarse_leaf = coarse->PredictLeaf(train);
  for (size_t r = 0; r < train.num_rows(); ++r)
    largest_gap = std::max(largest_gap, std::abs(coarse->trees()[0].leaf_value(coarse_leaf[r]) -
                                                 tree.leaf_value(leaf_of[r])));
  EXPECT_GT(largest_gap, 1e-3);
}

TEST(QuantizedTraining, BadLevelsAreClearErrors) {
  GbdtParams p;
  EXPECT_EQ(ApplyGbdtParams({{"num_grad_quant_bins", "1"}}, &p).message(),
            "parameter num_grad_quant_bins=1 is out of range; expected a whole number in [2, 256]");
}

}  // namespace
}  // namespace tessera::models::gbdt
