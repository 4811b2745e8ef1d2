#include "tessera/serve/server_metrics.h"

#include <algorithm>
#include <cmath>

#include "tessera/explain/model_shap.h"
#include "tessera/serve/served_model.h"

namespace tessera::serve {

namespace {

constexpr std::array<std::string_view, kRouteCount> kRouteLabels = {
    "/v2/health/live",         "/v2/health/ready", "/v2",      "/v2/models/{name}", "/v2/models/{name}/ready",
    "/v2/models/{name}/infer", "/predict",         "/explain", "/metrics",          "/drift",
    "other"};

const std::vector<double> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
const std::vector<double> kBatchBuckets = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
const std::vector<double> kMicroBatchBuckets = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128};

std::string RouteLabels(size_t route) { return "route=\"" + EscapeLabelValue(kRouteLabels[route]) + "\""; }

}  // namespace

std::string_view RouteLabel(Route route) { return kRouteLabels[static_cast<size_t>(route)]; }

Route ClassifyRoute(std::string_view path) {
  if (path == "/predict") return Route::kPredict;
  if (path == "/explain") return Route::kExplain;
  if (path == "/metrics") return Route::kMetrics;
  if (path == "/drift") return Route::kDrift;
  if (path == "/v2/health/live") return Route::kLive;
  if (path == "/v2/health/ready") return Route::kReady;
  if (path == "/v2") return Route::kServerMetadata;
  // /v2/models/NAME[/versions/V][/infer | /ready]
  constexpr std::string_view kModels = "/v2/models/";
  if (path.substr(0, kModels.size()) != kModels) return Route::kOther;
  std::vector<std::string_view> parts;
  for (std::string_view rest = path.substr(kModels.size());;) {
    const size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (parts.back().empty()) return Route::kOther;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  size_t at = 1;
  if (parts.size() >= 3 && parts[1] == "versions") at = 3;
  if (parts.size() == at) return Route::kModelMetadata;
  if (parts.size() == at + 1 && parts[at] == "infer") return Route::kInfer;
  if (parts.size() == at + 1 && parts[at] == "ready") return Route::kModelReady;
  return Route::kOther;
}

std::vector<double> ScoreBuckets(const models::Model& any) {
  const std::string& objective = any.objective();
  std::vector<double> bounds;
  if (objective == "binary" || objective == "multiclass") {
    for (int i = 1; i <= 9; ++i) bounds.push_back(i / 10.0);
    bounds.push_back(1.0);
    return bounds;
  }
  // A linear model's (or a blend's) scores are unbounded: one bucket at the expected prediction.
  if (!any.gbdt()) {
    std::vector<double> expected = {explain::ModelExpectedValues(any)[0]};
    any.Transform(&expected);
    return expected;
  }
  const models::gbdt::GbdtModel& model = *any.gbdt();
  // The lowest and highest raw score: the init score plus each tree's lowest / highest leaf.
  double low = model.init_score().empty() ? 0 : model.init_score()[0], high = low;
  for (const auto& tree : model.trees()) {
    if (tree.leaf_values().empty()) continue;
    const auto [lo, hi] = std::minmax_element(tree.leaf_values().begin(), tree.leaf_values().end());
    low += *lo;
    high += *hi;
  }
  std::vector<double> ends = {low, high};
  model.Transform(&ends);  // the links of these objectives (identity, exp) keep the order
  if (!(ends[1] > ends[0]) || !std::isfinite(ends[0]) || !std::isfinite(ends[1])) return {ends[0]};
  for (int i = 1; i <= 10; ++i) bounds.push_back(ends[0] + (ends[1] - ends[0]) * i / 10.0);
  return bounds;
}

ServerMetrics::ServerMetrics(std::vector<double> score_buckets)
    : requests_(new StatusCounters[kRouteCount]), batch_rows_(kBatchBuckets),
      scores_(std::move(score_buckets)),
      micro_batch_requests_(kMicroBatchBuckets) {
  for (size_t r = 0; r < kRouteCount; ++r) {
    for (auto& counter : requests_[r]) counter.store(0, std::memory_order_relaxed);
    latency_.push_back(std::make_unique<Histogram>(kLatencyBuckets));
  }
}

void ServerMetrics::RecordRequest(Route route, int status, double seconds) {
  const size_t r = static_cast<size_t>(route);
  if (status >= kMinStatus && status <= kMaxStatus)
    requests_[r][static_cast<size_t>(status - kMinStatus)].fetch_add(1, std::memory_order_relaxed);
  if (seconds >= 0) latency_[r]->Observe(seconds);
}

void ServerMetrics::RecordPredictions(size_t rows, const std::vector<double>& scores, size_t outputs) {
  batch_rows_.Observe(static_cast<double>(rows));
  if (outputs <= 1) {
    for (double s : scores) scores_.Observe(s);
    return;
  }
  for (size_t r = 0; r + outputs <= scores.size(); r += outputs)
    scores_.Observe(*std::max_element(scores.begin() + static_cast<long>(r), scores.begin() + static_cast<long>(r + outputs)));
}

void ServerMetrics::RecordMicroBatch(size_t requests, size_t) {
  micro_batch_requests_.Observe(static_cast<double>(requests));
}

void ServerMetrics::RecordReload(bool accepted) { (accepted ? reloads_accepted_ : reloads_refused_).fetch_add(1); }

std::string ServerMetrics::Render(const ServedModel* model) const {
  std::string out;
  out.reserve(16384);
  AppendHeader(&out, "tessera_requests_total", "counter", "HTTP requests answered, by route and status code.");
  for (size_t r = 0; r < kRouteCount; ++r)
    for (size_t s = 0; s < requests_[r].size(); ++s) {
      const uint64_t n = requests_[r][s].load(std::memory_order_relaxed);
      if (n > 0)
        AppendSample(&out, "tessera_requests_total",
                     RouteLabels(r) + ",status=\"" + std::to_string(s + kMinStatus) + "\"", static_cast<double>(n));
    }
  AppendHeader(&out, "tessera_request_duration_seconds", "histogram",
               "Time in the request handler, from the received request to the encoded answer.");
  for (size_t r = 0; r < kRouteCount; ++r)
    if (latency_[r]->count() > 0) latency_[r]->Render(&out, "tessera_request_duration_seconds", RouteLabels(r));
  AppendHeader(&out, "tessera_batch_rows", "histogram", "Rows per prediction request (/predict, infer, /explain).");
  batch_rows_.Render(&out, "tessera_batch_rows", "");
  AppendHeader(&out, "tessera_prediction_score", "histogram",
               "Predicted scores (probability of the top class for multiclass models).");
  scores_.Render(&out, "tessera_prediction_score", "");
  if (micro_batch_requests_.count() > 0) {
    AppendHeader(&out, "tessera_micro_batch_requests", "histogram",
                 "Requests predicted together in one batch (tessera serve --micro-batch-rows).");
    micro_batch_requests_.Render(&out, "tessera_micro_batch_requests", "");
  }
  AppendHeader(&out, "tessera_model_reloads_total", "counter", "New model versions loaded (accepted) or refused.");
  AppendSample(&out, "tessera_model_reloads_total", "result=\"accepted\"", static_cast<double>(reloads_accepted_.load()));
  AppendSample(&out, "tessera_model_reloads_total", "result=\"refused\"", static_cast<double>(reloads_refused_.load()));
  if (!model) return out;

  const ModelIdentity& id = model->identity();
  AppendHeader(&out, "tessera_model_info", "gauge", "The served model (always 1).");
  AppendSample(&out, "tessera_model_info",
               "name=\"" + EscapeLabelValue(id.name) + "\",version=\"" + EscapeLabelValue(id.version) +
                   "\",artifact=\"" + EscapeLabelValue(id.artifact) + "\"",
               1);
  const DriftMonitor& drift = model->drift();
  if (!drift.enabled()) return out;
  const DriftMonitor::Snapshot snapshot = drift.Compute();
  AppendHeader(&out, "tessera_drift_window_rows", "gauge", "Recent rows the drift gauges are computed over.");
  AppendSample(&out, "tessera_drift_window_rows", "", static_cast<double>(snapshot.rows));
  if (snapshot.psi.empty()) return out;
  AppendHeader(&out, "tessera_feature_psi", "gauge",
               "Population stability index of each feature over the recent rows against the training data.");
  const InputSchema& inputs = model->inputs();
  for (size_t f = 0; f < snapshot.psi.size(); ++f)
    AppendSample(&out, "tessera_feature_psi", "feature=\"" + EscapeLabelValue(inputs.feature_name(f)) + "\"",
                 snapshot.psi[f]);
  return out;
}

}  // namespace tessera::serve
