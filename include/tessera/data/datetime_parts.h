// Datetime expansion: a datetime column also yields numeric columns for its calendar parts
// (<col>_year, _month, _day, _weekday, _hour, _is_weekend; UTC), so that trees can split on the
// hour or the weekday, which the raw seconds since 1970 hide. The derived columns live in the
// Schema (Column::derived), so every reader fills them and a model's schema records them: new
// data for the model only needs the datetime column. Functions only; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "tessera/core/status.h"
#include "tessera/data/schema.h"

namespace tessera::data {

// The proleptic Gregorian date of day `days` after 1970-01-01 (any sign; H. Hinnant's
// civil_from_days), for the datetime parts and for formatting datetimes.
struct CivilDate {
  int64_t year;
  unsigned month, day;
};
CivilDate CivilFromDays(int64_t days);

// The calendar part of `seconds` since 1970-01-01 UTC (proleptic Gregorian; NaN for NaN or
// an infinite value).
float DatetimePartValue(double seconds, DatetimePart part);

// "<source>_<part>", as "when_hour".
std::string DerivedColumnName(const std::string& source, DatetimePart part);

// Appends the parts of every datetime column whose role is feature and whose name is not in
// `not_features` (columns about to become label, weight, group or ignored). A part whose name is
// already a column is left out (the input's column wins).
void AppendDatetimeParts(Schema* schema, const std::vector<std::string>& not_features);

// For new data read against a reference (a model's schema): appends the derived columns of
// `reference` with their roles. A derived name that is also a column of the input, or a source
// the input lacks, is an error naming `source_name`.
Status AppendDerivedColumnsOf(const Schema& reference, Schema* schema, const std::string& source_name);

// Checks that derived columns follow every read column and name a read datetime column as their
// source (for schemas loaded from files).
Status ValidateDerivedColumns(const Schema& schema);

}  // namespace tessera::data
