// ServerMetrics: what `tessera serve` exposes on GET /metrics — requests by route and status,
// handler latency per route, rows per request, the distribution of predicted scores, model
// reloads, and the served model's identity and per-feature drift (PSI over the recent-rows
// window against its training distribution). Recording is lock-free (relaxed atomics), so it
// costs little next to a prediction; Render() reads a consistent-enough snapshot. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model.h"
#include "tessera/serve/prometheus.h"

namespace tessera::serve {

class ServedModel;

// The routes, as the "route" label names them.
enum class Route {
  kLive, kReady, kServerMetadata, kModelMetadata, kModelReady, kInfer, kPredict, kExplain, kMetrics, kDrift, kOther
};
inline constexpr size_t kRouteCount = 11;
std::string_view RouteLabel(Route route);
// The route a request path belongs to (kOther for paths no route serves).
Route ClassifyRoute(std::string_view path);

// Upper bounds for the score histogram: tenths for probabilities (binary, multiclass: the top
// class's probability), else ten equal steps over the range of scores the model can give (a
// tree model's; a linear model's is unbounded: one bucket at its intercept).
std::vector<double> ScoreBuckets(const models::Model& model);

class ServerMetrics {
 public:
  explicit ServerMetrics(std::vector<double> score_buckets);

  // One answered request; `seconds` < 0 when the handler did not run (answers of the HTTP layer
  // itself: 404, 413, malformed HTTP), which are counted but not timed.
  void RecordRequest(Route route, int status, double seconds);
  // Rows in one prediction request, and their scores (rows x outputs).
  void RecordPredictions(size_t rows, const std::vector<double>& scores, size_t outputs);
  void RecordReload(bool accepted);
  // One batch of the micro-batcher: the requests it coalesced (and their rows).
  void RecordMicroBatch(size_t requests, size_t rows);

  // The exposition text; `model` (may be null) adds its identity and drift gauges.
  std::string Render(const ServedModel* model) const;

 private:
  static constexpr int kMinStatus = 100, kMaxStatus = 599;
  using StatusCounters = std::array<std::atomic<uint64_t>, kMaxStatus - kMinStatus + 1>;
  std::unique_ptr<StatusCounters[]> requests_;  // kRouteCount of them
  std::vector<std::unique_ptr<Histogram>> latency_;  // per route
  Histogram batch_rows_;
  Histogram scores_;
  Histogram micro_batch_requests_;
  std::atomic<uint64_t> reloads_accepted_{0}, reloads_refused_{0};
};

}  // namespace tessera::serve
