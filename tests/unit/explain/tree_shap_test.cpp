#include "tessera/explain/tree_shap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/params.h"
#include "test_files.h"

namespace tessera::explain {
namespace {

using models::gbdt::GbdtModel;
using models::gbdt::GbdtParams;
using tessera::testing::TempDir;

// `numeric` numeric features x0.. (10% missing) and `categoricals` categorical ones c0.. (12
// categories each), with a label from a noisy formula: 0/1, or 0/1/2 when `multiclass`.
data::BinnedDataset Table(const TempDir& dir, uint64_t rows, int numeric, int categoricals, bool multiclass = false) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string path = dir.Path("t.csv");
  {
    std::ofstream csv(path);
    for (int f = 0; f < numeric; ++f) csv << "x" << f << ",";
    for (int c = 0; c < categoricals; ++c) csv << "c" << c << ",";
    csv << "label\n";
    for (uint64_t r = 0; r < rows; ++r) {
      double score = 0;
      for (int f = 0; f < numeric; ++f) {
        const double x = u(rng);
        if (u(rng) < 0.1) {
          csv << ",";
          continue;
        }
        score += (f % 2 ? -1.0 : 1.0) * x * (1 + f) + (f == 1 ? 2 * x * x : 0.0);
        csv << x << ",";
      }
      for (int c = 0; c < categoricals; ++c) {
        const int cat = static_cast<int>(rng() % 12);
        score += (cat % 3) * 0.7;
        csv << "k" << cat << ",";
      }
      score += u(rng) * 2;
      const int label = multiclass ? ((static_cast<int>(std::floor(score)) % 3) + 3) % 3 : score > numeric * 0.5 + 1.5;
      csv << label << "\n";
    }
  }
  data::IngestOptions io;
  io.schema.label = "label";
  auto ds = data::IngestBinned({path}, io);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

GbdtModel Train(const data::BinnedDataset& ds, std::map<std::string, std::string> settings) {
  GbdtParams p;
  EXPECT_TRUE(models::gbdt::ApplyGbdtParams(settings, &p).ok());
  auto m = models::gbdt::TrainGbdt(ds, p);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

// The path-dependent value of a feature subset: known features follow the row, unknown ones
// split by cover. Summed over the trees of output k, plus the init score.
double SubsetValue(const GbdtModel& model, const data::BinnedDataset& ds, size_t row, uint32_t known, size_t k) {
  double total = model.init_score()[k];
  const size_t K = static_cast<size_t>(model.num_outputs());
  for (size_t t = k; t < model.trees().size(); t += K) {
    const auto& tree = model.trees()[t];
    auto cover = [&](int32_t c) { return c >= 0 ? tree.nodes()[static_cast<size_t>(c)].cover : tree.leaf_covers()[static_cast<size_t>(~c)]; };
    std::function<double(int32_t)> walk = [&](int32_t c) -> double {
      if (c < 0) return tree.leaf_value(~c);
      const auto& node = tree.nodes()[static_cast<size_t>(c)];
      if (known & (1u << node.feature)) return walk(node.GoesLeft(ds.bin(row, static_cast<size_t>(node.feature))) ? node.left : node.right);
      return (walk(node.left) * cover(node.left) + walk(node.right) * cover(node.right)) / node.cover;
    };
    total += tree.nodes().empty() ? tree.leaf_value(0) : walk(0);
  }
  return total;
}

// Shapley values by enumerating every subset of the features.
std::vector<double> BruteForceShap(const GbdtModel& model, const data::BinnedDataset& ds, size_t row, size_t k) {
  const size_t F = ds.num_features();
  std::vector<double> phi(F, 0.0);
  auto factorial = [](size_t n) { double f = 1; for (size_t i = 2; i <= n; ++i) f *= static_cast<double>(i); return f; };
  for (size_t i = 0; i < F; ++i)
    for (uint32_t s = 0; s < (1u << F); ++s) {
      if (s & (1u << i)) continue;
      const size_t size = static_cast<size_t>(__builtin_popcount(s));
      const double weight = factorial(size) * factorial(F - size - 1) / factorial(F);
      phi[i] += weight * (SubsetValue(model, ds, row, s | (1u << i), k) - SubsetValue(model, ds, row, s, k));
    }
  return phi;
}

TEST(TreeShap, ValuesAddUpToTheRawScore) {
  TempDir dir;
  const auto ds = Table(dir, 4000, 6, 2);
  const auto model = Train(ds, {{"num_iterations", "30"}, {"num_leaves", "31"}});
  const auto shap = ShapValues(model, ds, 2);
  const auto raw = model.PredictRaw(ds);
  const size_t W = ds.num_features() + 1;
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    double sum = 0;
    for (size_t j = 0; j < W; ++j) sum += shap[r * W + j];
    ASSERT_NEAR(sum, raw[r], 1e-6) << "row " << r;
  }
}

TEST(TreeShap, MulticlassValuesAddUpPerClass) {
  TempDir dir;
  const auto ds = Table(dir, 3000, 5, 1, true);
  const auto model = Train(ds, {{"objective", "multiclass"}, {"num_class", "3"}, {"num_iterations", "10"}, {"num_leaves", "15"}});
  const auto shap = ShapValues(model, ds, 2);
  const auto raw = model.PredictRaw(ds);
  const size_t W = ds.num_features() + 1;
  for (size_t r = 0; r < ds.num_rows(); ++r)
    for (size_t k = 0; k < 3; ++k) {
      double sum = 0;
      for (size_t j = 0; j < W; ++j) sum += shap[(r * 3 + k) * W + j];
      ASSERT_NEAR(sum, raw[r * 3 + k], 1e-6) << "row " << r << " class " << k;
    }
}

TEST(TreeShap, EqualsShapleyValuesByEnumeratingSubsets) {
  TempDir dir;
  const auto ds = Table(dir, 2000, 4, 1);  // 5 features: 32 subsets
  const auto model = Train(ds, {{"num_iterations", "8"}, {"num_leaves", "12"}, {"min_data_in_leaf", "5"}});
  const auto shap = ShapValues(model, ds, 1);
  const size_t F = ds.num_features();
  for (size_t r = 0; r < 40; ++r) {
    const auto expected = BruteForceShap(model, ds, r, 0);
    for (size_t i = 0; i < F; ++i) ASSERT_NEAR(shap[r * (F + 1) + i], expected[i], 1e-9) << "row " << r << " feature " << i;
    EXPECT_NEAR(shap[r * (F + 1) + F], SubsetValue(model, ds, r, 0, 0), 1e-9);
  }
}

TEST(TreeShap, InteractionsAreSymmetricAndSumToShapValues) {
  TempDir dir;
  const auto ds = Table(dir, 2000, 4, 1);
  const auto model = Train(ds, {{"num_iterations", "10"}, {"num_leaves", "15"}});
  const auto shap = ShapValues(model, ds, 2);
  const auto inter = ShapInteractionValues(model, ds, 2);
  const size_t W = ds.num_features() + 1;
  for (size_t r = 0; r < 200; ++r) {
    for (size_t i = 0; i < W; ++i) {
      double row_sum = 0;
      for (size_t j = 0; j < W; ++j) {
        row_sum += inter[r * W * W + i * W + j];
        ASSERT_NEAR(inter[r * W * W + i * W + j], inter[r * W * W + j * W + i], 1e-9) << r << " " << i << " " << j;
      }
      ASSERT_NEAR(row_sum, shap[r * W + i], 1e-9) << "row " << r << " feature " << i;
    }
    EXPECT_NEAR(inter[r * W * W + (W - 1) * W + (W - 1)], shap[r * W + W - 1], 1e-12);
  }
}

TEST(TreeShap, SameValuesForAnyThreadCount) {
  TempDir dir;
  const auto ds = Table(dir, 1500, 5, 1);
  const auto model = Train(ds, {{"num_iterations", "10"}});
  EXPECT_EQ(ShapValues(model, ds, 1), ShapValues(model, ds, 3));
}

}  // namespace
}  // namespace tessera::explain
