// The linear family end to end in the library: trained from a CSV with missing values, a
// low-cardinality text category (one-hot) and a high-cardinality coded category (target +
// frequency encoding); saved, loaded and predicting exactly as in memory, from files and from raw
// float rows; the whole pipeline (standardize + elastic net) against scikit-learn; the model file
// and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

#include "tessera/data/coded_rows.h"
#include "tessera/data/ingest.h"
#include "tessera/explain/linear_shap.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models::linear {
namespace {

using tessera::testing::TempDir;

// Columns: x0, x1 (numeric, x1 with missing values), color (text, 3 levels), store (0..59,
// categorical by flag), y (pos/neg).
std::string MixedCsv(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const char* colors[] = {"red", "green", "blue"};
  std::ostringstream csv;
  csv << "x0,x1,color,store,y\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x0 = g(rng), x1 = g(rng);
    const int color = static_cast<int>(rng() % 3), store = static_cast<int>(rng() % 60);
    const bool missing = u(rng) < 0.1;
    const double s = 1.2 * x0 - (missing ? 0.0 : 0.7 * x1) + (color == 2 ? 1.0 : 0.0) + (store % 3 == 0 ? 0.8 : -0.4);
    csv << x0 << "," << (missing ? std::string("") : std::to_string(x1)) << "," << colors[color] << "," << store << ","
        << (u(rng) < 1 / (1 + std::exp(-s)) ? "pos" : "neg") << "\n";
  }
  return csv.str();
}

data::IngestOptions Options(const std::string& label) {
  data::IngestOptions o;
  o.schema.label = label;
  if (label == "y") o.schema.categorical = {"store"};  // the mixed table's coded category
  return o;
}

struct Trained {
  data::BinnedDataset train;
  LinearModel model;
};

Trained Train(const std::string& path, const std::map<std::string, std::string>& settings, const std::string& label = "y") {
  LinearParams params;
  Status st = ApplyLinearParams(settings, &params);
  EXPECT_TRUE(st.ok()) << st.message();
  auto train = data::IngestBinned({path}, Options(label));
  EXPECT_TRUE(train.ok()) << train.status().message();
  auto coded = data::ReadCodedRows({path}, Options(label), *train);
  EXPECT_TRUE(coded.ok()) << coded.status().message();
  auto model = TrainLinear(*train, *coded, params);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return {std::move(train).value(), std::move(model).value()};
}

