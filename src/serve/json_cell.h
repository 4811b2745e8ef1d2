// The bin of one JSON value for one feature of a served model, following the CSV reader's rules
// for the same value written in a CSV field, so that a request predicts exactly as `tessera
// predict` on a file: null and the missing-value tokens ("", "NA", "null", ...) are missing;
// numeric columns take numbers (or numeric text), boolean columns true/false (or 0/1 and the
// boolean words), datetime columns ISO-8601 text; categorical columns take text, or numbers
// written in shortest form ("3", "2.5"), and a category unseen in training goes to the model's
// rare-category bin, as in a file. Internal to src/serve.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "tessera/core/status.h"
#include "tessera/serve/input_schema.h"
#include "tessera/serve/request_decoder.h"

namespace tessera::serve {

// The cell of `value` for feature `feature` as data::CodedRows holds it (numeric, boolean and
// datetime features: the value, NaN when missing; categorical: the category's code, which is its
// bin), or a user error saying what was expected and what was found (without the location, which
// the caller knows).
Result<float> CellOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature);
// The bin of a cell (what BinOfJsonValue gives for the value the cell came from).
inline uint32_t BinOfCell(float cell, const data::BinMapper& m) {
  return m.kind() == data::BinMapper::Kind::kCategorical ? static_cast<uint32_t>(cell) : m.BinOfValue(cell);
}
// The bin of `value` for feature `feature` (the bin of its cell).
Result<uint32_t> BinOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature);

// Writes one cell of a request: its bin and its value or code.
inline void SetCell(DecodedRequest* out, size_t row, size_t feature, float cell, const InputSchema& schema) {
  SetBin(&out->rows, row, feature, BinOfCell(cell, schema.mapper(feature)));
  out->cells.values[row * out->cells.cols + feature] = cell;
}

// A decoded request of `rows` rows whose cells are all to be written with SetCell.
inline DecodedRequest NewRequest(const InputSchema& schema, size_t rows) {
  DecodedRequest out{schema.NewRows(rows), {}, {}, {}};
  out.cells.rows = rows;
  out.cells.cols = schema.num_features();
  out.cells.values.assign(rows * schema.num_features(), 0.0f);
  for (size_t f : schema.orphan_parts())
    for (size_t r = 0; r < rows; ++r) SetCell(&out, r, f, std::nanf(""), schema);
  return out;
}
// Writes the cells of the features derived from datetime feature `feature` (InputSchema::parts_of)
// from its JSON value, which CellOfJsonValue accepted; does nothing for other features.
void SetDerivedCells(DecodedRequest* out, size_t row, size_t feature, const nlohmann::json& value, const InputSchema& schema);

// A short description of a JSON value for error messages: scalars as written (long strings cut),
// arrays and objects by kind (never serialised: they may be deeply nested).
std::string DescribeJson(const nlohmann::json& value);

}  // namespace tessera::serve
