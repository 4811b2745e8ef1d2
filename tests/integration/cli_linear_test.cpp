// tessera train --family linear through the real binary: train, save, predict and eval from the
// saved file give exactly the predictions of the same model trained and applied in this process;
// tree-only commands refuse a linear model naming its family.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "required_tool.h"
#include "run_binary.h"
#include "tessera/data/coded_rows.h"
#include "tessera/data/ingest.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/model_file.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

std::string Table(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const char* plans[] = {"basic", "plus", "pro", "team"};
  std::ostringstream csv;
  csv << "age,spend,plan,region,churn\n";
  for (size_t i = 0; i < rows; ++i) {
    const double age = 40 + 12 * g(rng), spend = std::exp(g(rng));
    const int plan = static_cast<int>(rng() % 4), region = static_cast<int>(rng() % 40);
    const double s = -0.04 * (age - 40) + 0.8 * std::log(spend) + (plan == 0 ? 0.9 : -0.3) + (region < 10 ? 1.0 : -0.2);
    csv << (u(rng) < 0.05 ? std::string("NA") : std::to_string(age)) << "," << spend << "," << plans[plan] << ",r" << region
        << "," << (u(rng) < 1 / (1 + std::exp(-s)) ? "left" : "stayed") << "\n";
  }
  return csv.str();
}

std::vector<double> ReadPredictions(const std::string& path, std::string* header) {
  std::istringstream in(testing::ReadFile(path));
  std::getline(in, *header);
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string v;
    while (std::getline(fields, v, ',')) out.push_back(std::stod(v));
  }
  return out;
}

