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

// A calendar part of a datetime, in UTC: year, month 1-12, day of the month 1-31, weekday 0-6
// (Monday = 0), hour 0-23, is_weekend 1 on Saturday and Sunday, else 0.
enum class DatetimePart { kYear, kMonth, kDay, kWeekday, kHour, kIsWeekend };
inline constexpr DatetimePart kDatetimeParts[] = {DatetimePart::kYear,    DatetimePart::kMonth, DatetimePart::kDay,
                                                  DatetimePart::kWeekday, DatetimePart::kHour,  DatetimePart::kIsWeekend};
std::string_view ToString(DatetimePart part);
std::optional<DatetimePart> DatetimePartFromString(std::string_view s);

// Where a derived column's values come from: a part of the datetime column `source`.
struct DerivedFrom {
  std::string source;
  DatetimePart part = DatetimePart::kYear;
};

struct Column {
  Column() = default;
  Column(std::string name, ColumnType type, ColumnRole role) : name(std::move(name)), type(type), role(role) {}

  std::string name;
  ColumnType type = ColumnType::kNumeric;
  ColumnRole role = ColumnRole::kFeature;
  // Set on a column the readers compute from another column instead of reading it (numeric,
  // after every column that is read); unset on a column of the input.
  std::optional<DerivedFrom> derived;
};

// What the user said about the columns; everything not named is inferred.
struct SchemaOptions {
  std::string label;                      // empty: no label column
  std::string weight;                     // empty: every row weighs 1
  std::string group;                      // query/group id column (ranking), optional
  std::vector<std::string> categorical;   // force categorical
  std::vector<std::string> numeric;       // force numeric
  std::vector<std::string> datetime;      // force datetime
  std::vector<std::string> ignore;        // drop these columns (also derived ones: "when_hour")
  bool datetime_parts = true;             // add year, month, ... columns for datetime features
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
  // Columns read from the input: those before the first derived column.
  size_t num_read_columns() const;
  bool has_derived_columns() const { return num_read_columns() < columns_.size(); }

  // Applies the user's roles and types, then (unless options.datetime_parts is false) appends the
  // calendar parts of every datetime column that stays a feature (see datetime_parts.h); unknown
  // column names are errors naming the flag.
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
