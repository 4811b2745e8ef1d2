// tessera serve with a linear model: /predict, /v2/.../infer and /explain answer exactly what
// `tessera predict` writes for the same rows (missing values, text categories, an unseen
// category), and the explanation (linear SHAP) adds up to the raw scores.
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

TEST(ServeLinear, AnswersEqualTheCliAndExplanationsAddUp) {
  TempDir dir;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  const char* plans[] = {"basic", "plus", "pro"};
  std::ostringstream train, test;
  train << "age,plan,shop,y\n";
  test << "age,plan,shop\n";
  json instances = json::array();
  for (int i = 0; i < 1600; ++i) {
    const double age = 40 + 10 * g(rng);
    const int plan = static_cast<int>(rng() % 3), shop = static_cast<int>(rng() % 30);
    const double s = 0.05 * (age - 40) + (plan == 2 ? 1 : -0.3) + (shop % 3 == 0 ? 0.8 : -0.4) + g(rng);
    const bool missing = i % 10 == 0;
    std::ostringstream a;
    a.precision(9);
    a << static_cast<float>(age);
    if (i < 1500) {
      train << (missing ? "" : a.str()) << "," << plans[plan] << ",s" << shop << "," << (s > 0 ? 1 : 0) << "\n";
    } else {  // test rows: one with a plan never seen in training
      const std::string p = i == 1550 ? "enterprise" : plans[plan];
      test << (missing ? "" : a.str()) << "," << p << ",s" << shop << "\n";
      instances.push_back({{"age", missing ? json(nullptr) : json(std::stod(a.str()))}, {"plan", p}, {"shop", "s" + std::to_string(shop)}});
    }
  }
  dir.Write("train.csv", train.str());
  dir.Write("test.csv", test.str());
  ASSERT_EQ(RunTessera(dir, "train --family linear --data train.csv --label y -o model.json -q --no-track -p one_hot_max_levels=5")
                .exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m model.json --data test.csv -o p.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m model.json --data test.csv -o r.csv --raw-score -q").exit_code, 0);
  const std::vector<double> expected = testing::ReadNumberColumn(dir.Path("p.csv"));
  const std::vector<double> raw = testing::ReadNumberColumn(dir.Path("r.csv"));
  ASSERT_EQ(expected.size(), 100u);

  ServeProcess server(dir, "--model model.json");
  ASSERT_TRUE(server.started()) << server.log();
  httplib::Client client(server.host(), server.port());
  client.set_read_timeout(30, 0);
  auto res = client.Post("/predict", json{{"instances", instances}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["predictions"].get<std::vector<double>>(), expected);

  json ages = json::array(), plans_in = json::array(), shops = json::array();
  for (const auto& r : instances) ages.push_back(r["age"]), plans_in.push_back(r["plan"]), shops.push_back(r["shop"]);
  const json v2 = {{"inputs",
                    {{{"name", "age"}, {"shape", {100}}, {"datatype", "FP32"}, {"data", ages}},
                     {{"name", "plan"}, {"shape", {100}}, {"datatype", "BYTES"}, {"data", plans_in}},
                     {{"name", "shop"}, {"shape", {100}}, {"datatype", "BYTES"}, {"data", shops}}}},
                   {"outputs", {{{"name", "raw_score"}}}}};
  auto infer = client.Post("/v2/models/model/infer", v2.dump(), "application/json");
  ASSERT_TRUE(infer);
  ASSERT_EQ(infer->status, 200) << infer->body;
  EXPECT_EQ(json::parse(infer->body)["outputs"][0]["data"].get<std::vector<double>>(), raw);

  auto explain = client.Post("/explain", json{{"instances", instances}}.dump(), "application/json");
  ASSERT_TRUE(explain);
  ASSERT_EQ(explain->status, 200) << explain->body;
  const json e = json::parse(explain->body);
  ASSERT_EQ(e["contributions"].size(), 100u);
  for (size_t r = 0; r < 100; ++r) {
    double sum = e["expected_value"].get<double>();
    for (const auto& c : e["contributions"][r]) sum += c.get<double>();
    EXPECT_NEAR(sum, raw[r], 1e-9) << "row " << r;
  }
}

}  // namespace
}  // namespace tessera
