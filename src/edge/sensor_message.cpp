#include "tessera/edge/sensor_message.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tessera::edge {

namespace {

// The value of a CSV field: empty is missing, a complete number is a number, the rest is text.
FieldValue FieldFromText(std::string text) {
  FieldValue v;
  if (text.empty()) return v;
  double number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec == std::errc() && ptr == end && std::isfinite(number)) {
    v.kind = FieldValue::Kind::kNumber;
    v.number = number;
  } else {
    v.kind = FieldValue::Kind::kText;
    v.text = std::move(text);
  }
  return v;
}

// Splits one CSV line into fields; quoted fields may hold commas and doubled quotes.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields(1);
  size_t i = 0;
  bool at_field_start = true;
  while (i < line.size()) {
    const char c = line[i];
    if (at_field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return Status::UserError("column " + std::to_string(i + 1) + ": unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        fields.back() += line[i++];
      }
      if (i < line.size() && line[i] != ',')
        return Status::UserError("column " + std::to_string(i + 1) + ": expected ',' after a quoted field");
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      at_field_start = true;
    } else if (c == '\n' || c == '\r') {
      return Status::UserError("column " + std::to_string(i + 1) + ": a message holds one CSV line, found a line break");
    } else {
      fields.back() += c;
      at_field_start = false;
    }
    ++i;
  }
  return fields;
}

}  // namespace

const FieldValue* SensorMessage::Find(std::string_view name) const {
  for (const auto& [field, value] : fields)
    if (field == name) return &value;
  return nullptr;
}

Result<SensorMessage> DecodeJsonMessage(std::string_view payload) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(payload.begin(), payload.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the byte where parsing failed. Keep nlohmann's reason, not its prefix.
    std::string reason = e.what();
    if (const size_t at = reason.find(": ", reason.find("parse error")); at != std::string::npos) reason.erase(0, at + 2);
    return Status::UserError("byte " + std::to_string(e.byte) + ": not valid JSON: " + reason);
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number too large for a double
    std::string reason = e.what();
    if (const size_t at = reason.find("] "); at != std::string::npos) reason.erase(0, at + 2);
    return Status::UserError("not valid JSON: " + reason);
  }
  if (!doc.is_object()) return Status::UserError(std::string("expected a JSON object, got ") + doc.type_name());
  SensorMessage message;
  message.fields.reserve(doc.size());
  for (auto& [name, value] : doc.items()) {
    FieldValue v;
    if (value.is_number()) {
      v.kind = FieldValue::Kind::kNumber;
      v.number = value.get<double>();
      if (!std::isfinite(v.number)) return Status::UserError("field '" + name + "': the number is out of range");
    } else if (value.is_boolean()) {
      v.kind = FieldValue::Kind::kNumber;
      v.number = value.get<bool>() ? 1 : 0;
    } else if (value.is_string()) {
      v.kind = FieldValue::Kind::kText;
      v.text = value.get<std::string>();
    } else if (!value.is_null()) {
      return Status::UserError("field '" + name + "': expected a number, a string or null, got " + value.type_name());
    }
    message.fields.emplace_back(name, std::move(v));
  }
  return message;
}

Result<SensorMessage> DecodeCsvMessage(std::string_view payload, const std::vector<std::string>& columns) {
  if (payload.ends_with('\n')) payload.remove_suffix(1);
  if (payload.ends_with('\r')) payload.remove_suffix(1);
  TESSERA_ASSIGN_OR_RETURN(std::vector<std::string> texts, SplitCsvLine(payload));
  if (texts.size() != columns.size())
    return Status::UserError("expected " + std::to_string(columns.size()) + " CSV fields (" +
                             std::to_string(columns.size()) + " columns), got " + std::to_string(texts.size()));
  SensorMessage message;
  message.fields.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) message.fields.emplace_back(columns[i], FieldFromText(std::move(texts[i])));
  return message;
}

}  // namespace tessera::edge