TEST(LinearModel, TrainSaveLoadPredictsExactlyAsInMemory) {
  TempDir dir;
  const std::string train_csv = dir.Write("train.csv", MixedCsv(3000, 1));
  const std::string test_csv = dir.Write("test.csv", MixedCsv(500, 2));
  Trained t = Train(train_csv, {{"objective", "binary"}, {"lambda", "0.001"}, {"one_hot_max_levels", "10"}});
  const LinearModel& m = t.model;
  EXPECT_TRUE(m.training_info()["converged"].get<bool>());
  // x0; x1 + indicator; color one-hot (3 + other, in code order); store target + frequency.
  std::vector<std::string> names = m.pipeline().output_names();
  ASSERT_EQ(names.size(), 9u);
  std::sort(names.begin() + 3, names.begin() + 6);
  EXPECT_EQ(names, (std::vector<std::string>{"x0", "x1", "x1:missing", "color=blue", "color=green", "color=red", "color=<other>",
                                             "store:target", "store:frequency"}));
  auto coef = [&](const std::string& name) {
    const auto& n = m.pipeline().output_names();
    return m.coef()[static_cast<size_t>(std::find(n.begin(), n.end(), name) - n.begin())];
  };
  // The coefficients point the way the data was made: x0 up, x1 down, blue up, the store's target up.
  EXPECT_GT(coef("x0"), 0.5);
  EXPECT_LT(coef("x1"), -0.3);
  EXPECT_GT(coef("color=blue"), 0.1);
  EXPECT_GT(coef("store:target"), 0.1);

  ASSERT_TRUE(SaveModel(m, dir.Path("m.json")).ok());
  auto loaded = LoadAnyModel(dir.Path("m.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->family(), "linear");
  ASSERT_NE(loaded->linear(), nullptr);
  EXPECT_EQ(loaded->linear()->coef(), m.coef());
  EXPECT_EQ(loaded->linear()->intercept(), m.intercept());
  EXPECT_EQ(loaded->reference_counts(), m.reference_counts());

  auto coded = data::ReadCodedRows({test_csv}, Options("y"), m.reference());
  ASSERT_TRUE(coded.ok());
  const std::vector<double> in_memory = m.Predict(*coded);
  auto from_file = loaded->PredictTable({test_csv}, Options("y"), true);
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_EQ(from_file->scores, in_memory);
  EXPECT_EQ(from_file->data.label_classes(), (std::vector<std::string>{"neg", "pos"}));

  // Raw float rows: color as the category "0"/"1"/... would not exist, so build rows from the
  // coded table's numeric columns and the store codes written as their category numbers.
  std::vector<float> raw;
  std::vector<double> expected;
  for (size_t r = 0; r < coded->rows; ++r) {
    const float* row = coded->values.data() + r * coded->cols;
    const auto& store_categories = m.reference().mappers()[3].categories();
    const uint32_t store_code = static_cast<uint32_t>(row[3]);
    if (store_code == 0 || store_code > store_categories.size()) continue;
    raw.insert(raw.end(), {row[0], row[1], std::nanf(""), std::stof(store_categories[store_code - 1])});
    data::CodedRows one{1, 4, {row[0], row[1], 0.0f, row[3]}};  // color missing
    expected.push_back(m.Predict(one)[0]);
  }
  EXPECT_EQ(loaded->PredictValues(raw.data(), raw.size() / 4), expected);
  // Raw scores are the logits of the probabilities.
  const std::vector<double> raw_scores = loaded->PredictValues(raw.data(), 1, true);
  EXPECT_NEAR(1 / (1 + std::exp(-raw_scores[0])), expected[0], 1e-15);
}

TEST(LinearModel, PredictionsAreTheSameForAnyThreadCount) {
  TempDir dir;
  const std::string path = dir.Write("train.csv", MixedCsv(5000, 12));  // several blocks of rows
  Trained t = Train(path, {{"objective", "binary"}, {"num_threads", "3"}});
  Trained one = Train(path, {{"objective", "binary"}, {"num_threads", "1"}});
  EXPECT_EQ(t.model.coef(), one.model.coef());
  EXPECT_EQ(t.model.intercept(), one.model.intercept());
  auto coded = data::ReadCodedRows({path}, Options("y"), t.model.reference());
  ASSERT_TRUE(coded.ok());
  const std::vector<double> a = t.model.PredictRaw(*coded, 1), b = t.model.PredictRaw(*coded, 4);
  EXPECT_EQ(a, b);
  // Row by row gives the same numbers as the blocks.
  for (size_t r : {0u, 1023u, 1024u, 4999u}) {
    data::CodedRows row{1, coded->cols, std::vector<float>(coded->values.begin() + static_cast<long>(r * coded->cols),
                                                         coded->values.begin() + static_cast<long>((r + 1) * coded->cols))};
    EXPECT_EQ(t.model.PredictRaw(row)[0], a[r]) << "row " << r;
  }
}

TEST(LinearShap, AddsUpToTheRawScoreFeatureByFeature) {
  TempDir dir;
  const std::string path = dir.Write("train.csv", MixedCsv(1000, 8));
  Trained t = Train(path, {{"objective", "binary"}, {"lambda", "0.01"}, {"l1_ratio", "0.5"}});
  auto coded = data::ReadCodedRows({path}, Options("y"), t.model.reference());
  ASSERT_TRUE(coded.ok());
  const std::vector<double> shap = explain::LinearShapValues(t.model, *coded);
  const std::vector<double> raw = t.model.PredictRaw(*coded);
  ASSERT_EQ(shap.size(), coded->rows * 5);
  for (size_t i = 0; i < coded->rows; ++i) {
    double sum = 0;
    for (size_t j = 0; j < 5; ++j) sum += shap[i * 5 + j];
    EXPECT_NEAR(sum, raw[i], 1e-12);
    EXPECT_EQ(shap[i * 5 + 4], t.model.intercept()[0]);
  }
  // x1's value and missing indicator both count for x1: a row with x1 missing gets the
  // indicator's coefficient times its standardized value, plus the fill's.
  const auto& names = t.model.pipeline().output_names();
  ASSERT_EQ(names[1], "x1");
  ASSERT_EQ(names[2], "x1:missing");
  for (size_t i = 0; i < coded->rows; ++i) {
    const std::vector<double> z = t.model.pipeline().Transform(std::span<const float>(coded->values.data() + i * 4, 4), 1);
    EXPECT_DOUBLE_EQ(shap[i * 5 + 1], t.model.coef()[1] * z[1] + t.model.coef()[2] * z[2]);
  }
}

TEST(LinearModel, MultinomialWithTextClasses) {
  TempDir dir;
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 1);
  std::ostringstream csv;
  csv << "a,b,kind\n";
  for (int i = 0; i < 900; ++i) {
    const int k = i % 3;
    csv << g(rng) + 3.0 * k << "," << g(rng) - 1.5 * k << "," << (k == 0 ? "cat" : k == 1 ? "dog" : "eel") << "\n";
  }
  const std::string path = dir.Write("m.csv", csv.str());
  Trained t = Train(path, {{"objective", "multiclass"}, {"num_class", "3"}, {"lambda", "0.01"}}, "kind");
  EXPECT_EQ(t.model.num_outputs(), 3);
  auto coded = data::ReadCodedRows({path}, Options("kind"), t.model.reference());
  ASSERT_TRUE(coded.ok());
  const std::vector<double> p = t.model.Predict(*coded);
  size_t right = 0;
  for (size_t i = 0; i < coded->rows; ++i) {
    EXPECT_NEAR(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2], 1.0, 1e-12);
    const size_t best = static_cast<size_t>(std::max_element(p.begin() + static_cast<long>(i * 3), p.begin() + static_cast<long>(i * 3 + 3)) -
                                            (p.begin() + static_cast<long>(i * 3)));
    right += best == i % 3;
  }
  EXPECT_GT(right, 800u);
}

