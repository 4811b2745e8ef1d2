// The blend family (models::Model::Blend, automl::EnsembleModel): trees and a linear model trained
// on one table, their raw scores weighted and summed; predicting from files, from raw float rows
// and after a round trip through the model file; SHAP values adding up; members that do not fit
// together and broken blend files refused.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "tessera/automl/ensemble_model.h"
#include "tessera/data/coded_rows.h"
#include "tessera/data/ingest.h"
#include "tessera/explain/model_shap.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/model.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models {
namespace {

using tessera::testing::TempDir;

// x0 linear, x1 a step, color a text category with a missing value now and then; y binary.
std::string Csv(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const char* colors[] = {"red", "green", "blue"};
  std::ostringstream csv;
  csv << "x0,x1,color,y\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x0 = g(rng), x1 = g(rng);
    const int color = static_cast<int>(rng() % 3);
    const double s = 1.5 * x0 + (x1 > 0.3 ? 1.2 : -0.8) + (color == 1 ? 0.7 : 0.0);
    csv << x0 << "," << x1 << "," << (u(rng) < 0.05 ? "" : colors[color]) << ","
        << (u(rng) < 1 / (1 + std::exp(-s)) ? 1 : 0) << "\n";
  }
  return csv.str();
}

struct Members {
  data::BinnedDataset train;
  Model trees, linear;
};

Members Train(const std::string& path, const std::string& objective = "binary") {
  data::IngestOptions options;
  options.schema.label = "y";
  auto train = data::IngestBinned({path}, options);
  EXPECT_TRUE(train.ok()) << train.status().message();
  gbdt::GbdtParams gp;
  EXPECT_TRUE(gbdt::ApplyGbdtParams({{"objective", objective}, {"num_iterations", "20"}, {"num_leaves", "7"}}, &gp).ok());
  auto trees = gbdt::TrainGbdt(*train, gp);
  EXPECT_TRUE(trees.ok()) << trees.status().message();
  linear::LinearParams lp;
  EXPECT_TRUE(linear::ApplyLinearParams({{"objective", objective}, {"lambda", "0.01"}}, &lp).ok());
  auto coded = data::ReadCodedRows({path}, options, *train);
  EXPECT_TRUE(coded.ok()) << coded.status().message();
  auto fitted = linear::TrainLinear(*train, *coded, lp);
  EXPECT_TRUE(fitted.ok()) << fitted.status().message();
  return {std::move(train).value(), Model(std::move(trees).value()), Model(std::move(fitted).value())};
}

Model MustBlend(const Members& m, double w_trees, double w_linear) {
  auto blend = automl::EnsembleModel({m.trees, m.linear}, {w_trees, w_linear});
  EXPECT_TRUE(blend.ok()) << blend.status().message();
  return std::move(blend).value();
}

std::vector<double> Scores(const Model& model, const std::string& path, bool raw) {
  data::IngestOptions options;
  options.schema.label = "y";
  auto table = model.PredictTable({path}, options, false, raw);
  EXPECT_TRUE(table.ok()) << table.status().message();
  return table.ok() ? table->scores : std::vector<double>{};
}

TEST(BlendModel, RawScoreIsTheWeightedSumOfTreesAndALinearModel) {
  TempDir dir;
  const std::string train = dir.Write("train.csv", Csv(1500, 1)), test = dir.Write("test.csv", Csv(300, 2));
  const Members m = Train(train);
  const Model blend = MustBlend(m, 0.6, 0.4);
  EXPECT_EQ(blend.family(), "blend");
  ASSERT_TRUE(blend.blend());
  EXPECT_EQ(blend.blend()->size(), 2u);
  EXPECT_TRUE(blend.ReadsBins());
  EXPECT_TRUE(blend.ReadsValues());
  const auto trees = Scores(m.trees, test, true), linear = Scores(m.linear, test, true), both = Scores(blend, test, true);
  ASSERT_EQ(both.size(), 300u);
  double apart = 0;  // the members disagree, so the sum is not one of them
  for (size_t i = 0; i < both.size(); ++i) {
    EXPECT_NEAR(both[i], 0.6 * trees[i] + 0.4 * linear[i], 1e-12) << i;
    apart = std::max(apart, std::abs(trees[i] - linear[i]));
  }
  EXPECT_GT(apart, 0.1);
  const auto probabilities = Scores(blend, test, false);
  for (size_t i = 0; i < both.size(); ++i) EXPECT_NEAR(probabilities[i], 1 / (1 + std::exp(-both[i])), 1e-12);

  // Rows of floats in memory (the serving path of the C++ API) agree with the file's.
  const std::vector<float> row = {0.5f, -1.0f, 2.0f};  // color code 2: the second category seen
  const double raw = blend.PredictValues(row.data(), 1, true)[0];
  EXPECT_NEAR(raw, 0.6 * m.trees.PredictValues(row.data(), 1, true)[0] + 0.4 * m.linear.PredictValues(row.data(), 1, true)[0],
              1e-12);

  // The ensemble's description lists both members.
  const auto info = blend.training_info();
  ASSERT_TRUE(info.contains("ensemble"));
  ASSERT_EQ(info["ensemble"].size(), 2u);
  EXPECT_EQ(info["ensemble"][1]["family"], "linear");
  EXPECT_EQ(info["ensemble"][1]["weight"], 0.4);
}

