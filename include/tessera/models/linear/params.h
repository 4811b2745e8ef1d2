// Parameters of the linear family: the objective, the penalty (lambda, l1_ratio; see
// solvers.h for the objective and its scikit-learn equivalents), the solver's limits and the
// feature pipeline's settings. Set from key=value strings like the GBDT parameters; every bad
// value is rejected naming the parameter and its valid range.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tessera/core/status.h"

namespace tessera::models::linear {

struct LinearParams {
  std::string objective = "binary";  // binary, multiclass (softmax), regression (squared loss)
  double lambda = 1e-4;              // penalty strength, >= 0
  double l1_ratio = 0;               // share of L1 in the penalty: 0 ridge/L2 ... 1 lasso/L1
  int max_iterations = 0;            // quasi-Newton steps or CD sweeps; 0 = 1000 steps / 10000 sweeps
  double tolerance = 1e-7;           // solver stopping tolerance
  int num_class = 1;                 // multiclass: number of classes (from the labels when 1)
  int num_threads = 0;               // 0 = all cores
  uint64_t seed = 0;                 // deals rows into target-encoding folds
  int max_bin = 255;                 // bins of the reference (drift) and categories kept per feature
  std::string impute = "mean";       // mean or median
  int one_hot_max_levels = 16;       // categorical features with more levels are target+frequency encoded
  int target_encoding_folds = 5;     // out-of-fold target encoding: folds
  double target_smoothing = 10;      // target encoding: pseudo-rows of the prior

  nlohmann::json ToJson() const;
};

// Applies "key" -> "value" settings (unknown keys and out-of-range values are errors), then
// ValidateLinearParams unless `validate` is false.
Status ApplyLinearParams(const std::map<std::string, std::string>& settings, LinearParams* params, bool validate = true);
Status ValidateLinearParams(const LinearParams& params);
Result<LinearParams> LinearParamsFromJson(const nlohmann::json& j);

}  // namespace tessera::models::linear
