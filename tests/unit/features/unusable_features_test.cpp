#include "tessera/features/unusable_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::features {
namespace {

using tessera::testing::TempDir;

std::vector<std::string> Names(const std::vector<UnusableFeature>& found) {
  std::vector<std::string> out;
  for (const auto& u : found) out.push_back(u.name);
  return out;
}

data::BinnedDataset Table(const TempDir& dir, int rows) {
  std::mt19937_64 rng(11);
  std::vector<int> shuffled(static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) shuffled[static_cast<size_t>(i)] = i;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<double> sorted_distance(static_cast<size_t>(rows));
  for (auto& d : sorted_distance) d = static_cast<double>(rng() % 1000000) / 100.0;
  std::sort(sorted_distance.begin(), sorted_distance.end());
  std::ostringstream csv;
  csv << "id,falling_id,shuffled_id,distance,sorted_distance,day,code,city,constant,empty,y\n";
  for (int i = 0; i < rows; ++i) {
    const size_t k = static_cast<size_t>(i);
    csv << i << "," << 5 * (rows - i) << "," << shuffled[k] << "," << static_cast<double>(rng() % 100000) / 7.0 << ","
        << sorted_distance[k] << "," << i / 7 << ",u" << rng() << ",c" << rng() % 30 << ",x,," << i % 2 << "\n";
  }
  data::IngestOptions options;
  options.schema.label = "y";
  auto ds = data::IngestBinned({dir.Write("t.csv", csv.str())}, options);
  EXPECT_TRUE(ds.ok()) << ds.status().message();
  return std::move(ds).value();
}

TEST(UnusableFeatures, ConstantAndIdLikeButNotGenuineFeatures) {
  TempDir dir;
  for (int rows : {150, 3000}) {  // fewer and more rows than bins
    const auto ds = Table(dir, rows);
    const auto found = FindUnusableFeatures(ds);
    EXPECT_EQ(Names(found), (std::vector<std::string>{"id", "falling_id", "code", "constant", "empty"})) << rows;
    for (const auto& u : found) {
      if (u.name == "constant" || u.name == "empty") {
        EXPECT_EQ(u.reason, "constant");
      } else {
        EXPECT_EQ(u.reason.rfind("ID-like", 0), 0u) << u.reason;
      }
    }
    // A time column stays whatever it looks like.
    EXPECT_EQ(Names(FindUnusableFeatures(ds, 0)).front(), "falling_id");
  }
  // Too few rows to tell an ID from a small integer feature.
  EXPECT_EQ(Names(FindUnusableFeatures(Table(dir, 40))), (std::vector<std::string>{"constant", "empty"}));
}

TEST(UnusableFeatures, WithoutFeaturesIgnoresTheirColumns) {
  TempDir dir;
  const auto ds = Table(dir, 150);
  const auto kept = data::WithoutFeatures(ds, {0, 6});
  ASSERT_EQ(kept.num_features(), ds.num_features() - 2);
  EXPECT_EQ(kept.feature_name(0), "falling_id");
  EXPECT_EQ(kept.schema().column(0).role, data::ColumnRole::kIgnored);
  EXPECT_EQ(kept.schema().column(6).role, data::ColumnRole::kIgnored);
  EXPECT_EQ(kept.labels(), ds.labels());
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    EXPECT_EQ(kept.bin(r, 0), ds.bin(r, 1));
    EXPECT_EQ(kept.bin(r, 5), ds.bin(r, 7));
  }
}

}  // namespace
}  // namespace tessera::features
