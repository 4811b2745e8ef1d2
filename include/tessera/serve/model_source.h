// ModelSource: where a served model comes from — a model file, or a registry reference
// (models:/name@alias follows the alias as it moves; models:/name/3 is one fixed version).
// Resolve() says which model the source points at now without loading it, so a reloader can
// poll cheaply; Load() reads and verifies it. Not thread-safe: one thread at a time (the server
// loads the first model, then hands the source to its reloader thread).
#pragma once

#include <memory>
#include <string>

#include "tessera/core/status.h"
#include "tessera/models/model.h"

namespace tessera::registry {
class Store;
}

namespace tessera::serve {

// Which model: enough to tell two versions apart and to name them in the API.
struct ModelIdentity {
  std::string name;      // the registered model's name, or the file's stem
  std::string version;   // the registry version number; empty for a file
  std::string artifact;  // SHA-256 of the model file's bytes
  bool operator==(const ModelIdentity& o) const { return version == o.version && artifact == o.artifact; }
};
// "'churn' version 3 (artifact 1f2e3d4c5b6a)" for log lines and errors.
std::string DescribeModel(const ModelIdentity& identity);

class ModelSource {
 public:
  // `ref`: a file path or a models:/ reference; `store_dir`: the registry for references.
  ModelSource(std::string ref, std::string store_dir);
  ~ModelSource();

  const std::string& ref() const { return ref_; }
  // True for models:/name@alias, whose target can change while serving.
  bool follows_alias() const;

  // What the reference points at now: the alias's current version (a cheap registry query), or
  // the file's content hash.
  Result<ModelIdentity> Resolve();
  // The model `identity` names, after checking that its bytes still hash to identity.artifact
  // (a corrupt or replaced artifact is refused).
  Result<models::Model> Load(const ModelIdentity& identity);

 private:
  std::string ref_, store_dir_;
  std::unique_ptr<registry::Store> store_;  // opened on first use
};

}  // namespace tessera::serve
