#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "synthetic_binned.h"
#include "tessera/automl/automl.h"
#include "tessera/automl/ensemble_selection.h"
#include "tessera/automl/sampler.h"
#include "tessera/automl/search_space.h"
#include "tessera/automl/validation_split.h"
#include "tessera/features/leakage.h"
#include "tessera/models/model_file.h"

namespace tessera::automl {
namespace {

using testing::SyntheticBinned;
using testing::TempDir;

TEST(SearchSpace, DecodesLogAndIntegerDimensionsAndStartsCheap) {
  SearchSpace space = GbdtSearchSpace(100000);
  const auto start = space.Decode(space.Start());
  EXPECT_EQ(start.at("num_leaves"), 4);
  EXPECT_NEAR(start.at("learning_rate"), 0.1, 1e-12);
  EXPECT_EQ(start.at("min_data_in_leaf"), 20);
  const auto high = space.Decode(UnitPoint(space.size(), 1.0));
  EXPECT_EQ(high.at("num_leaves"), 1024);
  EXPECT_NEAR(high.at("lambda_l2"), 1024, 1e-9);
  const auto mid = space.Decode(UnitPoint(space.size(), 0.5));
  EXPECT_EQ(mid.at("num_leaves"), 64);  // log scale: the geometric middle of 4 and 1024
  EXPECT_EQ(GbdtSearchSpace(40).Decode(UnitPoint(6, 1.0)).at("num_leaves"), 20);  // rows / 2
  const auto settings = ToSettings(mid, space);
  EXPECT_EQ(settings.at("num_leaves"), "64");
  EXPECT_EQ(settings.at("bagging_freq"), "1");
  EXPECT_EQ(ToSettings(start, space).count("bagging_freq"), 0u);
  EXPECT_EQ(start.count("cat_smooth"), 0u);
}

TEST(SearchSpace, SettingsThatTrainTheSameTreesHaveOneKey) {
  // 0.58 and 0.61 of 10 features both keep 6 per node: the same forest for the same seed.
  const std::map<std::string, std::string> a = {{"feature_fraction_bynode", "0.58"}, {"num_leaves", "141"}};
  const std::map<std::string, std::string> b = {{"feature_fraction_bynode", "0.61"}, {"num_leaves", "141"}};
  EXPECT_EQ(SettingsKey(a, 10), SettingsKey(b, 10));
  EXPECT_NE(SettingsKey(a, 100), SettingsKey(b, 100));  // 58 and 61 of 100 differ
  // The node fraction applies to the tree's features: 0.5 of 10 keeps 5, of those 0.58 keeps 3.
  auto c = a;
  c["feature_fraction"] = "0.5";
  EXPECT_EQ(SettingsKey(c, 10), "feature_fraction=5;feature_fraction_bynode=3;num_leaves=1.4e+02;");
  // Other numbers: two significant digits.
  EXPECT_EQ(SettingsKey({{"learning_rate", "0.1004"}}, 10), SettingsKey({{"learning_rate", "0.1"}}, 10));
  EXPECT_NE(SettingsKey({{"learning_rate", "0.11"}}, 10), SettingsKey({{"learning_rate", "0.1"}}, 10));
}

TEST(SearchSpace, CategoricalFeaturesAddTheirSettingsStartingAtLightGbmDefaults) {
  for (const SearchSpace& space : {GbdtSearchSpace(100000, true), ForestSearchSpace(100000, true)}) {
    const auto start = space.Decode(space.Start());
    EXPECT_NEAR(start.at("cat_smooth"), 10, 1e-9);
    EXPECT_EQ(start.at("min_data_per_group"), 100);
    EXPECT_EQ(ToSettings(start, space).at("min_data_per_group"), "100");
  }
}

// A loss with its minimum at 0.8 in every coordinate.
double Bowl(const UnitPoint& p) {
  double s = 0;
  for (double x : p) s += (x - 0.8) * (x - 0.8);
  return s;
}

std::vector<Observation> RunSampler(const SearchSpace& space, uint64_t seed, size_t n) {
  BlendSampler sampler(space, seed);
  std::vector<Observation> history;
  for (size_t i = 0; i < n; ++i) {
    UnitPoint p = sampler.Propose(history);
    for (double x : p) EXPECT_TRUE(x >= 0 && x <= 1);
    history.push_back({p, Bowl(p)});
  }
  return history;
}

TEST(BlendSampler, StartsCheapIsDeterministicAndFindsTheBowl) {
  SearchSpace space = GbdtSearchSpace(100000);
  const auto a = RunSampler(space, 3, 60), b = RunSampler(space, 3, 60), c = RunSampler(space, 4, 60);
  EXPECT_EQ(a[0].point, space.Start());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].point, b[i].point) << i;
  EXPECT_NE(a[5].point, c[5].point);
  double best = INFINITY;
  for (const auto& o : a) best = std::min(best, o.loss);
  // 60 uniform random points in 6 dimensions get about 0.2 at best; the search does better.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  double random_best = INFINITY;
  for (int i = 0; i < 60; ++i) {
    UnitPoint p(space.size());
    for (auto& x : p) x = u(rng);
    random_best = std::min(random_best, Bowl(p));
  }
  EXPECT_LT(best, random_best);
  EXPECT_LT(best, 0.1);
}

