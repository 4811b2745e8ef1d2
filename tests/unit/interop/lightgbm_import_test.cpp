// LightGBM text models imported into Tessera: small hand-written model.txt files whose
// predictions are worked out by hand from LightGBM's rules (left when v <= threshold, in double;
// missing types None/Zero/NaN; categorical bitsets go left), and the errors for what cannot be
// represented or is cut short.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tessera/data/bin_rows.h"
#include "tessera/interop/import.h"

namespace tessera {
namespace {

using interop::ForeignFormat;

// Two trees. Tree 0: node 0 sends x <= 0.1 left (missing type NaN, default left) to node 1, which
// sends y <= 1e-35 left (missing type None: NaN is read as 0, so it goes left). Tree 1: y <= -0.25
// goes left, NaN goes left (missing type NaN, default left).
constexpr const char* kBinaryModel = R"(tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=binary sigmoid:1
feature_names=x y
feature_infos=[-5:5] [-3:3]
tree_sizes=420 380

Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
split_gain=10.5 3.25
threshold=0.10000000000000001 1.0000000180025095e-35
decision_type=10 0
left_child=1 -1
right_child=-2 -3
leaf_value=0.10000000000000001 -0.20000000000000001 0.29999999999999999
leaf_weight=10 7.5 7.5
leaf_count=40 30 30
internal_value=0 0.1
internal_weight=25 17.5
internal_count=100 70
is_linear=0
shrinkage=1


Tree=1
num_leaves=2
num_cat=0
split_feature=1
split_gain=1.5
threshold=-0.25
decision_type=10
left_child=-1
right_child=-2
leaf_value=-0.050000000000000003 0.070000000000000007
leaf_weight=12.5 12.5
leaf_count=50 50
internal_value=0
internal_weight=25
internal_count=100
is_linear=0
shrinkage=0.1


end of trees

feature_importances:
y=2
x=1

parameters:
[boosting: gbdt]
[objective: binary]
[learning_rate: 0.1]
end of parameters

pandas_categorical:null
)";

models::gbdt::GbdtModel Import(const std::string& text) {
  auto model = interop::ImportModel(text, ForeignFormat::kLightgbmText, "model.txt");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? std::move(model).value() : models::gbdt::GbdtModel();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string ImportError(const std::string& text) {
  auto model = interop::ImportModel(text, ForeignFormat::kLightgbmText, "model.txt");
  EXPECT_FALSE(model.ok());
  return model.ok() ? "" : model.status().message();
}

TEST(LightgbmImport, BinaryModelPredictsAsWorkedOutByHand) {
  auto model = Import(kBinaryModel);
  ASSERT_EQ(model.trees().size(), 2u);
  EXPECT_EQ(model.params().objective, "binary");
  EXPECT_DOUBLE_EQ(model.params().learning_rate, 0.1);
  EXPECT_EQ(model.init_score(), std::vector<double>{0.0});
  const float nan = std::nanf("");
  // clang-format off
  const std::vector<float> rows = {  // x, y
      0.1f,       0.0f,    // 0.1f is above the double 0.1: right (-0.2); y = 0 > -0.25: right (0.07)
      0.0999999f, 0.0f,    // left, then y = 0 <= 1e-35: leaf 0 (0.1); 0.07
      nan,        nan,     // x missing: left; y missing reads as 0: leaf 0 (0.1); tree 1 default left (-0.05)
      -1.0f,      2.0f,    // left, y > 1e-35: leaf 2 (0.3); 0.07
      5.0f,       -0.25f,  // right (-0.2); -0.25 <= -0.25: left (-0.05)
      -1.0f,      1e-36f,  // 1e-36 <= 1e-35: leaf 0 (0.1); 0.07
  };
  // clang-format on
  const std::vector<double> expected = {-0.13, 0.17, 0.05, 0.37, -0.25, 0.17};
  const size_t n = expected.size();
  data::BinnedDataset ds = data::BinFloatRows(model.reference(), rows.data(), n);
  std::vector<double> raw = model.PredictRaw(ds, 1), prob = model.Predict(ds, 1);
  for (size_t r = 0; r < n; ++r) {
    EXPECT_NEAR(raw[r], expected[r], 1e-12) << "row " << r;
    EXPECT_NEAR(prob[r], 1 / (1 + std::exp(-expected[r])), 1e-12) << "row " << r;
  }
  // Leaf indices are LightGBM's, and covers are its counts.
  std::vector<int32_t> leaves = model.PredictLeaf(ds, 1);
  EXPECT_EQ(leaves[0], 1);  // row 0, tree 0
  EXPECT_EQ(leaves[2], 0);  // row 1, tree 0
  EXPECT_EQ(leaves[6], 2);  // row 3, tree 0
  const auto& tree = model.trees()[0];
  EXPECT_EQ(tree.nodes()[0].cover, 100);
  EXPECT_EQ(tree.nodes()[0].count, 100);
  EXPECT_EQ(tree.leaf_covers(), (std::vector<double>{40, 30, 30}));
  EXPECT_EQ(model.reference().feature_name(1), "y");
}

TEST(LightgbmImport, MulticlassTreesGoToClassesInTurn) {
  // Two iterations of three one-leaf trees: tree t adds to class t % 3.
  std::string text =
      "tree\nversion=v4\nnum_class=3\nnum_tree_per_iteration=3\nmax_feature_idx=0\n"
      "objective=multiclass num_class:3\nfeature_names=a\nfeature_infos=none\n\n";
  const double values[] = {0.5, -0.5, 0.25, 0.125, 0.0, -1.0};
  for (int t = 0; t < 6; ++t)
    text += "Tree=" + std::to_string(t) +
            "\nnum_leaves=1\nnum_cat=0\nsplit_feature=\nsplit_gain=\nthreshold=\n"
            "decision_type=\nleft_child=\nright_child=\nleaf_value=" +
            std::to_string(values[t]) +
            "\nleaf_weight=0\nleaf_count=0\ninternal_value=\ninternal_weight=\ninternal_count=\nis_"
            "linear=0\nshrinkage=1\n\n\n";
  text += "end of trees\n";
  auto model = Import(text);
  ASSERT_EQ(model.num_outputs(), 3);
  const float row[] = {1.0f};
  std::vector<double> raw = model.PredictValues(row, 1, true, 1);
  EXPECT_NEAR(raw[0], 0.625, 1e-12);
  EXPECT_NEAR(raw[1], -0.5, 1e-12);
  EXPECT_NEAR(raw[2], -0.75, 1e-12);
  std::vector<double> prob = model.PredictValues(row, 1, false, 1);
  EXPECT_NEAR(prob[0] + prob[1] + prob[2], 1.0, 1e-12);
}

TEST(LightgbmImport, CategoricalSplitSendsItsSetLeft) {
  // Feature c is categorical; the split's bitset 18 = bits 1 and 4: categories 1 and 4 go left.
  std::string text =
      Replace(kBinaryModel, "feature_infos=[-5:5] [-3:3]", "feature_infos=[-5:5] 0:1:2:3:4:5");
  text = Replace(text, "feature_names=x y", "feature_names=x c");
  text = Replace(text, "split_feature=1\nsplit_gain=1.5\nthreshold=-0.25\ndecision_type=10",
                 "split_feature=1\nsplit_gain=1.5\nthreshold=0\ndecision_type=1");
  text = Replace(text, "Tree=1\nnum_leaves=2\nnum_cat=0",
                 "Tree=1\nnum_leaves=2\nnum_cat=1\ncat_boundaries=0 1\ncat_threshold=18");
  // Tree 0 splits c numerically: make it split x twice instead.
  text = Replace(text, "split_feature=0 1\n", "split_feature=0 0\n");
  auto model = Import(text);
  ASSERT_EQ(model.reference().mappers()[1].kind(), data::BinMapper::Kind::kCategorical);
  const float nan = std::nanf("");
  // x = 5 (tree 0: -0.2) and c: 1, 4 left (-0.05); 2, 7 (never named), missing, -1: right (0.07).
  const std::vector<float> rows = {5, 1, 5, 4, 5, 2, 5, 7, 5, nan, 5, -1};
  std::vector<double> raw = model.PredictValues(rows.data(), 6, true, 1);
  const std::vector<double> expected = {-0.25, -0.25, -0.13, -0.13, -0.13, -0.13};
  for (size_t r = 0; r < expected.size(); ++r)
    EXPECT_NEAR(raw[r], expected[r], 1e-12) << "row " << r;
}

TEST(LightgbmImport, ZeroAsMissingIsExactOrRefused) {
  // Missing type Zero, default left, threshold 0.5: zero goes left anyway, so the split is exact.
  std::string ok =
      Replace(kBinaryModel, "threshold=-0.25\ndecision_type=10", "threshold=0.5\ndecision_type=6");
  auto model = Import(ok);
  const float rows[] = {5, 0.0f, 5, std::nanf(""), 5, 0.6f};
  std::vector<double> raw = model.PredictValues(rows, 3, true, 1);
  EXPECT_NEAR(raw[0], -0.25, 1e-12);
  EXPECT_NEAR(raw[1], -0.25, 1e-12);
  EXPECT_NEAR(raw[2], -0.13, 1e-12);
  // Default right with threshold 0.5: zero would go right but -1 and 0.4 left. Refused.
  std::string bad =
      Replace(kBinaryModel, "threshold=-0.25\ndecision_type=10", "threshold=0.5\ndecision_type=4");
  std::string error = ImportError(bad);
  EXPECT_NE(error.find("model.txt:"), std::string::npos) << error;
  EXPECT_NE(error.find("tree 1 node 0"), std::string::npos) << error;
  EXPECT_NE(error.find("missing_type=Zero"), std::string::npos) << error;
}

TEST(LightgbmImport, AverageOutputDividesByIterations) {
  std::string text = Replace(kBinaryModel, "objective=binary sigmoid:1\n",
                             "objective=regression\naverage_output\n");
  auto model = Import(text);
  EXPECT_EQ(model.params().objective, "regression");
  const float row[] = {5.0f, -0.25f};
  EXPECT_NEAR(model.PredictValues(row, 1, false, 1)[0], (-0.2 - 0.05) / 2, 1e-12);
}

TEST(LightgbmImport, ErrorsNameTheFileAndLine) {
  // Cut inside tree 1.
  std::string text = kBinaryModel;
  std::string truncated = text.substr(0, text.find("leaf_count=50 50"));
  std::string error = ImportError(truncated);
  EXPECT_NE(error.find("model.txt:"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find("tree 1"), std::string::npos) << error;
  // Cut after a whole tree, before "end of trees".
  error = ImportError(text.substr(0, text.find("end of trees")));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  error = ImportError(Replace(text, "objective=binary sigmoid:1", "objective=lambdarank"));
  EXPECT_NE(error.find("model.txt:7: objective 'lambdarank' is not supported"), std::string::npos)
      << error;
  error = ImportError(Replace(text, "objective=binary sigmoid:1", "objective=binary sigmoid:2"));
  EXPECT_NE(error.find("sigmoid:1"), std::string::npos) << error;
  error = ImportError(Replace(text, "is_linear=0\nshrinkage=0.1", "is_linear=1\nshrinkage=0.1"));
  EXPECT_NE(error.find("linear trees"), std::string::npos) << error;
  error = ImportError(
      Replace(text, "leaf_value=-0.050000000000000003 0.070000000000000007", "leaf_value=-0.05"));
  EXPECT_NE(error.find("tree 1: leaf_value: expected 2 values, found 1"), std::string::npos)
      << error;
  error = ImportError(Replace(text, "split_feature=0 1", "split_feature=0 7"));
  EXPECT_NE(error.find("tree 0 node 1: feature 7 out of range"), std::string::npos) << error;
  error =
      ImportError(Replace(text, "left_child=1 -1", "left_child=0 -1"));  // node 0 is its own child
  EXPECT_NE(error.find("model.txt:12: tree 0 node 0: node 0 is reached twice"), std::string::npos)
      << error;
  error = ImportError("{\"learner\": {}}");
  EXPECT_NE(error.find("model.txt:1: not a LightGBM text model"), std::string::npos) << error;
  error = ImportError(Replace(text, "threshold=-0.25", "threshold=abc"));
  EXPECT_NE(error.find("'abc' is not a number"), std::string::npos) << error;
}

}  // namespace
}  // namespace tessera
