// Evaluation metrics: the numbers printed per boosting iteration and by `tessera eval`.
// Each takes labels, predictions (probabilities for classification, values for regression) and
// optional weights (empty = all 1), and matches scikit-learn's definition of the same name.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::metrics {

// Area under the ROC curve (ties between scores count half, as sklearn.metrics.roc_auc_score).
// NaN when only one class is present.
double Auc(std::span<const float> labels, std::span<const double> scores, std::span<const float> weights = {});
// Mean binary cross-entropy; probabilities are clipped to [1e-15, 1 - 1e-15] like sklearn.
double LogLoss(std::span<const float> labels, std::span<const double> probs, std::span<const float> weights = {});
// Share of rows whose predicted class (prob > 0.5) differs from the label.
double BinaryError(std::span<const float> labels, std::span<const double> probs, std::span<const float> weights = {});
double Rmse(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights = {});
double Mae(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights = {});
double R2(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights = {});
// Multiclass: `probs` is row-major rows x classes.
double MultiLogLoss(std::span<const float> labels, std::span<const double> probs, size_t classes,
                    std::span<const float> weights = {});
double MultiError(std::span<const float> labels, std::span<const double> probs, size_t classes,
                  std::span<const float> weights = {});

// Whether a larger value of the metric is better (for early stopping).
bool HigherIsBetter(std::string_view metric);
// The metric names known: auc, logloss (binary_logloss), error (binary_error), rmse (l2_root),
// mae (l1), r2, multi_logloss, multi_error. Returns the canonical name, or nullopt.
std::optional<std::string> CanonicalMetricName(std::string_view name);

// The metric `name` (any alias above) of predictions with `outputs` values per row (multi_*
// need outputs > 1, the others 1). Unknown names and mismatched outputs are user errors.
Result<double> Evaluate(std::string_view name, std::span<const float> labels, std::span<const double> preds, size_t outputs,
                        std::span<const float> weights = {});

}  // namespace tessera::metrics
