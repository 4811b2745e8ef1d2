// Random forests and extra trees (boosting=rf, extra_trees=true): LightGBM's parameter rules,
// the same model for any thread count, the output as the average of trees fit at the start
// score (also when a forest is grown further from an init model), the family in the model file,
// SHAP's local accuracy, and held-out AUC close to scikit-learn's RandomForestClassifier and
// ExtraTreesClassifier on the same data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "required_tool.h"
#include "synthetic_binned.h"
#include "tessera/data/ingest.h"
#include "tessera/explain/tree_shap.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/gbdt/split.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;

using Settings = std::map<std::string, std::string>;

GbdtParams Params(const Settings& settings) {
  GbdtParams p;
  Status st = ApplyGbdtParams(settings, &p);
  EXPECT_TRUE(st.ok()) << st.message();
  return p;
}

Settings Forest(Settings more = {}) {
  Settings s = {{"boosting", "rf"},    {"bagging_fraction", "0.632"},
                {"bagging_freq", "1"}, {"feature_fraction", "0.8"},
                {"num_leaves", "31"},  {"num_iterations", "12"},
                {"seed", "9"}};
  for (const auto& [k, v] : more) s[k] = v;
  return s;
}

std::string ErrorOf(const Settings& settings) {
  GbdtParams p;
  return ApplyGbdtParams(settings, &p).message();
}

// The model document without what may differ between equal runs (timings, thread count).
std::string Comparable(const GbdtModel& m) {
  nlohmann::json j = GbdtModelToJson(m);
  j.erase("training");
  j["params"].erase("num_threads");
  return j.dump();
}

TEST(ForestParams, FollowLightGbmRulesWithClearErrors) {
  // No subsets at all: every tree would be the same.
  const std::string none = ErrorOf({{"boosting", "rf"}});
  EXPECT_NE(none.find("boosting=rf needs random subsets"), std::string::npos) << none;
  EXPECT_NE(none.find("bagging_fraction < 1"), std::string::npos) << none;
  EXPECT_NE(none.find("feature_fraction < 1"), std::string::npos) << none;
  // A fraction without a frequency draws nothing (the existing rule, named first).
  EXPECT_NE(ErrorOf({{"boosting", "rf"}, {"bagging_fraction", "0.5"}}).find("bagging_freq"),
            std::string::npos);
  // A frequency with the whole data, and no feature subsets: still refused.
  EXPECT_NE(ErrorOf({{"boosting_type", "rf"}, {"bagging_freq", "1"}}).find("boosting=rf needs"),
            std::string::npos);
  EXPECT_EQ(ErrorOf({{"boosting_type", "rf"}, {"feature_fraction", "0.5"}}), "");
  EXPECT_EQ(
      ErrorOf({{"boosting", "random_forest"}, {"bagging_fraction", "0.5"}, {"bagging_freq", "2"}}),
      "");
  const std::string dart = ErrorOf({{"boosting", "dart"}});
  EXPECT_NE(dart.find("boosting=dart is out of range; expected gbdt or rf"), std::string::npos)
      << dart;
  EXPECT_NE(ErrorOf({{"extra_trees", "yes"}})
                .find("extra_trees=yes is out of range; expected true or false"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf({{"feature_fraction_bynode", "0"}}).find("feature_fraction_bynode=0 is out of range"),
      std::string::npos);
  // Extra trees are also a boosting option, as in LightGBM.
  EXPECT_EQ(ErrorOf({{"extra_trees", "true"}}), "");
  EXPECT_EQ(Params(Forest({{"extra_trees", "true"}})).family_name(), "extra_trees");
  EXPECT_EQ(Params(Forest()).family_name(), "random_forest");
  EXPECT_EQ(Params({{"extra_trees", "true"}}).family_name(), "gbdt");
}

TEST(ForestParams, RefusesCheckpointsAndInitModelsOfTheOtherKind) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 2000, 21);
  auto boosted = TrainGbdt(ds, Params({{"num_iterations", "3"}}));
  ASSERT_TRUE(boosted.ok());
  TrainOptions from_boosted;
  from_boosted.init_model = &*boosted;
  auto mixed = TrainGbdt(ds, Params(Forest()), from_boosted);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("--init-model is a boosted model (boosting=gbdt)"),
            std::string::npos)
      << mixed.status().message();
  auto forest = TrainGbdt(ds, Params(Forest({{"num_iterations", "3"}})));
  ASSERT_TRUE(forest.ok());
  TrainOptions from_forest;
  from_forest.init_model = &*forest;
  auto boosted_on_forest = TrainGbdt(ds, Params({{"num_iterations", "3"}}), from_forest);
  ASSERT_FALSE(boosted_on_forest.ok());
  EXPECT_NE(boosted_on_forest.status().message().find("is a random forest (boosting=rf)"),
            std::string::npos);
  TrainOptions checkpoints;
  checkpoints.checkpoint_every = 2;
  checkpoints.on_checkpoint = [](const GbdtModel&, const TrainingState&) { return Status::Ok(); };
  auto checkpointed = TrainGbdt(ds, Params(Forest()), checkpoints);
  ASSERT_FALSE(checkpointed.ok());
  EXPECT_NE(checkpointed.status().message().find("checkpoints are not supported with boosting=rf"),
            std::string::npos);
}

