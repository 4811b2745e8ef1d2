#include "tessera/registry/registry_json.h"

namespace tessera::registry {

nlohmann::json RunToJson(const Run& r) {
  nlohmann::json artifacts = nlohmann::json::array();
  for (const auto& a : r.artifacts)
    artifacts.push_back({{"name", a.name}, {"sha256", a.sha256}, {"size", a.size}});
  return {{"id", r.id},
          {"kind", r.kind},
          {"status", r.status},
          {"started", r.started},
          {"finished", r.finished},
          {"duration_seconds", r.duration()},
          {"host", r.host},
          {"tessera_version", r.tessera_version},
          {"command", r.command},
          {"data_fingerprint", r.data_fingerprint},
          {"params", r.params},
          {"tags", r.tags},
          {"metrics", r.metrics},
          {"artifacts", artifacts}};
}

nlohmann::json VersionToJson(const ModelVersion& v) {
  return {{"name", v.name},         {"version", v.version},         {"run_id", v.run_id},
          {"artifact", v.artifact}, {"description", v.description}, {"tags", v.tags},
          {"aliases", v.aliases},   {"created", v.created}};
}

}  // namespace tessera::registry
