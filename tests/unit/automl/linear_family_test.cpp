// The linear family in the AutoML search: its space, that it wins on a linear table and its
// saved model predicts what the search returned, that it searches alone for binary and multiclass
// labels, that it keeps to the time budget, and its errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "test_files.h"
#include "tessera/automl/automl.h"
#include "tessera/automl/search_space.h"
#include "tessera/automl/validation_split.h"
#include "tessera/models/linear/training_rows.h"
#include "tessera/models/model_file.h"

namespace tessera::automl {
namespace {

using testing::TempDir;

struct Table {
  std::string path;
  data::IngestOptions options;
  data::BinnedDataset data;
  data::CodedRows raw;
};

// A table whose label is linear in its features (three numbers and a four-level category):
// "regression" y = z + noise, "binary" y ~ Bernoulli(sigmoid(z)), "multiclass" a, b or c drawn
// from a softmax of linear scores.
Table LinearTable(const TempDir& dir, const std::string& task, size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  const char* colors[] = {"red", "green", "blue", "grey"};
  const double effects[] = {0, 1, -1, 0.5};
  std::string csv = "x1,x2,x3,color,y\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x1 = normal(rng), x2 = normal(rng), x3 = normal(rng);
    const size_t color = rng() % 4;
    const double z = 3 * x1 - 2 * x2 + 0.5 * x3 + effects[color];
    std::string y;
    if (task == "regression") {
      y = std::to_string(z + 0.3 * normal(rng));
    } else if (task == "binary") {
      y = uniform(rng) < 1 / (1 + std::exp(-z)) ? "1" : "0";
    } else {
      const double e[3] = {std::exp(2 * x1), std::exp(2 * x2), std::exp(effects[color] * 2)};
      const double u = uniform(rng) * (e[0] + e[1] + e[2]);
      y = u < e[0] ? "a" : u < e[0] + e[1] ? "b" : "c";
    }
    csv += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(x3) + "," + colors[color] + "," + y + "\n";
  }
  Table t;
  t.path = dir.Write(task + std::to_string(seed) + ".csv", csv);
  t.options.schema.label = "y";
  auto ds = data::IngestBinned({t.path}, t.options);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  t.data = std::move(ds).value();
  auto raw = models::linear::ReadTrainingRows({t.path}, t.options, t.data);
  EXPECT_TRUE(raw.ok()) << raw.status().message();
  t.raw = std::move(raw).value();
  return t;
}

TEST(LinearSearchSpace, StartsAtTheRidgeDefaultAndSearchesEncodingUpToTheMostLevels) {
  EXPECT_EQ(LinearSearchSpace(0).size(), 2u);
  EXPECT_EQ(LinearSearchSpace(2).size(), 2u);  // two levels encode the same way whatever the setting
  const SearchSpace space = LinearSearchSpace(1000);
  ASSERT_EQ(space.size(), 3u);
  const auto start = space.Decode(space.Start());
  EXPECT_NEAR(start.at("lambda"), 1e-4, 1e-12);
  EXPECT_EQ(start.at("l1_ratio"), 0);
  EXPECT_EQ(start.at("one_hot_max_levels"), 16);
  const auto high = space.Decode(UnitPoint(3, 1.0));
  EXPECT_NEAR(high.at("lambda"), 10, 1e-9);
  EXPECT_EQ(high.at("l1_ratio"), 1);
  EXPECT_EQ(high.at("one_hot_max_levels"), 256);
  EXPECT_EQ(ToSettings(start, space).at("lambda"), "0.0001");
  const SearchSpace few = LinearSearchSpace(5);
  EXPECT_EQ(few.Decode(few.Start()).at("one_hot_max_levels"), 5);
  EXPECT_EQ(few.Decode(UnitPoint(3, 0.0)).at("one_hot_max_levels"), 2);
}

TEST(RawRows, RowsAndColumnsAreTakenAsAskedInOrder) {
  data::CodedRows raw;
  raw.rows = 3;
  raw.cols = 3;
  raw.values = {0, 1, 2, 10, 11, 12, 20, 21, 22};
  const data::CodedRows rows = RawRowsAt(raw, {2, 0});
  EXPECT_EQ(rows.rows, 2u);
  EXPECT_EQ(rows.values, (std::vector<float>{20, 21, 22, 0, 1, 2}));
  const data::CodedRows columns = RawColumnsWithout(raw, {1});
  EXPECT_EQ(columns.cols, 2u);
  EXPECT_EQ(columns.values, (std::vector<float>{0, 2, 10, 12, 20, 22}));
  const data::CodedRows last = RawColumnsWithout(raw, {2, 0});
  EXPECT_EQ(last.cols, 1u);
  EXPECT_EQ(last.values, (std::vector<float>{1, 11, 21}));
}

TEST(AutoMlLinear, WinsOnALinearTableAndTheSavedModelPredictsTheSameFromRawRows) {
  TempDir dir;
  const Table t = LinearTable(dir, "regression", 1500, 3);
  AutoMlOptions options;
  options.max_trials = 12;
  options.seed = 7;
  options.max_rounds = 256;
  options.raw_rows = &t.raw;
  options.threads = 2;
  auto a = RunAutoMl(t.data, options);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->objective, "regression");
  std::set<std::string> families;
  for (const auto& trial : a->leaderboard) {
    families.insert(trial.family);
    if (trial.family != "linear") continue;
    EXPECT_EQ(trial.rounds, 0);
    EXPECT_EQ(trial.rung, 0);  // fitted once, never promoted
    EXPECT_EQ(trial.params.count("lambda"), 1u);
    EXPECT_EQ(trial.params.count("one_hot_max_levels"), 1u);  // the table has a four-level category
  }
  EXPECT_EQ(families, (std::set<std::string>{"gbdt", "random_forest", "extra_trees", "linear"}));
  ASSERT_EQ(a->leaderboard[0].family, "linear");
  EXPECT_LT(a->leaderboard[0].score, 0.36);  // the noise's standard deviation is 0.3
  EXPECT_LT(a->leaderboard[0].score, 0.8 * a->leaderboard.back().score);
  ASSERT_EQ(a->model.family(), "linear");
  EXPECT_TRUE(a->refit);
  EXPECT_EQ(a->model.linear()->training_info()["rows"], 1500);  // refit on every row