TEST(Forest, SameModelForAnyThreadCount) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 20000, 22, false, 2);
  for (const Settings& extra :
       {Settings{}, Settings{{"extra_trees", "true"}, {"feature_fraction_bynode", "0.5"}}}) {
    Settings s = Forest(extra);
    s["num_threads"] = "1";
    auto one = TrainGbdt(ds, Params(s));
    s["num_threads"] = "2";
    auto two = TrainGbdt(ds, Params(s));
    ASSERT_TRUE(one.ok() && two.ok());
    EXPECT_EQ(Comparable(*one), Comparable(*two)) << "extra_trees=" << s.count("extra_trees");
  }
}

TEST(Forest, OutputIsTheAverageOfTreesFitAtTheStartScore) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 5000, 23);
  // With the same seed, tree 0 of any forest sees the same bag and features, and the start
  // score's gradients: the 8-tree forest's first tree is the 1-tree forest's divided by 8.
  auto one = TrainGbdt(ds, Params(Forest({{"num_iterations", "1"}})));
  auto eight = TrainGbdt(ds, Params(Forest({{"num_iterations", "8"}})));
  ASSERT_TRUE(one.ok() && eight.ok());
  ASSERT_EQ(eight->trees().size(), 8u);
  const Tree& alone = one->trees()[0];
  const Tree& first = eight->trees()[0];
  ASSERT_EQ(alone.num_leaves(), first.num_leaves());
  ASSERT_GT(alone.num_leaves(), 10u);
  for (size_t l = 0; l < alone.num_leaves(); ++l)
    EXPECT_NEAR(first.leaf_value(static_cast<int>(l)) * 8, alone.leaf_value(static_cast<int>(l)),
                1e-12)
        << l;
  // Boosting would fit later trees to residuals, whose leaves shrink; a forest's trees all fit
  // the same gradients, so their leaves are alike in size (each about the first's), yet the trees
  // differ (other bags and features).
  auto spread = [](const Tree& t) {
    double lo = 0, hi = 0;
    for (double v : t.leaf_values()) lo = std::min(lo, v), hi = std::max(hi, v);
    return hi - lo;
  };
  const Tree& last = eight->trees()[7];
  EXPECT_GT(spread(last), 0.5 * spread(first));
  EXPECT_NE(last.ToJson(ds.mappers()).dump(), first.ToJson(ds.mappers()).dump());
  // No learning rate: changing it changes nothing.
  auto slow = TrainGbdt(ds, Params(Forest({{"num_iterations", "8"}, {"learning_rate", "0.01"}})));
  ASSERT_TRUE(slow.ok());
  nlohmann::json a = GbdtModelToJson(*slow)["trees"], b = GbdtModelToJson(*eight)["trees"];
  EXPECT_EQ(a.dump(), b.dump());
  // The raw score is the start score plus the mean of the trees' own outputs.
  const auto raw = eight->PredictRaw(ds);
  const auto raw_one = one->PredictRaw(ds);
  double mean_abs = 0;
  for (size_t i = 0; i < ds.num_rows(); ++i) mean_abs += std::abs(raw[i] - eight->init_score()[0]);
  EXPECT_GT(mean_abs / static_cast<double>(ds.num_rows()), 0.05);
  EXPECT_LT(
      mean_abs / static_cast<double>(ds.num_rows()), 2 * [&] {
        double s = 0;
        for (size_t i = 0; i < ds.num_rows(); ++i) s += std::abs(raw_one[i] - one->init_score()[0]);
        return s / static_cast<double>(ds.num_rows());
      }());
}

