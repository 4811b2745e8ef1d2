// A sensor message as the stream runner receives it: named fields holding a number, a text or
// nothing, decoded from a JSON object or from one CSV line. Pure functions of the payload bytes
// (no I/O, no state), so a fuzzer can drive them and a bad message can never reach the model.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::edge {

struct FieldValue {
  enum class Kind { kMissing, kNumber, kText };
  Kind kind = Kind::kMissing;
  double number = 0;
  std::string text;
};

struct SensorMessage {
  std::vector<std::pair<std::string, FieldValue>> fields;  // in payload order
  // The field called `name`, or nullptr when the message has none.
  const FieldValue* Find(std::string_view name) const;
};

// A JSON object whose values are numbers (finite doubles), strings, booleans (1/0) or null
// (missing). Nested objects and arrays are refused, naming the field; syntax errors name the byte.
Result<SensorMessage> DecodeJsonMessage(std::string_view payload);

// One CSV line (an optional trailing newline; RFC 4180 quotes) whose fields are `columns` in
// order. An empty field is missing; a field that reads fully as a number is a number.
Result<SensorMessage> DecodeCsvMessage(std::string_view payload, const std::vector<std::string>& columns);

}  // namespace tessera::edge
