#include "tessera/data/datetime_parts.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera::data {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (month <= 2), month, day};
}

float DatetimePartValue(double seconds, DatetimePart part) {
  if (!std::isfinite(seconds)) return std::numeric_limits<float>::quiet_NaN();
  const double day_start = std::floor(seconds / 86400.0);
  const int64_t days = static_cast<int64_t>(day_start);
  const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday (Monday = 0)
  switch (part) {
    case DatetimePart::kYear: return static_cast<float>(CivilFromDays(days).year);
    case DatetimePart::kMonth: return static_cast<float>(CivilFromDays(days).month);
    case DatetimePart::kDay: return static_cast<float>(CivilFromDays(days).day);
    case DatetimePart::kWeekday: return static_cast<float>(weekday);
    case DatetimePart::kHour: return static_cast<float>(std::min(23.0, std::floor((seconds - day_start * 86400.0) / 3600.0)));
    case DatetimePart::kIsWeekend: return weekday >= 5 ? 1.0f : 0.0f;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

std::string DerivedColumnName(const std::string& source, DatetimePart part) {
  return source + "_" + std::string(ToString(part));
}

void AppendDatetimeParts(Schema* schema, const std::vector<std::string>& not_features) {
  const size_t read = schema->num_read_columns();
  for (size_t c = 0; c < read; ++c) {
    const Column source = schema->column(c);
    if (source.type != ColumnType::kDatetime || source.role != ColumnRole::kFeature || Contains(not_features, source.name))
      continue;
    for (DatetimePart part : kDatetimeParts) {
      std::string name = DerivedColumnName(source.name, part);
      if (schema->Find(name) >= 0) continue;
      Column derived(std::move(name), ColumnType::kNumeric, ColumnRole::kFeature);
      derived.derived = DerivedFrom{source.name, part};
      schema->mutable_columns().push_back(std::move(derived));
    }
  }
}

Status AppendDerivedColumnsOf(const Schema& reference, Schema* schema, const std::string& source_name) {
  for (const Column& col : reference.columns()) {
    if (!col.derived) continue;
    if (schema->Find(col.name) >= 0)
      return Status::UserError(source_name + ": column '" + col.name + "' clashes with the model's feature of that name, which " +
                               "it computes from datetime column '" + col.derived->source + "'; rename or drop the column");
    const int source = schema->Find(col.derived->source);
    if (source < 0)
      return Status::UserError(source_name + ": the model needs datetime column '" + col.derived->source +
                               "', which the input does not have");
    schema->mutable_columns().push_back(col);
  }
  return Status::Ok();
}

Status ValidateDerivedColumns(const Schema& schema) {
  const size_t read = schema.num_read_columns();
  for (size_t c = read; c < schema.size(); ++c) {
    const Column& col = schema.column(c);
    if (!col.derived) return Status::UserError("schema: column '" + col.name + "' is read from the input but follows derived columns");
    const int source = schema.Find(col.derived->source);
    if (source < 0 || static_cast<size_t>(source) >= read || schema.column(source).type != ColumnType::kDatetime)
      return Status::UserError("schema: derived column '" + col.name + "' needs a datetime column '" + col.derived->source +
                               "' of the input");
    if (col.type != ColumnType::kNumeric) return Status::UserError("schema: derived column '" + col.name + "' must be numeric");
  }
  return Status::Ok();
}

}  // namespace tessera::data
