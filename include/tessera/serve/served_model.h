// ServedModel: one loaded model (any family: gbdt or linear) as the server uses it — the model, its identity (name, registry
// version, artifact hash), the input schema requests are decoded against, the SHAP expected
// values, and the drift window of the rows it has received. Created whole by Create() (which
// refuses a model that cannot predict), then shared read-only by the request threads through a
// std::shared_ptr: a hot reload swaps the pointer, and requests in flight keep the old model
// alive until they finish. Thread-safe (drift() locks inside).
#pragma once

#include <memory>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/model.h"
#include "tessera/serve/request_decoder.h"
#include "tessera/serve/drift_monitor.h"
#include "tessera/serve/input_schema.h"
#include "tessera/serve/model_source.h"

namespace tessera::serve {

class ServedModel {
 public:
  // Checks the model (one all-missing row must predict finite scores) and prepares it for
  // serving; `drift_window` rows are kept for the drift gauges.
  static Result<std::shared_ptr<const ServedModel>> Create(models::Model model, ModelIdentity identity, size_t drift_window);
  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  const models::Model& model() const { return model_; }
  const ModelIdentity& identity() const { return identity_; }
  const InputSchema& inputs() const { return inputs_; }
  // Expected raw score per output (the SHAP base value).
  const std::vector<double>& expected_values() const { return expected_values_; }
  DriftMonitor& drift() const { return drift_; }

  // Scores of decoded rows: rows x outputs, transformed (probabilities, values) unless `raw`.
  std::vector<double> Predict(const DecodedRequest& request, bool raw) const;
  // Applies the model's link to raw scores in place.
  void Transform(std::vector<double>* scores) const;
  // SHAP values of decoded rows (explain::ShapValues' layout): TreeSHAP, or linear SHAP.
  std::vector<double> Shap(const DecodedRequest& request) const;

 private:
  ServedModel(models::Model model, ModelIdentity identity, size_t drift_window);
  models::Model model_;
  ModelIdentity identity_;
  InputSchema inputs_;  // points into model_.reference(): the object never moves
  std::vector<double> expected_values_;
  mutable DriftMonitor drift_;
};

}  // namespace tessera::serve
