// DashboardApi: the JSON API behind `tessera ui`'s page, independent of the HTTP library
// (ui_server.h maps paths to these calls). It reads the tracking store and registry, and relays
// the drift state of a running `tessera serve`. Every answer is JSON; unknown runs, models and
// versions get 404 with {"error": "..."}, an ambiguous run id prefix 400, a model server that
// cannot be reached 502. Routes:
//
//   GET /api/runs[?limit=N]                  runs, newest first (registry::RunToJson each)
//   GET /api/runs/{id}                       one run (an unambiguous id prefix is enough)
//   GET /api/runs/{id}/metrics               its per-step metric points, by key
//   GET /api/models                          registered models: versions and aliases
//   GET /api/models/{name}                   one model, each version with its run
//   GET /api/models/{name}/versions/{v}      lineage: version, run, data, other versions on it
//   GET /api/drift                           the served model's per-feature PSI (tessera serve
//   /drift)
//
// Thread-safe: calls from several request threads take turns on the one store connection.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "tessera/registry/store.h"
#include "tessera/ui/drift_client.h"

namespace tessera::ui {

struct UiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// {"error": message} with `status`.
UiResponse JsonError(int status, std::string_view message);

class DashboardApi {
 public:
  // `drift` may be null (no --serve-url): /api/drift then says it is not configured.
  DashboardApi(std::unique_ptr<registry::Store> store, std::unique_ptr<DriftClient> drift);

  // `limit` as given in the query string ("" = default 500).
  UiResponse Runs(std::string_view limit) const;
  UiResponse Run(std::string_view id) const;
  UiResponse RunMetrics(std::string_view id) const;
  UiResponse Models() const;
  UiResponse Model(std::string_view name) const;
  UiResponse Lineage(std::string_view name, std::string_view version) const;
  UiResponse Drift() const;

 private:
  // The full id of the run `id` names, or an error answer (404 none, 400 several).
  Result<std::string> ResolveRun(std::string_view id, UiResponse* error) const;

  std::unique_ptr<registry::Store> store_;
  std::unique_ptr<DriftClient> drift_;
  mutable std::mutex mutex_;  // one SQLite connection: one call at a time
};

}  // namespace tessera::ui
