#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <nlohmann/json.hpp>

#include "tessera/data/ingest.h"
#include "tessera/data/synthetic.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/gbdt/split.h"
#include "tessera/models/model_file.h"
#include "synthetic_binned.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;

data::BinnedDataset Synthetic(const TempDir& dir, uint64_t rows, uint64_t seed, bool regression = false, int cats = 0) {
  return tessera::testing::SyntheticBinned(dir, rows, seed, regression, cats);
}

GbdtParams Params(std::map<std::string, std::string> settings) {
  GbdtParams p;
  Status st = ApplyGbdtParams(settings, &p);
  EXPECT_TRUE(st.ok()) << st.message();
  return p;
}

// The node totals of a histogram: the sum of its bins.
template <size_t N>
HistBin Total(const HistBin (&hist)[N]) {
  HistBin total;
  for (const auto& h : hist) total += h;
  return total;
}

// Settings under which a hand-made categorical histogram is ordered (never one against the
// rest) and only cat_smooth guards rare categories: no row minimums, no extra L2.
GbdtParams OrderedCategoricalParams(double cat_smooth) {
  GbdtParams p;
  p.min_data_in_leaf = 1;
  p.min_data_per_group = 1;
  p.cat_smooth = cat_smooth;
  p.cat_l2 = 0;
  p.max_cat_to_onehot = 1;
  return p;
}

TEST(Split, HandComputedNumericExample) {
  // Bins: 0 = missing, 1..3 values. Gradients chosen so that cutting after bin 1 is best and
  // the missing rows (negative gradients like bin 1's) should go left.
  GradientScale scale = GradientScale::Of(1, 1);
  HistBin hist[4] = {{-2, 2, 2}, {-4, 4, 4}, {3, 3, 3}, {3, 3, 3}};
  const HistBin total = Total(hist);
  GbdtParams p;
  p.min_data_in_leaf = 1;
  p.min_sum_hessian_in_leaf = 0;
  SplitInfo s = FindBestNumericSplit(hist, 4, total, scale, p);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.threshold_bin, 1u);
  EXPECT_TRUE(s.default_left);
  // Left = bins {0,1}: G=-6, H=6; right: G=6, H=6; parent G=0: gain = 36/6 + 36/6 - 0 = 12.
  EXPECT_DOUBLE_EQ(s.gain, 12.0);
  EXPECT_EQ(s.left.n, 6);
  EXPECT_DOUBLE_EQ(LeafValue(-6, 6, 0, 0), 1.0);
  p.lambda_l2 = 6;  // gain = 36/12 + 36/12 = 6
  EXPECT_DOUBLE_EQ(FindBestNumericSplit(hist, 4, total, scale, p).gain, 6.0);
  p.min_data_in_leaf = 7;  // no side can hold 7 of 12 rows while the other holds 7 too
  EXPECT_FALSE(FindBestNumericSplit(hist, 4, total, scale, p).valid);
}

TEST(Split, CategoricalGroupsCategoriesByGradient) {
  GradientScale scale = GradientScale::Of(1, 1);
  // Categories 1 and 3 pull down, 2 and 4 up: the best split puts {1,3} on one side.
  HistBin hist[5] = {{0, 0, 0}, {-5, 5, 5}, {5, 5, 5}, {-5, 5, 5}, {5, 5, 5}};
  const HistBin total = Total(hist);
  GbdtParams p = OrderedCategoricalParams(0);
  SplitInfo s = FindBestCategoricalSplit(hist, 5, total, scale, p);
  ASSERT_TRUE(s.valid);
  std::vector<uint32_t> expected_a = {1, 3}, expected_b = {2, 4};
  EXPECT_TRUE(s.left_bins == expected_a || s.left_bins == expected_b);
  EXPECT_DOUBLE_EQ(s.gain, 100.0 / 10 + 100.0 / 10);
}

