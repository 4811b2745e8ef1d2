#include "tessera/data/bin_rows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::data {
namespace {

using tessera::testing::TempDir;

TEST(BinFloatRows, BinsAsReadingTheSameRowsFromCsv) {
  TempDir dir;
  // x numeric, code categorical (numeric codes), both with missing values.
  std::mt19937_64 rng(4);
  std::vector<std::array<float, 2>> values;
  {
    std::ofstream csv(dir.Path("t.csv"));
    csv << "x,code,label\n";
    for (int i = 0; i < 3000; ++i) {
      const float x = static_cast<float>(rng() % 10000) / 100.0f;
      const int code = static_cast<int>(rng() % 40);
      const bool x_missing = rng() % 10 == 0, code_missing = rng() % 10 == 0;
      csv << (x_missing ? "" : std::to_string(x)) << "," << (code_missing ? "" : std::to_string(code)) << "," << (rng() % 2) << "\n";
    }
  }
  IngestOptions options;
  options.schema.label = "label";
  options.schema.categorical = {"code"};
  auto train = IngestBinned({dir.Path("t.csv")}, options);
  ASSERT_TRUE(train.ok()) << train.status().message();
  const BinnedDataset reference(train->schema(), train->feature_columns(), train->mappers(), 0);

  // New rows: values seen, unseen categories (95, 2.5), and missing ones.
  std::vector<float> rows = {12.5f, 3, NAN, 7, 99.99f, NAN, 0.01f, 95, 50, 2.5f, -3, 39};
  {
    std::ofstream csv(dir.Path("new.csv"));
    csv << "x,code\n12.5,3\n,7\n99.99,\n0.01,95\n50,2.5\n-3,39\n";
  }
  auto from_csv = IngestWithReference({dir.Path("new.csv")}, options, reference, false);
  ASSERT_TRUE(from_csv.ok()) << from_csv.status().message();
  const BinnedDataset from_values = BinFloatRows(reference, rows.data(), 6);
  ASSERT_EQ(from_values.num_rows(), 6u);
  for (size_t r = 0; r < 6; ++r)
    for (size_t f = 0; f < 2; ++f) EXPECT_EQ(from_values.bin(r, f), from_csv->bin(r, f)) << "row " << r << " feature " << f;
  EXPECT_EQ(from_values.bin(1, 0), BinMapper::kMissingBin);
  EXPECT_EQ(from_values.bin(3, 1), reference.mappers()[1].rare_bin());
}

}  // namespace
}  // namespace tessera::data
