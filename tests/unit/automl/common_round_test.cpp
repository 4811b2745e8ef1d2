// Cross-validated boosting stops every fold at the round whose mean metric is best.
#include <gtest/gtest.h>

#include "synthetic_binned.h"
#include "tessera/automl/automl.h"
#include "tessera/automl/common_round.h"

namespace tessera::automl {
namespace {

using testing::SyntheticBinned;
using testing::TempDir;

TEST(CommonRound, TheBestMeanOfTheRoundsEveryFoldReached) {
  // Each fold alone peaks at another round (2, 3 and 1); their mean peaks at round 3.
  const std::vector<std::vector<double>> auc = {{0.70, 0.90, 0.80, 0.99}, {0.60, 0.70, 0.95}, {0.80, 0.70, 0.75, 0.70}};
  EXPECT_EQ(BestCommonRound(auc, true), 3u);  // round 4 is past the second fold's end
  const std::vector<std::vector<double>> rmse = {{3, 2, 1, 2}, {3, 1, 2, 1}};
  EXPECT_EQ(BestCommonRound(rmse, false), 2u);  // rounds 2 to 4 tie (1.5): the fewest rounds
  EXPECT_EQ(BestCommonRound({{0.5}, {}}, true), 0u);
  EXPECT_EQ(BestCommonRound({}, true), 0u);
}

TEST(CommonRound, RoundsSinceTheBestOfOneFold) {
  EXPECT_EQ(RoundsSinceBest({0.7, 0.9, 0.8, 0.85}, true), 2);
  EXPECT_EQ(RoundsSinceBest({0.7, 0.9, 0.9}, true), 0);  // equal values: the latest is the best
  EXPECT_EQ(RoundsSinceBest({5, 3, 4}, false), 1);
  EXPECT_EQ(RoundsSinceBest({}, true), 0);
}

TEST(AutoMlCommonRound, EveryFoldOfACrossValidatedTrialStopsAtTheSameRound) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 600, 4);
  AutoMlOptions options;
  options.max_trials = 12;
  options.seed = 2;
  options.cv_folds = 5;
  options.families = {"gbdt"};
  options.ensemble = false;
  options.refit = false;  // the model is the best trial's first fold's
  auto r = RunAutoMl(ds, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_NE(r->model.gbdt(), nullptr);
  // The leaderboard's rounds are the folds' mean: the first fold's are all of them.
  EXPECT_EQ(static_cast<int>(r->model.gbdt()->num_iterations()), r->leaderboard[0].rounds);
  EXPECT_EQ(r->model.gbdt()->training_info()["iterations"], r->leaderboard[0].rounds);
  bool stopped_early = false;  // some trial stopped before its rung's rounds
  for (const auto& row : r->leaderboard) stopped_early |= row.converged;
  EXPECT_TRUE(stopped_early);
}

}  // namespace
}  // namespace tessera::automl
