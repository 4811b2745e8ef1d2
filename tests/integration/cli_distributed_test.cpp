// Distributed training through the real binary under mpirun: the model trained by 2 and 4 ranks,
// each reading only its share of the data, must be the model one process trains on the same data
// — the same file byte for byte, apart from the training metadata (time taken, communication).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "mpi_run.h"

namespace tessera {
namespace {

using testing::MpiRunTessera;
using testing::RunTessera;
using testing::TempDir;

// Cuts `name` (a CSV with a header) into `parts` files of consecutive rows, each with the header:
// part-0.csv holds the first rows, so the parts in name order are the original table.
void SplitCsv(const TempDir& dir, const std::string& name, int parts, const std::string& prefix) {
  std::istringstream in(testing::ReadFile(dir.Path(name)));
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> rows;
  while (std::getline(in, line)) rows.push_back(line);
  for (int p = 0; p < parts; ++p) {
    std::string text = header + "\n";
    for (size_t r = rows.size() * p / parts; r < rows.size() * (p + 1) / parts; ++r) text += rows[r] + "\n";
    dir.Write(prefix + std::to_string(p) + ".csv", text);
  }
}

// The model document without its training metadata (seconds, communication figures, rank count)
// and without the thread count it was given (which must not matter either).
nlohmann::json WithoutTrainingInfo(const std::string& path) {
  auto doc = nlohmann::json::parse(testing::ReadFile(path));
  doc["model"].erase("training");
  doc["model"]["params"].erase("num_threads");
  return doc;
}

TEST(CliDistributed, PartFilesGiveTheSingleProcessModelForAnyRankCount) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o all.csv --rows 3000 --seed 11 --categoricals 2 --missing 0.05").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "gen -o valid.csv --rows 1000 --seed 12 --categoricals 2 --missing 0.05").exit_code, 0);
  SplitCsv(dir, "all.csv", 4, "part-");
  SplitCsv(dir, "valid.csv", 2, "valid-");
  // Bagging, feature sampling, early stopping on AUC (it stops at about iteration 47 of 60 and
  // keeps 42): every random draw and every metric must agree, or the ranks would part ways.
  const std::string params =
      " --label label --no-track -q --json -p num_iterations=60 -p num_leaves=15 -p min_data_in_leaf=10"
      " -p bagging_fraction=0.7 -p bagging_freq=1 -p feature_fraction=0.8 -p seed=3 -p metric=auc"
      " -p early_stopping_rounds=5";
  auto single = RunTessera(dir, "train --data all.csv --valid valid.csv -o single.json" + params + " -p num_threads=2");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto parts = RunTessera(dir, "train --data 'part-*.csv' --valid 'valid-*.csv' -o parts.json" + params);
  ASSERT_EQ(parts.exit_code, 0) << parts.err;
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("parts.json")), WithoutTrainingInfo(dir.Path("single.json")));
  const auto single_summary = nlohmann::json::parse(single.out);
  const double single_auc = single_summary["valid_metrics"]["valid_0 auc"].get<double>();
  ASSERT_TRUE(single_summary.contains("best_iteration")) << single.out;
  ASSERT_LT(single_summary["best_iteration"].get<int>(), 55) << "early stopping must stop this run early";

  for (int ranks : {2, 4}) {
    const std::string out = "dist" + std::to_string(ranks) + ".json";
    auto run = MpiRunTessera(dir, ranks, "train --data 'part-*.csv' --valid 'valid-*.csv' -o " + out + params + " -p num_threads=1");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(WithoutTrainingInfo(dir.Path(out)), WithoutTrainingInfo(dir.Path("single.json"))) << ranks << " ranks";
    auto summary = nlohmann::json::parse(run.out);  // rank 0 alone prints
    EXPECT_EQ(summary["rows"], 3000);
    EXPECT_EQ(summary["best_iteration"], single_summary["best_iteration"]);
    EXPECT_EQ(summary["valid_metrics"]["valid_0 auc"].get<double>(), single_auc);
    EXPECT_EQ(summary["communication"]["ranks"], ranks);
    EXPECT_GT(summary["communication"]["bytes_per_tree"].get<double>(), 0);
    // The same predictions, digit for digit.
    auto predict = RunTessera(dir, "predict -m " + out + " --data valid.csv -o p" + std::to_string(ranks) + ".csv -q");
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
  }
  ASSERT_EQ(RunTessera(dir, "predict -m single.json --data valid.csv -o p1.csv -q").exit_code, 0);
  EXPECT_EQ(testing::ReadFile(dir.Path("p2.csv")), testing::ReadFile(dir.Path("p1.csv")));
  EXPECT_EQ(testing::ReadFile(dir.Path("p4.csv")), testing::ReadFile(dir.Path("p1.csv")));
}