TEST(CliLinear, TrainPredictEvalMatchInProcessModel) {
  TempDir dir;
  dir.Write("train.csv", Table(4000, 1));
  dir.Write("test.csv", Table(1000, 2));
  const std::string params = "-p lambda=0.0005 -p l1_ratio=0.3 -p one_hot_max_levels=8 -p seed=3";
  auto train = RunTessera(dir, "train --family linear --objective binary --data train.csv --label churn --valid test.csv "
                               "-o model.json --json -q --no-track " + params);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto summary = nlohmann::json::parse(train.out);
  EXPECT_EQ(summary["family"], "linear");
  EXPECT_EQ(summary["solver"], "owlqn");
  EXPECT_TRUE(summary["converged"].get<bool>());
  const double auc = summary["valid_metrics"]["valid_0 auc"].get<double>();
  EXPECT_GT(auc, 0.7);
  const auto doc = nlohmann::json::parse(testing::ReadFile(dir.Path("model.json")));
  EXPECT_EQ(doc["model"]["family"], "linear");
  EXPECT_EQ(doc["model"]["pipeline"]["steps"][3]["transform"], "target+frequency");  // region: 40 levels

  auto predict = RunTessera(dir, "predict -m model.json --data test.csv -o preds.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::string header;
  const std::vector<double> from_cli = ReadPredictions(dir.Path("preds.csv"), &header);
  EXPECT_EQ(header, "prediction");
  ASSERT_EQ(from_cli.size(), 1000u);

  // The same training in this process: the same model, and predictions equal to the last bit.
  data::IngestOptions options;
  options.schema.label = "churn";
  models::linear::LinearParams p;
  ASSERT_TRUE(models::linear::ApplyLinearParams(
                  {{"objective", "binary"}, {"lambda", "0.0005"}, {"l1_ratio", "0.3"}, {"one_hot_max_levels", "8"}, {"seed", "3"}}, &p)
                  .ok());
  auto ds = data::IngestBinned({dir.Path("train.csv")}, options);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  auto coded = data::ReadCodedRows({dir.Path("train.csv")}, options, *ds);
  ASSERT_TRUE(coded.ok());
  auto model = models::linear::TrainLinear(*ds, *coded, p);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto saved = models::LoadAnyModel(dir.Path("model.json"));
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  EXPECT_EQ(saved->linear()->coef(), model->coef());
  auto test_coded = data::ReadCodedRows({dir.Path("test.csv")}, options, model->reference());
  ASSERT_TRUE(test_coded.ok());
  EXPECT_EQ(model->Predict(*test_coded), from_cli);

  auto raw = RunTessera(dir, "predict -m model.json --data test.csv -o raw.csv --raw-score -q");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const std::vector<double> margins = ReadPredictions(dir.Path("raw.csv"), &header);
  EXPECT_EQ(header, "raw_score");
  EXPECT_EQ(margins, model->PredictRaw(*test_coded));

  // Linear SHAP: per row, the feature values plus the expected value add up to the raw score.
  auto shap = RunTessera(dir, "explain -m model.json --data test.csv -o shap.csv -q");
  ASSERT_EQ(shap.exit_code, 0) << shap.err;
  const std::vector<double> values = ReadPredictions(dir.Path("shap.csv"), &header);
  EXPECT_EQ(header, "row,age,spend,plan,region,expected_value");
  ASSERT_EQ(values.size(), 1000u * 6);
  for (size_t r = 0; r < 1000; ++r) {
    EXPECT_EQ(values[r * 6], static_cast<double>(r));
    double sum = 0;
    for (size_t j = 1; j < 6; ++j) sum += values[r * 6 + j];
    EXPECT_NEAR(sum, margins[r], 1e-9) << "row " << r;
  }

  auto eval = RunTessera(dir, "eval -m model.json --data test.csv --json -q --no-track");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NEAR(nlohmann::json::parse(eval.out)["auc"].get<double>(), auc, 1e-12);

  // Drift monitoring reads new data against the model's reference, as for trees.
  auto monitor = RunTessera(dir, "monitor -m model.json --data test.csv --reference train.csv --json -q");
  ASSERT_EQ(monitor.exit_code, 0) << monitor.err;
  const auto report = nlohmann::json::parse(monitor.out);
  EXPECT_EQ(report["rows"], 1000);
  ASSERT_EQ(report["features"].size(), 4u);
  EXPECT_EQ(report["features"][2]["verdict"], "stable");  // plan: same distribution
  EXPECT_TRUE(report.contains("prediction"));
  bool auc_reported = false;
  for (const auto& m : report["performance"])
    if (m["metric"] == "auc") {
      auc_reported = true;
      EXPECT_NEAR(m["actual"].get<double>(), auc, 1e-12);
    }
  EXPECT_TRUE(auc_reported) << monitor.out;
}

TEST(CliLinear, GateComparesALinearCandidateWithATreeChampion) {
  TempDir dir;
  dir.Write("train.csv", Table(3000, 21));
  dir.Write("test.csv", Table(1000, 22));
  ASSERT_EQ(RunTessera(dir, "train --family linear --data train.csv --label churn -o linear.json -q --no-track").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "train --data train.csv --label churn -o trees.json -q --no-track -p num_iterations=20").exit_code, 0);
  auto gate = RunTessera(dir, "gate --candidate linear.json --champion trees.json --data test.csv --json -q "
                              "--min-delta -1 --max-latency-us 100000 --max-drift-psi 10");
  ASSERT_EQ(gate.exit_code, 0) << gate.err;
  const auto j = nlohmann::json::parse(gate.out);
  EXPECT_EQ(j["metric"], "auc");
  EXPECT_EQ(j["rows"], 1000);
  EXPECT_TRUE(j["pass"].get<bool>()) << gate.out;
  auto eval = RunTessera(dir, "eval -m linear.json --data test.csv --json -q --no-track");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_EQ(j["candidate"].get<double>(), nlohmann::json::parse(eval.out)["auc"].get<double>());
  auto trees = RunTessera(dir, "eval -m trees.json --data test.csv --json -q --no-track");
  EXPECT_EQ(j["champion"].get<double>(), nlohmann::json::parse(trees.out)["auc"].get<double>());
  EXPECT_GT(j["latency_us"].get<double>(), 0);
}

