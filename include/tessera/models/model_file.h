// The model file: one versioned JSON document that holds all a model needs to predict from raw
// rows — the input schema, the bin mappers of its features, the label classes, the model of its
// family ("gbdt": trees; "linear": feature pipeline and coefficients) — and what it came from
// (training data shape, parameters, metrics, Tessera version). Written atomically; loading
// validates everything and refuses what it does not understand. The format is documented in
// docs/model-format.md.
#pragma once

#include <string>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/model.h"

namespace tessera::models {

// 2: the schema may hold derived datetime columns; a model without them is still written as 1, so
// that older builds read it.
constexpr int kModelFormatVersion = 2;

nlohmann::json ModelToJson(const gbdt::GbdtModel& model);
nlohmann::json ModelToJson(const linear::LinearModel& model);
nlohmann::json ModelToJson(const Model& model);
// A model of any family ("model.family"; a document without one is "gbdt").
Result<Model> AnyModelFromJson(const nlohmann::json& doc, const std::string& source_name);
// A GBDT model; a model of another family is an error naming it.
Result<gbdt::GbdtModel> ModelFromJson(const nlohmann::json& doc, const std::string& source_name);

Status SaveModel(const gbdt::GbdtModel& model, const std::string& path);
Status SaveModel(const linear::LinearModel& model, const std::string& path);
Status SaveModel(const Model& model, const std::string& path);
Result<Model> LoadAnyModel(const std::string& path);
// For the commands that need trees (explain, export, import, continued training).
Result<gbdt::GbdtModel> LoadModel(const std::string& path);

}  // namespace tessera::models
