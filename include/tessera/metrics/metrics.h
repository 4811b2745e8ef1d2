// Evaluation metrics: the numbers printed per boosting iteration and by `tessera eval`.
// Each takes labels, predictions (probabilities for classification, values for regression) and
// optional weights (empty = all 1), and matches scikit-learn's definition of the same name.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
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

// Population stability index of `actual` against `expected` (counts per bin, same bins):
// sum over bins of (a - e) * ln(a / e) with a, e the bins' shares; empty bins count as a share of
// 0.5 / total so that the index stays finite. 0 = same distribution; > 0.25 is usually read as a
// major shift, 0.1 - 0.25 as a moderate one.
double Psi(std::span<const uint64_t> expected, std::span<const uint64_t> actual);
// The same over coarser bins: bin 0 (missing values) alone, the others merged in order into
// about `groups` groups of equal expected share (deciles for 10). Fine bins with few rows each
// make PSI large by chance alone; the usual reading thresholds assume about ten bins.
double GroupedPsi(std::span<const uint64_t> expected, std::span<const uint64_t> actual, size_t groups = 10);

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
