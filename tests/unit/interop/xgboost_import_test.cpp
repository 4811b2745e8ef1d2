// XGBoost models imported into Tessera predict what XGBoost predicts. python3-xgboost (1.7)
// trains each model on synthetic data with missing values, saves it as JSON and writes, for 1,000
// test rows, XGBoost's margins and predictions plus a reference margin summed in double from the
// leaves XGBoost routes each row to (pred_leaf). Tessera must match the reference to 1e-6 (so it
// routes every row to the same leaves) and XGBoost's float32 outputs to float precision.
// Feature 1 takes quarter steps and feature 2 whole numbers, so that many test values equal a
// split threshold exactly: the case where "v < t" and "v <= t" differ.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tessera/data/bin_rows.h"
#include "tessera/interop/import.h"
#include "tessera/models/model_file.h"
#include "required_tool.h"
#include "test_files.h"

namespace tessera {
namespace {

using testing::TempDir;


// argv: output directory, case as JSON {objective, params, rounds, categorical?, names?, seed?}.
constexpr const char* kTrainScript = R"PY(
import json, sys
import numpy as np
import xgboost as xgb

out, spec = sys.argv[1], json.loads(sys.argv[2])
rng = np.random.default_rng(spec.get("seed", 0))
nf, n_train, n_test = 8, spec.get("train_rows", 3000), 1000
cat = spec.get("categorical", [])

def make(n, unseen):
    X = rng.normal(size=(n, nf)).astype(np.float32)
    X[:, 1] = np.round(X[:, 1] * 4) / 4
    X[:, 2] = rng.integers(0, 20, n)
    for c in cat:
        X[:, c] = rng.integers(0, 16 if unseen else 12, n)  # 12..15: never seen in training
    X[rng.random((n, nf)) < 0.1] = np.nan
    return X

Xtr, Xte = make(n_train, False), make(n_test, True)
Z = np.nan_to_num(Xtr)
s = Z[:, 0] + 0.5 * Z[:, 1] * Z[:, 3] - 0.1 * Z[:, 2] + rng.normal(scale=0.5, size=n_train)
if cat:
    s += 1.5 * np.isin(Z[:, cat[0]], [1, 4, 7, 9]) - 0.75
obj = spec["objective"]
if obj.startswith("binary"):
    y = (s > 0).astype(float)
elif obj.startswith("multi"):
    y = np.digitize(s, [-0.7, 0.7]).astype(float)
elif obj == "count:poisson":
    y = rng.poisson(np.exp(np.clip(s / 2, -3, 3))).astype(float)
else:
    y = s
names = spec.get("names")
types = ["c" if f in cat else "q" for f in range(nf)] if cat else None
dtrain = xgb.DMatrix(Xtr, y, feature_names=names, feature_types=types, enable_categorical=bool(cat))
dtest = xgb.DMatrix(Xte, feature_names=names, feature_types=types, enable_categorical=bool(cat))
params = dict(spec["params"], objective=obj, seed=1, nthread=1)
b = xgb.train(params, dtrain, spec["rounds"])
b.save_model(out + "/model.json")
margin = b.predict(dtest, output_margin=True).reshape(n_test, -1)
pred = b.predict(dtest).reshape(n_test, -1)
K = margin.shape[1]
if pred.shape[1] != K:  # multi:softmax predicts the class
    pred = np.repeat(pred, K, axis=1)

model = json.load(open(out + "/model.json"))
L = model["learner"]
gb = L["gradient_booster"]
weights = gb.get("weight_drop")
trees = (gb["gbtree"] if "gbtree" in gb else gb)["model"]
base = np.float32(float(L["learner_model_param"]["base_score"]))
if obj in ("binary:logistic", "reg:logistic"):
    base = -np.log(np.float32(1) / base - np.float32(1))
elif obj in ("count:poisson", "reg:gamma", "reg:tweedie"):
    base = np.log(base)
leaves = b.predict(dtest, pred_leaf=True).reshape(n_test, -1).astype(int)
assert leaves.shape[1] == len(trees["trees"]), leaves.shape
ref = np.full((n_test, K), float(base))
for t, tree in enumerate(trees["trees"]):
    w = weights[t] if weights else 1.0
    values = np.array(tree["split_conditions"], dtype=np.float32).astype(np.float64)
    ref[:, trees["tree_info"][t]] += w * values[leaves[:, t]]

header = names or ["f%d" % i for i in range(nf)]
with open(out + "/rows.csv", "w") as f:
    f.write(",".join(header) + "\n")
    for row in Xte:
        f.write(",".join("" if np.isnan(v) else "%.9g" % v for v in row) + "\n")
np.savetxt(out + "/ref.csv", np.hstack([margin, ref, pred]), delimiter=",", fmt="%.17g")
)PY";

struct Case {
  std::vector<float> rows;  // 1,000 x 8, NaN = missing
  size_t outputs = 1;
  std::vector<double> xgb_margin, ref_margin, xgb_pred;  // rows x outputs
  std::string model_path;
};

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

// Trains the model in Python and reads what it wrote. `spec` is the case JSON.
Case Train(const TempDir& dir, const nlohmann::json& spec) {
  const std::string script = dir.Write("train.py", kTrainScript);
  const std::string cmd =
      "/usr/bin/python3 '" + script + "' '" + dir.path().string() + "' '" + spec.dump() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Case c;
  c.model_path = dir.Path("model.json");
  std::ifstream rows(dir.Path("rows.csv"));
  std::string line;
  std::getline(rows, line);
  while (std::getline(rows, line)) {
    auto fields = SplitCsvLine(line);
    EXPECT_EQ(fields.size(), 8u) << line;
    for (const auto& f : fields)
      c.rows.push_back(f.empty() ? std::nanf("") : std::strtof(f.c_str(), nullptr));
  }
  std::ifstream ref(dir.Path("ref.csv"));
  while (std::getline(ref, line)) {
    auto fields = SplitCsvLine(line);
    c.outputs = fields.size() / 3;
    for (size_t k = 0; k < fields.size(); ++k) {
      double v = std::strtod(fields[k].c_str(), nullptr);
      (k < c.outputs ? c.xgb_margin : k < 2 * c.outputs ? c.ref_margin : c.xgb_pred).push_back(v);
    }
  }
  EXPECT_EQ(c.rows.size(), 8000u);
  EXPECT_EQ(c.ref_margin.size(), 1000 * c.outputs);
  return c;
}

// Imports the case's model and checks Tessera's raw scores and predictions on the test rows.
void ExpectSamePredictions(const Case& c, bool pred_is_class = false) {
  auto model = interop::ImportModelFile(c.model_path, interop::ForeignFormat::kXgboostJson);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(static_cast<size_t>(model->num_outputs()), c.outputs);
  const size_t n = c.rows.size() / 8, k = c.outputs;
  data::BinnedDataset ds = data::BinFloatRows(model->reference(), c.rows.data(), n);
  std::vector<double> raw = model->PredictRaw(ds, 1);
  std::vector<double> pred = model->Predict(ds, 1);
  ASSERT_EQ(raw.size(), n * k);
  size_t bad_ref = 0, bad_xgb = 0, bad_pred = 0;
  std::string first;
  for (size_t i = 0; i < n * k; ++i) {
    const double x = c.xgb_margin[i];
    if (std::fabs(raw[i] - c.ref_margin[i]) > 1e-6) {
      if (!bad_ref++)
        first = "row " + std::to_string(i / k) + ": tessera " + std::to_string(raw[i]) +
                " reference " + std::to_string(c.ref_margin[i]);
    }
    if (std::fabs(raw[i] - x) > 2e-6 * std::max(1.0, std::fabs(x))) ++bad_xgb;
    if (pred_is_class) continue;
    if (std::fabs(pred[i] - c.xgb_pred[i]) > 1e-6 * std::max(1.0, std::fabs(c.xgb_pred[i])))
      ++bad_pred;
  }
  EXPECT_EQ(bad_ref, 0u) << first;
  EXPECT_EQ(bad_xgb, 0u);
  EXPECT_EQ(bad_pred, 0u);
  if (pred_is_class) {  // multi:softmax predicts the class: Tessera's most probable class
    for (size_t r = 0; r < n; ++r) {
      size_t best = 0;
      for (size_t j = 1; j < k; ++j)
        if (pred[r * k + j] > pred[r * k + best]) best = j;
      EXPECT_EQ(static_cast<double>(best), c.xgb_pred[r * k]) << "row " << r;
    }
  }
  // The model survives Tessera's own file format unchanged.
  TempDir out;
  ASSERT_TRUE(models::SaveModel(*model, out.Path("m.json")).ok());
  auto loaded = models::LoadModel(out.Path("m.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->PredictRaw(ds, 1), raw);
  EXPECT_EQ(loaded->PredictValues(c.rows.data(), n, true, 1), raw);
}


TEST(XgboostImport, BinaryLogisticWithMissingValuesAndBaseScore) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  Case c = Train(
      dir,
      {{"objective", "binary:logistic"},
       {"params", {{"max_depth", 6}, {"eta", 0.3}, {"base_score", 0.3}, {"tree_method", "hist"}}},
       {"rounds", 40},
       {"names", {"age", "dose", "visits", "bmi", "x4", "x5", "x6", "x7"}}});
  ExpectSamePredictions(c);
  auto model = interop::ImportModelFile(c.model_path, interop::ForeignFormat::kXgboostJson);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->params().objective, "binary");
  EXPECT_EQ(model->reference().feature_name(2), "visits");
  EXPECT_NEAR(model->init_score()[0], std::log(0.3 / 0.7), 1e-6);
  // Covers are XGBoost's hessian sums: a parent's is the sum of its children's.
  const auto& tree = model->trees()[3];
  ASSERT_FALSE(tree.nodes().empty());
  const auto& root = tree.nodes()[0];
  auto cover_of = [&](int32_t child) {
    return child >= 0 ? tree.nodes()[static_cast<size_t>(child)].cover
                      : tree.leaf_covers()[static_cast<size_t>(~child)];
  };
  EXPECT_GT(root.cover, 0);
  EXPECT_NEAR(cover_of(root.left) + cover_of(root.right), root.cover, 1e-3 * root.cover);
}

TEST(XgboostImport, MulticlassSoftprobThreeClasses) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  Case c = Train(dir, {{"objective", "multi:softprob"},
                       {"params", {{"max_depth", 6}, {"num_class", 3}, {"eta", 0.2}}},
                       {"rounds", 30}});
  ExpectSamePredictions(c);
}

