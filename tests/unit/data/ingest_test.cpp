#include "tessera/data/ingest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tessera/data/synthetic.h"
#include "test_files.h"

namespace tessera::data {
namespace {

using tessera::testing::TempDir;

IngestOptions WithLabel(const std::string& label) {
  IngestOptions o;
  o.schema.label = label;
  return o;
}

TEST(Ingest, BinsFeaturesAndKeepsLabelsAndWeights) {
  TempDir dir;
  auto f = dir.Write("t.csv",
                     "x,color,w,y\n"
                     "1,red,1,0\n"
                     "2,blue,2,1\n"
                     ",red,0.5,1\n"
                     "3,,1,0\n");
  IngestOptions o = WithLabel("y");
  o.schema.weight = "w";
  auto ds = IngestBinned({f}, o);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->num_rows(), 4u);
  ASSERT_EQ(ds->num_features(), 2u);
  EXPECT_EQ(ds->feature_name(0), "x");
  EXPECT_EQ(ds->feature_name(1), "color");
  EXPECT_EQ(ds->bytes_per_cell(), 1);
  EXPECT_EQ(ds->bin(2, 0), BinMapper::kMissingBin);  // empty x
  EXPECT_EQ(ds->bin(0, 0), 1u);
  EXPECT_EQ(ds->bin(3, 0), 3u);
  EXPECT_EQ(ds->bin(3, 1), BinMapper::kMissingBin);  // empty color
  EXPECT_EQ(ds->bin(0, 1), 1u);                      // red is the most frequent
  EXPECT_EQ(ds->bin(1, 1), 2u);
  EXPECT_EQ(ds->labels(), (std::vector<float>{0, 1, 1, 0}));
  EXPECT_EQ(ds->weights(), (std::vector<float>{1, 2, 0.5f, 1}));
}

TEST(Ingest, TextLabelsBecomeSortedClasses) {
  TempDir dir;
  auto f = dir.Write("t.csv", "x,species\n1,setosa\n2,virginica\n3,setosa\n4,versicolor\n");
  auto ds = IngestBinned({f}, WithLabel("species"));
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->label_classes(), (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(ds->labels(), (std::vector<float>{0, 2, 0, 1}));
}

TEST(Ingest, MissingLabelAndBadWeightAreErrorsWithLines) {
  TempDir dir;
  auto f = dir.Write("t.csv", "x,y\n1,0\n2,\n");
  auto ds = IngestBinned({f}, WithLabel("y"));
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("t.csv:3: missing value in label column 'y'"), std::string::npos)
      << ds.status().message();
  auto g = dir.Write("w.csv", "x,w,y\n1,1,0\n2,-1,1\n");
  IngestOptions o = WithLabel("y");
  o.schema.weight = "w";
  auto dw = IngestBinned({g}, o);
  ASSERT_FALSE(dw.ok());
  EXPECT_NE(dw.status().message().find("w.csv:3: expected a finite weight"), std::string::npos) << dw.status().message();
  auto nolabel = IngestBinned({f}, WithLabel("target"));
  ASSERT_FALSE(nolabel.ok());
  EXPECT_NE(nolabel.status().message().find("--label names column 'target'"), std::string::npos);
  auto header_only = IngestBinned({dir.Write("h.csv", "x,y\n")}, WithLabel("y"));
  ASSERT_FALSE(header_only.ok());
  EXPECT_NE(header_only.status().message().find("no data rows"), std::string::npos);
}

TEST(Ingest, ManyCategoriesShareTheRareBucket) {
  TempDir dir;
  std::string text = "c,y\n";
  for (int i = 0; i < 1000; ++i) text += "k" + std::to_string(i % 300) + "," + std::to_string(i % 2) + "\n";
  IngestOptions o = WithLabel("y");
  o.max_bin = 64;
  auto ds = IngestBinned({dir.Write("t.csv", text)}, o);
  ASSERT_TRUE(ds.ok());
  const BinMapper& m = ds->mappers()[0];
  EXPECT_EQ(m.num_bins(), 64u);
  size_t rare = 0;
  for (size_t r = 0; r < ds->num_rows(); ++r) rare += ds->bin(r, 0) == m.rare_bin();
  EXPECT_GT(rare, 0u);
  EXPECT_LT(rare, ds->num_rows());
}

TEST(Ingest, WideFeaturesUseTwoBytesPerCell) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + ",1\n";
  IngestOptions o = WithLabel("y");
  o.max_bin = 1024;
  auto ds = IngestBinned({dir.Write("t.csv", text)}, o);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->bytes_per_cell(), 2);
  EXPECT_GT(ds->mappers()[0].num_bins(), 256u);
  EXPECT_LT(ds->bin(0, 0), ds->bin(1999, 0));
}