TEST(CliDistributed, ForestsGiveTheSingleProcessModel) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o all.csv --rows 3000 --seed 13 --categoricals 2 --missing 0.05").exit_code, 0);
  SplitCsv(dir, "all.csv", 2, "part-");
  // Extra trees draw thresholds and per-node features from hashes of (seed, tree, node,
  // feature); the bag from global row numbers: the ranks must grow the single process's trees.
  const std::string params =
      " --label label --no-track -q -p boosting=rf -p extra_trees=true -p num_iterations=20 -p num_leaves=15"
      " -p bagging_fraction=0.7 -p bagging_freq=1 -p feature_fraction_bynode=0.6 -p seed=5";
  auto single = RunTessera(dir, "train --data all.csv -o single.json" + params + " -p num_threads=2");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto run = MpiRunTessera(dir, 2, "train --data 'part-*.csv' -o dist.json" + params + " -p num_threads=1");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("dist.json")), WithoutTrainingInfo(dir.Path("single.json")));
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("dist.json"))["model"]["forest"]["kind"], "extra_trees");
}

TEST(CliDistributed, QuantizedTrainingGivesTheSingleProcessModel) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o all.csv --rows 3000 --seed 14 --categoricals 1").exit_code, 0);
  SplitCsv(dir, "all.csv", 2, "part-");
  // Gradients rounded at random by global row, packed histograms summed word by word over the
  // ranks (the root's in wide bins: its row count over all ranks is not known before), leaves
  // renewed from fixed-point sums: the ranks must grow the single process's trees.
  const std::string params =
      " --label label --no-track -q -p num_iterations=15 -p num_leaves=31 -p use_quantized_grad=true"
      " -p quant_train_renew_leaf=true -p bagging_fraction=0.8 -p bagging_freq=1 -p seed=7";
  auto single = RunTessera(dir, "train --data all.csv -o single.json" + params + " -p num_threads=2");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto run = MpiRunTessera(dir, 2, "train --data 'part-*.csv' -o dist.json" + params + " -p num_threads=1");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("dist.json")), WithoutTrainingInfo(dir.Path("single.json")));
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("dist.json"))["model"]["params"]["use_quantized_grad"], true);
}

TEST(CliDistributed, OneCsvSplitByBytesWithTextLabels) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  std::string text = "a,b,colour,species\n";
  for (int i = 0; i < 2400; ++i)
    text += std::to_string((i * 37) % 101 * 0.25) + "," + std::to_string((i * 13) % 17) + "," +
            (i % 4 == 0 ? "red" : i % 4 == 1 ? "green" : "blue") + "," +
            ((i * 37) % 101 < 30 ? "setosa" : (i * 13) % 17 < 8 ? "versicolor" : "virginica") + "\n";
  dir.Write("iris.csv", text);
  const std::string args = "train --data iris.csv --label species --objective multiclass --no-track -q"
                           " -p num_iterations=10 -p min_data_in_leaf=5 -p num_threads=1 -o ";
  auto single = RunTessera(dir, args + "single.json");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  for (int ranks : {2, 4}) {
    const std::string out = "dist" + std::to_string(ranks) + ".json";
    auto run = MpiRunTessera(dir, ranks, args + out + " --verbose");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(WithoutTrainingInfo(dir.Path(out)), WithoutTrainingInfo(dir.Path("single.json"))) << ranks << " ranks";
    EXPECT_NE(run.err.find("[10]  rank 0 sent"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("per tree;"), std::string::npos) << run.err;
  }
}

