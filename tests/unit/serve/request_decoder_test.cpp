#include "tessera/serve/request_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "tessera/data/ingest.h"
#include "test_files.h"

namespace tessera::serve {
namespace {

using nlohmann::json;
using tessera::testing::TempDir;

// A model's reference read from a training CSV with one column of each type, plus a label and an
// ignored column.
class RequestDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(7);
    std::ofstream csv(dir_.Path("train.csv"));
    csv << "x,city,flag,when,note,label\n";
    const char* cities[] = {"Paris", "Lyon", "Nice", "Lille", "Caen"};
    for (int i = 0; i < 2000; ++i) {
      csv << static_cast<double>(rng() % 100000) / 1000.0 << "," << cities[rng() % 5] << ","
          << (rng() % 2 ? "true" : "false") << ",2024-0" << 1 + rng() % 9 << "-1" << rng() % 10 << ",n" << i << ","
          << rng() % 2 << "\n";
    }
    csv.close();
    data::IngestOptions options;
    options.schema.label = "label";
    options.schema.ignore = {"note"};
    options.schema.categorical = {"city"};
    auto train = data::IngestBinned({dir_.Path("train.csv")}, options);
    ASSERT_TRUE(train.ok()) << train.status().message();
    reference_ = data::BinnedDataset(train->schema(), train->feature_columns(), train->mappers(), 0);
    schema_ = std::make_unique<InputSchema>(reference_);
  }

  // The same rows read as `tessera predict` reads a CSV file.
  data::BinnedDataset FromCsv(const std::string& text) {
    const std::string path = dir_.Write("rows.csv", text);
    auto ds = data::IngestWithReference({path}, data::IngestOptions{}, reference_, false);
    EXPECT_TRUE(ds.ok()) << ds.status().message();
    return std::move(ds).value();
  }

  Result<DecodedRequest> Decode(const std::string& body, RequestFormat format = RequestFormat::kRecords) {
    auto parsed = ParseRequestJson(body);
    if (!parsed.ok()) return parsed.status();
    return DecodeRows(*parsed, format, *schema_);
  }

  std::string DecodeError(const std::string& body, RequestFormat format = RequestFormat::kRecords) {
    auto r = Decode(body, format);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? "" : r.status().message();
  }

  static void ExpectSameBins(const data::BinnedDataset& a, const data::BinnedDataset& b) {
    ASSERT_EQ(a.num_rows(), b.num_rows());
    ASSERT_EQ(a.num_features(), b.num_features());
    for (size_t r = 0; r < a.num_rows(); ++r)
      for (size_t f = 0; f < a.num_features(); ++f) EXPECT_EQ(a.bin(r, f), b.bin(r, f)) << "row " << r << " feature " << f;
  }

  TempDir dir_;
  data::BinnedDataset reference_;
  std::unique_ptr<InputSchema> schema_;
};

TEST_F(RequestDecoderTest, RecordsBinAsTheSameRowsReadFromCsv) {
  // Seen and unseen categories, missing tokens and nulls, numbers as text, booleans as words and
  // numbers, datetimes; the label and the ignored column may come along and are skipped.
  const std::string csv =
      "x,city,flag,when,note,label\n"
      "12.5,Paris,true,2024-03-15,a,1\n"
      "99.999,Berlin,false,2024-07-01T12:30:00Z,b,0\n"
      ",NA,,,c,1\n"
      "0.001,Lyon,1,2024-01-10,d,0\n"
      "-4,7,no,2023-12-31,e,1\n";
  const data::BinnedDataset expected = FromCsv(csv);
  const std::string instances = R"({"instances": [
      {"x": 12.5, "city": "Paris", "flag": true, "when": "2024-03-15", "note": "a", "label": 1},
      {"x": "99.999", "city": "Berlin", "flag": false, "when": "2024-07-01T12:30:00Z"},
      {"x": null, "city": "NA", "flag": null, "when": ""},
      {"x": 0.001, "city": "Lyon", "flag": 1, "when": "2024-01-10"},
      {"x": -4, "city": 7, "flag": "no", "when": "2023-12-31"}]})";
  auto decoded = Decode(instances);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectSameBins(decoded->rows, expected);

  const std::string split = R"({"columns": ["when", "label", "x", "city", "flag"], "data": [
      ["2024-03-15", 1, 12.5, "Paris", true], ["2024-07-01T12:30:00Z", 0, "99.999", "Berlin", false],
      [null, null, null, null, null], ["2024-01-10", 0, 0.001, "Lyon", 1], ["2023-12-31", 1, -4, 7, "no"]]})";
  auto from_split = Decode(split);
  ASSERT_TRUE(from_split.ok()) << from_split.status().message();
  ExpectSameBins(from_split->rows, expected);
  auto wrapped = Decode(R"({"dataframe_split": )" + split + "}");
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().message();
  ExpectSameBins(wrapped->rows, expected);
}

