// Schema: the columns of a table, their types and their roles in training. Inferred from a
// sample of the data (InferColumnType), then overridden by the user's flags (SchemaOptions).
// Plain value type; safe to copy between threads.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::data {

enum class ColumnType { kNumeric, kCategorical, kBoolean, kDatetime };
enum class ColumnRole { kFeature, kLabel, kWeight, kGroup, kIgnored };

std::string_view ToString(ColumnType type);
std::string_view ToString(ColumnRole role);
std::optional<ColumnType> ColumnTypeFromString(std::string_view s);
std::optional<ColumnRole> ColumnRoleFromString(std::string_view s);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  ColumnRole role = ColumnRole::kFeature;
};

// What the user said about the columns; everything not named is inferred.
struct SchemaOptions {
  std::string label;                      // empty: no label column
  std::string weight;                     // empty: every row weighs 1
  std::string group;                      // query/group id column (ranking), optional
  std::vector<std::string> categorical;   // force categorical
  std::vector<std::string> numeric;       // force numeric
  std::vector<std::string> datetime;      // force datetime
  std::vector<std::string> ignore;        // drop these columns
};

class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Column> columns) : columns_(std::move(columns)) {}

  const std::vector<Column>& columns() const { return columns_; }
  std::vector<Column>& mutable_columns() { return columns_; }
  size_t size() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  // Index of the column called `name`, or -1.
  int Find(std::string_view name) const;
  // Index of the first column with `role`, or -1.
  int FindRole(ColumnRole role) const;
  // Indices of the feature columns, in column order.
  std::vector<size_t> FeatureIndices() const;

  // Applies the user's roles and types; unknown column names are errors naming the flag.
  Status Apply(const SchemaOptions& options, const std::string& source_name);

  nlohmann::json ToJson() const;
  static Result<Schema> FromJson(const nlohmann::json& j);

 private:
  std::vector<Column> columns_;
};

// Type inference for one column, fed the non-missing sample values one at a time.
class ColumnTypeGuesser {
 public:
  void Observe(std::string_view value);
  ColumnType Guess() const;

 private:
  uint64_t seen_ = 0, numbers_ = 0, booleans_ = 0, datetimes_ = 0;
};

// True for the tokens that mean "no value": "", NA, N/A, NaN, nan, null, NULL, None, "?".
bool IsMissingToken(std::string_view s);
// Parses a decimal number (leading/trailing spaces and a leading '+' allowed). False if the
// whole token is not a number.
bool ParseNumber(std::string_view s, float* out);
// Fast exact parse of a short decimal at the start of [p, end) ("-1.25", "3e-4": at most about
// seven significant digits and a power of ten within 1e+-10). Returns where the number stops, or
// nullptr when the text needs the general parser (ParseNumber).
const char* ParseDecimalPrefix(const char* p, const char* end, float* out);
// true/false/yes/no/t/f (any case) -> 1/0. False if the token is not a boolean word.
bool ParseBoolean(std::string_view s, float* out);
// ISO-8601 date or timestamp ("2024-03-01", "2024-03-01T12:30:00.5Z", "2024-03-01 12:30+02:00")
// -> seconds since 1970-01-01 UTC. False if it is not one.
bool ParseDatetime(std::string_view s, double* seconds);
// Seconds since 1970-01-01 UTC -> "2024-03-01T12:30:00Z" (whole seconds).
std::string FormatDatetime(double seconds);

}  // namespace tessera::data
