// Decoding of prediction requests into rows binned with the served model's own bin mappers, so
// that a request predicts exactly as `tessera predict` does on the same values in a CSV file
// (see src/serve/json_cell.h for the rules per column type). Two request shapes:
//
//   kRecords  MLflow's scoring server: {"instances": [{"col": value, ...}, ...]} (also named
//             "dataframe_records"), or {"columns": [...], "data": [[...], ...]} (pandas' split
//             orient, also wrapped as {"dataframe_split": {...}}; "index" is ignored).
//   kV2       the KServe / Open Inference Protocol v2 infer request: {"id"?, "parameters"?,
//             "inputs": [{"name", "shape": [N] or [N, 1], "datatype", "data"}, ...],
//             "outputs"?: [{"name"}]}, one input per feature column.
//
// Every feature must be given (null for a missing value); a column the model does not know is an
// error; columns of its training table that are not features (the label, ignored columns) are
// skipped. Pure functions of their arguments, thread-safe; any input bytes give a value or an
// error, never a crash (fuzzed by tests/fuzz/request_decoder_fuzz.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"
#include "tessera/serve/input_schema.h"

namespace tessera::serve {

enum class RequestFormat { kRecords, kV2 };

// The v2 outputs a request may ask for: the prediction (probabilities, values) and the raw score.
inline constexpr std::string_view kOutputPrediction = "prediction";
inline constexpr std::string_view kOutputRawScore = "raw_score";

struct DecodedRequest {
  data::BinnedDataset rows;          // the model's features, binned; at least one row
  std::string id;                    // v2: the request's "id", echoed in the response
  std::vector<std::string> outputs;  // v2: the outputs asked for by name (empty: the default)
  data::CodedRows cells;             // the same rows as values and category codes (linear models)
};

// The body as JSON, or a user error giving the byte offset where it stops being JSON (HTTP 400).
Result<nlohmann::json> ParseRequestJson(std::string_view body);

// The rows of a parsed request. Errors (HTTP 422) say where (row, column or input) and what was
// expected instead.
Result<DecodedRequest> DecodeRows(const nlohmann::json& request, RequestFormat format, const InputSchema& schema);

}  // namespace tessera::serve
