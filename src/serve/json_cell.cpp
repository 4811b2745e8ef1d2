#include "json_cell.h"

#include <charconv>
#include <cmath>

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

Result<uint32_t> NumericBin(const nlohmann::json& v, const BinMapper& m) {
  float x;
  if (v.is_number()) return m.BinOfValue(NumberAsFloat(v));
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (data::ParseNumber(s, &x)) return m.BinOfValue(x);
    if (data::IsMissingToken(s)) return BinMapper::kMissingBin;
  }
  return Expected("a number or null", v);
}

Result<uint32_t> BooleanBin(const nlohmann::json& v, const BinMapper& m) {
  float x;
  if (v.is_boolean()) return m.BinOfValue(v.get<bool>() ? 1.0f : 0.0f);
  if (v.is_number()) {
    x = NumberAsFloat(v);
    if (x == 0 || x == 1) return m.BinOfValue(x);
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (data::ParseBoolean(s, &x) || (data::ParseNumber(s, &x) && (x == 0 || x == 1))) return m.BinOfValue(x);
    if (data::IsMissingToken(s)) return BinMapper::kMissingBin;
  }
  return Expected("true, false or null", v);
}

Result<uint32_t> DatetimeBin(const nlohmann::json& v, const BinMapper& m) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    double seconds;
    if (data::ParseDatetime(s, &seconds)) return m.BinOfValue(static_cast<float>(seconds));
    if (data::IsMissingToken(s)) return BinMapper::kMissingBin;
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

Result<uint32_t> BinOfJsonValue(const nlohmann::json& value, const InputSchema& schema, size_t feature) {
  if (value.is_null()) return BinMapper::kMissingBin;
  const BinMapper& m = schema.mapper(feature);
  // The mapper decides how values become bins; the column type only how text is read.
  if (m.kind() == BinMapper::Kind::kCategorical) return CategoryBin(value, m);
  switch (schema.feature_type(feature)) {
    case ColumnType::kBoolean:
      return BooleanBin(value, m);
    case ColumnType::kDatetime:
      return DatetimeBin(value, m);
    case ColumnType::kNumeric:
    case ColumnType::kCategorical:
      break;
  }
  return NumericBin(value, m);
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