constexpr const char* kPipelineScript = R"PY(
import sys, numpy as np, pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import ElasticNet, Ridge
d = pd.read_csv(sys.argv[1])
X, y = d.drop(columns=["target"]).to_numpy(dtype=np.float32).astype(np.float64), d["target"].to_numpy(dtype=np.float32).astype(np.float64)
lam, r = float(sys.argv[2]), float(sys.argv[3])
# Pure L2: Ridge(alpha = lambda * n) is the same objective (ElasticNet's CD is slow without L1).
est = Ridge(alpha=lam * len(y), tol=1e-14) if r == 0 else ElasticNet(alpha=lam, l1_ratio=r, tol=1e-12, max_iter=1000000)
m = make_pipeline(StandardScaler(), est).fit(X, y)
print(" ".join(repr(float(v)) for v in m[-1].coef_), repr(float(m[-1].intercept_)))
)PY";

TEST(LinearModel, RegressionPipelineMatchesScikitLearn) {
  // Numeric inputs on different scales: the model standardizes inside, as StandardScaler +
  // ElasticNet does; the coefficients (on standardized inputs) must agree to 1e-4.
  TempDir dir;
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g(0, 1);
  std::ostringstream csv;
  csv << "a,b,c,d,target\n";
  for (int i = 0; i < 800; ++i) {
    const double a = 100 * g(rng), b = 0.01 * g(rng) + 3, c = g(rng), d = 5 * g(rng);
    csv << a << "," << b << "," << c << "," << d << "," << 0.02 * a - 300 * (b - 3) + 0.5 * c + 10 + g(rng) << "\n";
  }
  const std::string path = dir.Write("r.csv", csv.str());
  const std::string script = dir.Write("p.py", kPipelineScript);
  for (const char* l1_ratio : {"0", "0.7"}) {
    SCOPED_TRACE(l1_ratio);
    Trained t = Train(path, {{"objective", "regression"}, {"lambda", "0.05"}, {"l1_ratio", l1_ratio}, {"tolerance", "1e-13"},
                             {"max_iterations", "100000"}},
                      "target");
    const std::string cmd = "/usr/bin/python3 '" + script + "' '" + path + "' 0.05 " + l1_ratio;
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::vector<double> expected;
    double v;
    while (std::fscanf(pipe, "%lf", &v) == 1) expected.push_back(v);
    ASSERT_EQ(pclose(pipe), 0) << "python3 with scikit-learn and pandas is needed";
    ASSERT_EQ(expected.size(), 5u);
    for (size_t j = 0; j < 4; ++j) EXPECT_NEAR(t.model.coef()[j], expected[j], 1e-4) << "coef " << j;
    EXPECT_NEAR(t.model.intercept()[0], expected[4], 1e-4);
  }
}

TEST(LinearModel, TreeCommandsRefuseALinearModelFile) {
  TempDir dir;
  const std::string path = dir.Write("train.csv", MixedCsv(300, 5));
  Trained t = Train(path, {{"objective", "binary"}});
  ASSERT_TRUE(SaveModel(t.model, dir.Path("m.json")).ok());
  auto gbdt = LoadModel(dir.Path("m.json"));
  ASSERT_FALSE(gbdt.ok());
  EXPECT_NE(gbdt.status().message().find("'linear' model"), std::string::npos) << gbdt.status().message();
  EXPECT_NE(gbdt.status().message().find("gbdt"), std::string::npos) << gbdt.status().message();
  // A damaged document is refused with what is wrong.
  nlohmann::json doc = ModelToJson(t.model);
  doc["model"]["coefficients"][0].erase(0);
  auto broken = AnyModelFromJson(doc, "m.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("one per encoded column"), std::string::npos) << broken.status().message();
  doc = ModelToJson(t.model);
  doc["model"]["family"] = "forest";
  auto unknown = AnyModelFromJson(doc, "m.json");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'forest'"), std::string::npos) << unknown.status().message();
}

TEST(LinearParams, RejectsBadValuesNamingTheParameterAndRange) {
  LinearParams p;
  Status st = ApplyLinearParams({{"lambda", "-1"}}, &p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("lambda=-1"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("[0,"), std::string::npos) << st.message();
  st = ApplyLinearParams({{"l1_ratio", "1.5"}}, &p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("[0, 1]"), std::string::npos) << st.message();
  st = ApplyLinearParams({{"objective", "poisson"}}, &p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("binary, multiclass, regression"), std::string::npos) << st.message();
  st = ApplyLinearParams({{"num_leaves", "3"}}, &p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown parameter 'num_leaves'"), std::string::npos) << st.message();
  st = ApplyLinearParams({{"target_encoding_folds", "1"}}, &p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("[2, 100]"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tessera::models::linear
