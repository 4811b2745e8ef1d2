// The bin of one JSON value for one feature of a served model, following the CSV reader's rules
// for the same value written in a CSV field, so that a request predicts exactly as `tessera
// predict` on a file: null and the missing-value tokens ("", "NA", "null", ...) are missing;
// numeric columns take numbers (or numeric text), boolean columns true/false (or 0/1 and the
// boolean words), datetime columns ISO-8601 text; categorical columns take text, or numbers
// written in shortest form ("3", "2.5"), and a category unseen in training goes to the model's
// rare-category bin, as in a file. Internal to src/serve.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tessera/core/status.h"
#include "tessera/serve/input_schema.h"

namespace tessera::serve {

// The bin of `value` for feature `feature`, or a user error saying what was expected and what
// was found (without the location, which the caller knows).
Result<uint32_t> BinOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature);

// A short description of a JSON value for error messages: scalars as written (long strings cut),
// arrays and objects by kind (never serialised: they may be deeply nested).
std::string DescribeJson(const nlohmann::json& value);

}  // namespace tessera::serve
