// MLflow-style request bodies: {"instances": [{...}, ...]} or {"columns": [...], "data": [[...]]}.
#include <limits>

#include "decoders.h"
#include "json_cell.h"

namespace tessera::serve {

namespace {

using nlohmann::json;

constexpr const char* kShapes =
    "expected {\"instances\": [{\"column\": value, ...}, ...]} or {\"columns\": [...], \"data\": [[...], ...]}";

Status UnknownColumn(const std::string& where, const std::string& name, const InputSchema& schema) {
  return Status::UserError(where + "unknown column " + QuoteName(name) + "; the model's features are " +
                           schema.FeatureList());
}

// {"instances": [{"f0": 1.5, "city": "Paris", ...}, ...]}: one object per row.
Result<DecodedRequest> DecodeInstances(const json& instances, const char* field, const InputSchema& schema) {
  if (!instances.is_array())
    return Status::UserError(std::string("\"") + field + "\" must be an array of objects (one per row), found " +
                             DescribeJson(instances));
  const size_t rows = instances.size(), nf = schema.num_features();
  if (rows == 0) return Status::UserError(std::string("\"") + field + "\" holds no rows");
  DecodedRequest out = NewRequest(schema, rows);
  std::vector<size_t> given_in_row(nf, std::numeric_limits<size_t>::max());
  for (size_t r = 0; r < rows; ++r) {
    const json& row = instances[r];
    auto where = [field, r] { return std::string(field) + "[" + std::to_string(r) + "]"; };  // for errors only
    if (!row.is_object())
      return Status::UserError(where() + ": expected an object of column: value, found " + DescribeJson(row));
    size_t given = 0;
    for (const auto& [name, value] : row.items()) {
      const std::optional<int> f = schema.Lookup(name);
      if (!f) return UnknownColumn(where() + ": ", name, schema);
      if (*f == InputSchema::kSkippedColumn) continue;
      const size_t feature = static_cast<size_t>(*f);
      given_in_row[feature] = r;
      ++given;
      Result<float> cell = CellOfJsonValue(value, schema, feature);
      if (!cell.ok()) return Status::UserError(where() + ", column " + QuoteName(name) + ": " + cell.status().message());
      SetCell(&out, r, feature, *cell, schema);
      SetDerivedCells(&out, r, feature, value, schema);
    }
    if (given < schema.num_given_features())
      for (size_t f = 0; f < nf; ++f)
        if (given_in_row[f] != r && !schema.is_derived(f))
          return Status::UserError(where() + " has no value for column " + QuoteName(schema.feature_name(f)) +
                                   " (give null for a missing value)");
  }
  return out;
}

// {"columns": ["f0", "city", ...], "data": [[1.5, "Paris", ...], ...]}: pandas' split orient.
Result<DecodedRequest> DecodeSplit(const json& columns, const json& data, const std::string& prefix,
                                   const InputSchema& schema) {
  if (!columns.is_array())
    return Status::UserError(prefix + "\"columns\" must be an array of column names, found " + DescribeJson(columns));
  const size_t nf = schema.num_features();
  std::vector<int> feature_of(columns.size());
  std::vector<bool> given(nf, false);
  for (size_t c = 0; c < columns.size(); ++c) {
    auto where = [&prefix, c] { return prefix + "columns[" + std::to_string(c) + "]"; };  // for errors only
    if (!columns[c].is_string())
      return Status::UserError(where() + ": expected a column name (a string), found " + DescribeJson(columns[c]));
    const std::string& name = columns[c].get_ref<const std::string&>();
    const std::optional<int> f = schema.Lookup(name);
    if (!f) return UnknownColumn(where() + ": ", name, schema);
    feature_of[c] = *f;
    if (*f == InputSchema::kSkippedColumn) continue;
    if (given[static_cast<size_t>(*f)]) return Status::UserError(where() + ": column " + QuoteName(name) + " is given twice");
    given[static_cast<size_t>(*f)] = true;
  }
  for (size_t f = 0; f < nf; ++f)
    if (!given[f] && !schema.is_derived(f))
      return Status::UserError(prefix + "\"columns\" lacks column " + QuoteName(schema.feature_name(f)) +
                               ", which the model needs; the model's features are " + schema.FeatureList());
  if (!data.is_array())
    return Status::UserError(prefix + "\"data\" must be an array of rows (arrays of values), found " + DescribeJson(data));
  const size_t rows = data.size();
  if (rows == 0) return Status::UserError(prefix + "\"data\" holds no rows");
  DecodedRequest out = NewRequest(schema, rows);
  for (size_t r = 0; r < rows; ++r) {
    const json& row = data[r];
    auto where = [&prefix, r] { return prefix + "data[" + std::to_string(r) + "]"; };  // for errors only
    if (!row.is_array() || row.size() != columns.size())
      return Status::UserError(where() + ": expected an array of " + std::to_string(columns.size()) +
                               " values (one per column), found " +
                               (row.is_array() ? "an array of " + std::to_string(row.size()) : DescribeJson(row)));
    for (size_t c = 0; c < columns.size(); ++c) {
      if (feature_of[c] == InputSchema::kSkippedColumn) continue;
      const size_t feature = static_cast<size_t>(feature_of[c]);
      Result<float> cell = CellOfJsonValue(row[c], schema, feature);
      if (!cell.ok())
        return Status::UserError(where() + "[" + std::to_string(c) + "] (column " + QuoteName(schema.feature_name(feature)) +
                                 "): " + cell.status().message());
      SetCell(&out, r, feature, *cell, schema);
      SetDerivedCells(&out, r, feature, row[c], schema);
    }
  }
  return out;
}

Result<DecodedRequest> DecodeSplitObject(const json& split, const InputSchema& schema) {
  if (!split.is_object())
    return Status::UserError("\"dataframe_split\" must be an object with \"columns\" and \"data\", found " +
                             DescribeJson(split));
  for (const auto& [key, value] : split.items())
    if (key != "columns" && key != "data" && key != "index")
      return Status::UserError("unknown field " + QuoteName(key) + " in \"dataframe_split\"; expected \"columns\" and \"data\"");
  if (!split.contains("columns") || !split.contains("data"))
    return Status::UserError("\"dataframe_split\" needs both \"columns\" and \"data\"");
  return DecodeSplit(split["columns"], split["data"], "dataframe_split.", schema);
}

}  // namespace

Result<DecodedRequest> DecodeRecordsRequest(const json& request, const InputSchema& schema) {
  if (!request.is_object()) return Status::UserError(std::string(kShapes) + ", found " + DescribeJson(request));
  const json *instances = nullptr, *split = nullptr;
  const char* instances_field = "instances";
  bool top_level_split = false;
  for (const auto& [key, value] : request.items()) {
    if (key == "instances" || key == "dataframe_records") {
      if (instances) return Status::UserError("give rows in one of \"instances\" and \"dataframe_records\", not both");
      instances = &value;
      instances_field = key == "instances" ? "instances" : "dataframe_records";
    } else if (key == "dataframe_split") {
      split = &value;
    } else if (key == "columns" || key == "data" || key == "index") {
      top_level_split = true;
    } else {
      return Status::UserError("unknown field " + QuoteName(key) + "; " + kShapes);
    }
  }
  const int forms = (instances != nullptr) + (split != nullptr) + top_level_split;
  if (forms == 0) return Status::UserError(std::string("no rows: ") + kShapes);
  if (forms > 1) return Status::UserError(std::string("give rows in one form only: ") + kShapes);
  if (instances) return DecodeInstances(*instances, instances_field, schema);
  if (split) return DecodeSplitObject(*split, schema);
  if (!request.contains("columns") || !request.contains("data"))
    return Status::UserError("a split frame needs both \"columns\" and \"data\"");
  return DecodeSplit(request["columns"], request["data"], "", schema);
}

}  // namespace tessera::serve
