// Import of models trained by other libraries: XGBoost JSON models (Booster.save_model("m.json"))
// and LightGBM text models (model.txt). The foreign model is translated into a Tessera model
// document (docs/model-format.md) and loaded with models::ModelFromJson, so every check of the
// loader applies and an imported model is a normal Tessera model: it predicts, explains,
// exports and serves like a trained one. What cannot be represented exactly (an objective
// without a Tessera link, LightGBM's zero-as-missing where it would differ, linear trees, ...)
// is refused with a message naming the part, never approximated. docs/interop.md lists what is
// supported. Stateless functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::interop {

enum class ForeignFormat { kXgboostJson, kLightgbmText };

// "xgboost" -> kXgboostJson, "lightgbm" -> kLightgbmText (any case); nothing for other names.
std::optional<ForeignFormat> ParseForeignFormat(std::string_view name);
std::string_view ToString(ForeignFormat format);

// The Tessera model document for an XGBoost JSON model (the text of the file). `source_name`
// (the file name) starts every error message.
Result<nlohmann::json> XgboostJsonToDocument(std::string_view text, const std::string& source_name);
// The Tessera model document for a LightGBM text model. Errors name the file and line.
Result<nlohmann::json> LightgbmTextToDocument(std::string_view text,
                                              const std::string& source_name);

// Translates `text` in `format` and loads the document (models::ModelFromJson).
Result<models::gbdt::GbdtModel> ImportModel(std::string_view text, ForeignFormat format,
                                            const std::string& source_name);
// Reads the file at `path` and imports it.
Result<models::gbdt::GbdtModel> ImportModelFile(const std::string& path, ForeignFormat format);

}  // namespace tessera::interop