TEST(Ingest, SameMatrixForAnyThreadCountAndChunkSize) {
  TempDir dir;
  SyntheticOptions so;
  so.rows = 20000;
  so.categoricals = 2;
  so.missing_rate = 0.05;
  std::string f = dir.Path("g.csv");
  ASSERT_TRUE(WriteSyntheticCsv(so, f).ok());
  IngestOptions a = WithLabel("label");
  a.read.threads = 1;
  IngestOptions b = WithLabel("label");
  b.read.threads = 3;
  b.read.chunk_bytes = 100000;
  auto da = IngestBinned({f}, a);
  auto db = IngestBinned({f}, b);
  ASSERT_TRUE(da.ok() && db.ok());
  ASSERT_EQ(da->cells_bytes(), db->cells_bytes());
  EXPECT_EQ(0, std::memcmp(da->cells(), db->cells(), da->cells_bytes()));
  EXPECT_EQ(da->labels(), db->labels());
  for (size_t f2 = 0; f2 < da->num_features(); ++f2) EXPECT_EQ(da->mappers()[f2].ToJson(), db->mappers()[f2].ToJson());
}

TEST(Ingest, LibSvmInput) {
  TempDir dir;
  auto f = dir.Write("t.libsvm", "1 0:1 2:5\n0 1:2\n1 2:7\n");
  auto ds = IngestBinned({f}, IngestOptions{});
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->num_features(), 3u);
  EXPECT_EQ(ds->labels(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(ds->bin(1, 2), ds->mappers()[2].BinOfValue(0));  // absent = 0
  EXPECT_EQ(ds->bin(2, 2), ds->mappers()[2].BinOfValue(7));
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(Ingest, SampledBinningIsDeterministicAndKeepsEveryRow) {
  TempDir dir;
  SyntheticOptions so;
  so.rows = 30000;
  so.categoricals = 1;
  std::string f = dir.Path("g.csv");
  ASSERT_TRUE(WriteSyntheticCsv(so, f).ok());
  IngestOptions a = WithLabel("label");
  a.bin_sample_rows = 2000;
  a.max_bin = 32;  // about a hundred sampled rows per bin
  a.read.threads = 1;
  a.read.chunk_bytes = 1 << 20;
  IngestOptions b = a;
  b.read.threads = 2;
  b.read.chunk_bytes = 3 << 20;
  auto da = IngestBinned({f}, a);
  auto db = IngestBinned({f}, b);
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_EQ(da->num_rows(), 30000u);
  EXPECT_EQ(0, std::memcmp(da->cells(), db->cells(), da->cells_bytes()));
  for (size_t k = 0; k < da->num_features(); ++k) EXPECT_EQ(da->mappers()[k].ToJson(), db->mappers()[k].ToJson());
  // Bins chosen from the sample still spread the full data evenly.
  std::vector<size_t> counts(da->mappers()[0].num_bins(), 0);
  for (size_t r = 0; r < da->num_rows(); ++r) ++counts[da->bin(r, 0)];
  double expected = 30000.0 / (counts.size() - 1);
  for (size_t bin = 1; bin < counts.size(); ++bin) EXPECT_NEAR(counts[bin], expected, expected * 0.4) << bin;
}

TEST(RowSampler, KeepsAboutTheRateAndIsStable) {
  RowSampler s;
  s.rate = 0.25;
  s.seed = 9;
  size_t kept = 0;
  for (uint64_t i = 0; i < 100000; ++i) kept += s.Keep(i);
  EXPECT_NEAR(static_cast<double>(kept), 25000, 600);
  RowSampler all;
  EXPECT_TRUE(all.Keep(123));
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(IngestWithReference, UsesTheReferenceBinsByColumnName) {
  TempDir dir;
  auto train = IngestBinned({dir.Write("train.csv", "x,c,y\n1,a,no\n2,b,yes\n3,a,no\n4,c,yes\n")}, WithLabel("y"));
  ASSERT_TRUE(train.ok());
  // Columns in another order, an extra column, an unseen category and a missing label column.
  auto test = IngestWithReference({dir.Write("test.csv", "extra,c,x\n9,a,2.5\n9,zzz,\n")}, IngestOptions{}, *train, false);
  ASSERT_TRUE(test.ok()) << test.status().message();
  EXPECT_EQ(test->num_rows(), 2u);
  EXPECT_EQ(test->num_features(), 2u);
  EXPECT_EQ(test->bin(0, 0), train->mappers()[0].BinOfValue(2.5f));
  EXPECT_EQ(test->bin(1, 0), BinMapper::kMissingBin);
  EXPECT_EQ(test->bin(0, 1), train->mappers()[1].BinOfCategory("a"));
  EXPECT_EQ(test->bin(1, 1), train->mappers()[1].rare_bin());
  EXPECT_FALSE(test->has_labels());
  auto need = IngestWithReference({dir.Path("test.csv")}, IngestOptions{}, *train, true);
  ASSERT_FALSE(need.ok());
  EXPECT_NE(need.status().message().find("no column 'y'"), std::string::npos) << need.status().message();
  auto labelled = IngestWithReference({dir.Write("v.csv", "x,c,y\n1,a,yes\n")}, IngestOptions{}, *train, true);
  ASSERT_TRUE(labelled.ok()) << labelled.status().message();
  EXPECT_EQ(labelled->labels(), std::vector<float>{1});  // "yes" keeps the training id
  auto unknown = IngestWithReference({dir.Write("u.csv", "x,c,y\n1,a,maybe\n")}, IngestOptions{}, *train, true);
  EXPECT_FALSE(unknown.ok());
  auto missing_feature = IngestWithReference({dir.Write("m.csv", "c,y\na,yes\n")}, IngestOptions{}, *train, true);
  ASSERT_FALSE(missing_feature.ok());
  EXPECT_NE(missing_feature.status().message().find("needs column 'x'"), std::string::npos);
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(IngestWithReference, LibSvmData) {
  TempDir dir;
  auto train = IngestBinned({dir.Write("train.svm", "1 0:1 2:5\n0 1:2\n1 2:7\n0 0:3\n")}, IngestOptions{});
  ASSERT_TRUE(train.ok());
  auto test = IngestWithReference({dir.Write("test.svm", "1 2:6\n0 0:1\n")}, IngestOptions{}, *train, true);
  ASSERT_TRUE(test.ok()) << test.status().message();
  EXPECT_EQ(test->num_rows(), 2u);
  EXPECT_EQ(test->bin(0, 2), train->mappers()[2].BinOfValue(6));
  EXPECT_EQ(test->labels(), (std::vector<float>{1, 0}));
  // An index the model never saw is a feature it does not use: ignored, like an extra CSV column.
  auto wider = IngestWithReference({dir.Write("wide.svm", "1 2:7 9:1\n")}, IngestOptions{}, *train, true);
  ASSERT_TRUE(wider.ok()) << wider.status().message();
  EXPECT_EQ(wider->num_features(), 3u);
  EXPECT_EQ(wider->bin(0, 2), train->mappers()[2].BinOfValue(7));
}

}  // namespace
}  // namespace tessera::data
