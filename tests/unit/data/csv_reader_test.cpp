#include "tessera/data/csv_reader.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_files.h"

namespace tessera::data {
namespace {

using tessera::testing::TempDir;

std::vector<std::string> Split(std::string record, char delim = ',') {
  std::vector<std::string_view> fields;
  size_t bad;
  const char* what;
  EXPECT_TRUE(SplitCsvRecord(record.data(), record.data() + record.size(), delim, &fields, &bad, &what)) << record;
  return std::vector<std::string>(fields.begin(), fields.end());
}

// Reads a whole table: numbers (NaN = missing) or texts per column, as strings for easy checks.
struct ReadTable {
  Schema schema;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
};

Result<ReadTable> ReadAll(const std::vector<std::string>& files, ReadOptions options = {}) {
  TESSERA_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(files, options));
  ReadTable t;
  t.schema = reader->schema();
  TableChunk chunk;
  for (;;) {
    TESSERA_ASSIGN_OR_RETURN(bool any, reader->Next(&chunk));
    if (!any) break;
    for (size_t r = 0; r < chunk.num_rows; ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < chunk.columns.size(); ++c) {
        const auto& col = chunk.columns[c];
        if (!col.texts.empty()) row.push_back(col.texts[r].data() ? std::string(col.texts[r]) : "<NA>");
        else if (std::isnan(col.numbers[r])) row.push_back("<NA>");
        else {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%g", col.numbers[r]);
          row.push_back(buf);
        }
      }
      t.rows.push_back(row);
      t.lines.push_back(chunk.row_lines[r]);
    }
  }
  return t;
}

std::string ErrorOf(const std::vector<std::string>& files, ReadOptions options = {}) {
  auto r = ReadAll(files, options);
  return r.ok() ? "(no error)" : r.status().message();
}

