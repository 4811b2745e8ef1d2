// The train -> predict -> eval round trip through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

TEST(CliTrain, TrainPredictEvalOnSyntheticData) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 6000 --seed 1").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "gen -o test.csv --rows 2000 --seed 2").exit_code, 0);
  auto train = RunTessera(dir, "train --data train.csv --label label --valid test.csv -o model.json "
                               "-p num_iterations=30 -p num_leaves=15 -p metric=auc --log-every 10 --json");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.err.find("[10]  valid_0 auc:"), std::string::npos) << train.err;
  auto summary = nlohmann::json::parse(train.out);
  EXPECT_EQ(summary["iterations"], 30);
  double auc = summary["valid_metrics"]["valid_0 auc"].get<double>();
  EXPECT_GT(auc, 0.65);

  auto predict = RunTessera(dir, "predict -m model.json --data test.csv -o preds.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::istringstream preds(testing::ReadFile(dir.Path("preds.csv")));
  std::string line;
  std::getline(preds, line);
  EXPECT_EQ(line, "prediction");
  size_t rows = 0;
  while (std::getline(preds, line)) {
    double p = std::stod(line);
    EXPECT_GT(p, 0);
    EXPECT_LT(p, 1);
    ++rows;
  }
  EXPECT_EQ(rows, 2000u);

  auto eval = RunTessera(dir, "eval -m model.json --data test.csv --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NEAR(nlohmann::json::parse(eval.out)["auc"].get<double>(), auc, 1e-12);

  auto leaves = RunTessera(dir, "predict -m model.json --data test.csv --pred-leaf -o leaves.csv -q");
  ASSERT_EQ(leaves.exit_code, 0) << leaves.err;
  EXPECT_EQ(testing::ReadFile(dir.Path("leaves.csv")).substr(0, 14), "tree_0,tree_1,");

  // Continue training from the model: 30 more trees.
  auto more = RunTessera(dir, "train --data train.csv --label label --init-model model.json -o model2.json "
                              "-p num_iterations=30 -p num_leaves=15 --json -q");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(nlohmann::json::parse(more.out)["iterations"], 60);
}

TEST(CliTrain, RandomForestAndExtraTreesEndToEnd) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 6000 --seed 1").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "gen -o test.csv --rows 2000 --seed 2").exit_code, 0);
  const std::string forest = " --param boosting=rf --param bagging_fraction=0.632 --param bagging_freq=1 "
                             "--param feature_fraction=0.7 -p num_iterations=40 -p num_leaves=63 -p metric=auc";
  auto rf = RunTessera(dir, "train --data train.csv --label label --valid test.csv -o rf.json --json -q" + forest);
  ASSERT_EQ(rf.exit_code, 0) << rf.err;
  const double auc = nlohmann::json::parse(rf.out)["valid_metrics"]["valid_0 auc"].get<double>();
  EXPECT_GT(auc, 0.65);
  const auto doc = nlohmann::json::parse(testing::ReadFile(dir.Path("rf.json")));
  EXPECT_EQ(doc["model"]["forest"]["kind"], "random_forest");
  EXPECT_EQ(doc["model"]["params"]["boosting"], "rf");
  // The saved forest predicts what training measured: eval gives the same AUC.
  auto eval = RunTessera(dir, "eval -m rf.json --data test.csv --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NEAR(nlohmann::json::parse(eval.out)["auc"].get<double>(), auc, 1e-9);
  // Growing the forest: 20 more trees, averaged with the first 40.
  auto more = RunTessera(dir, "train --data train.csv --label label --init-model rf.json -o rf60.json --json -q" + forest +
                                  " -p num_iterations=20");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(nlohmann::json::parse(more.out)["iterations"], 60);
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFile(dir.Path("rf60.json")))["model"]["forest"]["averaged_trees"], 60);

  EXPECT_EQ(nlohmann::json::parse(rf.out)["family"], "random_forest");
  auto et = RunTessera(dir, "train --data train.csv --label label -o et.json --no-track" + forest + " -p extra_trees=true");
  ASSERT_EQ(et.exit_code, 0) << et.err;
  EXPECT_NE(et.out.find("trained 40 iterations (40 trees, a forest of extra trees, averaged)"), std::string::npos) << et.out;
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFile(dir.Path("et.json")))["model"]["forest"]["kind"], "extra_trees");
  auto predict = RunTessera(dir, "predict -m et.json --data test.csv -o et.csv -q");
  EXPECT_EQ(predict.exit_code, 0) << predict.err;

  // Without subsets a forest is refused, naming the parameters to set.
  auto bad = RunTessera(dir, "train --data train.csv --label label -o bad.json -q -p boosting=rf");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bagging_fraction"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("bad.json")));
}

TEST(CliTrain, TextLabelsAndMulticlass) {
  TempDir dir;
  std::string text = "a,b,species\n";
  for (int i = 0; i < 300; ++i)
    text += std::to_string(i % 3 + 0.1 * (i % 7)) + "," + std::to_string(i % 5) + "," +
            (i % 3 == 0 ? "setosa" : i % 3 == 1 ? "versicolor" : "virginica") + "\n";
  dir.Write("iris.csv", text);
  auto train = RunTessera(dir, "train --data iris.csv --label species --objective multiclass -o m.json -p num_iterations=20 -p min_data_in_leaf=5 -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto predict = RunTessera(dir, "predict -m m.json --data iris.csv -o p.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(testing::ReadFile(dir.Path("p.csv")).substr(0, 42), "prob_setosa,prob_versicolor,prob_virginica");
  auto eval = RunTessera(dir, "eval -m m.json --data iris.csv --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_LT(nlohmann::json::parse(eval.out)["multi_error"].get<double>(), 0.05);
}

TEST(CliTrain, BadParametersAndModelsExitOne) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o t.csv --rows 500").exit_code, 0);
  auto bad = RunTessera(dir, "train --data t.csv --label label -o m.json -p num_leaves=0");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("num_leaves=0 is out of range"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("m.json")));
  auto unknown = RunTessera(dir, "train --data t.csv --label label -o m.json -p colour=blue");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("unknown parameter 'colour'"), std::string::npos);
  dir.Write("fake.json", "{\"format_version\": 7}");
  auto fake = RunTessera(dir, "predict -m fake.json --data t.csv -o p.csv");
  EXPECT_EQ(fake.exit_code, 1);
  EXPECT_NE(fake.err.find("newer Tessera"), std::string::npos) << fake.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("p.csv")));
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

// A column holding -inf: the model (whose JSON has no infinities) still saves, loads and predicts.
TEST(CliTrain, InfiniteValuesKeepTheModelLoadable) {
  testing::TempDir dir;
  std::string text = "x,y,label\n";
  for (int i = 0; i < 400; ++i)
    text += std::string(i % 7 == 0 ? "-inf" : i % 11 == 0 ? "inf" : std::to_string(i % 13)) + "," + std::to_string(i % 5) + "," +
            std::to_string((i % 13 > 6) ^ (i % 7 == 0)) + "\n";
  dir.Write("t.csv", text);
  auto train = testing::RunTessera(dir, "train --data t.csv --label label -o m.json -p num_iterations=5 -p min_data_in_leaf=5 -q --no-track");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto predict = testing::RunTessera(dir, "predict -m m.json --data t.csv -o p.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
}

}  // namespace
}  // namespace tessera
