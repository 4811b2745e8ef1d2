#include "tessera/registry/tracking.h"

namespace tessera::registry {

Result<std::unique_ptr<RunTracker>> RunTracker::Start(std::unique_ptr<Store> store, const RunInfo& info) {
  TESSERA_ASSIGN_OR_RETURN(std::string id, store->StartRun(info));
  return std::unique_ptr<RunTracker>(new RunTracker(std::move(store), std::move(id)));
}

RunTracker::~RunTracker() {
  if (finished_) return;
  (void)Flush();  // best effort: the run is failing anyway
  (void)store_->FinishRun(run_id_, "failed");
}

Status RunTracker::Log(int64_t step, const std::vector<std::pair<std::string, double>>& metrics) {
  for (const auto& [key, value] : metrics) pending_.push_back({key, step, value});
  return pending_.size() >= kBatch ? Flush() : Status::Ok();
}

Status RunTracker::Flush() {
  if (pending_.empty()) return Status::Ok();
  Status st = store_->LogMetrics(run_id_, pending_);
  pending_.clear();
  return st;
}

Status RunTracker::Finish(const std::map<std::string, double>& metrics, const std::map<std::string, std::string>& artifact_files) {
  TESSERA_RETURN_IF_ERROR(Flush());
  TESSERA_RETURN_IF_ERROR(store_->SetFinalMetrics(run_id_, metrics));
  for (const auto& [name, path] : artifact_files) {
    TESSERA_ASSIGN_OR_RETURN(ArtifactRef ref, store_->PutArtifactFile(path, name));
    TESSERA_RETURN_IF_ERROR(store_->AddRunArtifact(run_id_, ref));
  }
  TESSERA_RETURN_IF_ERROR(store_->FinishRun(run_id_, "finished"));
  finished_ = true;
  return Status::Ok();
}

}  // namespace tessera::registry
