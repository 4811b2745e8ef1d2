// A model trained with datetime parts predicts a raw CSV (the datetime column only) exactly as it
// predicted the training rows in memory, after a save and a load.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using tessera::testing::TempDir;

TEST(DatetimeModel, SavedModelPredictsRawCsvAsInMemory) {
  TempDir dir;
  std::mt19937_64 rng(3);
  std::ostringstream csv;
  csv << "when,x,y\n";
  for (int i = 0; i < 800; ++i) {
    const int day = 1 + static_cast<int>(rng() % 28), hour = static_cast<int>(rng() % 24);
    char when[32];
    std::snprintf(when, sizeof when, "2024-%02d-%02dT%02d:%02d:59Z", 1 + static_cast<int>(rng() % 12), day, hour,
                  static_cast<int>(rng() % 60));
    csv << (i % 50 == 0 ? "" : when) << "," << rng() % 100 << "," << (hour >= 12) << "\n";
  }
  const std::string path = dir.Write("train.csv", csv.str());
  data::IngestOptions options;
  options.schema.label = "y";
  auto train = data::IngestBinned({path}, options);
  ASSERT_TRUE(train.ok()) << train.status().message();
  GbdtParams params;
  ASSERT_TRUE(ApplyGbdtParams({{"objective", "binary"}, {"num_iterations", "20"}}, &params).ok());
  auto model = TrainGbdt(*train, params);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<double> in_memory = model->PredictRaw(*train);

  ASSERT_TRUE(SaveModel(*model, dir.Path("m.json")).ok());
  auto loaded = LoadModel(dir.Path("m.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto again = data::IngestWithReference({path}, {}, loaded->reference(), false);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(loaded->PredictRaw(*again), in_memory);

  // The hour (the label) is learnt from when_hour: predictions split cleanly.
  double lowest_pm = 1e300, highest_am = -1e300;
  for (size_t r = 0; r < in_memory.size(); ++r) {
    if (r % 50 == 0) continue;  // no datetime
    (train->labels()[r] > 0 ? lowest_pm : highest_am) = train->labels()[r] > 0 ? std::min(lowest_pm, in_memory[r])
                                                                               : std::max(highest_am, in_memory[r]);
  }
  EXPECT_GT(lowest_pm, highest_am);
}

}  // namespace
}  // namespace tessera::models::gbdt
