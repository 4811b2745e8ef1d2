#include "tessera/serve/model_source.h"

#include <filesystem>

#include "tessera/core/sha256.h"
#include "tessera/models/model_file.h"
#include "tessera/registry/store.h"

namespace tessera::serve {

std::string DescribeModel(const ModelIdentity& identity) {
  return "'" + identity.name + "'" + (identity.version.empty() ? "" : " version " + identity.version) + " (artifact " +
         identity.artifact.substr(0, 12) + ")";
}

ModelSource::ModelSource(std::string ref, std::string store_dir) : ref_(std::move(ref)), store_dir_(std::move(store_dir)) {}

ModelSource::~ModelSource() = default;

bool ModelSource::follows_alias() const {
  return registry::Store::IsModelRef(ref_) && ref_.find('@') != std::string::npos;
}

Result<ModelIdentity> ModelSource::Resolve() {
  ModelIdentity id;
  if (!registry::Store::IsModelRef(ref_)) {
    id.name = std::filesystem::path(ref_).stem().string();
    TESSERA_ASSIGN_OR_RETURN(id.artifact, Sha256File(ref_));
    return id;
  }
  if (!store_) {
    TESSERA_ASSIGN_OR_RETURN(store_, registry::Store::Open(store_dir_));
  }
  TESSERA_ASSIGN_OR_RETURN(const registry::ModelVersion version, store_->ResolveRef(ref_));
  id.name = version.name;
  id.version = std::to_string(version.version);
  id.artifact = version.artifact;
  return id;
}

Result<models::Model> ModelSource::Load(const ModelIdentity& identity) {
  if (!registry::Store::IsModelRef(ref_)) {
    // The file may have changed since Resolve(): check its bytes again right before reading.
    TESSERA_ASSIGN_OR_RETURN(const std::string sha, Sha256File(ref_));
    if (sha != identity.artifact)
      return Status::UserError(ref_ + ": the file changed while it was being loaded (SHA-256 " + sha + ", expected " +
                               identity.artifact + ")");
    return models::LoadAnyModel(ref_);
  }
  if (!store_) {
    TESSERA_ASSIGN_OR_RETURN(store_, registry::Store::Open(store_dir_));
  }
  TESSERA_ASSIGN_OR_RETURN(const std::string path, store_->VerifiedArtifactPath(identity.artifact));
  return models::LoadAnyModel(path);
}

}  // namespace tessera::serve
