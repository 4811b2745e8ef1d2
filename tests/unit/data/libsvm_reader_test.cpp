#include "tessera/data/libsvm_reader.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace tessera::data {
namespace {

TEST(ParseLibSvmLine, LabelQidEntriesAndComments) {
  LibSvmLine l;
  size_t bad;
  std::string what;
  ASSERT_TRUE(ParseLibSvmLine("1 qid:7 1:0.5 3:-2 # a comment", &l, &bad, &what));
  EXPECT_EQ(l.label, 1);
  EXPECT_TRUE(l.has_qid);
  EXPECT_EQ(l.qid, 7);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[1], (std::pair<uint32_t, float>{3, -2.0f}));
  ASSERT_TRUE(ParseLibSvmLine("-1", &l, &bad, &what));
  EXPECT_TRUE(l.entries.empty());
  EXPECT_FALSE(ParseLibSvmLine("1 3:1 2:1", &l, &bad, &what));  // indices must increase
  EXPECT_EQ(bad, 6u);
  EXPECT_FALSE(ParseLibSvmLine("1 a:1", &l, &bad, &what));
  EXPECT_FALSE(ParseLibSvmLine("1 2:x", &l, &bad, &what));
  EXPECT_EQ(bad, 4u);
  EXPECT_FALSE(ParseLibSvmLine("yes 1:1", &l, &bad, &what));
}

TEST(LibSvmReader, DenseColumnsWithZerosForAbsentEntries) {
  tessera::testing::TempDir dir;
  auto f = dir.Write("t.svm", "1 qid:1 0:1.5 2:3\n0 qid:1 1:2\n\n1 qid:2 3:4 # tail\n");
  ReadOptions o;
  auto reader = LibSvmReader::Open({f}, o);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  TableChunk chunk;
  auto any = (*reader)->Next(&chunk);
  ASSERT_TRUE(any.ok() && any.value());
  const Schema& s = (*reader)->schema();
  ASSERT_EQ(s.size(), 5u);  // label, f0..f3
  EXPECT_EQ(s.column(0).role, ColumnRole::kLabel);
  EXPECT_EQ(s.column(4).name, "f3");
  ASSERT_EQ(chunk.num_rows, 3u);
  EXPECT_EQ(chunk.columns[0].numbers, (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(chunk.columns[1].numbers, (std::vector<float>{1.5f, 0, 0}));
  EXPECT_EQ(chunk.columns[4].numbers, (std::vector<float>{0, 0, 4}));
  EXPECT_EQ(chunk.groups, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(chunk.row_lines, (std::vector<uint64_t>{1, 2, 4}));
  auto end = (*reader)->Next(&chunk);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end.value());
}

TEST(LibSvmReader, BadLineNamesLineAndColumn) {
  tessera::testing::TempDir dir;
  auto f = dir.Write("bad.svm", "1 1:1\n0 1:1 2:oops\n");
  auto reader = LibSvmReader::Open({f}, ReadOptions{});
  ASSERT_TRUE(reader.ok());
  TableChunk chunk;
  auto r = (*reader)->Next(&chunk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.svm:2:9: expected a number after ':'"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(LibSvmReader, QuotesInCommentsAreJustText) {
  tessera::testing::TempDir dir;
  auto f = dir.Write("q.svm", "1 1:2 # \"comment\n0 1:3\n1 1:4 # \"x\n");
  auto reader = LibSvmReader::Open({f}, ReadOptions{});
  ASSERT_TRUE(reader.ok());
  TableChunk chunk;
  auto any = (*reader)->Next(&chunk);
  ASSERT_TRUE(any.ok()) << any.status().message();
  EXPECT_EQ(chunk.num_rows, 3u);
}

TEST(LibSvmReader, FeatureLimitAndWideBatches) {
  tessera::testing::TempDir dir;
  ReadOptions o;
  o.max_features = 1000;
  auto reader = LibSvmReader::Open({dir.Write("wide.svm", "1 5:1\n0 5000:1\n")}, o);
  ASSERT_TRUE(reader.ok());
  TableChunk chunk;
  auto r = (*reader)->Next(&chunk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("wide.svm:2: feature index 5000 is beyond the limit of 1000 features"), std::string::npos)
      << r.status().message();
  // 3000 rows x 20001 columns would be 60M dense cells: they come in batches of at most 16M.
  std::string text;
  for (int i = 0; i < 3000; ++i) text += std::to_string(i % 2) + " " + std::to_string(i * 6) + ":1\n";
  ReadOptions wide;
  wide.max_features = 20000;
  auto w = LibSvmReader::Open({dir.Write("w.svm", text)}, wide);
  ASSERT_TRUE(w.ok());
  size_t rows = 0, chunks = 0, scanned = 0;
  for (;;) {
    auto more = (*w)->Next(&chunk);
    ASSERT_TRUE(more.ok());
    if (!more.value()) break;
    EXPECT_LE(chunk.num_rows * chunk.columns.size(), size_t{16} << 20);
    rows += chunk.num_rows, scanned += chunk.rows_scanned, ++chunks;
  }
  EXPECT_EQ(rows, 3000u);
  EXPECT_EQ(scanned, 3000u);
  EXPECT_GT(chunks, 1u);
}

}  // namespace
}  // namespace tessera::data