TEST(SplitCsvRecord, QuotingEdgeCases) {
  EXPECT_EQ(Split("a,b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("a,,c,"), (std::vector<std::string>{"a", "", "c", ""}));
  EXPECT_EQ(Split("\"x,y\",2"), (std::vector<std::string>{"x,y", "2"}));
  EXPECT_EQ(Split("\"say \"\"hi\"\"\",1"), (std::vector<std::string>{"say \"hi\"", "1"}));
  EXPECT_EQ(Split("\"\",\"\""), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(Split("\"line1\nline2\",z"), (std::vector<std::string>{"line1\nline2", "z"}));
  EXPECT_EQ(Split("a\tb", '\t'), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Split(""), (std::vector<std::string>{""}));
}

TEST(SplitCsvRecord, RejectsMalformedQuotes) {
  std::vector<std::string_view> fields;
  size_t bad;
  const char* what;
  std::string s1 = "\"open,1";
  EXPECT_FALSE(SplitCsvRecord(s1.data(), s1.data() + s1.size(), ',', &fields, &bad, &what));
  EXPECT_EQ(bad, 0u);
  std::string s2 = "a,\"b\"c,d";
  EXPECT_FALSE(SplitCsvRecord(s2.data(), s2.data() + s2.size(), ',', &fields, &bad, &what));
  EXPECT_EQ(bad, 5u);
}

TEST(DetectDelimiter, PicksTheMostFrequentOutsideQuotes) {
  EXPECT_EQ(DetectDelimiter("a,b,c"), ',');
  EXPECT_EQ(DetectDelimiter("a;b;c"), ';');
  EXPECT_EQ(DetectDelimiter("a\tb\tc,d"), '\t');
  EXPECT_EQ(DetectDelimiter("\"a;b;c\",d"), ',');
  EXPECT_EQ(DetectDelimiter("single"), ',');
}

TEST(CsvReader, ReadsTypesMissingValuesAndQuotes) {
  TempDir dir;
  auto f = dir.Write("t.csv",
                     "num,cat,flag,when\n"
                     "1.5,red,true,2020-01-01\n"
                     "NA,\"blue, dark\",false,\n"
                     "?,,TRUE,2020-01-02T00:00:00Z\n"
                     "-2,null,no,NaN\n");
  auto t = ReadAll({f});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->schema.column(0).type, ColumnType::kNumeric);
  EXPECT_EQ(t->schema.column(1).type, ColumnType::kCategorical);
  EXPECT_EQ(t->schema.column(2).type, ColumnType::kBoolean);
  EXPECT_EQ(t->schema.column(3).type, ColumnType::kDatetime);
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(t->rows[0], (std::vector<std::string>{"1.5", "red", "1", "1.57784e+09"}));
  EXPECT_EQ(t->rows[1], (std::vector<std::string>{"<NA>", "blue, dark", "0", "<NA>"}));
  EXPECT_EQ(t->rows[2], (std::vector<std::string>{"<NA>", "<NA>", "1", "1.57792e+09"}));
  EXPECT_EQ(t->rows[3], (std::vector<std::string>{"-2", "<NA>", "0", "<NA>"}));
}

TEST(CsvReader, CrlfBomBlankLinesAndNoFinalNewline) {
  TempDir dir;
  auto f = dir.Write("t.csv", "\xEF\xBB\xBF" "a,b\r\n1,x\r\n\r\n2,y");
  auto t = ReadAll({f});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->schema.column(0).name, "a");  // BOM stripped
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0], (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(t->rows[1], (std::vector<std::string>{"2", "y"}));
  EXPECT_EQ(t->lines[1], 4u);
}

TEST(CsvReader, QuotedNewlinesKeepLineNumbersRight) {
  TempDir dir;
  auto f = dir.Write("t.csv", "id,text\n1,\"two\nlines\"\n2,x\n3,oops,extra\n");
  std::string err = ErrorOf({f});
  EXPECT_NE(err.find("t.csv:5:1: expected 2 fields"), std::string::npos) << err;
}

TEST(CsvReader, TsvAndSemicolonDelimiters) {
  TempDir dir;
  auto tsv = ReadAll({dir.Write("t.tsv", "a\tb\n1\t2\n")});
  ASSERT_TRUE(tsv.ok());
  EXPECT_EQ(tsv->rows[0], (std::vector<std::string>{"1", "2"}));
  auto semi = ReadAll({dir.Write("s.csv", "a;b\n1;2,5\n")});
  ASSERT_TRUE(semi.ok());
  EXPECT_EQ(semi->rows[0][1], "2,5");  // a comma is data when ';' delimits
  EXPECT_EQ(semi->schema.column(1).type, ColumnType::kCategorical);
}

TEST(CsvReader, SmallChunksGiveTheSameRowsAsOneChunk) {
  TempDir dir;
  std::string text = "x,name\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i) + ",\"n " + std::to_string(i % 7) + "\nq\"\n";
  auto f = dir.Write("t.csv", text);
  ReadOptions small;
  small.chunk_bytes = 4096;
  small.threads = 3;
  auto a = ReadAll({f}, small);
  auto b = ReadAll({f});
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->rows, b->rows);
  EXPECT_EQ(a->lines, b->lines);
  ASSERT_EQ(a->rows.size(), 3000u);
  EXPECT_EQ(a->rows[2999][1], "n 3\nq");
  EXPECT_EQ(a->lines[2999], 2u + 2 * 2999);
}

TEST(CsvReader, GzipAndZstdInput) {
  TempDir dir;
  std::string text = "a,b\n1,x\n2,y\n";
  auto gz = dir.Write("t.csv.gz", tessera::testing::Gzip(text));
  auto zst = dir.Write("t.csv.zst", tessera::testing::Zstd(text));
  auto plain = ReadAll({dir.Write("t.csv", text)});
  for (const auto& f : {gz, zst}) {
    auto t = ReadAll({f});
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->rows, plain->rows) << f;
  }
  // Concatenated gzip members read as one stream.
  auto two = dir.Write("two.csv.gz", tessera::testing::Gzip("a,b\n1,x\n") + tessera::testing::Gzip("2,y\n"));
  auto t = ReadAll({two});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows, plain->rows);
}

