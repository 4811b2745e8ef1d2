#include "tessera/serve/request_decoder.h"

#include <cstring>

#include "decoders.h"
#include "json_cell.h"

namespace tessera::serve {

Result<nlohmann::json> ParseRequestJson(std::string_view body) {
  if (body.empty()) return Status::UserError("the request body is empty; expected a JSON object");
  try {
    return nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    const char* what = e.what();
    const char* text = std::strstr(what, "] ");
    return Status::UserError("the request body is not valid JSON (byte " + std::to_string(e.byte) +
                             "): " + std::string(text ? text + 2 : what));
  } catch (const nlohmann::json::exception& e) {
    return Status::UserError(std::string("the request body is not valid JSON: ") + e.what());
  }
}

Result<DecodedRequest> DecodeRows(const nlohmann::json& request, RequestFormat format, const InputSchema& schema) {
  return format == RequestFormat::kV2 ? DecodeV2Request(request, schema) : DecodeRecordsRequest(request, schema);
}

std::string QuoteName(const std::string& name) { return DescribeJson(nlohmann::json(name)); }

}  // namespace tessera::serve