TEST(BlendSampler, OnlyTheFirstProposalIsTheStartTheRestOfAWaveExplores) {
  SearchSpace space = GbdtSearchSpace(100000);
  BlendSampler sampler(space, 1);
  const UnitPoint first = sampler.Propose({});
  EXPECT_EQ(first, space.Start());
  EXPECT_STREQ(sampler.last_strategy(), "start");
  const UnitPoint second = sampler.Propose({}), third = sampler.Propose({});
  EXPECT_STREQ(sampler.last_strategy(), "random");
  EXPECT_NE(second, first);
  EXPECT_NE(third, second);
}

TEST(BlendSampler, LocalSearchGoesOnwardsAfterASuccessNotBack) {
  SearchSpace space = GbdtSearchSpace(100000);
  BlendSampler sampler(space, 9);
  std::vector<Observation> history;
  std::set<UnitPoint> seen;
  for (int i = 0; i < 30; ++i) {
    UnitPoint p = sampler.Propose(history);
    if (std::string(sampler.last_strategy()) == "local") {
      EXPECT_FALSE(seen.count(p)) << "repeated a point at " << i;
    }
    seen.insert(p);
    history.push_back({p, Bowl(p)});
  }
}

TEST(ValidationSplit, HoldoutIsStratifiedAndFoldsPartitionTheRows) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 3000, 5);
  size_t positives = 0;
  for (float y : ds.labels()) positives += y > 0.5f;
  const auto holdout = HoldoutSplit(ds, 0.2, 2, 1);
  ASSERT_EQ(holdout.size(), 1u);
  EXPECT_EQ(holdout[0].train.size() + holdout[0].valid.size(), 3000u);
  size_t valid_positives = 0;
  for (size_t r : holdout[0].valid) valid_positives += ds.labels()[r] > 0.5f;
  EXPECT_NEAR(static_cast<double>(valid_positives), 0.2 * static_cast<double>(positives), 1.0);
  const auto folds = KFoldSplit(ds, 5, 2, 1);
  std::vector<int> times_valid(3000, 0);
  for (const auto& f : folds) {
    EXPECT_EQ(f.train.size() + f.valid.size(), 3000u);
    for (size_t r : f.valid) ++times_valid[r];
  }
  for (int t : times_valid) EXPECT_EQ(t, 1);
  const auto timed = TimeOrderedSplit(ds, 0.1, 0);
  uint32_t max_train_bin = 0, min_valid_bin = UINT32_MAX;
  for (size_t r : timed[0].train) max_train_bin = std::max(max_train_bin, ds.bin(r, 0));
  for (size_t r : timed[0].valid) min_valid_bin = std::min(min_valid_bin, ds.bin(r, 0));
  EXPECT_LE(max_train_bin, min_valid_bin);
  const auto rows = RowsWithLabels(ds, holdout[0].valid);
  ASSERT_EQ(rows.labels().size(), holdout[0].valid.size());
  EXPECT_EQ(rows.labels()[3], ds.labels()[holdout[0].valid[3]]);
}