TEST(BlendModel, AnEnsembleOfTreesAloneStaysOneTreeModel) {
  TempDir dir;
  const Members m = Train(dir.Write("train.csv", Csv(800, 3)));
  auto model = automl::EnsembleModel({m.trees, m.trees}, {0.5, 0.5});
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->family(), "gbdt");
  EXPECT_FALSE(model->ReadsValues());
}

TEST(BlendModel, TheModelFileKeepsEveryPrediction) {
  TempDir dir;
  const std::string train = dir.Write("train.csv", Csv(1500, 4)), test = dir.Write("test.csv", Csv(300, 5));
  const Model blend = MustBlend(Train(train), 0.3, 0.7).WithTrainingInfo("automl", {{"metric", "auc"}});
  const std::string path = dir.Path("blend.json");
  ASSERT_TRUE(SaveModel(blend, path).ok());
  auto loaded = LoadAnyModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->family(), "blend");
  EXPECT_EQ(loaded->training_info()["automl"]["metric"], "auc");
  EXPECT_EQ(loaded->reference_counts(), blend.reference_counts());
  EXPECT_EQ(Scores(*loaded, test, false), Scores(blend, test, false));
  // Commands that need one tree model refuse it, naming the family.
  auto trees_only = LoadModel(path);
  ASSERT_FALSE(trees_only.ok());
  EXPECT_NE(trees_only.status().message().find("a 'blend' model"), std::string::npos) << trees_only.status().message();
}

TEST(BlendModel, ShapValuesAddUpToTheRawScore) {
  TempDir dir;
  const std::string train = dir.Write("train.csv", Csv(1500, 6)), test = dir.Write("test.csv", Csv(50, 7));
  const Model blend = MustBlend(Train(train), 0.5, 0.5);
  data::IngestOptions options;
  options.schema.label = "y";
  auto bins = data::IngestWithReference({test}, options, blend.reference(), false);
  auto values = data::ReadCodedRows({test}, options, blend.reference());
  ASSERT_TRUE(bins.ok() && values.ok());
  const auto shap = explain::ModelShapValues(blend, *bins, *values);
  const auto raw = blend.PredictRaw(*bins, *values);
  const size_t width = blend.reference().num_features() + 1;
  ASSERT_EQ(shap.size(), raw.size() * width);
  const double expected = explain::ModelExpectedValues(blend)[0];
  for (size_t r = 0; r < raw.size(); ++r) {
    double sum = 0;
    for (size_t j = 0; j < width; ++j) sum += shap[r * width + j];
    EXPECT_NEAR(sum, raw[r], 1e-9) << r;
    EXPECT_NEAR(shap[r * width + width - 1], expected, 1e-9);
  }
}

TEST(BlendModel, MembersThatDoNotFitTogetherAreRefused) {
  TempDir dir;
  const Members binary = Train(dir.Write("train.csv", Csv(600, 8)));
  const Members regression = Train(dir.Write("train.csv", Csv(600, 8)), "regression");
  auto mixed = Model::Blend({{0.5, binary.trees}, {0.5, regression.linear}}, {});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("member 1 has another objective"), std::string::npos) << mixed.status().message();

  // Another table: other bin mappers for the same column names.
  const Members other = Train(dir.Write("other.csv", Csv(600, 9)));
  auto apart = Model::Blend({{0.5, binary.trees}, {0.5, other.linear}}, {});
  ASSERT_FALSE(apart.ok());
  EXPECT_NE(apart.status().message().find("member 1 reads other features"), std::string::npos) << apart.status().message();

  auto nested = Model::Blend({{1.0, MustBlend(binary, 0.5, 0.5)}}, {});
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("is a blend itself"), std::string::npos);
  EXPECT_FALSE(Model::Blend({}, {}).ok());
  EXPECT_FALSE(Model::Blend({{NAN, binary.trees}}, {}).ok());
}

TEST(BlendModel, BrokenBlendFilesGiveClearErrors) {
  TempDir dir;
  const Model blend = MustBlend(Train(dir.Write("train.csv", Csv(600, 10))), 0.5, 0.5);
  const nlohmann::json good = ModelToJson(blend);
  auto message = [&](const nlohmann::json& doc) {
    auto loaded = AnyModelFromJson(doc, "m.json");
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? std::string() : loaded.status().message();
  };
  nlohmann::json doc = good;
  doc["model"]["members"] = nlohmann::json::array();
  EXPECT_NE(message(doc).find("m.json: model.members: a non-empty array expected"), std::string::npos) << message(doc);
  doc = good;
  doc["model"]["members"][1]["model"]["family"] = "forest";
  EXPECT_NE(message(doc).find("model.members[1]: model family 'forest' is not known"), std::string::npos) << message(doc);
  doc = good;
  doc["model"]["members"][0]["model"] = good["model"];  // a blend inside a blend
  EXPECT_NE(message(doc).find("model.members[0]: model family 'blend' is not known"), std::string::npos) << message(doc);
  doc = good;
  doc["model"]["members"][0].erase("weight");
  EXPECT_NE(message(doc).find("m.json: malformed model document"), std::string::npos) << message(doc);
}

}  // namespace
}  // namespace tessera::models
