#include "tessera/data/datetime_parts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::data {
namespace {

using tessera::testing::TempDir;

// year, month, day, weekday, hour, is_weekend of an ISO-8601 text.
std::vector<float> Parts(const std::string& text) {
  double seconds;
  EXPECT_TRUE(ParseDatetime(text, &seconds)) << text;
  std::vector<float> out;
  for (DatetimePart p : kDatetimeParts) out.push_back(DatetimePartValue(seconds, p));
  return out;
}

TEST(DatetimeParts, KnownTimestamps) {
  // Expected values from Python's datetime (weekday: Monday = 0).
  EXPECT_EQ(Parts("2024-02-29T13:45:00Z"), (std::vector<float>{2024, 2, 29, 3, 13, 0}));  // leap day, Thursday
  EXPECT_EQ(Parts("2024-03-02"), (std::vector<float>{2024, 3, 2, 5, 0, 1}));               // Saturday
  EXPECT_EQ(Parts("2024-03-03T23:59:59Z"), (std::vector<float>{2024, 3, 3, 6, 23, 1}));    // Sunday
  EXPECT_EQ(Parts("2024-03-04 00:00"), (std::vector<float>{2024, 3, 4, 0, 0, 0}));         // Monday
  EXPECT_EQ(Parts("1969-12-31T23:30:00Z"), (std::vector<float>{1969, 12, 31, 2, 23, 0}));  // before 1970
  EXPECT_EQ(Parts("1900-03-01"), (std::vector<float>{1900, 3, 1, 3, 0, 0}));               // 1900 has no Feb 29
  EXPECT_EQ(Parts("2024-03-01T01:00:00+02:00"), (std::vector<float>{2024, 2, 29, 3, 23, 0}));  // UTC, not local
}

TEST(DatetimeParts, MissingGivesMissing) {
  for (DatetimePart p : kDatetimeParts) {
    EXPECT_TRUE(std::isnan(DatetimePartValue(std::nan(""), p)));
    EXPECT_TRUE(std::isnan(DatetimePartValue(INFINITY, p)));
  }
}

Schema WithWhen() {
  return Schema({Column("id", ColumnType::kNumeric, ColumnRole::kFeature), Column("when", ColumnType::kDatetime, ColumnRole::kFeature),
                 Column("y", ColumnType::kNumeric, ColumnRole::kFeature)});
}

TEST(DatetimeParts, ApplyAppendsPartsOfDatetimeFeatures) {
  Schema s = WithWhen();
  SchemaOptions o;
  o.label = "y";
  o.ignore = {"when_hour"};
  ASSERT_TRUE(s.Apply(o, "t.csv").ok());
  ASSERT_EQ(s.size(), 9u);
  EXPECT_EQ(s.num_read_columns(), 3u);
  const char* names[] = {"when_year", "when_month", "when_day", "when_weekday", "when_hour", "when_is_weekend"};
  for (size_t i = 0; i < 6; ++i) {
    const Column& c = s.column(3 + i);
    EXPECT_EQ(c.name, names[i]);
    ASSERT_TRUE(c.derived);
    EXPECT_EQ(c.derived->source, "when");
    EXPECT_EQ(c.derived->part, kDatetimeParts[i]);
    EXPECT_EQ(c.role, i == 4 ? ColumnRole::kIgnored : ColumnRole::kFeature);  // --ignore names a derived column
  }

  Schema ignored = WithWhen();
  o.ignore = {"when"};
  ASSERT_TRUE(ignored.Apply(o, "t.csv").ok());
  EXPECT_EQ(ignored.size(), 3u);  // an ignored datetime has no parts
  Schema off = WithWhen();
  o.ignore.clear();
  o.datetime_parts = false;
  ASSERT_TRUE(off.Apply(o, "t.csv").ok());
  EXPECT_EQ(off.size(), 3u);
}

TEST(DatetimeParts, ExistingColumnOfThatNameWins) {
  Schema s({Column("when", ColumnType::kDatetime, ColumnRole::kFeature), Column("when_year", ColumnType::kNumeric, ColumnRole::kFeature)});
  ASSERT_TRUE(s.Apply({}, "t.csv").ok());
  EXPECT_EQ(s.size(), 7u);  // five parts added, not the year
  EXPECT_FALSE(s.column(1).derived);
}

TEST(DatetimeParts, SchemaJsonRoundTripAndValidation) {
  Schema s = WithWhen();
  ASSERT_TRUE(s.Apply({}, "t.csv").ok());
  nlohmann::json j = s.ToJson();
  EXPECT_EQ(j["columns"][7]["derived_from"], "when");
  EXPECT_EQ(j["columns"][7]["part"], "hour");
  auto back = Schema::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), s.size());
  EXPECT_EQ(back->column(8).derived->part, DatetimePart::kIsWeekend);
  EXPECT_EQ(back->ToJson(), j);

  nlohmann::json bad_part = j;
  bad_part["columns"][7]["part"] = "minute";
  EXPECT_NE(Schema::FromJson(bad_part).status().message().find("unknown datetime part 'minute'"), std::string::npos);
  nlohmann::json bad_source = j;
  bad_source["columns"][7]["derived_from"] = "id";  // numeric, not a datetime
  EXPECT_NE(Schema::FromJson(bad_source).status().message().find("needs a datetime column 'id'"), std::string::npos);
}

