#include "tessera/explain/importance.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "tessera/metrics/metrics.h"

namespace tessera::explain {

TreeImportance ComputeTreeImportance(const models::gbdt::GbdtModel& model) {
  const size_t nf = model.reference().num_features();
  TreeImportance imp{std::vector<double>(nf, 0.0), std::vector<double>(nf, 0.0)};
  for (const auto& tree : model.trees())
    for (const auto& node : tree.nodes()) {
      imp.split_count[static_cast<size_t>(node.feature)] += 1;
      imp.total_gain[static_cast<size_t>(node.feature)] += node.gain;
    }
  return imp;
}

std::vector<double> MeanAbsShap(const std::vector<double>& shap, size_t rows, size_t outputs, size_t features) {
  std::vector<double> mean(features, 0.0);
  if (rows == 0) return mean;
  for (size_t r = 0; r < rows * outputs; ++r)
    for (size_t f = 0; f < features; ++f) mean[f] += std::abs(shap[r * (features + 1) + f]);
  for (double& m : mean) m /= static_cast<double>(rows);
  return mean;
}

std::string DefaultMetric(const std::string& objective) {
  if (objective == "binary") return "auc";
  if (objective == "multiclass") return "multi_logloss";
  if (objective == "l1") return "mae";
  return "rmse";
}

Result<PermutationImportance> ComputePermutationImportance(const models::gbdt::GbdtModel& model,
                                                           const data::BinnedDataset& ds,
                                                           const PermutationOptions& options) {
  if (!ds.has_labels()) return Status::UserError("permutation importance needs the label column in the data");
  if (ds.num_rows() < 2) return Status::UserError("permutation importance needs at least 2 rows");
  if (options.repeats < 1) return Status::UserError("--repeats must be at least 1");
  PermutationImportance result;
  result.metric = options.metric.empty() ? DefaultMetric(model.params().objective) : options.metric;
  const size_t K = static_cast<size_t>(model.num_outputs());
  auto score = [&](const data::BinnedDataset& d) {
    return metrics::Evaluate(result.metric, d.labels(), model.Predict(d, options.threads), K, d.weights());
  };
  TESSERA_ASSIGN_OR_RETURN(result.baseline, score(ds));
  const bool higher_better = metrics::HigherIsBetter(*metrics::CanonicalMetricName(result.metric));
  const size_t nf = ds.num_features(), n = ds.num_rows(), width = static_cast<size_t>(ds.bytes_per_cell());
  data::BinnedDataset shuffled = ds;  // one column at a time is shuffled, then put back
  result.mean.assign(nf, 0.0);
  result.stddev.assign(nf, 0.0);
  std::vector<uint32_t> order(n);
  for (size_t f = 0; f < nf; ++f) {
    std::vector<double> losses;
    for (int rep = 0; rep < options.repeats; ++rep) {
      // A stream per (seed, feature, repeat): the same shuffles whatever else is computed.
      std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ull + f * 1000003ull + static_cast<uint64_t>(rep));
      for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
      std::shuffle(order.begin(), order.end(), rng);
      for (size_t r = 0; r < n; ++r)
        std::memcpy(shuffled.mutable_cells() + (r * nf + f) * width, ds.cells() + (order[r] * nf + f) * width, width);
      TESSERA_ASSIGN_OR_RETURN(double value, score(shuffled));
      losses.push_back(higher_better ? result.baseline - value : value - result.baseline);
    }
    for (size_t r = 0; r < n; ++r)
      std::memcpy(shuffled.mutable_cells() + (r * nf + f) * width, ds.cells() + (r * nf + f) * width, width);
    double mean = 0;
    for (double l : losses) mean += l;
    mean /= static_cast<double>(losses.size());
    double var = 0;
    for (double l : losses) var += (l - mean) * (l - mean);
    result.mean[f] = mean;
    result.stddev[f] = std::sqrt(var / static_cast<double>(losses.size()));  // as numpy.std, like scikit-learn
  }
  return result;
}

}  // namespace tessera::explain
