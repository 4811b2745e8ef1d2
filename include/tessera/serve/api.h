// Api: what each route of `tessera serve` answers, independent of the HTTP library (http_server.h
// maps paths and methods to these calls). A request body goes through ParseRequestJson (bad JSON:
// 400) and DecodeRows (wrong structure, types or columns: 422), then the model currently in the
// holder predicts; every error answer is a JSON {"error": "..."}. Routes:
//
//   GET  /v2/health/live, /v2/health/ready, /v2          liveness, readiness, server metadata
//   GET  /v2/models/{name}[/versions/{v}][/ready]        model metadata, model readiness
//   POST /v2/models/{name}[/versions/{v}]/infer          KServe v2 inference
//   POST /predict                                        MLflow-style inference
//   POST /explain                                        SHAP contributions per row
//   GET  /metrics                                        Prometheus exposition
//   GET  /drift                                          drift window as JSON (for tessera ui)
//
// Thread-safe: any number of request threads may call at once.
#pragma once

#include <string>
#include <string_view>

#include "tessera/serve/micro_batcher.h"
#include "tessera/serve/model_holder.h"
#include "tessera/serve/server_metrics.h"

namespace tessera::serve {

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
};

class Api {
 public:
  // All must outlive the Api; `batcher` null predicts each request on its own thread.
  Api(const ModelHolder* models, ServerMetrics* metrics, MicroBatcher* batcher = nullptr)
      : models_(models), metrics_(metrics), batcher_(batcher) {}

  ApiResponse Live() const;
  ApiResponse Ready() const;
  ApiResponse ServerMetadata() const;
  // `version` empty when the path names none.
  ApiResponse ModelMetadata(std::string_view name, std::string_view version) const;
  ApiResponse ModelReady(std::string_view name, std::string_view version) const;
  ApiResponse Infer(std::string_view name, std::string_view version, std::string_view body) const;
  ApiResponse Predict(std::string_view body) const;
  ApiResponse Explain(std::string_view body) const;
  ApiResponse Metrics() const;
  ApiResponse Drift() const;

 private:
  // Raw scores of decoded rows, through the micro-batcher when there is one.
  std::vector<double> PredictRaw(const ServedModel& model, const DecodedRequest& request) const;

  const ModelHolder* models_;
  ServerMetrics* metrics_;
  MicroBatcher* batcher_;
};

}  // namespace tessera::serve