TEST_F(RequestDecoderTest, DatetimePartsAreComputedFromTheDatetime) {
  // The model derived when_year ... when_is_weekend from 'when': requests give 'when' only (or send
  // a part along, which is skipped), and the parts bin as the CSV reader computes them.
  ASSERT_EQ(reference_.num_features(), 10u);
  const size_t hour = 8;
  ASSERT_EQ(reference_.feature_name(hour), "when_hour");
  EXPECT_TRUE(schema_->is_derived(hour));
  EXPECT_EQ(schema_->FeatureList(), "'x', 'city', 'flag', 'when'");
  const data::BinnedDataset expected = FromCsv("x,city,flag,when\n1,Paris,true,2024-03-01T12:59:59Z\n1,Paris,true,\n");
  auto decoded = Decode(R"({"instances": [{"x": 1, "city": "Paris", "flag": true, "when": "2024-03-01T12:59:59Z", "when_hour": 3},
                                          {"x": 1, "city": "Paris", "flag": true, "when": null}]})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectSameBins(decoded->rows, expected);
  EXPECT_EQ(decoded->cells.values[hour], 12.0f);  // from the exact seconds, not the float's 13:00:48
  EXPECT_TRUE(std::isnan(decoded->cells.values[decoded->cells.cols + hour]));
  auto v2 = Decode(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
      {"name": "city", "shape": [1], "datatype": "BYTES", "data": ["Paris"]},
      {"name": "flag", "shape": [1], "datatype": "BOOL", "data": [true]},
      {"name": "when", "shape": [1], "datatype": "BYTES", "data": ["2024-03-01T12:59:59Z"]}]})",
                   RequestFormat::kV2);
  ASSERT_TRUE(v2.ok()) << v2.status().message();
  EXPECT_EQ(v2->rows.bin(0, hour), expected.bin(0, hour));
  EXPECT_NE(DecodeError(R"({"instances": [{"x": 1, "city": "Paris", "flag": true}]})").find("no value for column \"when\""),
            std::string::npos);
}

TEST_F(RequestDecoderTest, RandomDecimalsBinAsTheCsvReaderParsesThem) {
  // JSON numbers go through a double; the CSV reader parses the text straight to float. Numbers
  // of up to 15 significant digits, near the bin edges too, must land in the same bins.
  std::mt19937_64 rng(11);
  std::string csv = "x,city,flag,when\n", body = "{\"columns\":[\"x\",\"city\",\"flag\",\"when\"],\"data\":[";
  const auto& thresholds = reference_.mappers()[0].thresholds();
  for (int i = 0; i < 3000; ++i) {
    char text[64];
    if (i % 2 == 0) {
      std::snprintf(text, sizeof text, "%.*g", static_cast<int>(1 + rng() % 15),
                    std::ldexp(static_cast<double>(rng() % (1ull << 40)), -static_cast<int>(rng() % 50)));
    } else {  // next to a threshold
      std::snprintf(text, sizeof text, "%.*g", static_cast<int>(6 + rng() % 10),
                    static_cast<double>(thresholds[rng() % thresholds.size()]) * (1 + (static_cast<double>(rng() % 200) - 100) * 1e-9));
    }
    csv += std::string(text) + ",Paris,true,2024-01-01\n";
    body += std::string(i ? "," : "") + "[" + text + ",\"Paris\",true,\"2024-01-01\"]";
  }
  body += "]}";
  auto decoded = Decode(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectSameBins(decoded->rows, FromCsv(csv));
}

TEST_F(RequestDecoderTest, V2TensorsBinAsRecords) {
  const std::string v2 = R"({"id": "r1", "inputs": [
      {"name": "x", "shape": [2], "datatype": "FP32", "data": [12.5, null]},
      {"name": "city", "shape": [2, 1], "datatype": "BYTES", "data": [["Paris"], ["Berlin"]]},
      {"name": "flag", "shape": [2], "datatype": "BOOL", "data": [true, false]},
      {"name": "when", "shape": [2], "datatype": "BYTES", "data": ["2024-03-15", "NA"]},
      {"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}],
      "outputs": [{"name": "raw_score"}, {"name": "prediction"}]})";
  auto decoded = Decode(v2, RequestFormat::kV2);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->id, "r1");
  EXPECT_EQ(decoded->outputs, (std::vector<std::string>{"raw_score", "prediction"}));
  ExpectSameBins(decoded->rows, FromCsv("x,city,flag,when\n12.5,Paris,true,2024-03-15\n,Berlin,false,NA\n"));
}

