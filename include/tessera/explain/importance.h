// Global feature importance: from the trees (split count, total gain), from SHAP values (mean
// |SHAP|), and model-agnostic permutation importance (how much a metric worsens when one
// feature's values are shuffled between rows, with repeats and their standard deviation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::explain {

struct TreeImportance {
  std::vector<double> split_count;  // per feature: splits on it over all trees
  std::vector<double> total_gain;   // per feature: the sum of those splits' gains
};
TreeImportance ComputeTreeImportance(const models::gbdt::GbdtModel& model);

// Mean over rows (and outputs) of |SHAP value| per feature, from ShapValues' layout.
std::vector<double> MeanAbsShap(const std::vector<double>& shap, size_t rows, size_t outputs, size_t features);

struct PermutationOptions {
  std::string metric;   // empty: the objective's default (auc, rmse, multi_logloss, ...)
  int repeats = 5;
  uint64_t seed = 0;
  int threads = 0;
};
struct PermutationImportance {
  std::string metric;
  double baseline = 0;              // the metric on the data as it is
  std::vector<double> mean, stddev; // per feature: the metric's loss (positive = the feature helps)
};
// `ds` must be read with the model's bins and have labels.
Result<PermutationImportance> ComputePermutationImportance(const models::gbdt::GbdtModel& model,
                                                           const data::BinnedDataset& ds,
                                                           const PermutationOptions& options);

// The metric an objective is judged by when none is named.
std::string DefaultMetric(const std::string& objective);

}  // namespace tessera::explain