TEST(Forest, GrowingFromAnInitModelEqualsTrainingAtOnce) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 4000, 24, false, 1);
  auto valid = tessera::testing::SyntheticBinned(dir, 1000, 25, false, 1);
  for (const Settings& extra : {Settings{}, Settings{{"extra_trees", "true"}}}) {
    auto all = TrainGbdt(ds, Params(Forest(extra)));
    Settings first_half = Forest(extra), second_half = Forest(extra);
    first_half["num_iterations"] = "7", second_half["num_iterations"] = "5",
    second_half["metric"] = "auc";
    auto half = TrainGbdt(ds, Params(first_half));
    ASSERT_TRUE(all.ok() && half.ok());
    TrainOptions grow;
    grow.init_model = &*half;
    grow.valid = {&valid};
    double last_auc = 0;
    grow.on_iteration = [&](const IterationReport& r) { last_auc = r.metrics.at(0).second; };
    auto grown = TrainGbdt(ds, Params(second_half), grow);
    ASSERT_TRUE(grown.ok()) << grown.status().message();
    ASSERT_EQ(grown->trees().size(), all->trees().size());
    const auto p_all = all->PredictRaw(valid), p_grown = grown->PredictRaw(valid);
    for (size_t i = 0; i < p_all.size(); ++i) ASSERT_NEAR(p_all[i], p_grown[i], 1e-12) << i;
    // The validation metric during training is the forest's (the average), not the trees' sum.
    const auto pred = grown->Predict(valid);
    EXPECT_NEAR(last_auc, metrics::Auc(valid.labels(), pred), 1e-9);
    EXPECT_EQ(GbdtModelToJson(*grown)["forest"]["averaged_trees"], 12);
  }
}

TEST(Forest, BagsThatCannotSplitAddNoTree) {
  TempDir dir;
  // 60 rows, bags of about 21 and leaves of at least 10: some bags are too small to split. Their
  // one-leaf trees are left out (they would pull the average towards the start score), and the
  // forest goes on with the next bag (boosting would stop there).
  auto ds = tessera::testing::SyntheticBinned(dir, 60, 28);
  auto rf = TrainGbdt(ds, Params(Forest({{"num_iterations", "30"},
                                         {"bagging_fraction", "0.35"},
                                         {"min_data_in_leaf", "10"},
                                         {"min_sum_hessian_in_leaf", "0"}})));
  ASSERT_TRUE(rf.ok()) << rf.status().message();
  EXPECT_GT(rf->trees().size(), 0u);
  EXPECT_LT(rf->trees().size(), 30u);
  for (const Tree& t : rf->trees()) EXPECT_GT(t.num_leaves(), 1u);
  EXPECT_EQ(GbdtModelToJson(*rf)["forest"]["averaged_trees"], rf->trees().size());
  // Trees come after the first bag that could not split: forests of 1, 2, ... iterations find it.
  size_t first_skipped = 0;
  for (int k = 1; k <= 30 && first_skipped == 0; ++k) {
    auto shorter = TrainGbdt(ds, Params(Forest({{"num_iterations", std::to_string(k)},
                                                {"bagging_fraction", "0.35"},
                                                {"min_data_in_leaf", "10"},
                                                {"min_sum_hessian_in_leaf", "0"}})));
    ASSERT_TRUE(shorter.ok());
    if (shorter->trees().size() < static_cast<size_t>(k)) first_skipped = static_cast<size_t>(k);
  }
  ASSERT_GT(first_skipped, 0u);
  EXPECT_GT(rf->trees().size(), first_skipped - 1);  // boosting's rule would have stopped there
}

TEST(Forest, EarlyStoppingKeepsTheTreesOfTheBestIterationWhenBagsAddedNone) {
  TempDir dir;
  // As above, some bags cannot split and add no tree, so iterations and trees differ: early
  // stopping must cut the forest at the best iteration's trees, not at iteration x outputs.
  auto ds = tessera::testing::SyntheticBinned(dir, 60, 28);
  auto valid = tessera::testing::SyntheticBinned(dir, 400, 29);
  const Settings small_bags = {
      {"bagging_fraction", "0.35"}, {"min_data_in_leaf", "10"}, {"min_sum_hessian_in_leaf", "0"}, {"seed", "13"}};
  Settings watched = Forest(small_bags);
  watched["num_iterations"] = "60", watched["metric"] = "logloss", watched["early_stopping_rounds"] = "3";
  TrainOptions options;
  options.valid = {&valid};
  auto stopped = TrainGbdt(ds, Params(watched), options);
  ASSERT_TRUE(stopped.ok()) << stopped.status().message();
  const int best = stopped->training_info()["best_iteration"].get<int>();
  ASSERT_LT(best, 60);
  ASSERT_LT(stopped->trees().size(), static_cast<size_t>(best)) << "no bag before the best iteration was skipped";
  // The forest trained for exactly `best` iterations, without watching: the same trees.
  Settings plain = Forest(small_bags);
  plain["num_iterations"] = std::to_string(best);
  auto exact = TrainGbdt(ds, Params(plain));
  ASSERT_TRUE(exact.ok());
  ASSERT_EQ(stopped->trees().size(), exact->trees().size());
  const auto p_stopped = stopped->PredictRaw(valid), p_exact = exact->PredictRaw(valid);
  for (size_t i = 0; i < p_exact.size(); ++i) ASSERT_EQ(p_stopped[i], p_exact[i]) << i;
}