TEST(CliDistributed, ARankThatCannotReadItsShareStopsEveryRank) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o all.csv --rows 800 --seed 5").exit_code, 0);
  SplitCsv(dir, "all.csv", 2, "part-");
  // Rank 1 reads part-1.csv, whose third row gets a label that is not a number.
  std::istringstream in(testing::ReadFile(dir.Path("part-1.csv")));
  std::string header, line;
  std::getline(in, header);
  const size_t label_column = static_cast<size_t>(std::count(header.begin(), header.begin() + static_cast<long>(header.find("label")), ','));
  std::string text = header + "\n";
  for (int r = 0; std::getline(in, line); ++r) {
    if (r == 2) {
      std::vector<std::string> fields;
      std::istringstream cells(line);
      for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
      fields[label_column] = "yes";
      line.clear();
      for (size_t c = 0; c < fields.size(); ++c) line += (c ? "," : "") + fields[c];
    }
    text += line + "\n";
  }
  dir.Write("part-1.csv", text);
  auto run = MpiRunTessera(dir, 2, "train --data 'part-*.csv' --label label --no-track -q -o m.json -p num_threads=1");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("rank 1: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("part-1.csv"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("m.json")));

  // Fewer part files than ranks is a user error on every rank, not a hang.
  auto too_many = MpiRunTessera(dir, 4, "train --data 'part-*.csv' --label label --no-track -q -o m.json -p num_threads=1");
  EXPECT_EQ(too_many.exit_code, 1) << too_many.err;
  EXPECT_NE(too_many.err.find("2 input files for 4 ranks"), std::string::npos) << too_many.err;

  // A part that cannot be read at all (a gzip file cut short) on rank 1 of 2, while rank 0 reads
  // a whole part: the same, and an earlier model at the output path is left as it was.
  dir.Write("part-1.csv", testing::ReadFile(dir.Path("part-0.csv")));
  ASSERT_EQ(std::system(("gzip -f '" + dir.Path("part-1.csv") + "'").c_str()), 0);
  const std::string gz = testing::ReadFile(dir.Path("part-1.csv.gz"));
  dir.Write("part-1.csv.gz", gz.substr(0, gz.size() / 2));
  dir.Write("m.json", "an earlier model");
  auto cut = MpiRunTessera(dir, 2, "train --data 'part-*' --label label --no-track -q -o m.json -p num_threads=1");
  EXPECT_EQ(cut.exit_code, 1) << cut.err;
  EXPECT_NE(cut.err.find("rank 1: "), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("part-1.csv.gz"), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("gzip"), std::string::npos) << cut.err;
  EXPECT_EQ(testing::ReadFile(dir.Path("m.json")), "an earlier model");
  std::filesystem::remove(dir.Path("m.json"));
}

TEST(CliDistributed, ARankKilledMidTrainingThenResumeGivesTheUninterruptedModel) {
  TESSERA_REQUIRE_MPI();
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o all.csv --rows 3000 --seed 17 --categoricals 1").exit_code, 0);
  SplitCsv(dir, "all.csv", 2, "part-");
  const std::string params = " --label label --no-track -q -p num_iterations=100 -p num_leaves=7 -p bagging_fraction=0.8"
                             " -p bagging_freq=2 -p feature_fraction=0.9 -p seed=4 -p num_threads=1";
  auto single = RunTessera(dir, "train --data all.csv -o single.json" + params);
  ASSERT_EQ(single.exit_code, 0) << single.err;

  // The job in the background; rank 1 is killed as soon as the first checkpoint (iteration 5) is
  // there, with some 95 iterations still to go.
  const std::string args = "train --data 'part-*.csv' -o dist.json --checkpoint-every 5" + params;
  const pid_t job = fork();
  ASSERT_GE(job, 0);
  if (job == 0) {
    execl("/bin/sh", "sh", "-c", testing::MpiRunCommand(dir, 2, args).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto checkpoint = dir.Path("dist.json.checkpoint");
  pid_t victim = -1;
  for (int waited_ms = 0; waited_ms < 60000 && victim < 0; waited_ms += 2) {
    if (std::filesystem::exists(checkpoint)) victim = testing::FindRank(dir, 1);
    if (victim < 0) usleep(2000);
  }
  if (victim > 0) kill(victim, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(job, &status, 0), job);
  ASSERT_GT(victim, 0) << "no checkpoint appeared, or rank 1 was not found";
  const std::string err = testing::ReadFile(dir.Path(".stderr"));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << err;
  EXPECT_NE(WEXITSTATUS(status), 124) << "the job hung after its rank 1 died";
  EXPECT_NE(err.find("rank 1"), std::string::npos) << err;  // mpirun names the rank and the signal
  EXPECT_NE(err.find("signal 9"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("dist.json"))) << "the job finished before rank 1 was killed";
  // The last checkpoint is whole: a model file that predicts.
  ASSERT_EQ(RunTessera(dir, "predict -m dist.json.checkpoint --data all.csv -o p.csv -q").exit_code, 0);
  std::filesystem::copy_file(checkpoint, dir.Path("one.json.checkpoint"));

  auto resumed = MpiRunTessera(dir, 2, args + " --resume --json");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("dist.json")), WithoutTrainingInfo(dir.Path("single.json")));
  EXPECT_FALSE(std::filesystem::exists(checkpoint)) << "a finished run removes its checkpoint";

  // One process resumes the 2-rank job's checkpoint just as well: nothing in it depends on the
  // rank count. Without a checkpoint, --resume is a clear error.
  auto one = RunTessera(dir, "train --data all.csv -o one.json --resume" + params);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(WithoutTrainingInfo(dir.Path("one.json")), WithoutTrainingInfo(dir.Path("single.json")));
  auto none = RunTessera(dir, "train --data all.csv -o one.json --resume" + params);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no checkpoint to resume from"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace tessera
