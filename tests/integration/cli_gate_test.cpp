// tessera gate through the real binary: a better candidate is promoted (exit 0, alias moved), a
// worse one rejected (exit 3, alias kept), and latency and drift limits reject too.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

class CliGate : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 4000 --seed 1").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "gen -o holdout.csv --rows 2000 --seed 2").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "gen -o shifted.csv --rows 2000 --seed 2 --missing 0.6").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "train --data train.csv --label label -o weak.json -p num_iterations=2 -p num_leaves=3 -q").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "train --data train.csv --label label -o strong.json -p num_iterations=60 -q").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "models register churn --model weak.json --alias champion").exit_code, 0) << "register";
  }
  int ChampionVersion() {
    auto show = RunTessera(dir, "models show churn@champion --json");
    return nlohmann::json::parse(show.out)[0]["version"].get<int>();
  }
  TempDir dir;
};

TEST_F(CliGate, PromotesABetterCandidateAndRejectsAWorseOne) {
  auto better = RunTessera(dir, "gate --candidate strong.json --champion models:/churn@champion --data holdout.csv "
                                "--label label --metric auc --min-delta 0.01 --promote --json -q");
  ASSERT_EQ(better.exit_code, 0) << better.out << better.err;
  auto j = nlohmann::json::parse(better.out);
  EXPECT_TRUE(j["pass"].get<bool>());
  EXPECT_GT(j["candidate"].get<double>(), j["champion"].get<double>() + 0.01);
  EXPECT_EQ(ChampionVersion(), 2);  // strong.json became version 2 and the alias moved

  auto worse = RunTessera(dir, "gate --candidate weak.json --champion models:/churn@champion --data holdout.csv "
                               "--label label --promote -q");
  EXPECT_EQ(worse.exit_code, 3) << worse.out << worse.err;
  EXPECT_NE(worse.out.find("REJECT"), std::string::npos) << worse.out;
  EXPECT_NE(worse.out.find("auc: candidate"), std::string::npos) << worse.out;
  EXPECT_EQ(ChampionVersion(), 2);  // unchanged
}

TEST_F(CliGate, LatencyAndDriftLimits) {
  auto slow = RunTessera(dir, "gate --candidate strong.json --champion models:/churn@champion --data holdout.csv "
                              "--label label --max-latency-us 0.0001 --json -q");
  EXPECT_EQ(slow.exit_code, 3) << slow.err;
  EXPECT_GT(nlohmann::json::parse(slow.out)["latency_us"].get<double>(), 0.0001);

  auto same = RunTessera(dir, "gate --candidate strong.json --champion models:/churn@champion --data holdout.csv "
                              "--label label --max-drift-psi 0.1 --json -q");
  ASSERT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_LT(nlohmann::json::parse(same.out)["max_psi"].get<double>(), 0.1);

  auto drift = RunTessera(dir, "gate --candidate strong.json --champion models:/churn@champion --data shifted.csv "
                               "--label label --max-drift-psi 0.1 --json -q");
  EXPECT_EQ(drift.exit_code, 3) << drift.out << drift.err;
  auto d = nlohmann::json::parse(drift.out);
  EXPECT_GT(d["max_psi"].get<double>(), 0.1);
  bool drift_reason = false;
  for (const auto& reason : d["reasons"]) drift_reason |= reason.get<std::string>().find("drift") != std::string::npos;
  EXPECT_TRUE(drift_reason) << drift.out;

  auto bad = RunTessera(dir, "gate --candidate strong.json --champion weak.json --data holdout.csv --label label --promote");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("models:/NAME@ALIAS"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tessera