TEST(Split, CategoricalSettingsGuardRareCategoriesAsLightGbmDoes) {
  GradientScale scale = GradientScale::Of(1, 1);
  // Category 1 is rare (2 rows) and pulls hard down; 2 and 3 are large and pull down and up.
  HistBin hist[4] = {{0, 0, 0}, {-8, 2, 2}, {-10, 20, 20}, {10, 20, 20}};
  const HistBin total = Total(hist);
  GbdtParams p = OrderedCategoricalParams(1);
  p.min_sum_hessian_in_leaf = 0;
  p.max_cat_threshold = 1;  // one category on the ordered side: the rare one wins
  SplitInfo s = FindBestCategoricalSplit(hist, 4, total, scale, p);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.left_bins, std::vector<uint32_t>{1});
  // cat_smooth is also the rows a category needs to be ordered: the rare one goes right.
  p.cat_smooth = 3;
  s = FindBestCategoricalSplit(hist, 4, total, scale, p);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.left_bins, std::vector<uint32_t>{3});  // gain 18.2, against 3.7 for {2}
  // min_data_per_group: a threshold needs that many rows since the last one, and right of it.
  p.cat_smooth = 1;
  p.max_cat_threshold = 32;
  p.min_data_per_group = 20;
  s = FindBestCategoricalSplit(hist, 4, total, scale, p);
  ASSERT_TRUE(s.valid);
  // {1} alone is too few rows; {1, 2} from one end ties with {3} from the other (the same cut),
  // and the first one found is kept.
  EXPECT_EQ(s.left_bins, (std::vector<uint32_t>{1, 2}));
  p.min_data_per_group = 21;  // {1, 2} leaves 20 right; {3} is 20 rows
  EXPECT_FALSE(FindBestCategoricalSplit(hist, 4, total, scale, p).valid);
}

TEST(Split, FewCategoriesAreSplitOneAgainstTheRestWithoutTheManyCategoryGuards) {
  GradientScale scale = GradientScale::Of(1, 1);
  // A rare category (30 rows, fewer than min_data_per_group) that pulls hard one way.
  HistBin hist[4] = {{0, 0, 0}, {-30, 30, 30}, {10, 500, 500}, {5, 400, 400}};
  const HistBin total = Total(hist);
  GbdtParams p;  // defaults: min_data_per_group 100, cat_smooth 10, cat_l2 10, max_cat_to_onehot 4
  SplitInfo s = FindBestCategoricalSplit(hist, 4, total, scale, p);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.left_bins, std::vector<uint32_t>{1});
  EXPECT_EQ(s.left.n, 30u);
  // Gain with lambda_l2 alone (0 here): 900/30 + 225/900 - 225/930.
  EXPECT_NEAR(s.gain, 900.0 / 30 + 225.0 / 900 - 225.0 / 930, 1e-9);
  // Ordered instead, min_data_per_group keeps the rare category from being cut alone.
  p.max_cat_to_onehot = 1;
  s = FindBestCategoricalSplit(hist, 4, total, scale, p);
  EXPECT_TRUE(!s.valid || s.left.n >= 100);
}

TEST(Gbdt, EachObjectiveLowersItsLoss) {
  TempDir dir;
  auto binary = Synthetic(dir, 4000, 1);
  auto reg = Synthetic(dir, 4000, 2, true);
  for (const auto& [objective, ds] : std::vector<std::pair<std::string, const data::BinnedDataset*>>{
           {"binary", &binary}, {"regression", &reg}, {"l1", &reg}, {"huber", &reg}}) {
    auto few = TrainGbdt(*ds, Params({{"objective", objective}, {"num_iterations", "1"}, {"num_threads", "2"}}));
    auto many = TrainGbdt(*ds, Params({{"objective", objective}, {"num_iterations", "40"}, {"num_threads", "2"}}));
    ASSERT_TRUE(few.ok() && many.ok()) << objective;
    auto p1 = few->Predict(*ds), p40 = many->Predict(*ds);
    double loss1, loss40;
    if (objective == "binary") {
      loss1 = metrics::LogLoss(ds->labels(), p1), loss40 = metrics::LogLoss(ds->labels(), p40);
    } else {
      loss1 = metrics::Mae(ds->labels(), p1), loss40 = metrics::Mae(ds->labels(), p40);
    }
    EXPECT_LT(loss40, loss1 * 0.95) << objective;
  }
}

