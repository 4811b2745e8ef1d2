#include "tessera/edge/stream_features.h"

#include <gtest/gtest.h>

#include "tessera/data/ingest.h"
#include "tessera/edge/latency_histogram.h"
#include "tessera/edge/sensor_message.h"
#include "test_files.h"

namespace tessera::edge {
namespace {

using testing::TempDir;

TEST(SensorMessage, JsonFieldsKeepTheirKinds) {
  auto m = DecodeJsonMessage(R"({"a": 1.5, "b": "x", "c": null, "d": true})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->fields.size(), 4u);
  EXPECT_EQ(m->Find("a")->kind, FieldValue::Kind::kNumber);
  EXPECT_EQ(m->Find("a")->number, 1.5);
  EXPECT_EQ(m->Find("b")->text, "x");
  EXPECT_EQ(m->Find("c")->kind, FieldValue::Kind::kMissing);
  EXPECT_EQ(m->Find("d")->number, 1);
  EXPECT_EQ(m->Find("e"), nullptr);
}

TEST(SensorMessage, JsonErrorsSayWhatIsWrong) {
  EXPECT_EQ(DecodeJsonMessage("{\"a\": 1,").status().message(),
            "byte 9: not valid JSON: syntax error while parsing object key - unexpected end of input; expected string "
            "literal");
  EXPECT_EQ(DecodeJsonMessage("42").status().message(), "expected a JSON object, got number");
  EXPECT_EQ(DecodeJsonMessage(R"({"a": [1]})").status().message(),
            "field 'a': expected a number, a string or null, got array");
  EXPECT_FALSE(DecodeJsonMessage("").ok());
  // Found by the fuzzer: nlohmann reports number overflow as out_of_range, not as a parse error.
  EXPECT_EQ(DecodeJsonMessage(R"({"a": 1e999})").status().message(),
            "not valid JSON: number overflow parsing '1e999'");
}

TEST(SensorMessage, CsvLineByColumns) {
  auto m = DecodeCsvMessage("3.5,\"a,b\",,x\"y\r\n", {"n", "q", "empty", "t"});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->Find("n")->number, 3.5);
  EXPECT_EQ(m->Find("q")->text, "a,b");
  EXPECT_EQ(m->Find("empty")->kind, FieldValue::Kind::kMissing);
  EXPECT_EQ(m->Find("t")->text, "x\"y");
  EXPECT_EQ(DecodeCsvMessage("1,2", {"a"}).status().message(), "expected 1 CSV fields (1 columns), got 2");
  EXPECT_EQ(DecodeCsvMessage("\"open", {"a"}).status().message(), "column 6: unterminated quoted field");
  EXPECT_EQ(DecodeCsvMessage("1\n2", {"a"}).status().message(),
            "column 2: a message holds one CSV line, found a line break");
}

TEST(WindowFeature, NamesAskForWindows) {
  auto w = ParseWindowFeature("temp_mean_60s");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->signal, "temp");
  EXPECT_EQ(w->stat, WindowStat::kMean);
  EXPECT_EQ(w->seconds, 60);
  w = ParseWindowFeature("air_quality_max_2.5s");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->signal, "air_quality");
  EXPECT_EQ(w->stat, WindowStat::kMax);
  EXPECT_EQ(w->seconds, 2.5);
  EXPECT_FALSE(ParseWindowFeature("temp"));
  EXPECT_FALSE(ParseWindowFeature("temp_median_60s"));
  EXPECT_FALSE(ParseWindowFeature("temp_mean_0s"));
  EXPECT_FALSE(ParseWindowFeature("temp_mean_s"));
  EXPECT_FALSE(ParseWindowFeature("_mean_5s"));
  EXPECT_FALSE(ParseWindowFeature("mean_5s"));
}

class StreamFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "speed,zone,temp_mean_10s,temp_min_10s,temp_last_3s,y\n";
    for (int i = 0; i < 200; ++i)
      csv += std::to_string(i) + "," + (i % 2 ? "a" : "b") + "," + std::to_string(i % 50) + "," +
             std::to_string(i % 40) + "," + std::to_string(i % 30) + "," + std::to_string(i % 2) + "\n";
    data::IngestOptions options;
    options.schema.label = "y";
    auto ds = data::IngestBinned({dir_.Write("t.csv", csv)}, options);
    ASSERT_TRUE(ds.ok()) << ds.status().message();
    reference_ = std::move(ds).value();
  }
  uint32_t Bin(size_t f, float v) const { return reference_.mappers()[f].BinOfValue(v); }
  SensorMessage Json(const std::string& text) const { return std::move(DecodeJsonMessage(text)).value(); }

  TempDir dir_;
  data::BinnedDataset reference_;
};

