#include "tessera/serve/api.h"

#include "tessera/explain/tree_shap.h"
#include "tessera/serve/request_decoder.h"
#include "tessera/serve/response_encoder.h"

namespace tessera::serve {

namespace {

ApiResponse Error(int status, std::string_view message) { return {status, ErrorBody(message), kJsonContentType}; }

ApiResponse NotReady() { return Error(503, "no model is loaded yet"); }

// The served model when the path names it (and its version, if any), else a 404 answer.
std::shared_ptr<const ServedModel> Named(const ModelHolder& holder, std::string_view name, std::string_view version,
                                         ApiResponse* error) {
  std::shared_ptr<const ServedModel> model = holder.Get();
  if (!model) {
    *error = NotReady();
    return nullptr;
  }
  const ModelIdentity& id = model->identity();
  if (name != id.name) {
    *error = Error(404, "model '" + std::string(name) + "' is not served here; this server serves '" + id.name + "'");
    return nullptr;
  }
  if (!version.empty() && version != id.version) {
    *error = Error(404, "version '" + std::string(version) + "' of model '" + id.name + "' is not served here; " +
                            (id.version.empty() ? "the model is a file without versions"
                                                : "the served version is '" + id.version + "'"));
    return nullptr;
  }
  return model;
}

// Parses and decodes a body against the model: nullopt and an error answer when it is not right.
std::optional<DecodedRequest> Decode(std::string_view body, RequestFormat format, const ServedModel& model,
                                     ApiResponse* error) {
  Result<nlohmann::json> json = ParseRequestJson(body);
  if (!json.ok()) {
    *error = Error(400, json.status().message());
    return std::nullopt;
  }
  Result<DecodedRequest> decoded = DecodeRows(*json, format, model.inputs());
  if (!decoded.ok()) {
    *error = Error(422, decoded.status().message());
    return std::nullopt;
  }
  return std::move(decoded).value();
}

}  // namespace

std::vector<double> Api::PredictRaw(const ServedModel& model, const DecodedRequest& request) const {
  // The batcher concatenates binned rows: tree models only (linear ones read the raw cells).
  return batcher_ && model.model().gbdt() ? batcher_->PredictRaw(model, request.rows) : model.Predict(request, true);
}

ApiResponse Api::Live() const { return {200, "{\"live\":true}"}; }

ApiResponse Api::Ready() const {
  return models_->Get() ? ApiResponse{200, "{\"ready\":true}"} : ApiResponse{503, "{\"ready\":false}"};
}

ApiResponse Api::ServerMetadata() const {
  return {200, std::string("{\"name\":\"tessera\",\"version\":\"") + TESSERA_VERSION + "\",\"extensions\":[]}"};
}

ApiResponse Api::ModelMetadata(std::string_view name, std::string_view version) const {
  ApiResponse error;
  auto model = Named(*models_, name, version, &error);
  if (!model) return error;
  return {200, V2MetadataBody(*model)};
}

ApiResponse Api::ModelReady(std::string_view name, std::string_view version) const {
  ApiResponse error;
  auto model = Named(*models_, name, version, &error);
  if (!model) return error;
  std::string body = "{\"name\":";
  AppendJsonString(&body, model->identity().name);
  body += ",\"ready\":true}";
  return {200, std::move(body)};
}

ApiResponse Api::Infer(std::string_view name, std::string_view version, std::string_view body) const {
  ApiResponse error;
  auto model = Named(*models_, name, version, &error);
  if (!model) return error;
  std::optional<DecodedRequest> request = Decode(body, RequestFormat::kV2, *model, &error);
  if (!request) return error;
  const size_t rows = request->rows.num_rows(), k = static_cast<size_t>(model->model().num_outputs());
  V2Outputs outputs;
  outputs.names = request->outputs;
  if (outputs.names.empty()) outputs.names.emplace_back(kOutputPrediction);
  outputs.raw_score = PredictRaw(*model, *request);
  outputs.prediction = outputs.raw_score;
  model->Transform(&outputs.prediction);
  metrics_->RecordPredictions(rows, outputs.prediction, k);
  model->drift().Observe(request->rows);
  return {200, V2InferBody(*model, request->id, outputs, rows)};
}

ApiResponse Api::Predict(std::string_view body) const {
  auto model = models_->Get();
  if (!model) return NotReady();
  ApiResponse error;
  std::optional<DecodedRequest> request = Decode(body, RequestFormat::kRecords, *model, &error);
  if (!request) return error;
  const size_t k = static_cast<size_t>(model->model().num_outputs());
  std::vector<double> scores = PredictRaw(*model, *request);
  model->Transform(&scores);
  metrics_->RecordPredictions(request->rows.num_rows(), scores, k);
  model->drift().Observe(request->rows);
  return {200, PredictionsBody(scores, k)};
}

ApiResponse Api::Explain(std::string_view body) const {
  auto model = models_->Get();
  if (!model) return NotReady();
  ApiResponse error;
  std::optional<DecodedRequest> request = Decode(body, RequestFormat::kRecords, *model, &error);
  if (!request) return error;
  const size_t rows = request->rows.num_rows();
  const std::vector<double> shap = model->Shap(*request);
  const std::vector<double> raw = model->Predict(*request, true);
  std::vector<double> scores = raw;
  model->Transform(&scores);
  metrics_->RecordPredictions(rows, scores, static_cast<size_t>(model->model().num_outputs()));
  model->drift().Observe(request->rows);
  return {200, ExplanationBody(*model, shap, raw, rows)};
}

ApiResponse Api::Metrics() const {
  auto model = models_->Get();
  return {200, metrics_->Render(model.get()), kPrometheusContentType};
}

ApiResponse Api::Drift() const {
  auto model = models_->Get();
  if (!model) return NotReady();
  return {200, DriftBody(*model)};
}

}  // namespace tessera::serve
