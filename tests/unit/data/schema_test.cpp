#include "tessera/data/schema.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <nlohmann/json.hpp>

namespace tessera::data {
namespace {

ColumnType Guess(std::initializer_list<const char*> values) {
  ColumnTypeGuesser g;
  for (const char* v : values) g.Observe(v);
  return g.Guess();
}

TEST(ParseNumber, AcceptsDecimalForms) {
  float v;
  EXPECT_TRUE(ParseNumber("1.5", &v));
  EXPECT_EQ(v, 1.5f);
  EXPECT_TRUE(ParseNumber(" -2e3 ", &v));
  EXPECT_EQ(v, -2000.0f);
  EXPECT_TRUE(ParseNumber("+7", &v));
  EXPECT_EQ(v, 7.0f);
  EXPECT_TRUE(ParseNumber("1e60", &v));
  EXPECT_TRUE(std::isinf(v));
  EXPECT_FALSE(ParseNumber("1.5x", &v));
  EXPECT_FALSE(ParseNumber("", &v));
  EXPECT_FALSE(ParseNumber("abc", &v));
  EXPECT_FALSE(ParseNumber("1,5", &v));
}

TEST(MissingTokens, AreRecognised) {
  for (const char* t : {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "  "}) EXPECT_TRUE(IsMissingToken(t)) << t;
  for (const char* t : {"0", "n", "NAN1", "-"}) EXPECT_FALSE(IsMissingToken(t)) << t;
}

TEST(ParseDatetime, HandlesDatesTimesAndOffsets) {
  double s;
  ASSERT_TRUE(ParseDatetime("1970-01-02", &s));
  EXPECT_EQ(s, 86400);
  ASSERT_TRUE(ParseDatetime("2001-01-14T21:55:00", &s));
  EXPECT_EQ(s, 979509300);
  ASSERT_TRUE(ParseDatetime("2001-01-14 21:55", &s));
  EXPECT_EQ(s, 979509300);
  ASSERT_TRUE(ParseDatetime("2001-01-14T23:55:00+02:00", &s));
  EXPECT_EQ(s, 979509300);
  ASSERT_TRUE(ParseDatetime("2001-01-14T21:55:00.5Z", &s));
  EXPECT_EQ(s, 979509300.5);
  ASSERT_TRUE(ParseDatetime("2024-02-29", &s));
  EXPECT_FALSE(ParseDatetime("2023-02-29", &s));
  EXPECT_FALSE(ParseDatetime("2023-13-01", &s));
  EXPECT_FALSE(ParseDatetime("2023-01-01X", &s));
  EXPECT_FALSE(ParseDatetime("01/02/2023", &s));
}

TEST(ColumnTypeGuesser, InfersTypes) {
  EXPECT_EQ(Guess({"1", "2.5", "-3"}), ColumnType::kNumeric);
  EXPECT_EQ(Guess({"0", "1", "1", "0"}), ColumnType::kNumeric);  // low-cardinality ints stay numeric
  EXPECT_EQ(Guess({"true", "False", "TRUE"}), ColumnType::kBoolean);
  EXPECT_EQ(Guess({"2020-01-01", "2021-06-30T10:00:00"}), ColumnType::kDatetime);
  EXPECT_EQ(Guess({"red", "green", "1"}), ColumnType::kCategorical);
  EXPECT_EQ(Guess({}), ColumnType::kNumeric);  // all missing in the sample
}

TEST(Schema, ApplyOverridesRolesAndTypes) {
  Schema s({{"id", ColumnType::kNumeric, ColumnRole::kFeature},
            {"zip", ColumnType::kNumeric, ColumnRole::kFeature},
            {"w", ColumnType::kNumeric, ColumnRole::kFeature},
            {"y", ColumnType::kCategorical, ColumnRole::kFeature}});
  SchemaOptions o;
  o.label = "y";
  o.weight = "w";
  o.ignore = {"id"};
  o.categorical = {"zip"};
  ASSERT_TRUE(s.Apply(o, "t.csv").ok());
  EXPECT_EQ(s.column(0).role, ColumnRole::kIgnored);
  EXPECT_EQ(s.column(1).type, ColumnType::kCategorical);
  EXPECT_EQ(s.column(2).role, ColumnRole::kWeight);
  EXPECT_EQ(s.column(3).role, ColumnRole::kLabel);
  EXPECT_EQ(s.FeatureIndices(), std::vector<size_t>{1});
}

TEST(Schema, UnknownColumnIsAClearError) {
  Schema s({{"a", ColumnType::kNumeric, ColumnRole::kFeature}});
  SchemaOptions o;
  o.label = "target";
  Status st = s.Apply(o, "t.csv");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("--label names column 'target'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("columns: a"), std::string::npos);
}

TEST(Schema, JsonRoundTripAndRejectsUnknownType) {
  Schema s({{"a", ColumnType::kDatetime, ColumnRole::kFeature}, {"b", ColumnType::kCategorical, ColumnRole::kLabel}});
  auto back = Schema::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->column(0).type, ColumnType::kDatetime);
  EXPECT_EQ(back->column(1).role, ColumnRole::kLabel);
  auto j = s.ToJson();
  j["columns"][0]["type"] = "complex";
  EXPECT_FALSE(Schema::FromJson(j).ok());
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(ParseNumber, FastPathAgreesWithFromChars) {
  std::mt19937 rng(5);
  const char* forms[] = {"%.0f", "%.3f", "%.6g", "%.7g", "%.9g", "%e", "%.2e", "%.12g"};
  for (int i = 0; i < 200000; ++i) {
    double magnitude = std::pow(10.0, std::uniform_real_distribution<double>(-12, 12)(rng));
    double v = std::uniform_real_distribution<double>(-1, 1)(rng) * magnitude;
    char buf[64];
    std::snprintf(buf, sizeof buf, forms[i % 8], v);
    float fast, reference;
    ASSERT_TRUE(ParseNumber(buf, &fast)) << buf;
    auto r = std::from_chars(buf, buf + std::strlen(buf), reference);
    ASSERT_TRUE(r.ec == std::errc());
    ASSERT_EQ(std::memcmp(&fast, &reference, 4), 0) << buf << " " << fast << " vs " << reference;
  }
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(FormatDatetime, InvertsParseDatetime) {
  for (const char* s : {"1970-01-01T00:00:00Z", "2001-01-14T21:55:00Z", "2024-02-29T23:59:59Z", "1969-12-31T23:59:59Z"}) {
    double t;
    ASSERT_TRUE(ParseDatetime(s, &t)) << s;
    EXPECT_EQ(FormatDatetime(t), s);
  }
}

}  // namespace
}  // namespace tessera::data

namespace tessera::data {
namespace {

TEST(ParseNumber, BeyondDoubleRangeSaturates) {
  float v = 123;
  ASSERT_TRUE(ParseNumber("1e400", &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(ParseNumber("-1e-400", &v));
  EXPECT_EQ(v, 0.0f);
  EXPECT_TRUE(std::signbit(v));
  ASSERT_TRUE(ParseNumber("1e39", &v));  // beyond float, within double
  EXPECT_TRUE(std::isinf(v));
}

}  // namespace
}  // namespace tessera::data