TEST(Forest, ModelFileNamesTheFamilyAndLoadsBack) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 3000, 26, false, 1);
  auto et = TrainGbdt(ds, Params(Forest({{"extra_trees", "true"}})));
  ASSERT_TRUE(et.ok());
  const std::string path = dir.Path("et.json");
  ASSERT_TRUE(SaveModel(*et, path).ok());
  const nlohmann::json doc = nlohmann::json::parse(tessera::testing::ReadFile(path));
  EXPECT_EQ(doc["model"]["forest"]["kind"], "extra_trees");
  EXPECT_EQ(doc["model"]["forest"]["averaged_trees"], 12);
  EXPECT_EQ(doc["model"]["params"]["boosting"], "rf");
  EXPECT_EQ(doc["model"]["params"]["extra_trees"], true);
  auto back = LoadModel(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->params().family_name(), "extra_trees");
  const auto p1 = et->PredictRaw(ds), p2 = back->PredictRaw(ds);
  for (size_t i = 0; i < p1.size(); ++i) ASSERT_EQ(p1[i], p2[i]) << i;
  // A forest whose tree count disagrees with the average its leaves hold is refused.
  nlohmann::json bad = doc;
  bad["model"]["forest"]["averaged_trees"] = 11;
  auto refused = ModelFromJson(bad, "bad.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("averaged_trees"), std::string::npos)
      << refused.status().message();
}

TEST(Forest, ShapValuesAddUpToTheForestsScore) {
  TempDir dir;
  auto ds = tessera::testing::SyntheticBinned(dir, 3000, 27, false, 2);
  auto rf =
      TrainGbdt(ds, Params(Forest({{"num_iterations", "20"}, {"feature_fraction_bynode", "0.6"}})));
  ASSERT_TRUE(rf.ok());
  const size_t nf = ds.num_features();
  const auto shap = explain::ShapValues(*rf, ds, 2);
  const auto raw = rf->PredictRaw(ds);
  ASSERT_EQ(shap.size(), ds.num_rows() * (nf + 1));
  const double expected = explain::ExpectedValues(*rf)[0];
  size_t moved = 0;
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    double sum = 0;
    for (size_t f = 0; f <= nf; ++f) sum += shap[r * (nf + 1) + f];
    ASSERT_NEAR(sum, raw[r], 1e-9) << r;
    EXPECT_DOUBLE_EQ(shap[r * (nf + 1) + nf], expected);
    moved += std::abs(raw[r] - expected) > 1e-3;
  }
  EXPECT_GT(moved, ds.num_rows() / 2);  // the features explain something
}

// scikit-learn's forests and ours on the same data (8 informative of 20 features): the held-out
// AUC of a 100-tree forest with the same bag size, features per node, leaf count and leaf size.
constexpr const char* kSklearnScript = R"PY(
import json, sys
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, ExtraTreesClassifier
from sklearn.metrics import roc_auc_score
out = sys.argv[1]
X, y = make_classification(n_samples=8000, n_features=20, n_informative=8, n_redundant=4, flip_y=0.05,
                           class_sep=0.8, random_state=4)
Xtr, ytr, Xte, yte = X[:6000], y[:6000], X[6000:], y[6000:]
header = ",".join("f%d" % i for i in range(20)) + ",label"
np.savetxt(out + "/train.csv", np.column_stack([Xtr, ytr]), delimiter=",", fmt="%.9g", header=header, comments="")
np.savetxt(out + "/test.csv", np.column_stack([Xte, yte]), delimiter=",", fmt="%.9g", header=header, comments="")
common = dict(n_estimators=100, max_features=0.25, max_leaf_nodes=255, min_samples_leaf=5, random_state=0, n_jobs=1)
rf = RandomForestClassifier(max_samples=0.632, **common).fit(Xtr, ytr)
et = ExtraTreesClassifier(**common).fit(Xtr, ytr)
json.dump({"random_forest": roc_auc_score(yte, rf.predict_proba(Xte)[:, 1]),
           "extra_trees": roc_auc_score(yte, et.predict_proba(Xte)[:, 1])}, open(out + "/auc.json", "w"))
)PY";

