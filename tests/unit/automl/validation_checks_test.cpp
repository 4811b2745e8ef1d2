// AutoML refuses validation folds it cannot score, before any trial runs: a fold whose rows hold
// one class only would score AUC as NaN and every trial would tie.
#include <gtest/gtest.h>

#include <string>

#include "tessera/automl/automl.h"
#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::automl {
namespace {

using tessera::testing::TempDir;

data::BinnedDataset Read(const std::string& path) {
  data::IngestOptions io;
  io.schema.label = "y";
  auto ds = data::IngestBinned({path}, io);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

// `rows` rows of x = row number mod 37 (a row number alone would be left out as ID-like); y = 1 on
// the first `positives` rows.
std::string Table(const TempDir& dir, int rows, int positives) {
  std::string csv = "x,y\n";
  for (int r = 0; r < rows; ++r) csv += std::to_string(r % 37) + "," + (r < positives ? "1" : "0") + "\n";
  return dir.Write("t" + std::to_string(positives) + ".csv", csv);
}

TEST(AutoMlValidation, AFoldOfOneClassIsAClearErrorNotANanLeaderboard) {
  TempDir dir;
  AutoMlOptions options;
  options.max_trials = 2;
  options.families = {"gbdt"};
  // 200 rows are cross-validated in 5 stratified folds: 3 positives leave two folds without one.
  auto r = RunAutoMl(Read(Table(dir, 200, 3)), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("of 5-fold cv (stratified) holds one class only"), std::string::npos)
      << r.status().message();
  // A holdout (--cv 1) of 20% gets one of the 3 positives: it can be scored.
  options.cv_folds = 1;
  auto holdout = RunAutoMl(Read(Table(dir, 200, 3)), options);
  ASSERT_TRUE(holdout.ok()) << holdout.status().message();
  for (const auto& row : holdout->leaderboard) EXPECT_TRUE(row.score == row.score) << "NaN score";
}

}  // namespace
}  // namespace tessera::automl
