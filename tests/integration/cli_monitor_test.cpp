// tessera monitor on a model trained on a generated table: a shifted feature and a new category
// drift, the others stay stable, predictions drift with them, performance is reported with
// labels, and --fail-on-drift exits 4 only when something drifts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "run_binary.h"
#include "test_files.h"

namespace tessera::testing {
namespace {

using nlohmann::json;

std::string Table(int rows, double shift, bool new_city, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  const char* cities[] = {"lyon", "oslo", "rome"};
  std::ostringstream csv;
  csv << "age,income,city,y\n";
  for (int i = 0; i < rows; ++i) {
    const double age = 40 + 10 * g(rng) + shift, income = 3 + g(rng);
    const std::string city = new_city && i % 2 ? "kyiv" : cities[i % 3];
    csv << age << ',' << income << ',' << city << ',' << ((age > 45) != (g(rng) > 1.5) ? 1 : 0) << '\n';
  }
  return csv.str();
}

json Feature(const json& report, const std::string& name) {
  for (const auto& f : report["features"])
    if (f["feature"] == name) return f;
  return json();
}

TEST(CliMonitor, ShiftedFeatureDriftsOthersStayStable) {
  TempDir dir;
  dir.Write("train.csv", Table(6000, 0, false, 1));
  dir.Write("valid.csv", Table(2000, 0, false, 2));
  dir.Write("same.csv", Table(3000, 0, false, 3));
  dir.Write("shifted.csv", Table(3000, 12, true, 4));
  auto r = RunTessera(dir, "train --data train.csv --valid valid.csv --label y --no-track -o m.json -q "
                           "-p num_iterations=30 -p metric=auc,logloss");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = RunTessera(dir, "monitor -m m.json --data shifted.csv --reference valid.csv --json --html drift.html "
                      "--fail-on-drift -q");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json shifted = json::parse(r.out);
  EXPECT_EQ(shifted["rows"], 3000);
  EXPECT_EQ(shifted["reference_rows"], 6000);
  EXPECT_EQ(Feature(shifted, "age")["verdict"], "drift");
  EXPECT_EQ(Feature(shifted, "age")["test"], "ks");
  EXPECT_LT(Feature(shifted, "age")["p_value"].get<double>(), 1e-6);
  EXPECT_EQ(Feature(shifted, "city")["verdict"], "drift");
  EXPECT_EQ(Feature(shifted, "city")["test"], "chi2");
  EXPECT_EQ(Feature(shifted, "income")["verdict"], "stable");
  EXPECT_EQ(shifted["prediction"]["verdict"], "drift");
  ASSERT_EQ(shifted["performance"].size(), 2u);
  EXPECT_EQ(shifted["performance"][0]["metric"], "auc");
  EXPECT_TRUE(shifted["performance"][0]["training"].is_number());
  const std::string html = ReadFile(dir.Path("drift.html"));
  EXPECT_NE(html.find("<tr class=\"drift\"><td>age</td>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);

  r = RunTessera(dir, "monitor -m m.json --data same.csv --reference valid.csv --json --fail-on-drift -q");
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  const json same = json::parse(r.out);
  for (const auto& f : same["features"]) EXPECT_LT(f["psi"].get<double>(), 0.1) << f.dump();
  EXPECT_NE(same["prediction"]["verdict"], "drift");

  r = RunTessera(dir, "monitor -m m.json --data same.csv -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("age"), std::string::npos);
  EXPECT_NE(r.out.find("performance auc"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tessera::testing
