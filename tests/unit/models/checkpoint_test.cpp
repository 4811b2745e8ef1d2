// Checkpoint and resume: a run resumed from a checkpoint written part-way (through the model file,
// as --resume reads it) ends with the model of the uninterrupted run — with bagging redrawn every
// third iteration (the checkpoint falls between two draws), feature sampling and early stopping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "synthetic_binned.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;

GbdtParams Params(std::map<std::string, std::string> settings) {
  GbdtParams p;
  Status st = ApplyGbdtParams(settings, &p);
  EXPECT_TRUE(st.ok()) << st.message();
  return p;
}

// The model document without what differs between runs (timing, provenance).
std::string Trees(const GbdtModel& m) {
  auto j = GbdtModelToJson(m);
  j.erase("training");
  return j.dump();
}

TEST(Checkpoint, ResumedRunEndsWithTheUninterruptedModel) {
  TempDir dir;
  auto train = tessera::testing::SyntheticBinned(dir, 3000, 21, false, 2);
  auto valid = tessera::testing::SyntheticBinned(dir, 1500, 22, false, 2);
  const GbdtParams params =
      Params({{"num_iterations", "80"}, {"num_leaves", "15"}, {"min_data_in_leaf", "10"}, {"bagging_fraction", "0.7"},
              {"bagging_freq", "3"}, {"feature_fraction", "0.8"}, {"metric", "auc"}, {"early_stopping_rounds", "10"},
              {"seed", "9"}, {"num_threads", "2"}});
  TrainOptions plain;
  plain.valid = {&valid};
  auto full = TrainGbdt(train, params, plain);
  ASSERT_TRUE(full.ok()) << full.status().message();
  ASSERT_TRUE(full->training_info().contains("best_iteration"));
  ASSERT_GT(full->training_info()["best_iteration"].get<int>(), 14);

  // The same run, writing a checkpoint every 7 iterations; the one after iteration 14 is kept.
  TrainOptions writing = plain;
  writing.checkpoint_every = 7;
  std::vector<int> written;
  const std::string path = dir.Path("run.checkpoint");
  writing.on_checkpoint = [&](const GbdtModel& partial, const TrainingState& state) {
    written.push_back(state.iteration);
    EXPECT_EQ(partial.num_iterations(), static_cast<size_t>(state.iteration));
    return state.iteration == 14 ? SaveModel(partial, path) : Status::Ok();
  };
  auto checkpointed = TrainGbdt(train, params, writing);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed.status().message();
  EXPECT_EQ(Trees(*checkpointed), Trees(*full));
  ASSERT_GE(written.size(), 2u);
  EXPECT_EQ(written[0], 7);
  EXPECT_EQ(written[1], 14);

  // Resumed from the file, on another thread count.
  auto saved = LoadModel(path);
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  auto state = TrainingState::FromJson(saved->training_info()["checkpoint"]);
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_EQ(state->iteration, 14);
  TrainOptions resuming = plain;
  resuming.resume_model = &*saved;
  resuming.resume_state = *state;
  GbdtParams one_thread = params;
  one_thread.num_threads = 1;
  auto resumed = TrainGbdt(train, one_thread, resuming);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  auto a = GbdtModelToJson(*resumed), b = GbdtModelToJson(*full);
  a.erase("training"), b.erase("training");
  a["params"].erase("num_threads"), b["params"].erase("num_threads");
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(resumed->training_info()["best_iteration"], full->training_info()["best_iteration"]);

  // Another run's checkpoint is refused: other parameters, or other data.
  GbdtParams other = params;
  other.learning_rate = 0.2;
  auto refused = TrainGbdt(train, other, resuming);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("other parameters"), std::string::npos) << refused.status().message();
  auto other_data = tessera::testing::SyntheticBinned(dir, 2000, 23, false, 2);
  auto refused_data = TrainGbdt(other_data, params, resuming);
  ASSERT_FALSE(refused_data.ok());
  EXPECT_NE(refused_data.status().message().find("other data"), std::string::npos) << refused_data.status().message();
}

}  // namespace
}  // namespace tessera::models::gbdt