TEST(CsvReader, PartFilesShareOneHeader) {
  TempDir dir;
  dir.Write("parts/part-00000.csv", "a,b\n1,x\n");
  dir.Write("parts/part-00001.csv", "a,b\n2,y\n3,z\n");
  dir.Write("parts/_SUCCESS", "");
  auto files = ExpandInputPaths({dir.Path("parts")});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
  auto t = ReadAll(*files);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows.size(), 3u);
  auto globbed = ExpandInputPaths({dir.Path("parts/part-*.csv")});
  ASSERT_TRUE(globbed.ok());
  EXPECT_EQ(*globbed, *files);
  dir.Write("bad/part-0.csv", "a,b\n1,x\n");
  dir.Write("bad/part-1.csv", "a,c\n2,y\n");
  auto bad = ExpandInputPaths({dir.Path("bad")});
  EXPECT_NE(ErrorOf(*bad).find("header differs"), std::string::npos);
  EXPECT_FALSE(ExpandInputPaths({dir.Path("nothing-*.csv")}).ok());
}

TEST(CsvReader, BadInputErrorsNameFileLineAndColumn) {
  TempDir dir;
  EXPECT_NE(ErrorOf({dir.Write("empty.csv", "")}).find("empty.csv: the file is empty"), std::string::npos);
  EXPECT_NE(ErrorOf({dir.Write("ragged.csv", "a,b\n1,2\n3\n")}).find("ragged.csv:3:1: expected 2 fields (as in the header), found 1"),
            std::string::npos);
  ReadOptions one_row_sample;
  one_row_sample.sample_rows = 1;
  std::string text_err = ErrorOf({dir.Write("text.csv", "a,b\n1,2\n3,abc\n")}, one_row_sample);
  EXPECT_NE(text_err.find("text.csv:3:3: expected a number in column 'b', found 'abc'"), std::string::npos) << text_err;
  std::string quote_err = ErrorOf({dir.Write("quote.csv", "a,b\n1,\"never closed\n2,3\n")});
  EXPECT_NE(quote_err.find("quote.csv:2: a quoted field is never closed"), std::string::npos) << quote_err;
  std::string utf8_err = ErrorOf({dir.Write("utf8.csv", "a,b\nx,1\n\xff" "y,2\n")});
  EXPECT_NE(utf8_err.find("utf8.csv:3:1: invalid UTF-8 in column 'a'"), std::string::npos) << utf8_err;
  std::string dup = ErrorOf({dir.Write("dup.csv", "a,b,a\n1,2,3\n")});
  EXPECT_NE(dup.find("duplicate column name 'a'"), std::string::npos) << dup;
  std::string gz = tessera::testing::Gzip("a,b\n1,2\n3,4\n5,6\n");
  std::string gz_err = ErrorOf({dir.Write("cut.csv.gz", gz.substr(0, gz.size() - 6))});
  EXPECT_NE(gz_err.find("cut.csv.gz: byte offset"), std::string::npos) << gz_err;
  EXPECT_NE(gz_err.find("truncated gzip stream"), std::string::npos) << gz_err;
  std::string zst = tessera::testing::Zstd("a,b\n1,2\n3,4\n5,6\n");
  std::string zst_err = ErrorOf({dir.Write("cut.csv.zst", zst.substr(0, zst.size() - 4))});
  EXPECT_NE(zst_err.find("truncated zstd stream"), std::string::npos) << zst_err;
  EXPECT_NE(ErrorOf({dir.Write("notgz.csv.gz", "a,b\n1,2\n")}).find("not gzip data"), std::string::npos);
  EXPECT_NE(ErrorOf({dir.Path("missing.csv")}).find("missing.csv: cannot open"), std::string::npos);
}

TEST(CsvReader, ErrorIsTheFirstBadRowWhateverTheThreads) {
  TempDir dir;
  std::string text = "a\n";
  for (int i = 0; i < 5000; ++i) text += (i == 1234 || i == 4000) ? "bad\n" : std::to_string(i) + "\n";
  auto f = dir.Write("t.csv", text);
  for (int threads : {1, 2, 4}) {
    ReadOptions o;
    o.threads = threads;
    o.sample_rows = 100;
    EXPECT_NE(ErrorOf({f}, o).find("t.csv:1236:1:"), std::string::npos) << ErrorOf({f}, o);
  }
}

}  // namespace
}  // namespace tessera::data