TEST(Gbdt, PoissonAndMulticlassFitKnownOptimaOnTinyData) {
  TempDir dir;
  // One binary feature; the best constant per group is the group's mean (poisson) or its class
  // frequencies (multiclass).
  std::string text = "x,y\n";
  for (int i = 0; i < 400; ++i) text += std::to_string(i % 2) + "," + std::to_string(i % 2 ? (i % 4 == 1 ? 2 : 4) : 1) + "\n";
  data::IngestOptions io;
  io.schema.label = "y";
  auto ds = data::IngestBinned({dir.Write("p.csv", text)}, io);
  ASSERT_TRUE(ds.ok());
  auto poisson = TrainGbdt(*ds, Params({{"objective", "poisson"}, {"num_iterations", "300"}, {"learning_rate", "0.3"},
                                        {"min_data_in_leaf", "1"}}));
  ASSERT_TRUE(poisson.ok());
  auto mu = poisson->Predict(*ds);
  EXPECT_NEAR(mu[0], 1.0, 0.02);  // x=0: always 1
  EXPECT_NEAR(mu[1], 3.0, 0.05);  // x=1: 2 or 4
  auto multi = TrainGbdt(*ds, Params({{"objective", "multiclass"}, {"num_class", "5"}, {"num_iterations", "200"},
                                      {"learning_rate", "0.3"}, {"min_data_in_leaf", "1"}}));
  ASSERT_TRUE(multi.ok()) << multi.status().message();
  auto probs = multi->Predict(*ds);
  EXPECT_NEAR(probs[0 * 5 + 1], 1.0, 0.02);
  EXPECT_NEAR(probs[1 * 5 + 2], 0.5, 0.03);
  EXPECT_NEAR(probs[1 * 5 + 4], 0.5, 0.03);
}

TEST(Gbdt, SameModelForAnyThreadCount) {
  TempDir dir;
  auto ds = Synthetic(dir, 20000, 3, false, 2);
  std::map<std::string, std::string> s = {{"num_iterations", "15"}, {"num_leaves", "31"}, {"bagging_fraction", "0.7"},
                                          {"bagging_freq", "1"}, {"feature_fraction", "0.8"}, {"seed", "5"}};
  s["num_threads"] = "1";
  auto one = TrainGbdt(ds, Params(s));
  s["num_threads"] = "3";
  auto three = TrainGbdt(ds, Params(s));
  ASSERT_TRUE(one.ok() && three.ok());
  auto a = GbdtModelToJson(*one), b = GbdtModelToJson(*three);
  a.erase("training"), b.erase("training");
  a["params"].erase("num_threads"), b["params"].erase("num_threads");
  EXPECT_EQ(a.dump(), b.dump());
}

