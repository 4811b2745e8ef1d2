// The model file: one versioned JSON document that holds all a model needs to predict from raw
// rows — the input schema, the bin mappers of its features, the label classes, the trees — and
// what it came from (training data shape, parameters, metrics, Tessera version). Written
// atomically; loading validates everything and refuses what it does not understand. The format
// is documented in docs/model-format.md.
#pragma once

#include <string>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::models {

constexpr int kModelFormatVersion = 1;

nlohmann::json ModelToJson(const gbdt::GbdtModel& model);
Result<gbdt::GbdtModel> ModelFromJson(const nlohmann::json& doc, const std::string& source_name);

Status SaveModel(const gbdt::GbdtModel& model, const std::string& path);
Result<gbdt::GbdtModel> LoadModel(const std::string& path);

}  // namespace tessera::models
