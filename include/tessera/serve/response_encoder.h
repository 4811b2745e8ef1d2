// The JSON bodies `tessera serve` answers with. Written straight into a string (numbers in
// shortest round-trip form; NaN and infinities, which JSON lacks, as null) because the answer to
// a one-row request is on the hot path. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tessera/serve/served_model.h"

namespace tessera::serve {

inline constexpr std::string_view kJsonContentType = "application/json";

// {"error": "message"}.
std::string ErrorBody(std::string_view message);

// MLflow's answer: {"predictions": [p, ...]}, or [[p0, p1, ...], ...] for several outputs.
std::string PredictionsBody(const std::vector<double>& scores, size_t outputs);

// The v2 infer response: {"model_name", "model_version"?, "id"?, "outputs": [{"name", "datatype":
// "FP64", "shape": [rows] or [rows, outputs], "data"}]} with the outputs asked for (the
// prediction when none were).
struct V2Outputs {
  std::vector<std::string> names;    // kOutputPrediction and/or kOutputRawScore
  std::vector<double> prediction, raw_score;  // rows x outputs each
};
std::string V2InferBody(const ServedModel& model, const std::string& id, const V2Outputs& outputs, size_t rows);

// The v2 model metadata: name, versions, platform "tessera", inputs (one per feature: FP32 for
// numbers and booleans, BYTES for categories and datetimes, shape [-1]) and outputs.
std::string V2MetadataBody(const ServedModel& model);

// /explain: {"model_name", "model_version", "features": [...], "expected_value", "raw_scores",
// "contributions"}: per row the SHAP value of each feature (rows x features, or rows x outputs x
// features for several outputs); expected value plus contributions is the raw score.
// `shap` is explain::ShapValues' layout (rows x outputs x (features + 1)); `raw_scores` the
// model's raw scores of the rows (rows x outputs).
std::string ExplanationBody(const ServedModel& model, const std::vector<double>& shap,
                            const std::vector<double>& raw_scores, size_t rows);

// GET /drift: {"model_name", "model_version", "artifact", "enabled", "window", "rows",
// "thresholds": {"warn": 0.1, "drift": 0.25}, "features": [{"name", "psi", "verdict"}]} where
// psi is null and verdict "no data" until rows arrive; verdict "drift" at PSI >= 0.25, "warn" at
// >= 0.1, else "ok" (the thresholds of tessera monitor).
inline constexpr double kPsiWarn = 0.1, kPsiDrift = 0.25;
std::string DriftBody(const ServedModel& model);

// Appends a JSON number (null when not finite).
void AppendJsonNumber(std::string* out, double value);
// Appends a JSON string literal (invalid UTF-8 replaced).
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace tessera::serve
