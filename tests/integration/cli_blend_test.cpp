// An AutoML ensemble of trees and a linear model end to end: `tessera automl` writes one model
// file of family "blend", and predict, explain (CSV), eval, gate and serve (/predict, v2 infer,
// /explain) take it and agree; export refuses it with a clear message.
#include <httplib.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "run_binary.h"
#include "serve_process.h"

namespace tessera {
namespace {

using nlohmann::json;
using testing::RunTessera;
using testing::ServeProcess;
using testing::TempDir;

// y = 2 x1 - x2 + 0.8 [x1 > 0] x2 + N(0, 1): the linear model and the trees each miss a part.
json WriteKinkTable(const TempDir& dir) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0, 1);
  std::string csv = "x1,x2,x3,y\n";
  json instances = json::array();
  for (size_t i = 0; i < 300; ++i) {
    const double x1 = normal(rng), x2 = normal(rng), x3 = normal(rng);
    const double y = 2 * x1 - x2 + 0.8 * (x1 > 0) * x2 + normal(rng);
    csv += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(x3) + "," + std::to_string(y) + "\n";
    if (i < 20) instances.push_back({{"x1", std::stod(std::to_string(x1))}, {"x2", std::stod(std::to_string(x2))},
                                     {"x3", std::stod(std::to_string(x3))}});
  }
  dir.Write("kink.csv", csv);
  return instances;
}

TEST(CliBlend, AutoMlWritesABlendThatPredictExplainAndServeTake) {
  TempDir dir;
  const json instances = WriteKinkTable(dir);
  auto r = RunTessera(dir, "automl --data kink.csv --label y --max-trials 40 --seed 3 -o blend.json --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json model = json::parse(testing::ReadFile(dir.Path("blend.json")));
  ASSERT_EQ(model["model"]["family"], "blend") << json::parse(r.out)["choice"];
  // The trees blended into one tree model, then each linear member with its weight.
  const json& members = model["model"]["members"];
  ASSERT_GE(members.size(), 2u);
  EXPECT_EQ(members[0]["model"]["family"], "gbdt");
  EXPECT_EQ(members[0]["weight"], 1.0);
  for (size_t m = 1; m < members.size(); ++m) EXPECT_EQ(members[m]["model"]["family"], "linear");
  EXPECT_TRUE(model["model"]["training"].contains("automl"));

  ASSERT_EQ(RunTessera(dir, "predict -m blend.json --data kink.csv -o p.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m blend.json --data kink.csv -o r.csv --raw-score -q").exit_code, 0);
  const std::vector<double> predictions = testing::ReadNumberColumn(dir.Path("p.csv"));
  const std::vector<double> raw = testing::ReadNumberColumn(dir.Path("r.csv"));
  ASSERT_EQ(predictions.size(), 300u);
  EXPECT_EQ(predictions, raw);  // regression: the link is the identity

  // explain: per row, the contributions and the expected value add up to the raw score.
  r = RunTessera(dir, "explain -m blend.json --data kink.csv --rows 0,1,2,3,4 -o shap.csv -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream shap(testing::ReadFile(dir.Path("shap.csv")));
  std::string line;
  std::getline(shap, line);
  EXPECT_EQ(line, "row,x1,x2,x3,expected_value");
  for (size_t row = 0; row < 5; ++row) {
    ASSERT_TRUE(std::getline(shap, line));
    std::istringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    EXPECT_EQ(cell, std::to_string(row));
    double sum = 0;
    while (std::getline(cells, cell, ',')) sum += std::stod(cell);
    EXPECT_NEAR(sum, raw[row], 1e-6) << "row " << row;
  }
  r = RunTessera(dir, "explain -m blend.json --data kink.csv --html report.html -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a 'blend' model; --interactions and --html need a tree model"), std::string::npos) << r.err;

  // eval and gate (one row at a time, as a server would: both members read each row).
  r = RunTessera(dir, "eval -m blend.json --data kink.csv --label y --json -q --no-track");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double rmse = json::parse(r.out)["rmse"].get<double>();
  ASSERT_EQ(RunTessera(dir, "train --family linear --objective regression --data kink.csv --label y -o linear.json -q --no-track").exit_code, 0);
  r = RunTessera(dir, "gate --candidate blend.json --champion linear.json --data kink.csv --label y --metric rmse --max-latency-us 100000 --json -q");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;
  const json gate = json::parse(r.out);
  EXPECT_DOUBLE_EQ(gate["candidate"].get<double>(), rmse);
  EXPECT_GT(gate["latency_us"].get<double>(), 0);

  r = RunTessera(dir, "export -m blend.json -o c_model");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("blend.json: a 'blend' model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("c_model")));

  ServeProcess server(dir, "--model blend.json");
  ASSERT_TRUE(server.started()) << server.log();
  httplib::Client client(server.host(), server.port());
  client.set_read_timeout(30, 0);
  auto res = client.Post("/predict", json{{"instances", instances}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto served = json::parse(res->body)["predictions"].get<std::vector<double>>();
  ASSERT_EQ(served.size(), 20u);
  for (size_t i = 0; i < served.size(); ++i) EXPECT_NEAR(served[i], predictions[i], 1e-9) << i;

  json x1 = json::array(), x2 = json::array(), x3 = json::array();
  for (const auto& row : instances) x1.push_back(row["x1"]), x2.push_back(row["x2"]), x3.push_back(row["x3"]);
  const json v2 = {{"inputs",
                    {{{"name", "x1"}, {"shape", {20}}, {"datatype", "FP64"}, {"data", x1}},
                     {{"name", "x2"}, {"shape", {20}}, {"datatype", "FP64"}, {"data", x2}},
                     {{"name", "x3"}, {"shape", {20}}, {"datatype", "FP64"}, {"data", x3}}}}};
  auto infer = client.Post("/v2/models/blend/infer", v2.dump(), "application/json");
  ASSERT_TRUE(infer);
  ASSERT_EQ(infer->status, 200) << infer->body;
  EXPECT_EQ(json::parse(infer->body)["outputs"][0]["data"].get<std::vector<double>>(), served);

  auto explain = client.Post("/explain", json{{"instances", instances}}.dump(), "application/json");
  ASSERT_TRUE(explain);
  ASSERT_EQ(explain->status, 200) << explain->body;
  const json e = json::parse(explain->body);
  ASSERT_EQ(e["contributions"].size(), 20u);
  for (size_t row = 0; row < 20; ++row) {
    double sum = e["expected_value"].get<double>();
    for (const auto& c : e["contributions"][row]) sum += c.get<double>();
    EXPECT_NEAR(sum, served[row], 1e-9) << "row " << row;
  }
}

}  // namespace
}  // namespace tessera
