// The JSON forms of runs and model versions, shared by `tessera runs/models --json` and the
// dashboard's API (tessera ui), so that both print the same fields. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "tessera/registry/store.h"

namespace tessera::registry {

// {"id", "kind", "status", "started", "finished", "duration_seconds", "host", "tessera_version",
//  "command", "data_fingerprint", "params", "tags", "metrics", "artifacts": [{"name", "sha256",
//  "size"}]}
nlohmann::json RunToJson(const Run& run);
// {"name", "version", "run_id", "artifact", "description", "tags", "aliases", "created"}
nlohmann::json VersionToJson(const ModelVersion& version);

}  // namespace tessera::registry
