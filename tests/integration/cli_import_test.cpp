// tessera import through the real binary: an XGBoost model trained by python3-xgboost (numeric
// features with missing values and a categorical feature of integer codes) is imported, then
// `tessera predict` on a CSV file must give XGBoost's probabilities; a LightGBM text model too;
// and bad inputs exit 1 with a message and leave no output file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "required_tool.h"
#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

constexpr const char* kTrainScript = R"PY(
import sys
import numpy as np
import xgboost as xgb

out = sys.argv[1]
rng = np.random.default_rng(7)
names = ["income", "age", "region", "score"]

def make(n, unseen):
    X = rng.normal(size=(n, 4)).astype(np.float32)
    X[:, 1] = rng.integers(18, 80, n)
    X[:, 2] = rng.integers(0, 12 if unseen else 10, n)
    X[rng.random((n, 4)) < 0.1] = np.nan
    return X

Xtr, Xte = make(3000, False), make(1000, True)
Z = np.nan_to_num(Xtr)
y = (Z[:, 0] + 0.03 * (Z[:, 1] - 50) + 1.2 * np.isin(Z[:, 2], [2, 3, 7]) - 0.6 + rng.normal(scale=0.5, size=3000) > 0)
types = ["q", "q", "c", "q"]
dtrain = xgb.DMatrix(Xtr, y.astype(float), feature_names=names, feature_types=types, enable_categorical=True)
dtest = xgb.DMatrix(Xte, feature_names=names, feature_types=types, enable_categorical=True)
b = xgb.train({"objective": "binary:logistic", "max_depth": 6, "tree_method": "hist", "max_cat_to_onehot": 1,
               "seed": 1, "nthread": 1}, dtrain, 40)
b.save_model(out + "/m.json")
with open(out + "/rows.csv", "w") as f:
    f.write("id," + ",".join(names) + "\n")
    for i, row in enumerate(Xte):
        f.write(str(i) + "," + ",".join("" if np.isnan(v) else "%.9g" % v for v in row) + "\n")
np.savetxt(out + "/xgb.csv", np.vstack([b.predict(dtest), b.predict(dtest, output_margin=True)]).T,
           delimiter=",", fmt="%.17g")
)PY";

std::vector<double> ReadColumn(const std::string& text, size_t column, bool header) {
  std::istringstream in(text);
  std::string line;
  if (header) std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (size_t c = 0; c <= column; ++c) std::getline(fields, field, ',');
    out.push_back(std::strtod(field.c_str(), nullptr));
  }
  return out;
}

TEST(CliImport, XgboostModelPredictsLikeXgboost) {
  TESSERA_REQUIRE_XGBOOST();
  TempDir dir;
  const std::string script = dir.Write("train.py", kTrainScript);
  ASSERT_EQ(
      std::system(("/usr/bin/python3 '" + script + "' '" + dir.path().string() + "'").c_str()), 0);

  auto import = RunTessera(dir, "import --from xgboost m.json -o out.json --json");
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.out.find("\"trees\": 40"), std::string::npos) << import.out;
  EXPECT_NE(import.out.find("\"categorical_features\": 1"), std::string::npos) << import.out;

  auto predict = RunTessera(dir, "predict -m out.json --data rows.csv -o p.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  auto raw = RunTessera(dir, "predict -m out.json --data rows.csv -o raw.csv --raw-score -q");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const std::string xgb = testing::ReadFile(dir.Path("xgb.csv"));
  std::vector<double> want_prob = ReadColumn(xgb, 0, false),
                      want_margin = ReadColumn(xgb, 1, false);
  std::vector<double> prob = ReadColumn(testing::ReadFile(dir.Path("p.csv")), 0, true);
  std::vector<double> margin = ReadColumn(testing::ReadFile(dir.Path("raw.csv")), 0, true);
  ASSERT_EQ(prob.size(), 1000u);
  ASSERT_EQ(margin.size(), 1000u);
  size_t bad = 0;
  for (size_t i = 0; i < prob.size(); ++i) {
    if (std::fabs(prob[i] - want_prob[i]) > 1e-6) ++bad;
    if (std::fabs(margin[i] - want_margin[i]) > 2e-6 * std::max(1.0, std::fabs(want_margin[i])))
      ++bad;
  }
  EXPECT_EQ(bad, 0u);
}

constexpr const char* kLightgbmModel = R"(tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=regression
feature_names=x y
feature_infos=[-5:5] [-3:3]
tree_sizes=300

Tree=0
num_leaves=2
num_cat=0
split_feature=1
split_gain=1.5
threshold=0.5
decision_type=10
left_child=-1
right_child=-2
leaf_value=1.5 -2.5
leaf_weight=10 10
leaf_count=10 10
internal_value=0
internal_weight=20
internal_count=20
is_linear=0
shrinkage=1


end of trees
)";

TEST(CliImport, LightgbmModelAndBadInputs) {
  TempDir dir;
  dir.Write("model.txt", kLightgbmModel);
  dir.Write("rows.csv", "y,x\n0.5,1\n0.6,1\n,1\n");
  auto import = RunTessera(dir, "import --from lightgbm model.txt -o out.json");
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.err.find("1 trees"), std::string::npos) << import.err;
  auto predict = RunTessera(dir, "predict -m out.json --data rows.csv -o - -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(predict.out, "prediction\n1.5\n-2.5\n1.5\n");

  // Truncated: exit 1, the file and line named, nothing written.
  std::string text = kLightgbmModel;
  dir.Write("cut.txt", text.substr(0, text.find("leaf_count")));
  auto cut = RunTessera(dir, "import --from lightgbm cut.txt -o cut.json");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("cut.txt:"), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("truncated"), std::string::npos) << cut.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("cut.json")));

  dir.Write("bad.json", "{\"learner\": ");
  auto bad = RunTessera(dir, "import --from xgboost bad.json -o bad_out.json");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.json"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("bad_out.json")));

  auto format = RunTessera(dir, "import --from catboost model.txt -o x.json");
  EXPECT_EQ(format.exit_code, 1);
  EXPECT_NE(format.err.find("--from takes xgboost or lightgbm"), std::string::npos) << format.err;

  auto missing = RunTessera(dir, "import --from lightgbm nope.txt -o x.json");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.txt: cannot open"), std::string::npos) << missing.err;

  auto help = RunTessera(dir, "import --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--from"), std::string::npos);
}

}  // namespace
}  // namespace tessera
