// The tracking store and model registry: one SQLite database (WAL mode, schema versioned with
// migrations) plus a folder of content-addressed artifacts beside it:
//
//   <dir>/store.db                 runs, metrics, artifacts, models, versions, aliases
//   <dir>/artifacts/ab/cdef...     each artifact named by its SHA-256, written atomically,
//                                  verified against its name whenever it is read
//
// Several processes may use one store at once: every write is one IMMEDIATE transaction and
// waits (busy timeout) for the others. A process killed mid-write leaves either the whole
// change or none of it; an artifact file is whole or absent (an orphan file without a row is
// harmless and reused by the next put of the same content).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/status.h"

struct sqlite3;

namespace tessera::registry {

constexpr int kStoreSchemaVersion = 1;

struct RunInfo {
  std::string kind;              // "train", "eval", "automl", ...
  std::string command;           // the command line
  std::string data_fingerprint;  // content hash of the input files and schema
  nlohmann::json params = nlohmann::json::object();
  std::map<std::string, std::string> tags;
};

struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0;
};

struct ArtifactRef {
  std::string name;    // the run's name for it ("model")
  std::string sha256;  // content address
  int64_t size = 0;
};

struct Run {
  std::string id, kind, status, command, host, tessera_version, data_fingerprint;
  double started = 0, finished = 0;  // Unix seconds; finished 0 while running
  nlohmann::json params = nlohmann::json::object();
  std::map<std::string, std::string> tags;
  std::map<std::string, double> metrics;  // final values
  std::vector<ArtifactRef> artifacts;
  double duration() const { return finished > 0 ? finished - started : 0; }
};

struct RunFilter {
  std::string kind;                     // empty: any
  std::map<std::string, std::string> tags;  // all must match
  std::string metric;                   // with min/max: only runs with this final metric in range
  std::optional<double> metric_min, metric_max;
  size_t limit = 0;                     // 0: all; newest first
};

struct ModelVersion {
  std::string name;
  int version = 0;
  std::string run_id, artifact, description;
  std::map<std::string, std::string> tags;
  std::vector<std::string> aliases;
  double created = 0;
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens the store at `dir`, creating it (and migrating an older schema) as needed.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  // $TESSERA_STORE when set, else ./tessera-store.
  static std::string DefaultDir();
  const std::string& dir() const { return dir_; }

  // Runs.
  Result<std::string> StartRun(const RunInfo& info);
  Status LogMetrics(const std::string& run_id, const std::vector<MetricPoint>& points);  // one transaction
  Status SetFinalMetrics(const std::string& run_id, const std::map<std::string, double>& metrics);
  Status AddRunArtifact(const std::string& run_id, const ArtifactRef& artifact);
  Status FinishRun(const std::string& run_id, const std::string& status);  // "finished" or "failed"
  Result<Run> GetRun(const std::string& run_id);  // an unambiguous prefix of the id is enough
  Result<std::vector<Run>> ListRuns(const RunFilter& filter);
  // Ids of the runs whose id starts with `prefix`, at most `limit` of them, sorted.
  Result<std::vector<std::string>> RunIdsWithPrefix(const std::string& prefix, size_t limit);
  Result<std::vector<MetricPoint>> MetricHistory(const std::string& run_id, const std::string& key);
  // The keys the run logged per-step points under, sorted (run_id: a full id).
  Result<std::vector<std::string>> MetricKeys(const std::string& run_id);

  // Artifacts.
  Result<ArtifactRef> PutArtifactFile(const std::string& path, const std::string& name);
  // The path of a stored artifact after checking its bytes still hash to its name.
  Result<std::string> VerifiedArtifactPath(const std::string& sha256);

  // Registry.
  // A new version of model `name` (created if new) for the artifact; returns it.
  Result<ModelVersion> RegisterVersion(const std::string& name, const std::string& artifact_sha256,
                                       const std::string& run_id, const std::string& description,
                                       const std::map<std::string, std::string>& tags);
  Status SetAlias(const std::string& name, const std::string& alias, int version);
  Status DeleteAlias(const std::string& name, const std::string& alias);
  Result<ModelVersion> GetVersion(const std::string& name, int version);
  Result<ModelVersion> GetAlias(const std::string& name, const std::string& alias);
  Result<std::vector<ModelVersion>> ListVersions(const std::string& name);  // empty name: every model
  // Versions whose run was trained on data with this fingerprint.
  Result<std::vector<ModelVersion>> VersionsTrainedOn(const std::string& data_fingerprint);

  // "models:/name@alias" or "models:/name/3" -> that version; anything else is not a reference.
  static bool IsModelRef(const std::string& text);
  Result<ModelVersion> ResolveRef(const std::string& ref);

 private:
  Store(std::string dir, sqlite3* db) : dir_(std::move(dir)), db_(db) {}
  Status Migrate();
  Status Exec(const std::string& sql);
  template <typename Fn>
  Status InTransaction(Fn fn);
  Result<ModelVersion> VersionWhere(const std::string& name, int version);
  // The versions whose (name, version) a statement yields, in its order.
  template <typename Rows>
  Result<std::vector<ModelVersion>> VersionsOfRows(Rows& rows);
  std::string ArtifactPath(const std::string& sha256) const;

  std::string dir_;
  sqlite3* db_ = nullptr;
};

// The content hash of a data set: its files' bytes (name-independent) and the schema text.
Result<std::string> DataFingerprint(const std::vector<std::string>& files, const std::string& schema_json);

}  // namespace tessera::registry