TEST_F(RequestDecoderTest, BadJsonSaysWhere) {
  auto r = ParseRequestJson("{\"instances\": [1, 2");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not valid JSON (byte"), std::string::npos) << r.status().message();
  EXPECT_FALSE(ParseRequestJson("").ok());
  EXPECT_FALSE(ParseRequestJson("\xff\xfe").ok());
}

TEST_F(RequestDecoderTest, RecordErrorsNameTheRowColumnAndWhatWasExpected) {
  const std::string row = R"("x": 1, "city": "Paris", "flag": true, "when": "2024-01-01")";
  EXPECT_NE(DecodeError(R"({"instances": [{)" + row + R"(}, {"x": "abc", "city": "Paris", "flag": true, "when": "2024-01-01"}]})")
                .find("instances[1], column \"x\": expected a number or null, found \"abc\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [{)" + row + R"(, "age": 3}]})").find("unknown column \"age\""), std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [{"x": 1, "city": "Paris", "flag": true}]})")
                .find("instances[0] has no value for column \"when\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [{"x": 1, "city": "Paris", "flag": "maybe", "when": "2024-01-01"}]})")
                .find("expected true, false or null, found \"maybe\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [{"x": 1, "city": "Paris", "flag": true, "when": 20240101}]})")
                .find("expected an ISO-8601 date"),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [{"x": [1], "city": "Paris", "flag": true, "when": "2024-01-01"}]})")
                .find("found an array"),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": []})").find("no rows"), std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [[1, 2]]})").find("instances[0]: expected an object"), std::string::npos);
  EXPECT_NE(DecodeError(R"([1, 2])").find("expected {\"instances\""), std::string::npos);
  EXPECT_NE(DecodeError(R"({"rows": []})").find("unknown field \"rows\""), std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": [], "columns": []})").find("one form only"), std::string::npos);
  EXPECT_NE(DecodeError(R"({"columns": ["x", "city", "flag"], "data": [[1, "a", true]]})")
                .find("lacks column \"when\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"columns": ["x", "city", "flag", "when", "x"], "data": []})").find("given twice"),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"columns": ["x", "city", "flag", "when"], "data": [[1, "a", true]]})")
                .find("data[0]: expected an array of 4 values (one per column), found an array of 3"),
            std::string::npos);
}

TEST_F(RequestDecoderTest, V2ErrorsNameTheInput) {
  auto v2 = [](const std::string& x_input) {
    return R"({"inputs": [)" + x_input + R"(,
      {"name": "city", "shape": [1], "datatype": "BYTES", "data": ["Paris"]},
      {"name": "flag", "shape": [1], "datatype": "BOOL", "data": [true]},
      {"name": "when", "shape": [1], "datatype": "BYTES", "data": ["2024-01-01"]}]})";
  };
  const auto kV2 = RequestFormat::kV2;
  EXPECT_TRUE(Decode(v2(R"({"name": "x", "shape": [1], "datatype": "FP64", "data": [1.5]})"), kV2).ok());
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [1], "datatype": "FP32", "data": ["1.5"]})"), kV2)
                .find("inputs[0] (\"x\"), data[0]: expected a number (datatype FP32), found \"1.5\""),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [2], "datatype": "FP32", "data": [1.5, 2]})"), kV2)
                .find("every input needs the same number of rows"),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]})"), kV2)
                .find("\"shape\" must be [N] or [N, 1]"),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [2], "datatype": "FP32", "data": [1]})"), kV2)
                .find("\"data\" must be an array of 2 values"),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]})"), kV2)
                .find("\"datatype\" must be one of"),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "y", "shape": [1], "datatype": "FP32", "data": [1]})"), kV2)
                .find("inputs[0] (\"y\"): unknown input"),
            std::string::npos);
  EXPECT_NE(DecodeError(v2(R"({"name": "x", "shape": [1], "datatype": "FP32"})"), kV2).find("missing \"data\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})", kV2)
                .find("missing input \"city\""),
            std::string::npos);
  EXPECT_NE(DecodeError(R"({"instances": []})", kV2).find("unknown field \"instances\""), std::string::npos);
  EXPECT_NE(DecodeError(R"({"inputs": [], "outputs": [{"name": "proba"}]})", kV2).find("non-empty array"),
            std::string::npos);
}

}  // namespace
}  // namespace tessera::serve