TEST(Forest, HeldOutAucCloseToScikitLearn) {
  TESSERA_REQUIRE_SKLEARN();
  TempDir dir;
  const std::string script = dir.Write("forests.py", kSklearnScript);
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + dir.path().string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json sklearn =
      nlohmann::json::parse(tessera::testing::ReadFile(dir.Path("auc.json")));
  data::IngestOptions io;
  io.schema.label = "label";
  auto train = data::IngestBinned({dir.Path("train.csv")}, io);
  ASSERT_TRUE(train.ok()) << train.status().message();
  auto test = data::IngestWithReference({dir.Path("test.csv")}, io, *train, true);
  ASSERT_TRUE(test.ok()) << test.status().message();
  // ExtraTrees draws no bag (bootstrap=False); ours draws one only as LightGBM's rule needs
  // (feature_fraction_bynode alone does not count), so a light one.
  const Settings common = {{"boosting", "rf"},
                           {"num_iterations", "100"},
                           {"num_leaves", "255"},
                           {"min_data_in_leaf", "5"},
                           {"feature_fraction_bynode", "0.25"},
                           {"bagging_freq", "1"},
                           {"min_sum_hessian_in_leaf", "0"},
                           {"seed", "3"}};
  Settings rf = common, et = common;
  rf["bagging_fraction"] = "0.632";
  et["bagging_fraction"] = "0.95", et["extra_trees"] = "true";
  for (const auto& [family, settings] :
       std::vector<std::pair<std::string, Settings>>{{"random_forest", rf}, {"extra_trees", et}}) {
    auto model = TrainGbdt(*train, Params(settings));
    ASSERT_TRUE(model.ok()) << model.status().message();
    const double ours = metrics::Auc(test->labels(), model->Predict(*test));
    const double theirs = sklearn[family].get<double>();
    std::printf("forest-auc family=%s tessera=%.4f sklearn=%.4f\n", family.c_str(), ours, theirs);
    // Binned thresholds (255 bins) and gradient-based leaf values against exact thresholds and
    // class frequencies: the AUCs agree within 0.02.
    EXPECT_GT(ours, 0.85) << family;
    EXPECT_NEAR(ours, theirs, 0.02) << family;
  }
}

TEST(ExtraTreesSplit, TriesOneRandomCutBetweenTheOccupiedBins) {
  GradientScale scale = GradientScale::Of(1, 1);
  // Bins 0 (missing) and 1, 2, 7 empty: rows in value bins 3..6. The best cut is after bin 4.
  HistBin hist[9] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {-4, 4, 4}, {-4, 4, 4},
                     {4, 4, 4}, {4, 4, 4}, {0, 0, 0}, {0, 0, 0}};
  HistBin total;
  for (auto& h : hist) total += h;
  GbdtParams p;
  p.min_data_in_leaf = 1;
  p.min_sum_hessian_in_leaf = 0;
  EXPECT_EQ(FindBestNumericSplit(hist, 9, total, scale, p).threshold_bin, 4u);
  std::set<uint32_t> cuts;
  for (uint64_t draw = 0; draw < 30; ++draw) {
    SplitInfo s = FindBestNumericSplit(hist, 9, total, scale, p, draw);
    ASSERT_TRUE(s.valid) << draw;
    EXPECT_EQ(s.threshold_bin, 3 + draw % 3) << draw;  // cuts 3, 4, 5: rows on both sides
    cuts.insert(s.threshold_bin);
  }
  EXPECT_EQ(cuts.size(), 3u);
  // One occupied bin: nothing to cut.
  HistBin one[4] = {{1, 1, 1}, {0, 0, 0}, {-3, 3, 3}, {0, 0, 0}};
  HistBin one_total;
  for (auto& h : one) one_total += h;
  EXPECT_FALSE(FindBestNumericSplit(one, 4, one_total, scale, p, uint64_t{5}).valid);
  // Categorical: the gradient order cut at the drawn prefix length (1 or 2 of 4 categories).
  HistBin cats[5] = {{0, 0, 0}, {-5, 5, 5}, {5, 5, 5}, {-4, 5, 5}, {4, 5, 5}};
  HistBin cat_total;
  for (auto& h : cats) cat_total += h;
  p.min_data_per_group = 1, p.cat_smooth = 0, p.cat_l2 = 0, p.max_cat_to_onehot = 1;  // ordered, not one-vs-rest
  EXPECT_EQ(FindBestCategoricalSplit(cats, 5, cat_total, scale, p, uint64_t{0}).left_bins.size(),
            1u);
  EXPECT_EQ(FindBestCategoricalSplit(cats, 5, cat_total, scale, p, uint64_t{1}).left_bins.size(),
            2u);
}

}  // namespace
}  // namespace tessera::models::gbdt
