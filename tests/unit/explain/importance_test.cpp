#include "tessera/explain/importance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "tessera/data/ingest.h"
#include "tessera/explain/partial_dependence.h"
#include "tessera/explain/tree_shap.h"
#include "tessera/models/gbdt/params.h"
#include "test_files.h"

namespace tessera::explain {
namespace {

using models::gbdt::GbdtModel;
using tessera::testing::TempDir;

// signal: the label rises with it; noise: unrelated to the label; colour: a category that
// shifts the odds a little.
data::BinnedDataset SignalAndNoise(const TempDir& dir, const std::string& name, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string path = dir.Path(name);
  {
    std::ofstream csv(path);
    csv << "signal,noise,colour,label\n";
    const char* colours[] = {"red", "green", "blue"};
    for (int r = 0; r < 4000; ++r) {
      const double s = u(rng), z = u(rng);
      const int c = static_cast<int>(rng() % 3);
      const double p = 1 / (1 + std::exp(-(6 * (s - 0.5) + 0.4 * c)));
      csv << s << "," << z << "," << colours[c] << "," << (u(rng) < p) << "\n";
    }
  }
  data::IngestOptions io;
  io.schema.label = "label";
  auto ds = data::IngestBinned({path}, io);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

GbdtModel Train(const data::BinnedDataset& ds) {
  models::gbdt::GbdtParams p;
  EXPECT_TRUE(models::gbdt::ApplyGbdtParams({{"num_iterations", "40"}, {"num_leaves", "8"}}, &p).ok());
  auto m = models::gbdt::TrainGbdt(ds, p);
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

TEST(Importance, TreeCountsAndGainsCoverEverySplit) {
  TempDir dir;
  const auto ds = SignalAndNoise(dir, "a.csv", 1);
  const auto model = Train(ds);
  const auto imp = ComputeTreeImportance(model);
  double splits = 0, gain = 0, expected_gain = 0;
  size_t nodes = 0;
  for (const auto& t : model.trees()) {
    nodes += t.nodes().size();
    for (const auto& n : t.nodes()) expected_gain += n.gain;
  }
  for (size_t f = 0; f < 3; ++f) splits += imp.split_count[f], gain += imp.total_gain[f];
  EXPECT_EQ(splits, static_cast<double>(nodes));
  EXPECT_NEAR(gain, expected_gain, 1e-9 * expected_gain);
  EXPECT_GT(imp.total_gain[0], imp.total_gain[1]);  // signal over noise
}

TEST(Importance, PermutationFindsTheSignalAndIsReproducible) {
  TempDir dir;
  const auto train = SignalAndNoise(dir, "train.csv", 1);
  const auto model = Train(train);
  data::IngestOptions io;
  io.schema.label = "label";
  SignalAndNoise(dir, "test.csv", 2);
  auto test = data::IngestWithReference({dir.Path("test.csv")}, io, model.reference(), true);
  ASSERT_TRUE(test.ok());
  PermutationOptions options;
  options.repeats = 3;
  options.seed = 7;
  auto imp = ComputePermutationImportance(model, *test, options);
  ASSERT_TRUE(imp.ok()) << imp.status().message();
  EXPECT_EQ(imp->metric, "auc");
  EXPECT_GT(imp->baseline, 0.75);
  EXPECT_GT(imp->mean[0], 0.15);               // shuffling the signal costs a lot of AUC
  EXPECT_LT(std::abs(imp->mean[1]), 0.02);     // shuffling noise costs (almost) nothing
  EXPECT_GT(imp->mean[2], imp->mean[1]);
  EXPECT_GE(imp->stddev[0], 0.0);
  auto again = ComputePermutationImportance(model, *test, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(imp->mean, again->mean);
  options.metric = "nonsense";
  EXPECT_FALSE(ComputePermutationImportance(model, *test, options).ok());
}

TEST(Importance, MeanAbsShapRanksTheSignalFirst) {
  TempDir dir;
  const auto ds = SignalAndNoise(dir, "a.csv", 1);
  const auto model = Train(ds);
  const auto shap = ShapValues(model, ds, 2);
  const auto mean = MeanAbsShap(shap, ds.num_rows(), 1, 3);
  double expected0 = 0;
  for (size_t r = 0; r < ds.num_rows(); ++r) expected0 += std::abs(shap[r * 4]);
  EXPECT_NEAR(mean[0], expected0 / static_cast<double>(ds.num_rows()), 1e-12);
  EXPECT_GT(mean[0], mean[1]);
  EXPECT_GT(mean[0], mean[2]);
}

TEST(PartialDependence, AveragesPredictionsWithTheFeatureSetToEachGridValue) {
  TempDir dir;
  const auto ds = SignalAndNoise(dir, "a.csv", 1);
  const auto model = Train(ds);
  PartialDependenceOptions options;
  options.features = {0};
  options.grid_points = 10;
  options.ice = true;
  auto pd = ComputePartialDependence(model, ds, options);
  ASSERT_TRUE(pd.ok()) << pd.status().message();
  const auto& axis = pd->axes[0];
  ASSERT_EQ(axis.bins.size(), 10u);
  EXPECT_TRUE(std::is_sorted(axis.values.begin(), axis.values.end()));
  // The label rises with the signal: so does its partial dependence, from low to high.
  EXPECT_LT(pd->average.front() + 0.4, pd->average.back());
  // Each average is the mean of the ICE curves at that point.
  const size_t n = ds.num_rows();
  for (size_t i = 0; i < axis.bins.size(); ++i) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) sum += pd->ice[r * axis.bins.size() + i];
    EXPECT_NEAR(pd->average[i], sum / static_cast<double>(n), 1e-12);
  }
  // And an ICE value is the prediction of that row with the feature's cell set to the bin.
  data::BinnedDataset one = ds;
  for (size_t r = 0; r < n; ++r) one.mutable_cells()[r * 3] = static_cast<uint8_t>(axis.bins[3]);
  EXPECT_EQ(pd->ice[5 * axis.bins.size() + 3], model.Predict(one)[5]);

  options.features = {0, 2};
  options.ice = false;
  auto two = ComputePartialDependence(model, ds, options);
  ASSERT_TRUE(two.ok()) << two.status().message();
  auto labels = two->axes[1].labels;
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, (std::vector<std::string>{"blue", "green", "red"}));
  EXPECT_EQ(two->average.size(), 10u * 3u);
  options.features = {0, 1, 2};
  EXPECT_FALSE(ComputePartialDependence(model, ds, options).ok());
}

}  // namespace
}  // namespace tessera::explain
