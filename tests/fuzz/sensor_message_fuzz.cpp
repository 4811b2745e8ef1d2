// libFuzzer target for the stream runner's message decoding (edge/sensor_message.h): whatever
// bytes a device or an attacker publishes must come back as a message or a clear error.
//
// Input: byte 0 bit 0 picks the format (0 JSON, 1 CSV with three columns); the rest is the payload.
// Oracles, besides ASan/UBSan: a decoded JSON message, written back as JSON and decoded again,
// gives the same fields; a decoded CSV line has exactly one field per column; errors have text.
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "tessera/edge/sensor_message.h"

namespace {

using namespace tessera::edge;

bool SameField(const FieldValue& a, const FieldValue& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == FieldValue::Kind::kNumber) return a.number == b.number || (std::isnan(a.number) && std::isnan(b.number));
  return a.text == b.text;
}

void CheckJson(std::string_view payload) {
  auto message = DecodeJsonMessage(payload);
  if (!message.ok()) {
    FUZZ_CHECK(!message.status().message().empty(), "an error without a message");
    return;
  }
  nlohmann::json again = nlohmann::json::object();
  for (const auto& [name, v] : message->fields) {
    if (v.kind == FieldValue::Kind::kNumber) again[name] = v.number;
    else if (v.kind == FieldValue::Kind::kText) again[name] = v.text;
    else again[name] = nullptr;
  }
  // Duplicate keys collapse to one in both decodings, so compare by name.
  auto round_trip = DecodeJsonMessage(again.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict));
  FUZZ_CHECK(round_trip.ok(), "a decoded message does not decode again");
  FUZZ_CHECK(round_trip->fields.size() == message->fields.size(), "round trip changed the number of fields");
  for (const auto& [name, v] : message->fields) {
    const FieldValue* w = round_trip->Find(name);
    FUZZ_CHECK(w != nullptr && SameField(v, *w), "round trip changed a field");
  }
}

void CheckCsv(std::string_view payload) {
  static const std::vector<std::string> kColumns = {"a", "b", "c"};
  auto message = DecodeCsvMessage(payload, kColumns);
  if (!message.ok()) {
    FUZZ_CHECK(!message.status().message().empty(), "an error without a message");
    return;
  }
  FUZZ_CHECK(message->fields.size() == kColumns.size(), "a CSV message with the wrong number of fields");
  for (size_t i = 0; i < kColumns.size(); ++i) FUZZ_CHECK(message->fields[i].first == kColumns[i], "column order");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) CheckCsv(payload);
  else CheckJson(payload);
  return 0;
}
