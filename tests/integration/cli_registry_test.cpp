// Tracking and the registry through the real binary: train and eval record runs; versions,
// aliases and model references; lineage; a corrupt artifact is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

TEST(CliRegistry, TrainRegisterAliasPredictLineage) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o t.csv --rows 2000 --seed 3").exit_code, 0);
  auto train = RunTessera(dir, "train --data t.csv --label label --valid t.csv -o m1.json -p num_iterations=5 --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const std::string run1 = nlohmann::json::parse(train.out)["run_id"];
  ASSERT_EQ(run1.size(), 32u);
  auto train2 = RunTessera(dir, "train --data t.csv --label label -o m2.json -p num_iterations=8 --tag team=risk --json -q");
  ASSERT_EQ(train2.exit_code, 0) << train2.err;
  ASSERT_EQ(RunTessera(dir, "eval -m m1.json --data t.csv -q").exit_code, 0);
  // --no-track records nothing.
  ASSERT_EQ(RunTessera(dir, "train --data t.csv --label label -o m3.json -p num_iterations=2 --no-track -q").exit_code, 0);

  auto runs = RunTessera(dir, "runs list --json");
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  auto list = nlohmann::json::parse(runs.out);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(RunTessera(dir, "runs list --kind train --json").out.find("\"eval\""), std::string::npos);
  auto tagged = nlohmann::json::parse(RunTessera(dir, "runs list --tag team=risk --json").out);
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0]["params"]["num_iterations"], 8);
  auto show = nlohmann::json::parse(RunTessera(dir, "runs show " + run1.substr(0, 8) + " --json").out);
  EXPECT_EQ(show["params"]["num_iterations"], 5);
  EXPECT_NE(show["command"].get<std::string>().find("-p num_iterations=5"), std::string::npos);
  EXPECT_EQ(show["artifacts"][0]["name"], "model");
  EXPECT_EQ(show["status"], "finished");

  auto reg = RunTessera(dir, "models register churn --run " + run1 + " --alias champion --description first --json");
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  EXPECT_EQ(nlohmann::json::parse(reg.out)["version"], 1);
  auto reg2 = RunTessera(dir, "models register churn --model m2.json --json");
  ASSERT_EQ(reg2.exit_code, 0) << reg2.err;
  EXPECT_EQ(nlohmann::json::parse(reg2.out)["version"], 2);

  // The same predictions from the file and from the reference.
  ASSERT_EQ(RunTessera(dir, "predict -m m1.json --data t.csv -o a.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m models:/churn@champion --data t.csv -o b.csv -q").exit_code, 0);
  EXPECT_EQ(testing::ReadFile(dir.Path("a.csv")), testing::ReadFile(dir.Path("b.csv")));
  ASSERT_EQ(RunTessera(dir, "models alias churn champion 2").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m models:/churn@champion --data t.csv -o c.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m m2.json --data t.csv -o d.csv -q").exit_code, 0);
  EXPECT_EQ(testing::ReadFile(dir.Path("c.csv")), testing::ReadFile(dir.Path("d.csv")));

  auto lineage = nlohmann::json::parse(RunTessera(dir, "models lineage churn@champion --json").out);
  ASSERT_EQ(lineage.size(), 1u);
  EXPECT_EQ(lineage[0]["run"]["params"]["num_iterations"], 8);  // m2's run, found through the file's run id
  EXPECT_EQ(lineage[0]["same_data"].size(), 2u);
  const std::string fingerprint = lineage[0]["run"]["data_fingerprint"];
  auto trained_on = nlohmann::json::parse(RunTessera(dir, "models lineage --fingerprint " + fingerprint + " --json").out);
  EXPECT_EQ(trained_on.size(), 2u);

  auto missing = RunTessera(dir, "predict -m models:/churn@nobody --data t.csv -o e.csv");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no alias 'nobody'"), std::string::npos) << missing.err;
}

TEST(CliRegistry, CorruptArtifactIsRefused) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o t.csv --rows 500 --seed 3").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "train --data t.csv --label label -o m.json -p num_iterations=3 -q").exit_code, 0);
  auto reg = RunTessera(dir, "models register m --model m.json --json");
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  const std::string sha = nlohmann::json::parse(reg.out)["artifact"];
  const std::string path = dir.Path("tessera-store/artifacts/" + sha.substr(0, 2) + "/" + sha);
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('#');
  }
  auto predict = RunTessera(dir, "predict -m models:/m/1 --data t.csv -o p.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_NE(predict.err.find("corrupt"), std::string::npos) << predict.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("p.csv")));
}

}  // namespace
}  // namespace tessera
