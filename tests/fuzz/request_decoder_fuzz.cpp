// libFuzzer target for tessera serve's request decoding (ParseRequestJson + DecodeRows), the code
// every HTTP request body goes through.
//
// Input: byte 0 picks the request shape (even: MLflow-style records, odd: KServe v2), the rest
// is the body. The model is fixed: one column of each type (numeric, categorical, boolean,
// datetime) plus a label, with small bin mappers.
//
// Oracles, besides ASan/UBSan: a decoded request has at least one row and every cell is a bin its
// feature has; a rejected one is a user error with a message, and the JSON error body made from
// that message parses back to the same message.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_util.h"
#include "tessera/serve/request_decoder.h"
#include "tessera/serve/response_encoder.h"

namespace {

using namespace tessera;

const data::BinnedDataset& Reference() {
  static const data::BinnedDataset reference = [] {
    using data::Column;
    using data::ColumnRole;
    using data::ColumnType;
    data::Schema schema({Column{"x", ColumnType::kNumeric, ColumnRole::kFeature},
                         Column{"city", ColumnType::kCategorical, ColumnRole::kFeature},
                         Column{"flag", ColumnType::kBoolean, ColumnRole::kFeature},
                         Column{"when", ColumnType::kDatetime, ColumnRole::kFeature},
                         Column{"label", ColumnType::kNumeric, ColumnRole::kLabel}});
    std::vector<data::BinMapper> mappers;
    for (const char* text : {R"({"kind":"numeric","num_bins":5,"thresholds":[-1,0,2.5]})",
                             R"({"kind":"categorical","num_bins":4,"categories":["Paris","7"]})",
                             R"({"kind":"numeric","num_bins":3,"thresholds":[0]})",
                             R"({"kind":"numeric","num_bins":4,"thresholds":[1e9,1.7e9]})"}) {
      auto m = data::BinMapper::FromJson(nlohmann::json::parse(text));
      if (!m.ok()) std::abort();
      mappers.push_back(*m);
    }
    return data::BinnedDataset(schema, {0, 1, 2, 3}, mappers, 0);
  }();
  return reference;
}

void CheckError(const Status& status) {
  FUZZ_CHECK(status.kind() == ErrorKind::kUser, "an internal error: %s", status.message().c_str());
  FUZZ_CHECK(!status.message().empty(), "an error without a message");
  const std::string body = serve::ErrorBody(status.message());
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  FUZZ_CHECK(parsed.is_object() && parsed.contains("error") && parsed["error"].is_string(),
             "the error body is not JSON: %s", body.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const serve::InputSchema schema(Reference());
  const auto format = data[0] % 2 == 0 ? serve::RequestFormat::kRecords : serve::RequestFormat::kV2;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto json = serve::ParseRequestJson(body);
  if (!json.ok()) {
    CheckError(json.status());
    return 0;
  }
  auto decoded = serve::DecodeRows(*json, format, schema);
  if (!decoded.ok()) {
    fuzz::Note(decoded.status().message());
    CheckError(decoded.status());
    return 0;
  }
  const data::BinnedDataset& rows = decoded->rows;
  FUZZ_CHECK(rows.num_rows() >= 1, "a decoded request without rows");
  FUZZ_CHECK(rows.num_features() == 4, "features");
  for (size_t r = 0; r < rows.num_rows(); ++r)
    for (size_t f = 0; f < 4; ++f)
      FUZZ_CHECK(rows.bin(r, f) < rows.mappers()[f].num_bins(), "row %zu feature %zu: bin %u", r, f, rows.bin(r, f));
  return 0;
}
