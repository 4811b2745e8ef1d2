// explain, importance and pdp through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

std::vector<std::vector<std::string>> ReadCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

class CliExplain : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 3000 --seed 1").exit_code, 0);
    ASSERT_EQ(RunTessera(dir, "gen -o test.csv --rows 300 --seed 2").exit_code, 0);
    auto train = RunTessera(dir, "train --data train.csv --label label -o model.json -p num_iterations=20 -p num_leaves=15 -q");
    ASSERT_EQ(train.exit_code, 0) << train.err;
  }
  TempDir dir;
};

TEST_F(CliExplain, ShapRowsAddUpToTheRawScores) {
  auto explain = RunTessera(dir, "explain -m model.json --data test.csv --rows 0,7,299 -o shap.csv --json -q");
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_EQ(nlohmann::json::parse(explain.out)["rows"], 3);
  ASSERT_EQ(RunTessera(dir, "predict -m model.json --data test.csv --raw-score -o raw.csv -q").exit_code, 0);
  const auto shap = ReadCsv(testing::ReadFile(dir.Path("shap.csv")));
  const auto raw = ReadCsv(testing::ReadFile(dir.Path("raw.csv")));
  ASSERT_EQ(shap.size(), 4u);
  EXPECT_EQ(shap[0][0], "row");
  EXPECT_EQ(shap[0].back(), "expected_value");
  const size_t rows[] = {0, 7, 299};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(shap[i + 1][0], std::to_string(rows[i]));
    double sum = 0;
    for (size_t j = 1; j < shap[i + 1].size(); ++j) sum += std::stod(shap[i + 1][j]);
    EXPECT_NEAR(sum, std::stod(raw[rows[i] + 1][0]), 1e-9);
  }
}

TEST_F(CliExplain, InteractionsImportanceAndPdp) {
  auto inter = RunTessera(dir, "explain -m model.json --data test.csv --rows 3 --interactions -o inter.csv -q");
  ASSERT_EQ(inter.exit_code, 0) << inter.err;
  const auto cells = ReadCsv(testing::ReadFile(dir.Path("inter.csv")));
  ASSERT_EQ(cells.size(), 1u + 29u);  // header, then 28 features + the expected value
  EXPECT_EQ(cells[0][1], "feature");
  EXPECT_EQ(cells.back()[1], "expected_value");

  auto imp = RunTessera(dir, "importance -m model.json --data test.csv --permutation --repeats 2 --json -q");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  auto j = nlohmann::json::parse(imp.out);
  EXPECT_EQ(j["metric"], "auc");
  ASSERT_EQ(j["features"].size(), 28u);
  EXPECT_GE(j["features"][0]["mean_abs_shap"].get<double>(), j["features"][1]["mean_abs_shap"].get<double>());

  auto pdp = RunTessera(dir, "pdp -m model.json --data test.csv --feature f0 --grid 6 --ice -o pdp.csv -q");
  ASSERT_EQ(pdp.exit_code, 0) << pdp.err;
  const auto grid = ReadCsv(testing::ReadFile(dir.Path("pdp.csv")));
  EXPECT_EQ(grid[0][0], "f0");
  EXPECT_EQ(grid[0][1], "prediction");
  EXPECT_EQ(grid[0].size(), 2u + 300u);
  EXPECT_EQ(grid.size(), 7u);
}

TEST_F(CliExplain, HtmlReportWithWaterfallsForTheRowsAskedFor) {
  auto html = RunTessera(dir, "explain -m model.json --data test.csv --rows 4,120 --html report.html -q");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string page = testing::ReadFile(dir.Path("report.html"));
  EXPECT_NE(page.find("<html"), std::string::npos);
  EXPECT_NE(page.find("Why the model model.json predicts what it does"), std::string::npos);
  EXPECT_NE(page.find("log-odds of"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos) << "the page must not load anything from the network";
  auto past = RunTessera(dir, "explain -m model.json --data test.csv --rows 4,300 --html late.html -q");
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.Path("late.html")));
}

TEST_F(CliExplain, BadRequestsExitOneWithoutOutput) {
  auto past = RunTessera(dir, "explain -m model.json --data test.csv --rows 300 -o shap.csv");
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_NE(past.err.find("row 300 is past the data's 300 rows"), std::string::npos) << past.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("shap.csv")));
  auto feature = RunTessera(dir, "pdp -m model.json --data test.csv --feature nope -o p.csv");
  EXPECT_EQ(feature.exit_code, 1);
  EXPECT_NE(feature.err.find("no feature 'nope'"), std::string::npos) << feature.err;
  auto no_labels = RunTessera(dir, "importance -m model.json --permutation");
  EXPECT_EQ(no_labels.exit_code, 1);
}

}  // namespace
}  // namespace tessera