TEST(Gbdt, SaveLoadPredictIsBitIdentical) {
  TempDir dir;
  auto ds = Synthetic(dir, 5000, 4, false, 1);
  auto model = TrainGbdt(ds, Params({{"num_iterations", "20"}}));
  ASSERT_TRUE(model.ok());
  std::string path = dir.Path("m.json");
  ASSERT_TRUE(SaveModel(*model, path).ok());
  auto back = LoadModel(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  auto p1 = model->PredictRaw(ds), p2 = back->PredictRaw(ds);
  ASSERT_EQ(p1.size(), p2.size());
  // The training distribution (for drift) survives too: every row counted once per feature.
  ASSERT_EQ(back->reference_counts(), model->reference_counts());
  ASSERT_EQ(model->reference_counts().size(), ds.num_features());
  uint64_t rows = 0;
  for (uint64_t c : model->reference_counts()[0]) rows += c;
  EXPECT_EQ(rows, ds.num_rows());
  for (size_t i = 0; i < p1.size(); ++i) ASSERT_EQ(p1[i], p2[i]) << i;
}

TEST(Gbdt, ValidationAndEarlyStopping) {
  TempDir dir;
  auto train = Synthetic(dir, 3000, 5);
  auto valid = Synthetic(dir, 2000, 6);
  TrainOptions options;
  options.valid = {&valid};
  std::vector<double> aucs;
  options.on_iteration = [&](const IterationReport& r) { aucs.push_back(r.metrics.at(0).second); };
  // Deep trees and a high rate overfit quickly, so the validation loss turns up and stops training.
  auto model = TrainGbdt(train, Params({{"num_iterations", "500"}, {"learning_rate", "0.5"}, {"num_leaves", "63"},
                                        {"min_data_in_leaf", "2"}, {"metric", "logloss"}, {"early_stopping_rounds", "5"}}),
                         options);
  ASSERT_TRUE(model.ok());
  EXPECT_LT(aucs.size(), 500u);
  int best = model->training_info()["best_iteration"].get<int>();
  EXPECT_EQ(model->num_iterations(), static_cast<size_t>(best));
  EXPECT_EQ(aucs.size(), static_cast<size_t>(best) + 5);
}

TEST(Gbdt, BadParametersAreClearErrors) {
  GbdtParams p;
  Status unknown = ApplyGbdtParams({{"num_leafs", "31"}}, &p);
  EXPECT_NE(unknown.message().find("unknown parameter 'num_leafs'"), std::string::npos);
  Status range = ApplyGbdtParams({{"learning_rate", "0"}}, &p);
  EXPECT_NE(range.message().find("learning_rate=0 is out of range; expected a number in (0, 1]"), std::string::npos) << range.message();
  Status leaves = ApplyGbdtParams({{"max_leaves", "1"}}, &p);
  EXPECT_NE(leaves.message().find("max_leaves=1 is out of range"), std::string::npos) << leaves.message();
  Status type = ApplyGbdtParams({{"num_iterations", "ten"}}, &p);
  EXPECT_NE(type.message().find("is not a whole number"), std::string::npos);
  GbdtParams fresh;
  Status multi = ApplyGbdtParams({{"objective", "multiclass"}}, &fresh);
  EXPECT_NE(multi.message().find("needs num_class >= 2"), std::string::npos);
  GbdtParams q;
  EXPECT_TRUE(ApplyGbdtParams({{"n_estimators", "7"}, {"eta", "0.3"}, {"subsample", "0.5"}, {"subsample_freq", "1"}}, &q).ok());
  EXPECT_EQ(q.num_iterations, 7);
  EXPECT_EQ(q.learning_rate, 0.3);
}

TEST(ModelFile, RejectsCorruptForeignAndNewerFiles) {
  TempDir dir;
  auto ds = Synthetic(dir, 2000, 7);
  auto model = TrainGbdt(ds, Params({{"num_iterations", "3"}}));
  ASSERT_TRUE(model.ok());
  nlohmann::json doc = ModelToJson(*model);
  auto error_of = [&](const nlohmann::json& d) {
    auto r = ModelFromJson(d, "m.json");
    return r.ok() ? std::string("(no error)") : r.status().message();
  };
  EXPECT_EQ(error_of(doc), "(no error)");
  auto newer = doc;
  newer["format_version"] = 99;
  EXPECT_NE(error_of(newer).find("written by a newer Tessera (model format 99"), std::string::npos);
  EXPECT_NE(error_of(nlohmann::json::parse(R"({"hello": 1})")).find("not a Tessera model"), std::string::npos);
  auto bad_tree = doc;
  bad_tree["model"]["trees"][0]["nodes"][0]["left"] = 12345;
  EXPECT_NE(error_of(bad_tree).find("tree 0"), std::string::npos) << error_of(bad_tree);
  auto bad_leaf = doc;
  bad_leaf["model"]["trees"][1]["leaf_values"].erase(0);
  EXPECT_NE(error_of(bad_leaf).find("tree 1"), std::string::npos);
  auto bad_feature = doc;
  bad_feature["model"]["trees"][0]["nodes"][0]["feature"] = 500;
  EXPECT_NE(error_of(bad_feature).find("feature out of range"), std::string::npos);
  std::string path = dir.Write("broken.json", "{\"format_version\": 1, ");
  auto broken = LoadModel(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace tessera::models::gbdt

namespace tessera::models::gbdt {
namespace {

// Labels driven by a 300-level category: one categorical column against its one-hot expansion.
TEST(Gbdt, CategoricalSplitsBeatOneHotOnHighCardinality) {
  TempDir dir;
  const int levels = 300;
  auto effect = [](int c) { return 4.0 * (static_cast<double>((c * 2654435761u) % 1000) / 1000.0 - 0.5); };
  auto write = [&](const std::string& name, int rows, uint64_t seed, bool one_hot) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::string text;
    if (one_hot)
      for (int c = 0; c < levels; ++c) text += "is_" + std::to_string(c) + ",";
    else
      text += "level,";
    text += "y\n";
    for (int i = 0; i < rows; ++i) {
      int c = static_cast<int>(u(rng) * levels);
      if (one_hot)
        for (int k = 0; k < levels; ++k) text += (k == c ? "1," : "0,");
      else
        text += "L" + std::to_string(c) + ",";
      text += (u(rng) < 1 / (1 + std::exp(-effect(c))) ? "1\n" : "0\n");
    }
    return dir.Write(name, text);
  };
  auto run = [&](bool one_hot) {
    data::IngestOptions io;
    io.schema.label = "y";
    io.max_bin = 512;
    auto train = data::IngestBinned({write(one_hot ? "oh_train.csv" : "cat_train.csv", 20000, 1, one_hot)}, io);
    EXPECT_TRUE(train.ok()) << train.status().message();
    auto valid = data::IngestWithReference({write(one_hot ? "oh_valid.csv" : "cat_valid.csv", 5000, 2, one_hot)}, io, *train, true);
    EXPECT_TRUE(valid.ok()) << valid.status().message();
    if (!one_hot) {
      EXPECT_EQ(train->bytes_per_cell(), 2);  // 300 categories need more than 256 bins
    }
    auto model = TrainGbdt(*train, Params({{"num_iterations", "40"}, {"num_leaves", "15"}, {"max_bin", "512"}}));
    EXPECT_TRUE(model.ok());
    return metrics::LogLoss(valid->labels(), model->Predict(*valid));
  };
  double categorical = run(false), one_hot = run(true);
  std::printf("validation logloss: categorical %.4f, one-hot %.4f\n", categorical, one_hot);
  EXPECT_LT(categorical, one_hot - 0.01);
}

TEST(Gbdt, L1LeavesAreResidualMedians) {
  TempDir dir;
  // Two groups with skewed noise: the L1 fit must land on each group's median, not its mean.
  std::string text = "g,y\n";
  for (int i = 0; i < 1000; ++i) {
    int g = i % 2;
    double y = g * 10 + ((i / 2) % 10 == 0 ? 100 : (i / 2) % 5);  // median g*10+2, mean far higher
    text += std::to_string(g) + "," + std::to_string(y) + "\n";
  }
  data::IngestOptions io;
  io.schema.label = "y";
  auto ds = data::IngestBinned({dir.Write("l1.csv", text)}, io);
  ASSERT_TRUE(ds.ok());
  auto model = TrainGbdt(*ds, Params({{"objective", "l1"}, {"num_iterations", "50"}, {"learning_rate", "0.5"}, {"min_data_in_leaf", "5"}}));
  ASSERT_TRUE(model.ok());
  auto p = model->Predict(*ds);
  EXPECT_NEAR(p[0], 2.0, 0.6);
  EXPECT_NEAR(p[1], 12.0, 0.6);
}

}  // namespace
}  // namespace tessera::models::gbdt
