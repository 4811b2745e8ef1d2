// Datetime expansion and AutoML's unusable features through the real binary: a label that depends
// on the weekday is learnt thanks to the derived parts (and not without them), predict reads raw
// CSV with only the datetime column, and automl leaves out ID-like and constant columns.
#include <httplib.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "run_binary.h"
#include "serve_process.h"
#include "test_files.h"

namespace tessera::testing {
namespace {

using nlohmann::json;

// Rows with a timestamp spread over two years (any hour) and a noise column; the label is 1 on
// Saturdays and Sundays (UTC).
std::string WeekendTable(uint64_t seed, int rows) {
  std::mt19937_64 rng(seed);
  std::ostringstream csv;
  csv << "when,noise,weekend\n";
  for (int i = 0; i < rows; ++i) {
    const std::time_t t = 1672531200 + static_cast<std::time_t>(rng() % (2 * 365 * 86400));  // from 2023-01-01
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    csv << when << "," << static_cast<double>(rng() % 1000) / 1000.0 << "," << (tm.tm_wday == 0 || tm.tm_wday == 6) << "\n";
  }
  return csv.str();
}

double EvalAuc(const TempDir& dir, const std::string& model, const std::string& data) {
  auto eval = RunTessera(dir, "eval -m " + model + " --data " + data + " --label weekend --json -q --no-track");
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  return eval.exit_code == 0 ? json::parse(eval.out)["auc"].get<double>() : 0;
}

TEST(CliDatetime, LearnsTheWeekendFromDatetimeParts) {
  TempDir dir;
  dir.Write("train.csv", WeekendTable(1, 3000));
  dir.Write("test.csv", WeekendTable(2, 1000));
  auto train = RunTessera(dir, "train --data train.csv --label weekend -o parts.json -p num_iterations=30 -q --no-track");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_GT(EvalAuc(dir, "parts.json", "test.csv"), 0.999);

  // The model file records the derived features; predict needs only the datetime column.
  const json model = json::parse(ReadFile(dir.Path("parts.json")));
  EXPECT_EQ(model["format_version"], 2);
  EXPECT_EQ(model["features"]["names"], json({"when", "noise", "when_year", "when_month", "when_day", "when_weekday",
                                              "when_hour", "when_is_weekend"}));
  dir.Write("rows.csv", "noise,when\n0.5,2024-03-02T10:00:00Z\n0.5,2024-03-04T10:00:00Z\n0.5,\n");
  auto predict = RunTessera(dir, "predict -m parts.json --data rows.csv -o preds.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::istringstream preds(ReadFile(dir.Path("preds.csv")));
  std::string header, saturday, monday, missing;
  std::getline(preds, header), std::getline(preds, saturday), std::getline(preds, monday), std::getline(preds, missing);
  EXPECT_GT(std::stod(saturday), 0.9) << header;
  EXPECT_LT(std::stod(monday), 0.1);
  EXPECT_FALSE(missing.empty());  // a missing datetime predicts (all parts missing)

  // Exported C takes the parts as features; its header says what each one is.
  auto exported = RunTessera(dir, "export -m parts.json --format c -o c_model");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(ReadFile(dir.Path("c_model/model.h")).find("\"when_weekday\"  numeric, the UTC weekday (0 = Monday) of datetime \"when\""),
            std::string::npos);

  // Without the parts the seconds since 1970 cannot tell the weekend apart.
  auto plain = RunTessera(dir, "train --data train.csv --label weekend -o plain.json -p num_iterations=30 -q --no-track "
                               "--no-datetime-parts");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_LT(EvalAuc(dir, "plain.json", "test.csv"), 0.9);
  EXPECT_EQ(json::parse(ReadFile(dir.Path("plain.json")))["format_version"], 1);  // older builds read it
}

TEST(CliDatetime, ServeComputesThePartsAsPredictDoes) {
  TempDir dir;
  dir.Write("train.csv", WeekendTable(1, 2000));
  ASSERT_EQ(RunTessera(dir, "train --data train.csv --label weekend -o model.json -p num_iterations=20 -q --no-track").exit_code, 0);
  // Times near the hour and the day boundaries, offsets, a date alone, a missing value.
  const std::vector<std::string> times = {"2024-03-01T23:59:59Z", "2024-03-02T00:00:01Z", "2024-03-03T23:30:00-02:00",
                                          "2024-03-04", "1969-12-28T12:00:00Z", ""};
  std::string csv = "when,noise\n", instances = "{\"instances\": [";
  for (size_t i = 0; i < times.size(); ++i) {
    csv += times[i] + ",0.5\n";
    instances += std::string(i ? ", " : "") + "{\"when\": " + (times[i].empty() ? "null" : "\"" + times[i] + "\"") + ", \"noise\": 0.5}";
  }
  instances += "]}";
  dir.Write("rows.csv", csv);
  ASSERT_EQ(RunTessera(dir, "predict -m model.json --data rows.csv -o preds.csv -q").exit_code, 0);
  std::istringstream lines(ReadFile(dir.Path("preds.csv")));
  std::string line;
  std::getline(lines, line);  // header
  std::vector<double> expected;
  while (std::getline(lines, line)) expected.push_back(std::stod(line));
  ASSERT_EQ(expected.size(), times.size());
  EXPECT_GT(expected[1], 0.5);  // Saturday just after midnight
  EXPECT_LT(expected[0], 0.5);  // Friday just before
  EXPECT_LT(expected[2], 0.5);  // Monday 01:30 UTC

  ServeProcess server(dir, "--model model.json");
  ASSERT_TRUE(server.started()) << server.log();
  httplib::Client client(server.host(), server.port());
  client.set_read_timeout(30, 0);
  auto res = client.Post("/predict", instances, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["predictions"].get<std::vector<double>>(), expected);
  auto meta = client.Get("/v2/models/model");
  ASSERT_TRUE(meta);
  const json inputs = json::parse(meta->body)["inputs"];
  ASSERT_EQ(inputs.size(), 2u) << meta->body;  // the parts are not inputs
  EXPECT_EQ(inputs[0]["name"], "when");
  EXPECT_EQ(inputs[0]["datatype"], "BYTES");
}

// Rows with an ID number (the row's), an ID text, a constant, a genuine numeric feature (a
// distance, which sets the label) and a monotone integer that repeats (a day counter).
std::string IdTable(int rows) {
  std::mt19937_64 rng(5);
  std::ostringstream csv;
  csv << "row_id,code,constant,distance,day,label\n";
  for (int i = 0; i < rows; ++i) {
    const double distance = static_cast<double>(rng() % 100000) / 10.0;
    csv << 1000 + i << ",user-" << rng() % 1000000000 << ",7," << distance << "," << i / 10 << ","
        << (distance + static_cast<double>(rng() % 3000) > 6000) << "\n";
  }
  return csv.str();
}

TEST(CliDatetime, AutoMlLeavesOutIdLikeAndConstantColumns) {
  TempDir dir;
  dir.Write("t.csv", IdTable(600));
  auto r = RunTessera(dir, "automl --data t.csv --label label --max-trials 2 --no-ensemble --seed 1 -o best.json --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["dropped_features"], json({"row_id", "code", "constant"}));
  std::string warnings = out["warnings"].dump();
  EXPECT_NE(warnings.find("feature 'row_id' is ID-like"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("feature 'code' is ID-like"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("feature 'constant' is constant"), std::string::npos) << warnings;

  const json model = json::parse(ReadFile(dir.Path("best.json")));
  EXPECT_EQ(model["features"]["names"], json({"distance", "day"}));
  for (const auto& c : model["schema"]["columns"])
    if (c["name"] == "row_id" || c["name"] == "code" || c["name"] == "constant") {
      EXPECT_EQ(c["role"], "ignored");
    }
  // The raw table, dropped columns and all, still predicts.
  auto eval = RunTessera(dir, "eval -m best.json --data t.csv --label label --json -q --no-track");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_GT(json::parse(eval.out)["auc"].get<double>(), 0.8);

  // Printed too.
  auto text = RunTessera(dir, "automl --data t.csv --label label --max-trials 2 --no-ensemble --seed 1 -o best2.json");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.err.find("automl: warning: feature 'row_id' is ID-like"), std::string::npos) << text.err;
}

}  // namespace
}  // namespace tessera::testing
