// DriftClient: fetches the drift state of a running `tessera serve` (its GET /drift JSON) for the
// dashboard. The dashboard asks the model server from its own process rather than letting the
// browser do it: the page stays same-origin (the model server needs no CORS), only the
// dashboard's port has to be reachable from the browser, and an unreachable server becomes one
// clear JSON error. Thread-safe: each Fetch opens its own connection.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tessera/core/status.h"

namespace tessera::ui {

class DriftClient {
 public:
  // `serve_url`: "http://HOST:PORT" (a trailing '/' is allowed). Checked by Create.
  static Result<std::unique_ptr<DriftClient>> Create(const std::string& serve_url,
                                                     double timeout_seconds = 2.0);
  const std::string& url() const { return url_; }

  // The server's /drift document; an error naming the URL when it cannot be reached, answers
  // with another status than 200, or does not answer JSON.
  Result<nlohmann::json> Fetch() const;

 private:
  DriftClient(std::string url, double timeout) : url_(std::move(url)), timeout_(timeout) {}
  std::string url_;
  double timeout_;
};

}  // namespace tessera::ui
