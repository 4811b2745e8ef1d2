// The two request shapes of request_decoder.h, one file each. Internal to src/serve.
#pragma once

#include "tessera/serve/request_decoder.h"

namespace tessera::serve {

Result<DecodedRequest> DecodeRecordsRequest(const nlohmann::json& request, const InputSchema& schema);
Result<DecodedRequest> DecodeV2Request(const nlohmann::json& request, const InputSchema& schema);

// "'name'" quoted as JSON and cut when long: for names that came from a request.
std::string QuoteName(const std::string& name);

}  // namespace tessera::serve