TEST(CliLinear, RegressionAndMulticlass) {
  TempDir dir;
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::ostringstream reg, multi;
  reg << "a,b,y\n";
  multi << "a,b,k\n";
  for (int i = 0; i < 1500; ++i) {
    const double a = g(rng), b = g(rng);
    reg << a << "," << b << "," << 3 * a - b + 0.1 * g(rng) << "\n";
    const int k = a > 0.5 ? 2 : (b > 0 ? 1 : 0);
    multi << a << "," << b << "," << k << "\n";
  }
  dir.Write("reg.csv", reg.str());
  dir.Write("multi.csv", multi.str());
  auto r = RunTessera(dir, "train --family linear --objective regression --data reg.csv --label y -o reg.json -q --no-track "
                           "-p lambda=0.001");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto e = RunTessera(dir, "eval -m reg.json --data reg.csv --json -q --no-track");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_GT(nlohmann::json::parse(e.out)["r2"].get<double>(), 0.99);
  auto m = RunTessera(dir, "train --family linear --objective multiclass --data multi.csv --label k -o multi.json -q --no-track");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto pm = RunTessera(dir, "predict -m multi.json --data multi.csv -o p.csv -q");
  ASSERT_EQ(pm.exit_code, 0) << pm.err;
  std::string header;
  const std::vector<double> probs = ReadPredictions(dir.Path("p.csv"), &header);
  EXPECT_EQ(header, "prob_0,prob_1,prob_2");
  ASSERT_EQ(probs.size(), 4500u);
  EXPECT_NEAR(probs[0] + probs[1] + probs[2], 1.0, 1e-12);
  auto em = RunTessera(dir, "eval -m multi.json --data multi.csv --json -q --no-track");
  ASSERT_EQ(em.exit_code, 0) << em.err;
  EXPECT_LT(nlohmann::json::parse(em.out)["multi_error"].get<double>(), 0.15);
}

// A C driver: reads rows of raw floats from argv[1], prints per row the predictions and raw scores.
const char* kDriver = R"(#include <stdio.h>
#include "model.h"
int main(int argc, char **argv) {
  float x[TESSERA_NUM_FEATURES], p[TESSERA_NUM_OUTPUTS], raw[TESSERA_NUM_OUTPUTS];
  int k;
  FILE *in = argc > 1 ? fopen(argv[1], "rb") : NULL;
  if (!in) return 3;
  while (fread(x, sizeof(float), TESSERA_NUM_FEATURES, in) == TESSERA_NUM_FEATURES) {
    tessera_predict(x, p);
    tessera_predict_raw(x, raw);
    for (k = 0; k < TESSERA_NUM_OUTPUTS; ++k) printf("%.9g ", p[k]);
    for (k = 0; k < TESSERA_NUM_OUTPUTS; ++k) printf("%.9g ", raw[k]);
    printf("\n");
  }
  fclose(in);
  return 0;
}
)";

