#include "tessera/serve/response_encoder.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tessera/serve/request_decoder.h"

namespace tessera::serve {

namespace {

// [v, v, ...] of scores[begin, begin + n).
void AppendArray(std::string* out, const std::vector<double>& values, size_t begin, size_t n) {
  *out += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i) *out += ',';
    AppendJsonNumber(out, values[begin + i]);
  }
  *out += ']';
}

// rows x outputs values: a flat array for one output, else one array per row.
void AppendRows(std::string* out, const std::vector<double>& values, size_t outputs) {
  if (outputs <= 1) {
    AppendArray(out, values, 0, values.size());
    return;
  }
  *out += '[';
  for (size_t r = 0; r * outputs < values.size(); ++r) {
    if (r) *out += ',';
    AppendArray(out, values, r * outputs, outputs);
  }
  *out += ']';
}

void AppendModelName(std::string* out, const ServedModel& model) {
  *out += "\"model_name\":";
  AppendJsonString(out, model.identity().name);
  if (!model.identity().version.empty()) {
    *out += ",\"model_version\":";
    AppendJsonString(out, model.identity().version);
  }
}

nlohmann::json Shape(size_t outputs) {
  return outputs == 1 ? nlohmann::json::array({-1}) : nlohmann::json::array({-1, static_cast<int64_t>(outputs)});
}

}  // namespace

void AppendJsonNumber(std::string* out, double value) {
  if (!std::isfinite(value)) {
    *out += "null";
    return;
  }
  char buffer[32];
  auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, r.ptr);
}

void AppendJsonString(std::string* out, std::string_view text) {
  *out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorBody(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(&out, message);
  out += '}';
  return out;
}

std::string PredictionsBody(const std::vector<double>& scores, size_t outputs) {
  std::string out;
  out.reserve(24 + scores.size() * 22);
  out += "{\"predictions\":";
  AppendRows(&out, scores, outputs);
  out += '}';
  return out;
}

std::string V2InferBody(const ServedModel& model, const std::string& id, const V2Outputs& outputs, size_t rows) {
  const size_t k = static_cast<size_t>(model.model().num_outputs());
  std::string out;
  out.reserve(128 + rows * k * 22 * outputs.names.size());
  out += '{';
  AppendModelName(&out, model);
  if (!id.empty()) {
    out += ",\"id\":";
    AppendJsonString(&out, id);
  }
  out += ",\"outputs\":[";
  for (size_t i = 0; i < outputs.names.size(); ++i) {
    const std::string& name = outputs.names[i];
    const std::vector<double>& data = name == kOutputRawScore ? outputs.raw_score : outputs.prediction;
    if (i) out += ',';
    out += "{\"name\":";
    AppendJsonString(&out, name);
    out += ",\"datatype\":\"FP64\",\"shape\":[" + std::to_string(rows);
    if (k > 1) out += "," + std::to_string(k);
    out += "],\"data\":";
    AppendArray(&out, data, 0, data.size());
    out += '}';
  }
  out += "]}";
  return out;
}

std::string V2MetadataBody(const ServedModel& model) {
  const InputSchema& inputs = model.inputs();
  const size_t k = static_cast<size_t>(model.model().num_outputs());
  nlohmann::json doc = {{"name", model.identity().name},
                        {"versions", model.identity().version.empty() ? nlohmann::json::array()
                                                                      : nlohmann::json::array({model.identity().version})},
                        {"platform", "tessera"}};
  nlohmann::json in = nlohmann::json::array();
  for (size_t f = 0; f < inputs.num_features(); ++f) {
    if (inputs.is_derived(f)) continue;  // computed from its datetime input
    const bool text = inputs.mapper(f).kind() == data::BinMapper::Kind::kCategorical ||
                      inputs.feature_type(f) == data::ColumnType::kDatetime;
    in.push_back({{"name", inputs.feature_name(f)}, {"datatype", text ? "BYTES" : "FP32"}, {"shape", {-1}}});
  }
  doc["inputs"] = std::move(in);
  doc["outputs"] = nlohmann::json::array({
      {{"name", kOutputPrediction}, {"datatype", "FP64"}, {"shape", Shape(k)}},
      {{"name", kOutputRawScore}, {"datatype", "FP64"}, {"shape", Shape(k)}},
  });
  const auto& classes = model.model().reference().label_classes();
  if (k > 1 || !classes.empty()) doc["parameters"] = {{"classes", classes}};
  doc["parameters"]["objective"] = model.model().objective();
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ExplanationBody(const ServedModel& model, const std::vector<double>& shap,
                            const std::vector<double>& raw_scores, size_t rows) {
  const InputSchema& inputs = model.inputs();
  const size_t nf = inputs.num_features(), k = static_cast<size_t>(model.model().num_outputs()), width = nf + 1;
  std::string out;
  out.reserve(256 + rows * k * nf * 22);
  out += '{';
  AppendModelName(&out, model);
  out += ",\"features\":[";
  for (size_t f = 0; f < nf; ++f) {
    if (f) out += ',';
    AppendJsonString(&out, inputs.feature_name(f));
  }
  out += "],\"expected_value\":";
  if (k == 1) AppendJsonNumber(&out, model.expected_values()[0]);
  else AppendArray(&out, model.expected_values(), 0, k);
  out += ",\"raw_scores\":";
  AppendRows(&out, raw_scores, k);
  out += ",\"contributions\":[";
  for (size_t r = 0; r < rows; ++r) {
    if (r) out += ',';
    if (k > 1) out += '[';
    for (size_t c = 0; c < k; ++c) {
      if (c) out += ',';
      AppendArray(&out, shap, (r * k + c) * width, nf);
    }
    if (k > 1) out += ']';
  }
  out += "]}";
  return out;
}

std::string DriftBody(const ServedModel& model) {
  const DriftMonitor& drift = model.drift();
  const DriftMonitor::Snapshot snapshot = drift.Compute();
  const ModelIdentity& id = model.identity();
  std::string out = "{\"model_name\":";
  AppendJsonString(&out, id.name);
  out += ",\"model_version\":";
  AppendJsonString(&out, id.version);
  out += ",\"artifact\":";
  AppendJsonString(&out, id.artifact);
  out += drift.enabled() ? ",\"enabled\":true" : ",\"enabled\":false";
  out += ",\"window\":" + std::to_string(drift.window()) + ",\"rows\":" + std::to_string(snapshot.rows);
  out += ",\"thresholds\":{\"warn\":";
  AppendJsonNumber(&out, kPsiWarn);
  out += ",\"drift\":";
  AppendJsonNumber(&out, kPsiDrift);
  out += "},\"features\":[";
  const size_t features = drift.enabled() ? model.inputs().num_features() : 0;
  for (size_t f = 0; f < features; ++f) {
    if (f) out += ',';
    out += "{\"name\":";
    AppendJsonString(&out, model.inputs().feature_name(f));
    const bool known = f < snapshot.psi.size();
    const double psi = known ? snapshot.psi[f] : 0;
    out += ",\"psi\":";
    if (known) AppendJsonNumber(&out, psi);
    else out += "null";
    out += ",\"verdict\":";
    out += !known ? "\"no data\"" : psi >= kPsiDrift ? "\"drift\"" : psi >= kPsiWarn ? "\"warn\"" : "\"ok\"";
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace tessera::serve
