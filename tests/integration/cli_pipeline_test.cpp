// tessera pipeline run through the real binary: a second run is fully cached, a changed
// parameter reruns only what depends on it, a worse model is stopped by the gate (exit 3) with
// the registry unchanged, a better one is promoted (exit 0, the alias moves), and a failing
// step stops the pipeline.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_binary.h"

namespace tessera {
namespace {

using testing::RunTessera;
using testing::TempDir;

std::string PipelineYaml(const std::string& train_params, const std::string& explain_rows) {
  return R"(name: churn
store: store
steps:
  - name: train
    run: train
    args: {data: train.csv, label: label, o: out/model.json}
    params: {)" + train_params + R"(}
    outputs: [out/model.json]
  - name: evaluate
    run: eval
    args: {m: out/model.json, data: holdout.csv, json: true}
  - name: explain
    run: explain
    args: {m: out/model.json, data: holdout.csv, rows: ")" + explain_rows + R"(", o: out/shap.csv}
    outputs: [out/shap.csv]
  - name: gate
    run: gate
    args: {candidate: out/model.json, champion: "models:/churn@champion", data: holdout.csv, label: label, metric: auc, promote: true}
  - name: export
    run: export
    args: {format: c, m: out/model.json, o: out/model_c}
    outputs: [out/model_c]
)";
}

int Versions(const TempDir& dir) {
  auto list = RunTessera(dir, "models list churn --store store --json");
  return static_cast<int>(nlohmann::json::parse(list.out).size());
}

TEST(CliPipeline, CachesRerunsWhatChangedAndStopsAtTheGate) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 3000 --seed 1").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "gen -o holdout.csv --rows 1000 --seed 2").exit_code, 0);
  dir.Write("p.yaml", PipelineYaml("num_iterations: 30, num_leaves: 15", "0,1"));

  auto first = RunTessera(dir, "pipeline run p.yaml");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("5 ran, 0 cached"), std::string::npos) << first.out;
  EXPECT_TRUE(std::filesystem::exists(dir.Path("out/model_c/model.c")));
  EXPECT_EQ(Versions(dir), 1);  // the first candidate became the champion

  auto second = RunTessera(dir, "pipeline run p.yaml");
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("0 ran, 5 cached"), std::string::npos) << second.out;

  // One parameter of one step: only that step runs again.
  dir.Write("p.yaml", PipelineYaml("num_iterations: 30, num_leaves: 15", "0,1,2"));
  auto third = RunTessera(dir, "pipeline run p.yaml");
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("[explain] running"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("1 ran, 4 cached"), std::string::npos) << third.out;

  auto forced = RunTessera(dir, "pipeline run p.yaml --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_NE(forced.out.find("5 ran, 0 cached"), std::string::npos) << forced.out;
  const int versions = Versions(dir);

  // A much worse model: the gate rejects it, export does not run, the registry is unchanged.
  dir.Write("p.yaml", PipelineYaml("num_iterations: 1, num_leaves: 2", "0,1,2"));
  auto worse = RunTessera(dir, "pipeline run p.yaml");
  EXPECT_EQ(worse.exit_code, 3) << worse.out << worse.err;
  EXPECT_NE(worse.out.find("[gate] failed with exit code 3"), std::string::npos) << worse.out;
  EXPECT_EQ(worse.out.find("[export] running"), std::string::npos) << worse.out;
  EXPECT_EQ(Versions(dir), versions);

  // A better model than the champion: the gate promotes it (exit 0) and the alias moves to it.
  dir.Write("p.yaml", PipelineYaml("num_iterations: 100, num_leaves: 4", "0,1,2"));
  auto better = RunTessera(dir, "pipeline run p.yaml");
  ASSERT_EQ(better.exit_code, 0) << better.out << better.err;
  EXPECT_NE(better.out.find("promoted: models:/churn@champion -> version " + std::to_string(versions + 1)), std::string::npos)
      << better.out;
  EXPECT_EQ(Versions(dir), versions + 1);
}

TEST(CliPipeline, AFailingStepStopsThePipelineAndBadFilesAreClearErrors) {
  TempDir dir;
  dir.Write("broken.yaml", "name: x\nsteps:\n  - name: train\n    run: train\n    args: {data: missing.csv, label: y, o: m.json}\n"
                           "    outputs: [m.json]\n  - name: after\n    run: eval\n    args: {m: m.json, data: missing.csv}\n");
  auto broken = RunTessera(dir, "pipeline run broken.yaml");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("[train] failed"), std::string::npos) << broken.out;
  EXPECT_EQ(broken.out.find("[after] running"), std::string::npos) << broken.out;

  dir.Write("typo.yaml", "name: x\nsteps:\n  - name: a\n    run: train\n    argz: {}\n");
  auto typo = RunTessera(dir, "pipeline run typo.yaml");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("typo.yaml:5:5: unknown key 'argz'"), std::string::npos) << typo.err;
  dir.Write("bad.yaml", "name: [unclosed\n");
  auto bad = RunTessera(dir, "pipeline run bad.yaml");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.yaml:"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tessera
