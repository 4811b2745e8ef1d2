#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "synthetic_binned.h"
#include "tessera/models/gbdt/blend.h"
#include "tessera/models/model_file.h"
#include "test_files.h"

namespace tessera::models::gbdt {
namespace {

using testing::SyntheticBinned;
using testing::TempDir;

GbdtModel Train(const data::BinnedDataset& ds, const std::string& leaves, const std::string& objective = "binary",
                int num_class = 0) {
  GbdtParams params;
  std::map<std::string, std::string> settings = {{"objective", objective}, {"num_leaves", leaves}, {"num_iterations", "12"}};
  if (num_class) settings["num_class"] = std::to_string(num_class);
  EXPECT_TRUE(ApplyGbdtParams(settings, &params).ok());
  auto model = TrainGbdt(ds, params);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model).value();
}

TEST(BlendModels, RawScoreIsTheWeightedSumAndSurvivesTheModelFile) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 2000, 21);
  const GbdtModel a = Train(ds, "4"), b = Train(ds, "31");
  auto blend = BlendModels({{&a, 0.25}, {&b, 0.75}});
  ASSERT_TRUE(blend.ok()) << blend.status().message();
  EXPECT_EQ(blend->trees().size(), a.trees().size() + b.trees().size());
  const auto ra = a.PredictRaw(ds), rb = b.PredictRaw(ds), rblend = blend->PredictRaw(ds);
  ASSERT_EQ(rblend.size(), ra.size());
  for (size_t i = 0; i < ra.size(); ++i) EXPECT_NEAR(rblend[i], 0.25 * ra[i] + 0.75 * rb[i], 1e-12) << i;
  ASSERT_EQ(blend->training_info()["ensemble"].size(), 2u);
  EXPECT_EQ(blend->training_info()["ensemble"][1]["weight"], 0.75);

  const std::string path = dir.Path("blend.json");
  ASSERT_TRUE(SaveModel(*blend, path).ok());
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->PredictRaw(ds), rblend);
}

TEST(BlendModels, RefusesMembersThatDoNotMatch) {
  TempDir dir;
  const auto ds = SyntheticBinned(dir, 600, 22);
  const auto regression = SyntheticBinned(dir, 600, 23, true);
  const GbdtModel a = Train(ds, "4"), r = Train(regression, "4", "regression");
  EXPECT_EQ(BlendModels({}).status().message(), "blend: no members");
  EXPECT_EQ(BlendModels({{&a, 0.5}, {&r, 0.5}}).status().message(), "blend: member 1 has another objective than member 0");
}

}  // namespace
}  // namespace tessera::models::gbdt
