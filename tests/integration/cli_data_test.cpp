// Integration tests: the real binary on real files, as a user runs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

TEST(Cli, HelpOnEveryCommand) {
  TempDir dir;
  for (const char* cmd : {"--help", "describe --help", "data --help", "data bin --help", "data info --help", "gen --help"}) {
    auto r = RunTessera(dir, cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
  EXPECT_EQ(RunTessera(dir, "no-such-command").exit_code, 1);
  EXPECT_EQ(RunTessera(dir, "gen --rows -5 -o x.csv").exit_code, 1);
}

TEST(Cli, GenBinInfoDescribeRoundTrip) {
  TempDir dir;
  auto gen = RunTessera(dir, "gen -o g.csv --rows 5000 --seed 3 --categoricals 1 --missing 0.01");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto again = RunTessera(dir, "gen -o g2.csv --rows 5000 --seed 3 --categoricals 1 --missing 0.01 --threads 1");
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(testing::ReadFile(dir.Path("g.csv")), testing::ReadFile(dir.Path("g2.csv")));  // deterministic

  auto bin = RunTessera(dir, "data bin g.csv --label label -o g.tsr --json --quiet");
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  auto j = nlohmann::json::parse(bin.out);
  EXPECT_EQ(j["rows"], 5000);
  EXPECT_EQ(j["features"], 29);
  EXPECT_EQ(j["binned_bytes"], 5000 * 29);
  EXPECT_TRUE(bin.err.empty()) << bin.err;  // --quiet

  auto info = RunTessera(dir, "data info g.tsr --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  auto ji = nlohmann::json::parse(info.out);
  EXPECT_EQ(ji["rows"], 5000);
  EXPECT_EQ(ji["label"], "label");

  auto desc = RunTessera(dir, "describe g.csv --label label --json -q");
  ASSERT_EQ(desc.exit_code, 0) << desc.err;
  auto jd = nlohmann::json::parse(desc.out);
  EXPECT_EQ(jd["rows"], 5000);
  EXPECT_EQ(jd["columns"][28]["name"], "cat0");
  EXPECT_EQ(jd["columns"][28]["type"], "categorical");
  EXPECT_EQ(jd["columns"][29]["role"], "label");
  EXPECT_GT(jd["columns"][0]["missing"].get<int>(), 0);

  auto table = RunTessera(dir, "describe g.tsr");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("5000 rows"), std::string::npos);
}

TEST(Cli, DescribeTableShowsTypesAndTopValues) {
  TempDir dir;
  dir.Write("t.csv", "city,temp,when,ok\nParis,12.5,2024-01-01,true\nOslo,-3,2024-01-02,false\nParis,NA,2024-01-03,true\n");
  auto r = RunTessera(dir, "describe t.csv -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 rows, 4 columns"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("categorical"), std::string::npos);
  EXPECT_NE(r.out.find("datetime"), std::string::npos);
  EXPECT_NE(r.out.find("boolean"), std::string::npos);
  EXPECT_NE(r.out.find("Paris (2)"), std::string::npos) << r.out;
}

TEST(Cli, BadInputExitsOneWithLocationAndWritesNothing) {
  TempDir dir;
  dir.Write("bad.csv", "a,b,y\n1,2,0\n3,x4,1\n");
  auto r = RunTessera(dir, "data bin bad.csv --label y --numeric b -o out.tsr");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.csv:3:3: expected a number in column 'b', found 'x4'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("out.tsr")));
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();

  dir.Write("fake.tsr", "TSRCACHE\x01\0\0\0garbage");
  auto t = RunTessera(dir, "data info fake.tsr");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("fake.tsr: byte offset"), std::string::npos) << t.err;

  auto missing_label = RunTessera(dir, "data info bad.csv --label nope");
  EXPECT_EQ(missing_label.exit_code, 1);
  EXPECT_NE(missing_label.err.find("--label names column 'nope'"), std::string::npos) << missing_label.err;
}

}  // namespace
}  // namespace tessera