  // Saved and loaded, it predicts from the raw table exactly what the search's model predicts.
  const std::string path = dir.Path("best.json");
  ASSERT_TRUE(models::SaveModel(a->model, path).ok());
  auto loaded = models::LoadAnyModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto table = loaded->PredictTable({t.path}, t.options, false);
  ASSERT_TRUE(table.ok()) << table.status().message();
  const std::vector<double> expected = a->model.linear()->Predict(t.raw);
  ASSERT_EQ(table->scores.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(table->scores[i], expected[i]) << i;

  // One thread: the same leaderboard and coefficients.
  options.threads = 1;
  auto b = RunAutoMl(t.data, options);
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(b->leaderboard.size(), a->leaderboard.size());
  for (size_t i = 0; i < a->leaderboard.size(); ++i) {
    EXPECT_EQ(a->leaderboard[i].trial, b->leaderboard[i].trial) << i;
    EXPECT_EQ(a->leaderboard[i].params, b->leaderboard[i].params) << i;
    EXPECT_EQ(a->leaderboard[i].score, b->leaderboard[i].score) << i;
  }
  ASSERT_EQ(b->model.family(), "linear");
  EXPECT_EQ(a->model.linear()->coef(), b->model.linear()->coef());
  EXPECT_EQ(a->model.linear()->intercept(), b->model.linear()->intercept());
}

TEST(AutoMlLinear, SearchesAloneForBinaryAndMulticlassLabels) {
  TempDir dir;
  for (const std::string task : {"binary", "multiclass"}) {
    const Table t = LinearTable(dir, task, 1200, 5);
    AutoMlOptions options;
    options.max_trials = 6;
    options.seed = 2;
    options.families = {"linear"};
    options.raw_rows = &t.raw;
    auto r = RunAutoMl(t.data, options);
    ASSERT_TRUE(r.ok()) << task << ": " << r.status().message();
    EXPECT_EQ(r->objective, task);
    ASSERT_EQ(r->leaderboard.size(), 6u) << task;
    std::set<std::string> strategies;
    for (const auto& trial : r->leaderboard) {
      EXPECT_EQ(trial.family, "linear");
      strategies.insert(trial.strategy);
    }
    EXPECT_TRUE(strategies.count("start")) << task;
    EXPECT_FALSE(r->ensemble);  // ensembles blend trees only
    ASSERT_EQ(r->model.family(), "linear");
    if (task == "binary") {
      EXPECT_EQ(r->metric, "auc");
      EXPECT_GT(r->leaderboard[0].score, 0.85);
      EXPECT_EQ(r->model.num_outputs(), 1);
    } else {
      EXPECT_EQ(r->metric, "multi_logloss");
      EXPECT_LT(r->leaderboard[0].score, 0.9);  // a uniform guess over three classes scores 1.0986
      EXPECT_EQ(r->model.num_outputs(), 3);
    }
  }
}

TEST(AutoMlLinear, TheTimeBudgetIsHonouredAndASolverStopsAtTheLine) {
  TempDir dir;
  const Table t = LinearTable(dir, "binary", 20000, 8);
  AutoMlOptions options;
  options.time_budget_seconds = 2;
  options.families = {"linear"};
  options.raw_rows = &t.raw;
  options.start = std::chrono::steady_clock::now();
  auto r = RunAutoMl(t.data, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - options.start).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LE(seconds, 2 * 1.05);
  EXPECT_GE(seconds, 2 * 0.8);  // and it did use the budget
  EXPECT_GE(r->leaderboard.size(), 4u);
  // The budget's hook: a fit told to stop before its first step ends unconverged, at the start.
  models::linear::LinearParams params;
  auto stopped = models::linear::TrainLinear(t.data, t.raw, params, [] { return true; });
  ASSERT_TRUE(stopped.ok()) << stopped.status().message();
  EXPECT_FALSE(stopped->training_info()["converged"].get<bool>());
  EXPECT_EQ(stopped->training_info()["iterations"], 0);
  auto unstopped = models::linear::TrainLinear(t.data, t.raw, params);
  ASSERT_TRUE(unstopped.ok());
  EXPECT_TRUE(unstopped->training_info()["converged"].get<bool>());
}

TEST(AutoMlLinear, ClearErrors) {
  TempDir dir;
  const Table t = LinearTable(dir, "regression", 300, 9);
  AutoMlOptions options;
  options.max_trials = 2;
  options.families = {"linear"};
  EXPECT_EQ(RunAutoMl(t.data, options).status().message(),
            "automl: the linear family needs the table's raw values (AutoMlOptions::raw_rows)");
  options.raw_rows = &t.raw;
  options.objective = "huber";
  EXPECT_EQ(RunAutoMl(t.data, options).status().message(),
            "automl: the linear family fits binary, multiclass and regression objectives, not 'huber'");
  // By default, the families that fit: trees only for a huber loss.
  options.families = {};
  options.max_trials = 5;
  auto r = RunAutoMl(t.data, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const auto& trial : r->leaderboard) EXPECT_NE(trial.family, "linear");
}

}  // namespace
}  // namespace tessera::automl