TEST_F(StreamFeaturesTest, WindowsPerDeviceOverTheLastSeconds) {
  StreamFeatures features(reference_);
  EXPECT_FALSE(features.windows()[0]);
  EXPECT_TRUE(features.windows()[2]);
  ASSERT_TRUE(features.Assemble(Json(R"({"temp": 10})"), "d1", 100).ok());
  ASSERT_TRUE(features.Assemble(Json(R"({"temp": 30})"), "d1", 105).ok());
  ASSERT_TRUE(features.Assemble(Json(R"({"temp": 99})"), "d2", 106).ok());  // another device
  auto bins = features.Assemble(Json(R"({"speed": 7, "zone": "a", "temp": 20})"), "d1", 108);
  ASSERT_TRUE(bins.ok()) << bins.status().message();
  EXPECT_EQ((*bins)[0], Bin(0, 7));
  EXPECT_EQ((*bins)[1], reference_.mappers()[1].BinOfCategory("a"));
  EXPECT_EQ((*bins)[2], Bin(2, 20));  // mean of 10, 30, 20 in (98, 108]
  EXPECT_EQ((*bins)[3], Bin(3, 10));  // min
  EXPECT_EQ((*bins)[4], Bin(4, 20));  // last in (105, 108]: only 20
  // 10 s later only the newest value is inside; a message without the signal keeps the history.
  bins = features.Assemble(Json(R"({"speed": 1})"), "d1", 117);
  ASSERT_TRUE(bins.ok());
  EXPECT_EQ((*bins)[2], Bin(2, 20));
  EXPECT_EQ((*bins)[4], data::BinMapper::kMissingBin);  // nothing in (114, 117]
  EXPECT_EQ((*bins)[1], data::BinMapper::kMissingBin);  // zone absent
  EXPECT_EQ(features.num_devices(), 2u);
}

TEST_F(StreamFeaturesTest, AFieldOfTheSameNameWinsAndBadValuesLeaveNoTrace) {
  StreamFeatures features(reference_);
  auto bins = features.Assemble(Json(R"({"temp": 10, "temp_mean_10s": 42})"), "d", 1);
  ASSERT_TRUE(bins.ok());
  EXPECT_EQ((*bins)[2], Bin(2, 42));
  auto bad = features.Assemble(Json(R"({"temp": "hot"})"), "d", 2);
  EXPECT_EQ(bad.status().message(), "field 'temp': expected a number, got \"hot\"");
  bad = features.Assemble(Json(R"({"speed": "x", "temp": 1000})"), "d", 3);
  EXPECT_FALSE(bad.ok());
  bins = features.Assemble(Json(R"({"temp": "20"})"), "d", 4);  // numeric text is a number
  ASSERT_TRUE(bins.ok());
  EXPECT_EQ((*bins)[2], Bin(2, 15));  // mean of 10 and 20: the refused 1000 is not there
  // A time going backwards counts as the device's latest time.
  bins = features.Assemble(Json(R"({"temp": 30})"), "d", 0);
  ASSERT_TRUE(bins.ok());
  EXPECT_EQ((*bins)[2], Bin(2, 20));
}

TEST(LatencyHistogram, QuantilesWithinOneSixteenth) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  for (int us = 1; us <= 10000; ++us) h.Add(us * 1e-6);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_NEAR(h.Quantile(0.5), 5000e-6, 5000e-6 / 16);
  EXPECT_NEAR(h.Quantile(0.99), 9900e-6, 9900e-6 / 16);
  EXPECT_GE(h.Quantile(0.99), 9900e-6);
  EXPECT_EQ(h.Quantile(1.0), 10000e-6);
  LatencyHistogram other;
  other.Add(1.0);
  h.Merge(other);
  EXPECT_EQ(h.max_seconds(), 1.0);
  EXPECT_EQ(h.Quantile(1.0), 1.0);
}

}  // namespace
}  // namespace tessera::edge
