// A hand-written XGBoost JSON model (no Python needed): its "v < threshold" splits and missing
// directions, and the errors for input that is not an XGBoost model or not one Tessera supports.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "tessera/interop/import.h"
#include "test_files.h"

namespace tessera {
namespace {

using interop::ForeignFormat;

// One tree: f0 < 0.5 goes left (leaf -0.25), missing goes left; else leaf 0.75. base_score 0.5.
constexpr const char* kModel = R"({"learner":{"attributes":{},"feature_names":[],"feature_types":[],
 "gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1","size_leaf_vector":"0"},
  "tree_info":[0],"trees":[{"base_weights":[0,0,0],"categories":[],"categories_nodes":[],"categories_segments":[],
  "categories_sizes":[],"default_left":[1,0,0],"id":0,"left_children":[1,-1,-1],"loss_changes":[1.0,0,0],
  "parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[5E-1,-2.5E-1,7.5E-1],
  "split_indices":[0,0,0],"split_type":[0,0,0],"sum_hessian":[10,4,6],
  "tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}}]},"name":"gbtree"},
 "learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"2","num_target":"1"},
 "objective":{"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})";

nlohmann::json Doc() {
  return nlohmann::json::parse(kModel);
}

std::string ImportError(const std::string& text) {
  auto model = interop::ImportModel(text, ForeignFormat::kXgboostJson, "m.json");
  EXPECT_FALSE(model.ok());
  return model.ok() ? "" : model.status().message();
}

TEST(XgboostImportByHand, LessThanThresholdAndMissingDirection) {
  auto model = interop::ImportModel(kModel, ForeignFormat::kXgboostJson, "m.json");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->reference().feature_name(0), "f0");
  EXPECT_EQ(model->reference().feature_name(1), "f1");
  // f1 is never split on: a numeric feature with no thresholds.
  EXPECT_TRUE(model->reference().mappers()[1].thresholds().empty());
  const float rows[] = {0.5f, 0, std::nextafter(0.5f, 0.0f), 0, std::nanf(""), 0, 100, 0};
  std::vector<double> raw = model->PredictValues(rows, 4, true, 1);
  EXPECT_DOUBLE_EQ(raw[0], 1.25);  // 0.5 < 0.5 is false: right
  EXPECT_DOUBLE_EQ(raw[1], 0.25);  // just below 0.5: left
  EXPECT_DOUBLE_EQ(raw[2], 0.25);  // missing: default left
  EXPECT_DOUBLE_EQ(raw[3], 1.25);
  EXPECT_EQ(model->trees()[0].leaf_covers(), (std::vector<double>{4, 6}));
  EXPECT_EQ(model->trees()[0].nodes()[0].cover, 10);
}

TEST(XgboostImportByHand, NonFiniteWordsAndTreeOrderAreHandled) {
  // A NaN split condition on a leaf is harmless; an out-of-order node numbering is renumbered.
  std::string text = kModel;
  auto doc = Doc();
  auto& tree = doc["learner"]["gradient_booster"]["model"]["trees"][0];
  tree["left_children"] = {2, -1, -1};
  tree["right_children"] = {1, -1, -1};
  tree["split_conditions"] = {0.5, 0.75, -0.25};
  std::string swapped = doc.dump();
  auto model = interop::ImportModel(swapped, ForeignFormat::kXgboostJson, "m.json");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const float rows[] = {0.25f, 0, 0.75f, 0};
  std::vector<double> raw = model->PredictValues(rows, 2, true, 1);
  EXPECT_DOUBLE_EQ(raw[0], 0.25);
  EXPECT_DOUBLE_EQ(raw[1], 1.25);
  std::string with_nan = std::string(kModel);
  with_nan.replace(with_nan.find("\"base_weights\":[0,0,0]"), 22,
                   "\"base_weights\":[NaN,0,-Infinity]");
  EXPECT_TRUE(interop::ImportModel(with_nan, ForeignFormat::kXgboostJson, "m.json").ok());
}

TEST(XgboostImportByHand, ErrorsNameTheProblem) {
  std::string error = ImportError("this is not json");
  EXPECT_NE(error.find("m.json: byte offset"), std::string::npos) << error;
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;

  error = ImportError(std::string(kModel).substr(0, 300));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;

  error = ImportError("{\"foo\": 1}");
  EXPECT_NE(error.find("not an XGBoost JSON model"), std::string::npos) << error;

  error = ImportError("[{\"nodeid\": 0, \"leaf\": 1}]");
  EXPECT_NE(error.find("tree dump"), std::string::npos) << error;

  error = ImportError(std::string("{L\x00\x00\x00\x00\x00\x00\x00\x07learner", 17));
  EXPECT_NE(error.find("UBJSON"), std::string::npos) << error;

  auto doc = Doc();
  doc["learner"]["objective"]["name"] = "rank:pairwise";
  error = ImportError(doc.dump());
  EXPECT_NE(
      error.find(
          "m.json: XGBoost model: learner.objective: objective 'rank:pairwise' is not supported"),
      std::string::npos)
      << error;

  doc = Doc();
  doc["learner"]["objective"]["name"] = "binary:hinge";
  EXPECT_NE(ImportError(doc.dump()).find("'binary:hinge' is not supported"), std::string::npos);

  doc = Doc();
  doc["learner"]["gradient_booster"]["model"]["trees"][0]["split_conditions"] = {0.5, 1.0};
  error = ImportError(doc.dump());
  EXPECT_NE(
      error.find(
          "learner.gradient_booster.model.trees[0].split_conditions: expected 3 entries, found 2"),
      std::string::npos)
      << error;

  doc = Doc();
  doc["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"] = {5, 0, 0};
  error = ImportError(doc.dump());
  EXPECT_NE(error.find("tree 0 node 0: feature index 5 out of range"), std::string::npos) << error;

  doc = Doc();
  doc["learner"]["gradient_booster"]["model"]["trees"][0]["right_children"] = {1, -1, -1};
  error = ImportError(doc.dump());
  EXPECT_NE(error.find("reached twice"), std::string::npos) << error;

  doc = Doc();
  doc["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "5";
  error = ImportError(doc.dump());
  EXPECT_NE(error.find("num_trees says 5 but there are 1 trees"), std::string::npos) << error;

  doc = Doc();
  doc["learner"]["learner_model_param"]["num_target"] = "2";
  EXPECT_NE(ImportError(doc.dump()).find("multi-target"), std::string::npos);

  doc = Doc();
  doc["learner"]["gradient_booster"]["name"] = "gblinear";
  EXPECT_NE(ImportError(doc.dump()).find("booster 'gblinear' is not supported"), std::string::npos);

  doc = Doc();
  doc["learner"]["feature_names"] = {"a", "a"};
  EXPECT_NE(ImportError(doc.dump()).find("feature name 'a' appears twice"), std::string::npos);

  doc = Doc();
  doc["learner"]["objective"]["name"] = "binary:logistic";
  doc["learner"]["learner_model_param"]["base_score"] = "1.5";
  EXPECT_NE(ImportError(doc.dump()).find("base_score in (0, 1)"), std::string::npos);

  auto missing = interop::ImportModelFile("/nonexistent/m.json", ForeignFormat::kXgboostJson);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/m.json: cannot open"), std::string::npos);
}

TEST(XgboostImportByHand, FormatNames) {
  EXPECT_EQ(interop::ParseForeignFormat("XGBoost"), ForeignFormat::kXgboostJson);
  EXPECT_EQ(interop::ParseForeignFormat("lightgbm"), ForeignFormat::kLightgbmText);
  EXPECT_FALSE(interop::ParseForeignFormat("catboost").has_value());
}

}  // namespace
}  // namespace tessera
