#include "json_cell.h"

#include <charconv>
#include <cmath>

#include "tessera/data/datetime_parts.h"
#include "tessera/data/schema.h"

namespace tessera::serve {

namespace {

using data::BinMapper;
using data::ColumnType;

Status Expected(const char* what, const nlohmann::json& found) {
  return Status::UserError(std::string("expected ") + what + ", found " + DescribeJson(found));
}

// A JSON number as a float: integers convert with one rounding, as from_chars rounds their digits.
float NumberAsFloat(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return static_cast<float>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<float>(v.get<int64_t>());
  return static_cast<float>(v.get<double>());
}

// A JSON number as the text a CSV field would hold for it: integers with all their digits,
// others in the shortest form that reads back as the same double.
std::string_view NumberAsText(const nlohmann::json& v, char (&buffer)[40]) {
  std::to_chars_result r{};
  if (v.is_number_unsigned()) r = std::to_chars(buffer, buffer + sizeof buffer, v.get<uint64_t>());
  else if (v.is_number_integer()) r = std::to_chars(buffer, buffer + sizeof buffer, v.get<int64_t>());
  else r = std::to_chars(buffer, buffer + sizeof buffer, v.get<double>());
  return std::string_view(buffer, static_cast<size_t>(r.ptr - buffer));
}

const float kMissing = std::nanf("");

Result<float> NumericValue(const nlohmann::json& v) {
  float x;
  if (v.is_number()) return NumberAsFloat(v);
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (data::ParseNumber(s, &x)) return x;
    if (data::IsMissingToken(s)) return kMissing;
  }
  return Expected("a number or null", v);
}

Result<float> BooleanValue(const nlohmann::json& v) {
  float x;
  if (v.is_boolean()) return v.get<bool>() ? 1.0f : 0.0f;
  if (v.is_number()) {
    x = NumberAsFloat(v);
    if (x == 0 || x == 1) return x;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (data::ParseBoolean(s, &x) || (data::ParseNumber(s, &x) && (x == 0 || x == 1))) return x;
    if (data::IsMissingToken(s)) return kMissing;
  }
  return Expected("true, false or null", v);
}

Result<float> DatetimeValue(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    double seconds;
    if (data::ParseDatetime(s, &seconds)) return static_cast<float>(seconds);
    if (data::IsMissingToken(s)) return kMissing;
  }
  return Expected("an ISO-8601 date or timestamp string (\"2024-03-01T12:30:00Z\") or null", v);
}

Result<uint32_t> CategoryBin(const nlohmann::json& v, const BinMapper& m) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return data::IsMissingToken(s) ? BinMapper::kMissingBin : m.BinOfCategory(s);
  }
  if (v.is_number()) {
    char buffer[40];
    return m.BinOfCategory(NumberAsText(v, buffer));
  }
  if (v.is_boolean()) return m.BinOfCategory(v.get<bool>() ? "true" : "false");
  return Expected("a category (a string or a number) or null", v);
}

}  // namespace

Result<float> CellOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature) {
  const BinMapper& m = schema.mapper(feature);
  // The mapper decides whether the cell is a value or a category code; the column type only how
  // text is read.
  if (m.kind() == BinMapper::Kind::kCategorical) {
    if (value.is_null()) return static_cast<float>(BinMapper::kMissingBin);
    TESSERA_ASSIGN_OR_RETURN(uint32_t code, CategoryBin(value, m));
    return static_cast<float>(code);
  }
  if (value.is_null()) return kMissing;
  switch (schema.feature_type(feature)) {
    case ColumnType::kBoolean:
      return BooleanValue(value);
    case ColumnType::kDatetime:
      return DatetimeValue(value);
    case ColumnType::kNumeric:
    case ColumnType::kCategorical:
      break;
  }
  return NumericValue(value);
}

void SetDerivedCells(DecodedRequest* out, size_t row, size_t feature, const nlohmann::json& value, const InputSchema& schema) {
  const auto& parts = schema.parts_of(feature);
  if (parts.empty()) return;
  // From the exact seconds, as the CSV reader does (the float cell is off by up to a minute).
  double seconds = std::nan("");
  if (value.is_string() && !data::ParseDatetime(value.get_ref<const std::string&>(), &seconds)) seconds = std::nan("");
  for (const auto& [f, part] : parts) SetCell(out, row, f, data::DatetimePartValue(seconds, part), schema);
}

Result<uint32_t> BinOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature) {
  TESSERA_ASSIGN_OR_RETURN(float cell, CellOfJsonValue(value, schema, feature));
  return BinOfCell(cell, schema.mapper(feature));
}

std::string DescribeJson(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      constexpr size_t kShown = 40;
      constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
      if (s.size() <= kShown) return nlohmann::json(s).dump(-1, ' ', false, kReplace);
      // Cut on a UTF-8 character boundary so the message stays valid JSON text.
      size_t cut = kShown;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      return nlohmann::json(s.substr(0, cut)).dump(-1, ' ', false, kReplace) + " (cut, " + std::to_string(s.size()) + " bytes)";
    }
    default:
      return value.dump();
  }
}

}  // namespace tessera::serve
