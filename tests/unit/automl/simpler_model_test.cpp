// The one-standard-error rule of a cross-validated search: a linear configuration that the folds
// cannot tell from the best is kept (and heads the leaderboard); one clearly worse is not.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "test_files.h"
#include "tessera/automl/automl.h"
#include "tessera/models/linear/training_rows.h"

namespace tessera::automl {
namespace {

using testing::TempDir;

// Regression rows: y = 2 x1 - x2 + bump * [x1 > 0] * x2 + noise * N(0, 1).
Result<AutoMlResult> Search(const TempDir& dir, double bump, double noise, size_t rows) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0, 1);
  std::string csv = "x1,x2,x3,y\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x1 = normal(rng), x2 = normal(rng), x3 = normal(rng);
    const double y = 2 * x1 - x2 + bump * (x1 > 0) * x2 + noise * normal(rng);
    csv += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(x3) + "," + std::to_string(y) + "\n";
  }
  const std::string path = dir.Write("t" + std::to_string(bump) + ".csv", csv);
  data::IngestOptions io;
  io.schema.label = "y";
  TESSERA_ASSIGN_OR_RETURN(data::BinnedDataset ds, data::IngestBinned({path}, io));
  TESSERA_ASSIGN_OR_RETURN(data::CodedRows raw, models::linear::ReadTrainingRows({path}, io, ds));
  AutoMlOptions options;
  options.max_trials = 40;
  options.seed = 3;
  options.raw_rows = &raw;
  return RunAutoMl(ds, options);
}

TEST(AutoMlSimplerModel, ALinearModelTheFoldsCannotTellFromTheBestIsKept) {
  TempDir dir;
  // Mostly linear with a small kink and much noise: the trees validate a little better, not clearly.
  auto r = Search(dir, 1.0, 2.0, 300);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->choice.empty()) << "best: " << r->leaderboard[0].family << " " << r->leaderboard[0].score;
  EXPECT_NE(r->choice.find("within one standard error"), std::string::npos) << r->choice;
  EXPECT_EQ(r->leaderboard[0].family, "linear");
  EXPECT_EQ(r->model.family(), "linear");
  EXPECT_FALSE(r->ensemble);
  bool a_better_one = false;  // the rule chose it though something scored better
  for (const auto& row : r->leaderboard) a_better_one |= row.score < r->leaderboard[0].score;
  EXPECT_TRUE(a_better_one);
}

TEST(AutoMlSimplerModel, ALinearModelClearlyWorseIsNot) {
  TempDir dir;
  // A strong interaction a linear model cannot fit.
  auto r = Search(dir, 6.0, 0.3, 300);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->choice.empty()) << r->choice;
  EXPECT_NE(r->leaderboard[0].family, "linear");
  EXPECT_NE(r->model.family(), "linear");
}

}  // namespace
}  // namespace tessera::automl
