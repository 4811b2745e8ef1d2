#include "tessera/ui/drift_client.h"

#include <httplib.h>

namespace tessera::ui {

Result<std::unique_ptr<DriftClient>> DriftClient::Create(const std::string& serve_url,
                                                         double timeout_seconds) {
  std::string url = serve_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  constexpr std::string_view kScheme = "http://";
  const bool http = url.compare(0, kScheme.size(), kScheme) == 0;
  const std::string rest = http ? url.substr(kScheme.size()) : "";
  if (!http || rest.empty() || rest.find_first_of("/?# ") != std::string::npos)
    return Status::UserError("--serve-url '" + serve_url +
                             "': expected http://HOST:PORT of a running tessera serve");
  return std::unique_ptr<DriftClient>(new DriftClient(url, timeout_seconds));
}

Result<nlohmann::json> DriftClient::Fetch() const {
  httplib::Client client(url_);
  const auto seconds = static_cast<time_t>(timeout_);
  const auto micros = static_cast<time_t>((timeout_ - static_cast<double>(seconds)) * 1e6);
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  const httplib::Result res = client.Get("/drift");
  if (!res)
    return Status::UserError("cannot reach tessera serve at " + url_ + ": " +
                             httplib::to_string(res.error()));
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string detail = body.is_object() && body.contains("error") && body["error"].is_string()
                             ? body["error"].get<std::string>()
                             : res->body.substr(0, 200);
    return Status::UserError("tessera serve at " + url_ + " answered GET /drift with " +
                             std::to_string(res->status) + ": " + detail);
  }
  if (!body.is_object())
    return Status::UserError("tessera serve at " + url_ +
                             ": GET /drift did not answer a JSON object");
  return body;
}

}  // namespace tessera::ui