TEST(XgboostImport, MulticlassSoftmaxWithParallelTrees) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  // Two trees per class and iteration (tree_info 0,0,1,1,2,2,...): regrouped iteration-major.
  Case c = Train(
      dir, {{"objective", "multi:softmax"},
            {"params",
             {{"max_depth", 4}, {"num_class", 3}, {"num_parallel_tree", 2}, {"subsample", 0.8}}},
            {"rounds", 10}});
  ExpectSamePredictions(c, true);
}

TEST(XgboostImport, RegressionLossguideWithMaxLeaves) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  Case c = Train(dir, {{"objective", "reg:squarederror"},
                       {"params",
                        {{"tree_method", "hist"},
                         {"grow_policy", "lossguide"},
                         {"max_leaves", 31},
                         {"max_depth", 0}}},
                       {"rounds", 40}});
  ExpectSamePredictions(c);
}

TEST(XgboostImport, PoissonWithExactTreeMethod) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  // The exact method puts thresholds halfway between values.
  Case c = Train(dir, {{"objective", "count:poisson"},
                       {"params", {{"tree_method", "exact"}, {"max_depth", 5}}},
                       {"rounds", 30},
                       {"train_rows", 1500}});
  ExpectSamePredictions(c);
}

TEST(XgboostImport, CategoricalSplitsAndUnseenCategories) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  Case c =
      Train(dir, {{"objective", "binary:logistic"},
                  {"params", {{"tree_method", "hist"}, {"max_depth", 5}, {"max_cat_to_onehot", 1}}},
                  {"rounds", 30},
                  {"categorical", {5}}});
  ExpectSamePredictions(c);
  auto model = interop::ImportModelFile(c.model_path, interop::ForeignFormat::kXgboostJson);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->reference().mappers()[5].kind(), data::BinMapper::Kind::kCategorical);
  EXPECT_EQ(model->reference().schema().column(5).type, data::ColumnType::kCategorical);
}

TEST(XgboostImport, DartScalesTreesByTheirWeights) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  Case c = Train(
      dir,
      {{"objective", "reg:squarederror"},
       {"params", {{"booster", "dart"}, {"rate_drop", 0.3}, {"skip_drop", 0.0}, {"max_depth", 4}}},
       {"rounds", 20}});
  ExpectSamePredictions(c);
}

}  // namespace
}  // namespace tessera
