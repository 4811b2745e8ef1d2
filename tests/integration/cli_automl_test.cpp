// tessera automl end to end on the breast cancer table: a leaderboard, the best model (which
// `tessera eval` reads), the leaderboard CSV, the trial log, the leakage warning, clear errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "mpi_run.h"
#include "required_tool.h"
#include "run_binary.h"
#include "test_files.h"

namespace tessera::testing {
namespace {

using nlohmann::json;

// scikit-learn's copy of the breast cancer table (data/ is fetched by scripts/fetch-data, which
// the tests do not need), written as CSV with the label "diagnosis".
std::string WriteCancerTable(const TempDir& dir) {
  const std::string path = dir.Path("breast_cancer.csv");
  const std::string script =
      "import sys; from sklearn.datasets import load_breast_cancer; d = load_breast_cancer(as_frame=True).frame; "
      "d.columns = [c.replace(' ', '_') for c in d.columns[:-1]] + ['diagnosis']; d.to_csv(sys.argv[1], index=False)";
  if (std::system(("/usr/bin/python3 -c \"" + script + "\" '" + path + "' 2>/dev/null").c_str()) != 0) return "";
  return path;
}

size_t Lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(CliAutoMl, LeaderboardBestModelCsvAndLog) {
  TempDir dir;
  const std::string kCancer = WriteCancerTable(dir);
  if (kCancer.empty()) TESSERA_MISSING_TOOL("/usr/bin/python3 cannot write sklearn's breast cancer table (python3-sklearn)");
  auto r = RunTessera(dir, "automl --data '" + kCancer + "' --label diagnosis --max-trials 8 --seed 3 -o best.json "
                           "--no-ensemble --leaderboard-csv board.csv --log trials.jsonl --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("leakage"), std::string::npos) << r.err;  // strong features are not leaks
  const json out = json::parse(r.out);
  EXPECT_EQ(out["objective"], "binary");
  EXPECT_EQ(out["metric"], "auc");
  EXPECT_EQ(out["validation"], "5-fold cv (stratified)");  // 569 rows: small enough to cross-validate
  EXPECT_TRUE(out["refit"].get<bool>());
  ASSERT_EQ(out["leaderboard"].size(), 8u);
  EXPECT_GT(out["leaderboard"][0]["score"].get<double>(), 0.97);
  // Best search score first, after the chosen configuration when the recheck on fresh folds
  // chose another (`choice` says why); the chosen one was rechecked.
  for (size_t i = out["choice"].get<std::string>().empty() ? 1 : 2; i < 8; ++i)
    EXPECT_GE(out["leaderboard"][i - 1]["score"].get<double>(), out["leaderboard"][i]["score"].get<double>());
  EXPECT_GT(out["leaderboard"][0]["recheck_score"].get<double>(), 0.97);
  EXPECT_EQ(Lines(ReadFile(dir.Path("board.csv"))), 9u);
  EXPECT_GE(Lines(ReadFile(dir.Path("trials.jsonl"))), 8u);  // and one line per promotion

  const json model = json::parse(ReadFile(dir.Path("best.json")));
  EXPECT_EQ(model["model"]["training"]["automl"]["trials"], 8);
  EXPECT_EQ(model["model"]["training"]["automl"]["params"], out["leaderboard"][0]["params"]);
  auto eval = RunTessera(dir, "eval -m best.json --data '" + kCancer + "' --label diagnosis --json --no-track");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_GT(json::parse(eval.out)["auc"].get<double>(), 0.97);

  // The same seed gives the same leaderboard.
  auto again = RunTessera(dir, "automl --data '" + kCancer + "' --label diagnosis --max-trials 8 --seed 3 -o best2.json --json -q "
                               "--no-ensemble");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const json out2 = json::parse(again.out);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(out2["leaderboard"][i]["params"], out["leaderboard"][i]["params"]);
    EXPECT_EQ(out2["leaderboard"][i]["score"], out["leaderboard"][i]["score"]);
  }
}

TEST(CliAutoMl, WarnsAboutALeakingColumnAndRefusesBadOptions) {
  TempDir dir;
  std::ostringstream csv;
  csv << "x,minutes_late,late\n";
  for (int i = 0; i < 400; ++i) csv << (i * 7919 % 97) << ',' << (i % 3 ? i % 10 : 30 + i % 50) << ',' << (i % 3 ? 0 : 1) << '\n';
  dir.Write("t.csv", csv.str());
  auto r = RunTessera(dir, "automl --data t.csv --label late --max-trials 2 -o m.json --cv 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("feature 'minutes_late' alone predicts the label (auc 1.0000): probable target leakage"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("3-fold cv (stratified)"), std::string::npos) << r.out;
  r = RunTessera(dir, "automl --data t.csv --label late -o m.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("automl needs --time-budget or --max-trials"), std::string::npos) << r.err;
  r = RunTessera(dir, "automl --data t.csv --label late --max-trials 2 --time-column nope -o m.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--time-column nope: no feature of that name"), std::string::npos) << r.err;
}

// On a table whose label is linear in its features, the linear family wins. The model file it
// writes is the refit on all rows: it predicts exactly what `tessera train --family linear` with
// the winning settings predicts. A .tsr cache (bins, no values) leaves linear out by default and
// is refused when linear is asked for.
TEST(CliAutoMl, LinearWinsOnALinearTableAndItsModelFileIsTheRefit) {
  TempDir dir;
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 1);
  const char* kinds[] = {"small", "medium", "large"};
  const double effects[] = {-1, 0, 1.5};
  std::ostringstream csv;
  csv << "x1,x2,x3,x4,kind,y\n";
  for (int i = 0; i < 800; ++i) {
    const double x1 = normal(rng), x2 = normal(rng), x3 = normal(rng), x4 = normal(rng);
    const int kind = static_cast<int>(rng() % 3);
    csv << x1 << ',' << x2 << ',' << x3 << ',' << x4 << ',' << kinds[kind] << ','
        << 2 * x1 - x2 + 0.5 * x3 + effects[kind] + 0.2 * normal(rng) << '\n';
  }
  dir.Write("lin.csv", csv.str());
  auto r = RunTessera(dir, "automl --data lin.csv --label y --max-trials 8 --seed 6 -o best.json --json -q "
                           "--leaderboard-csv board.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  std::set<std::string> families;
  for (const auto& t : out["leaderboard"]) families.insert(t["family"].get<std::string>());
  EXPECT_EQ(families, (std::set<std::string>{"gbdt", "random_forest", "extra_trees", "linear"}));
  const json& best = out["leaderboard"][0];
  ASSERT_EQ(best["family"], "linear") << r.out;
  EXPECT_EQ(best["rounds"], 0);
  EXPECT_NE(ReadFile(dir.Path("board.csv")).find(",linear,"), std::string::npos);
  const json model = json::parse(ReadFile(dir.Path("best.json")));
  EXPECT_EQ(model["model"]["family"], "linear");
  EXPECT_EQ(model["model"]["training"]["automl"]["family"], "linear");
  EXPECT_EQ(model["model"]["training"]["automl"]["params"], best["params"]);

  std::string train = "train --family linear --objective regression --data lin.csv --label y -o direct.json -q --no-track "
                      "-p seed=6 -p tolerance=0.0001";
  for (const auto& [key, value] : best["params"].items()) train += " -p " + key + "=" + value.get<std::string>();
  auto direct = RunTessera(dir, train);
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  ASSERT_EQ(RunTessera(dir, "predict -m best.json --data lin.csv -o automl.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "predict -m direct.json --data lin.csv -o direct.csv -q").exit_code, 0);
  const std::string predictions = ReadFile(dir.Path("automl.csv"));
  EXPECT_EQ(Lines(predictions), 801u);
  EXPECT_EQ(predictions, ReadFile(dir.Path("direct.csv")));

  ASSERT_EQ(RunTessera(dir, "data bin lin.csv --label y -o lin.tsr --quiet").exit_code, 0);
  r = RunTessera(dir, "automl --data lin.tsr --max-trials 5 --seed 6 -o cached.json --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& t : json::parse(r.out)["leaderboard"]) EXPECT_NE(t["family"], "linear");
  r = RunTessera(dir, "automl --data lin.tsr --max-trials 5 --families linear -o cached.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lin.tsr: the linear family needs the raw data (CSV or LibSVM); a .tsr cache holds only bins"),
            std::string::npos)
      << r.err;
}

// Under mpirun the ranks share each wave's trials and gather the results: the leaderboard, the
// ensemble and the model are those of one process (and of any thread count). Trees alone end in
// an ensemble; with every family a linear model wins (its trials, on rank 1 too, gathered alike).
TEST(CliAutoMl, TrialsSpreadOverMpiRanksGiveTheSingleProcessResult) {
  if (!HaveMpirun() || !TESSERA_BUILT_WITH_MPI) TESSERA_MISSING_TOOL("mpirun and a tessera built with MPI");
  TempDir dir;
  const std::string kCancer = WriteCancerTable(dir);
  if (kCancer.empty()) TESSERA_MISSING_TOOL("/usr/bin/python3 cannot write sklearn's breast cancer table (python3-sklearn)");
  for (const std::string families : {"gbdt,random_forest,extra_trees", "gbdt,random_forest,extra_trees,linear"}) {
    SCOPED_TRACE(families);
    const std::string args = "automl --data '" + kCancer + "' --label diagnosis --max-trials 10 --max-rounds 256 --seed 4 --json -q "
                             "--families " + families;
    auto one = RunTessera(dir, args + " -o one.json --threads 2");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    auto two = MpiRunTessera(dir, 2, args + " -o two.json --threads 1", 120);
    ASSERT_EQ(two.exit_code, 0) << two.err;
    const json a = json::parse(one.out), b = json::parse(two.out);  // rank 0 alone prints
    ASSERT_EQ(a["leaderboard"].size(), b["leaderboard"].size());
    EXPECT_EQ(a["leaderboard"][0]["family"], families.find("linear") == std::string::npos ? "ensemble" : "linear");
    std::set<int> ranks;  // which ranks trained trials: both, under mpirun
    for (const auto& t : b["leaderboard"])
      if (t["family"] != "ensemble") ranks.insert(t["rank"].get<int>());
    EXPECT_EQ(ranks, (std::set<int>{0, 1}));
    for (size_t i = 0; i < a["leaderboard"].size(); ++i) {
      EXPECT_EQ(a["leaderboard"][i]["trial"], b["leaderboard"][i]["trial"]) << i;
      EXPECT_EQ(a["leaderboard"][i]["params"], b["leaderboard"][i]["params"]) << i;
      EXPECT_EQ(a["leaderboard"][i]["score"], b["leaderboard"][i]["score"]) << i;
      EXPECT_EQ(a["leaderboard"][i]["rounds"], b["leaderboard"][i]["rounds"]) << i;
    }
    // The same model (trees or coefficients); the training info holds timings, the parameters the
    // thread count.
    json ma = json::parse(ReadFile(dir.Path("one.json"))), mb = json::parse(ReadFile(dir.Path("two.json")));
    ASSERT_EQ(ma["model"]["family"], mb["model"]["family"]);
    for (json* m : {&ma, &mb}) {
      (*m)["model"].erase("training");
      (*m)["model"]["params"].erase("num_threads");
    }
    EXPECT_EQ(ma["model"], mb["model"]);
  }
}

}  // namespace
}  // namespace tessera::testing