// Every value of the column called `name`, read through OpenTable.
std::vector<float> ReadColumn(TableReader* reader, const std::string& name) {
  const int c = reader->schema().Find(name);
  EXPECT_GE(c, 0) << name;
  std::vector<float> out;
  TableChunk chunk;
  for (;;) {
    auto any = reader->Next(&chunk);
    EXPECT_TRUE(any.ok()) << any.status().message();
    if (!any.ok() || !*any) break;
    out.insert(out.end(), chunk.columns[c].numbers.begin(), chunk.columns[c].numbers.end());
  }
  return out;
}

TEST(DatetimeParts, CsvReaderFillsPartsFromExactSeconds) {
  TempDir dir;
  auto f = dir.Write("t.csv", "when,y\n2024-03-01T12:59:59Z,1\n,0\n2024-03-02T07:00:00Z,1\n");
  IngestOptions o;
  auto reader = OpenTable({f}, o);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  // As a float, 12:59:59 rounds to 13:00:48: the hour must come from the parsed seconds.
  auto hours = ReadColumn(reader->get(), "when_hour");
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[0], 12);
  EXPECT_TRUE(std::isnan(hours[1]));  // missing datetime -> missing parts
  EXPECT_EQ(hours[2], 7);
  ASSERT_TRUE((*reader)->Rewind().ok());
  EXPECT_EQ(ReadColumn(reader->get(), "when_is_weekend")[2], 1);
}

TEST(DatetimeParts, IgnoredSourceStillFeedsItsParts) {
  TempDir dir;
  auto f = dir.Write("t.csv", "when,y\n2024-03-02T07:00:00Z,1\n");
  auto reader = OpenTable({f}, {});
  ASSERT_TRUE(reader.ok());
  Schema s = (*reader)->schema();
  s.mutable_columns()[0].role = ColumnRole::kIgnored;
  ASSERT_TRUE((*reader)->SetSchema(s).ok());
  EXPECT_EQ(ReadColumn(reader->get(), "when_weekday"), std::vector<float>{5});
}

TEST(DatetimeParts, NewDataGetsTheReferencesParts) {
  TempDir dir;
  auto train = dir.Write("train.csv", "when,x,y\n2024-03-01T10:00:00Z,1,0\n2024-03-02T11:00:00Z,2,1\n2024-03-03T12:00:00Z,3,1\n");
  IngestOptions o;
  o.schema.label = "y";
  auto ref = IngestBinned({train}, o);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_EQ(ref->num_features(), 8u);  // when, x and six parts
  EXPECT_EQ(ref->feature_name(2), "when_year");

  // Columns in another order, no label: the parts still come from 'when'.
  auto fresh = dir.Write("new.csv", "x,when\n5,2024-03-09T11:30:00Z\n");
  auto ds = IngestWithReference({fresh}, o, *ref, false);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  ASSERT_EQ(ds->num_features(), 8u);
  for (size_t f = 0; f < 8; ++f) EXPECT_EQ(ds->feature_name(f), ref->feature_name(f));
  const size_t hour = 6, weekend = 7;
  EXPECT_EQ(ds->bin(0, hour), ref->mappers()[hour].BinOfValue(11));
  EXPECT_EQ(ds->bin(0, weekend), ref->mappers()[weekend].BinOfValue(1));

  auto clash = dir.Write("clash.csv", "x,when,when_hour\n5,2024-03-09T11:30:00Z,3\n");
  auto r = IngestWithReference({clash}, o, *ref, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column 'when_hour' clashes"), std::string::npos) << r.status().message();
  auto lacking = dir.Write("lacking.csv", "x\n5\n");
  EXPECT_FALSE(IngestWithReference({lacking}, o, *ref, false).ok());
}

TEST(DatetimeParts, ReferenceWithoutPartsReadsAsBefore) {
  // Models written before datetime parts (or with --no-datetime-parts) keep one feature.
  TempDir dir;
  auto train = dir.Write("train.csv", "when,y\n2024-03-01T10:00:00Z,0\n2024-03-02T11:00:00Z,1\n");
  IngestOptions o;
  o.schema.label = "y";
  o.schema.datetime_parts = false;
  auto ref = IngestBinned({train}, o);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_FALSE(ref->schema().has_derived_columns());
  auto ds = IngestWithReference({train}, {}, *ref, true);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->num_features(), 1u);
  EXPECT_EQ(ds->schema().size(), 2u);
}

}  // namespace
}  // namespace tessera::data