TEST(Leakage, AFeatureThatIsTheLabelIsReported) {
  TempDir dir;
  std::string csv = "noise,copy,y\n";
  std::mt19937 rng(2);
  for (int i = 0; i < 500; ++i) {
    const int y = static_cast<int>(rng() % 2);
    csv += std::to_string(rng() % 100) + "," + std::to_string(y * 10 + static_cast<int>(rng() % 3)) + "," +
           std::to_string(y) + "\n";
  }
  data::IngestOptions options;
  options.schema.label = "y";
  auto ds = data::IngestBinned({dir.Write("l.csv", csv)}, options);
  ASSERT_TRUE(ds.ok());
  const auto warnings = features::FindProbableLeakage(*ds, "binary");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].feature, "copy");
  EXPECT_EQ(warnings[0].measure, "auc");
  EXPECT_DOUBLE_EQ(warnings[0].value, 1.0);
  const auto as_regression = features::FindProbableLeakage(*ds, "regression");
  ASSERT_EQ(as_regression.size(), 1u);
  EXPECT_EQ(as_regression[0].measure, "r2");
}

TEST(AutoMl, MaxTrialsIsReproducibleAndGrowsTheBest) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 4000, 11);
  AutoMlOptions options;
  options.max_trials = 10;
  options.seed = 5;
  options.max_rounds = 200;
  options.ensemble = false;
  options.cv_folds = 1;  // a holdout: quicker than the folds a table this small gets by default
  options.threads = 2;   // trials side by side
  auto a = RunAutoMl(ds, options);
  ASSERT_TRUE(a.ok()) << a.status().message();
  options.threads = 1;
  auto b = RunAutoMl(ds, options);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->leaderboard.size(), 10u);
  ASSERT_EQ(b->leaderboard.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(a->leaderboard[i].trial, b->leaderboard[i].trial);
    EXPECT_EQ(a->leaderboard[i].params, b->leaderboard[i].params);
    EXPECT_EQ(a->leaderboard[i].score, b->leaderboard[i].score);
  }
  EXPECT_EQ(models::ModelToJson(a->model)["model"]["trees"], models::ModelToJson(b->model)["model"]["trees"]);
  EXPECT_EQ(a->metric, "auc");
  EXPECT_EQ(a->objective, "binary");
  EXPECT_TRUE(a->refit);
  for (size_t i = 1; i < 10; ++i) EXPECT_GE(a->leaderboard[i - 1].score, a->leaderboard[i].score);
  int top_rung = 0;
  std::set<std::string> families;
  for (const auto& t : a->leaderboard) {
    top_rung = std::max(top_rung, t.rung);
    families.insert(t.family);
    // Forests are configured as forests (the learner's boosting=rf), boosting as boosting.
    EXPECT_EQ(t.params.count("boosting") ? t.params.at("boosting") : "gbdt", t.family == "gbdt" ? "gbdt" : "rf");
    EXPECT_EQ(t.params.count("extra_trees") == 1, t.family == "extra_trees");
  }
  EXPECT_EQ(families, (std::set<std::string>{"gbdt", "random_forest", "extra_trees"}));
  EXPECT_GE(top_rung, 1) << "successive halving never promoted a configuration";
  EXPECT_GT(a->leaderboard[0].score, 0.65);  // the synthetic table is hard: default training gets about 0.7
  EXPECT_EQ(a->model.gbdt()->num_iterations(), static_cast<size_t>(a->leaderboard[0].rounds));
}

