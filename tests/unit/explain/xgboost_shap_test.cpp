// TreeSHAP on models imported from XGBoost equals XGBoost's own pred_contribs and
// pred_interactions. python3-xgboost (1.7) trains each model on synthetic data with missing
// values and writes, for 1,000 test rows, its SHAP values and SHAP interaction values; Tessera
// imports the model and must match within 1e-5 (XGBoost computes in float32, so the tolerance
// scales with the value's size above 1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "required_tool.h"
#include "tessera/data/bin_rows.h"
#include "tessera/explain/tree_shap.h"
#include "tessera/interop/import.h"
#include "test_files.h"

namespace tessera::explain {
namespace {

using tessera::testing::TempDir;

constexpr const char* kScript = R"PY(
import json, sys
import numpy as np
import xgboost as xgb
out, spec = sys.argv[1], json.loads(sys.argv[2])
rng = np.random.default_rng(3)
nf = 8
def make(n):
    X = rng.normal(size=(n, nf)).astype(np.float32)
    X[:, 2] = rng.integers(0, 20, n)
    X[rng.random((n, nf)) < 0.1] = np.nan
    return X
Xtr, Xte = make(3000), make(1000)
Z = np.nan_to_num(Xtr)
s = Z[:, 0] + 0.5 * Z[:, 1] * Z[:, 3] - 0.1 * Z[:, 2] + rng.normal(scale=0.5, size=len(Z))
y = (s > 0).astype(float) if spec["objective"] == "binary:logistic" else np.digitize(s, [-0.7, 0.7]).astype(float)
params = dict(spec["params"], objective=spec["objective"], seed=1, nthread=1)
b = xgb.train(params, xgb.DMatrix(Xtr, y), spec["rounds"])
b.save_model(out + "/model.json")
d = xgb.DMatrix(Xte)
np.savetxt(out + "/rows.csv", Xte, delimiter=",", fmt="%.9g")
np.savetxt(out + "/contribs.csv", b.predict(d, pred_contribs=True).reshape(1000, -1), delimiter=",", fmt="%.9g")
np.savetxt(out + "/interactions.csv", b.predict(d, pred_interactions=True).reshape(1000, -1), delimiter=",", fmt="%.9g")
)PY";

std::vector<double> ReadNumbers(const std::string& path) {
  std::vector<double> out;
  std::ifstream in(path);
  std::string line, field;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    while (std::getline(fields, field, ',')) out.push_back(std::strtod(field.c_str(), nullptr));  // "nan" -> NaN
  }
  return out;
}

void ExpectSameAsXgboost(const nlohmann::json& spec) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  const std::string script = dir.Write("shap.py", kScript);
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + dir.path().string() + "' '" + spec.dump() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto model = interop::ImportModelFile(dir.Path("model.json"), interop::ForeignFormat::kXgboostJson);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<double> values = ReadNumbers(dir.Path("rows.csv"));
  ASSERT_EQ(values.size(), 8000u);
  std::vector<float> rows(values.begin(), values.end());
  const data::BinnedDataset ds = data::BinFloatRows(model->reference(), rows.data(), 1000);

  auto close = [](double tessera, double xgboost) { return std::abs(tessera - xgboost) <= 1e-5 * std::max(1.0, std::abs(xgboost)); };
  const auto expected_shap = ReadNumbers(dir.Path("contribs.csv"));
  const auto shap = ShapValues(*model, ds, 2);
  ASSERT_EQ(shap.size(), expected_shap.size());
  size_t bad = 0;
  for (size_t i = 0; i < shap.size(); ++i)
    if (!close(shap[i], expected_shap[i]) && bad++ < 5) ADD_FAILURE() << "SHAP value " << i << ": tessera " << shap[i] << " xgboost " << expected_shap[i];
  EXPECT_EQ(bad, 0u);

  const auto expected_inter = ReadNumbers(dir.Path("interactions.csv"));
  const auto inter = ShapInteractionValues(*model, ds, 2);
  ASSERT_EQ(inter.size(), expected_inter.size());
  bad = 0;
  for (size_t i = 0; i < inter.size(); ++i)
    if (!close(inter[i], expected_inter[i]) && bad++ < 5)
      ADD_FAILURE() << "interaction value " << i << ": tessera " << inter[i] << " xgboost " << expected_inter[i];
  EXPECT_EQ(bad, 0u);
}

TEST(XgboostShap, BinaryModelMatchesPredContribsAndInteractions) {
  ExpectSameAsXgboost({{"objective", "binary:logistic"}, {"rounds", 30}, {"params", {{"max_depth", 6}, {"eta", 0.3}}}});
}

TEST(XgboostShap, LossguideModelMatches) {
  ExpectSameAsXgboost({{"objective", "binary:logistic"},
                       {"rounds", 20},
                       {"params", {{"tree_method", "hist"}, {"grow_policy", "lossguide"}, {"max_leaves", 31}, {"max_depth", 0}}}});
}

TEST(XgboostShap, MulticlassModelMatchesPerClass) {
  ExpectSameAsXgboost({{"objective", "multi:softprob"}, {"rounds", 10}, {"params", {{"max_depth", 4}, {"num_class", 3}}}});
}

}  // namespace
}  // namespace tessera::explain
