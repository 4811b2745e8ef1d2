// RunTracker: records one command (train, eval, ...) as a run of the store, the way MLflow's
// autologging does: started before the work, metric points buffered as they come and written in
// batches, final metrics and artifacts at the end. A tracker destroyed before Finish() marks the
// run failed, so a crashed or refused command leaves a visible failed run rather than a run
// "running" forever.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tessera/registry/store.h"

namespace tessera::registry {

class RunTracker {
 public:
  static Result<std::unique_ptr<RunTracker>> Start(std::unique_ptr<Store> store, const RunInfo& info);
  ~RunTracker();

  const std::string& run_id() const { return run_id_; }
  Store& store() { return *store_; }
  // Buffers one step's metrics; written every kBatch points and at Finish().
  Status Log(int64_t step, const std::vector<std::pair<std::string, double>>& metrics);
  // Final metrics, files stored as artifacts under their names, status "finished".
  Status Finish(const std::map<std::string, double>& metrics, const std::map<std::string, std::string>& artifact_files);

 private:
  RunTracker(std::unique_ptr<Store> store, std::string run_id) : store_(std::move(store)), run_id_(std::move(run_id)) {}
  Status Flush();
  static constexpr size_t kBatch = 1000;
  std::unique_ptr<Store> store_;
  std::string run_id_;
  std::vector<MetricPoint> pending_;
  bool finished_ = false;
};

}  // namespace tessera::registry