TEST(EnsembleSelection, AveragesModelsWhoseErrorsCancelAndKeepsTheBestSize) {
  // Squared error on one fold: models 0 and 1 err in opposite directions, so their average is
  // exact; model 2 is worse than either and must get no weight.
  const std::vector<double> y = {1, 2, 3, 4, 5, 6};
  const std::vector<double> e = {0.5, -0.3, 0.2, -0.4, 0.1, 0.3};
  std::vector<std::vector<std::vector<double>>> predictions(3, std::vector<std::vector<double>>(1));
  for (size_t i = 0; i < y.size(); ++i) {
    predictions[0][0].push_back(y[i] + e[i]);
    predictions[1][0].push_back(y[i] - e[i]);
    predictions[2][0].push_back(y[i] + 3 * e[i]);
  }
  auto loss = [&](size_t fold, const std::vector<double>& p) -> Result<double> {
    EXPECT_EQ(fold, 0u);
    double sum = 0;
    for (size_t i = 0; i < y.size(); ++i) sum += (p[i] - y[i]) * (p[i] - y[i]);
    return sum / static_cast<double>(y.size());
  };
  auto selection = SelectEnsemble(predictions, loss, 25);
  ASSERT_TRUE(selection.ok());
  ASSERT_EQ(selection->weights.size(), 3u);
  EXPECT_DOUBLE_EQ(selection->weights[0], 0.5);
  EXPECT_DOUBLE_EQ(selection->weights[1], 0.5);
  EXPECT_DOUBLE_EQ(selection->weights[2], 0.0);
  EXPECT_NEAR(selection->loss, 0.0, 1e-24);
  EXPECT_FALSE(SelectEnsemble({}, loss, 25).ok());
}

TEST(AutoMl, AnEnsembleIsKeptOnlyWhenItValidatesBetterAndIsOneModel) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 3000, 17);
  AutoMlOptions options;
  options.max_trials = 12;
  options.seed = 3;
  options.max_rounds = 128;
  options.cv_folds = 1;
  options.threads = 2;
  auto a = RunAutoMl(ds, options);
  ASSERT_TRUE(a.ok()) << a.status().message();
  // This seed's search does find a better blend (the search is deterministic, so it always does).
  ASSERT_TRUE(a->ensemble);
  const TrialResult& top = a->leaderboard[0];
  EXPECT_EQ(top.family, "ensemble");
  EXPECT_GT(top.score, a->leaderboard[1].score);
  EXPECT_GE(top.params.size(), 2u);
  double weights = 0;
  for (const auto& [member, weight] : top.params) weights += std::stod(weight);
  EXPECT_NEAR(weights, 1.0, 1e-3);
  EXPECT_EQ(a->model.gbdt()->num_iterations(), static_cast<size_t>(top.rounds));
  EXPECT_EQ(a->model.training_info()["ensemble"].size(), top.params.size());
  // The same leaderboard and model with one thread.
  options.threads = 1;
  auto b = RunAutoMl(ds, options);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->leaderboard.size(), a->leaderboard.size());
  EXPECT_EQ(b->leaderboard[0].params, top.params);
  EXPECT_EQ(models::ModelToJson(a->model)["model"]["trees"], models::ModelToJson(b->model)["model"]["trees"]);
  // Without ensembles, the best single configuration.
  options.ensemble = false;
  auto c = RunAutoMl(ds, options);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->ensemble);
  EXPECT_EQ(c->leaderboard.size() + 1, a->leaderboard.size());
  EXPECT_NE(c->leaderboard[0].family, "ensemble");
}

TEST(AutoMl, TheTimeBudgetIsHonouredRefitIncluded) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 20000, 12);
  AutoMlOptions options;
  options.time_budget_seconds = 4;
  options.start = std::chrono::steady_clock::now();
  auto r = RunAutoMl(ds, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - options.start).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LE(seconds, 4 * 1.05);
  EXPECT_GE(seconds, 4 * 0.8);  // and it did use the budget
  EXPECT_GE(r->leaderboard.size(), 2u);
}

TEST(AutoMl, ClearErrors) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 500, 13);
  AutoMlOptions options;
  EXPECT_EQ(RunAutoMl(ds, options).status().message(), "automl needs --time-budget or --max-trials");
  options.max_trials = 2;
  options.metric = "accuracy_of_vibes";
  EXPECT_EQ(RunAutoMl(ds, options).status().message(), "automl: unknown metric 'accuracy_of_vibes'");
  options.metric = "";
  options.families = {"gbdt", "svm"};
  EXPECT_EQ(RunAutoMl(ds, options).status().message(),
            "automl: unknown model family 'svm' (expected gbdt, random_forest, extra_trees, linear)");
}

}  // namespace
}  // namespace tessera::automl