TEST(CliLinear, ExportedCMatchesTheEngine) {
  if (std::system("command -v gcc > /dev/null 2>&1") != 0) TESSERA_MISSING_TOOL("gcc is not installed (scripts/bootstrap installs build-essential)");
  TempDir dir;
  // Numeric inputs with missing values, a coded category with few levels (one-hot) and one with
  // many (target + frequency encoding); binary and multiclass.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0, 1);
  std::ostringstream csv;
  csv << "a,b,kind,shop,y,k\n";
  for (int i = 0; i < 2000; ++i) {
    const double a = g(rng), b = g(rng);
    const int kind = static_cast<int>(rng() % 3), shop = static_cast<int>(rng() % 50) - 5;
    const double s = a - 0.5 * b + (kind == 1 ? 1 : 0) + (shop % 4 == 0 ? 1 : -0.5) + g(rng);
    csv << (i % 9 == 0 ? std::string("") : std::to_string(a)) << "," << b << "," << kind << "," << shop << "," << (s > 0 ? 1 : 0)
        << "," << (s > 1 ? 2 : (s > -0.5 ? 1 : 0)) << "\n";
  }
  dir.Write("t.csv", csv.str());
  dir.Write("driver.c", kDriver);
  ASSERT_EQ(RunTessera(dir, "train --family linear --objective binary --data t.csv --label y --ignore k --categorical kind,shop "
                            "-o bin.json -q --no-track -p l1_ratio=0.2 -p lambda=0.001").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "train --family linear --objective multiclass --data t.csv --label k --ignore y --categorical kind,shop "
                            "-o multi.json -q --no-track -p impute=median").exit_code, 0);
  for (const std::string name : {"bin", "multi"}) {
    SCOPED_TRACE(name);
    auto ex = RunTessera(dir, "export -m " + name + ".json -o " + name + " --no-size");
    ASSERT_EQ(ex.exit_code, 0) << ex.err;
    const std::string build = "cd '" + dir.path().string() + "' && gcc -std=c99 -Wall -Wextra -pedantic -Werror -I " + name +
                              " driver.c " + name + "/model.c -o " + name + "/d -lm > " + name + ".log 2>&1";
    ASSERT_EQ(std::system(build.c_str()), 0) << testing::ReadFile(dir.Path(name + ".log"));
    auto model = models::LoadAnyModel(dir.Path(name + ".json"));
    ASSERT_TRUE(model.ok()) << model.status().message();
    ASSERT_EQ(model->reference().num_features(), 4u);
    // Rows: seen and unseen codes, -0.0 and 0.0, NaN everywhere, extreme values.
    std::vector<float> rows;
    std::uniform_int_distribution<int> code(-8, 60);
    for (int i = 0; i < 3000; ++i) {
      rows.push_back(i % 7 == 0 ? std::nanf("") : static_cast<float>(3 * g(rng)));
      rows.push_back(i % 11 == 0 ? std::nanf("") : static_cast<float>(g(rng)));
      rows.push_back(i % 13 == 0 ? std::nanf("") : static_cast<float>(code(rng) % 4));
      rows.push_back(i % 17 == 0 ? -0.0f : (i % 19 == 0 ? std::nanf("") : static_cast<float>(code(rng))));
    }
    rows.insert(rows.end(), {1e30f, -1e30f, 0.5f, 2.5f});
    const size_t n = rows.size() / 4;
    {
      std::ofstream out(dir.Path(name + ".bin"), std::ios::binary);
      out.write(reinterpret_cast<const char*>(rows.data()), static_cast<std::streamsize>(rows.size() * sizeof(float)));
    }
    const std::string run = "cd '" + dir.path().string() + "' && ./" + name + "/d " + name + ".bin > " + name + ".out";
    ASSERT_EQ(std::system(run.c_str()), 0);
    std::istringstream printed(testing::ReadFile(dir.Path(name + ".out")));
    const std::vector<double> p = model->PredictValues(rows.data(), n), raw = model->PredictValues(rows.data(), n, true);
    const size_t k = static_cast<size_t>(model->num_outputs());
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < k; ++c) {
        float v;
        ASSERT_TRUE(printed >> v);
        EXPECT_EQ(v, static_cast<float>(p[r * k + c])) << "row " << r;
      }
      for (size_t c = 0; c < k; ++c) {
        float v;
        ASSERT_TRUE(printed >> v);
        EXPECT_EQ(v, static_cast<float>(raw[r * k + c])) << "row " << r;
      }
    }
  }
}

TEST(CliLinear, TreeCommandsRefuseNamingTheFamilyAndBadParamsAreRejected) {
  TempDir dir;
  dir.Write("train.csv", Table(300, 7));
  auto bad = RunTessera(dir, "train --family linear --data train.csv --label churn -o m.json -q --no-track -p l1_ratio=2");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("l1_ratio=2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("[0, 1]"), std::string::npos) << bad.err;
  auto dist = RunTessera(dir, "train --family linear --data train.csv --label churn -o m.json -q --no-track --checkpoint-every 5");
  EXPECT_EQ(dist.exit_code, 1);
  EXPECT_NE(dist.err.find("--checkpoint-every"), std::string::npos) << dist.err;

  ASSERT_EQ(RunTessera(dir, "data bin train.csv --label churn -o t.tsr -q").exit_code, 0);
  auto tsr = RunTessera(dir, "train --family linear --data t.tsr --label churn -o m.json -q --no-track");
  EXPECT_EQ(tsr.exit_code, 1);
  EXPECT_NE(tsr.err.find("needs the raw data"), std::string::npos) << tsr.err;

  ASSERT_EQ(RunTessera(dir, "train --family linear --data train.csv --label churn -o m.json -q --no-track").exit_code, 0);
  for (const std::string& cmd : {std::string("explain -m m.json --data train.csv -o shap.csv --interactions -q"),
                                 std::string("export -m m.json -o out --quantize"),
                                 std::string("predict -m m.json --data train.csv --pred-leaf -o leaves.csv -q")}) {
    auto r = RunTessera(dir, cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("'linear' model"), std::string::npos) << cmd << "\n" << r.err;
  }
}

}  // namespace
}  // namespace tessera
