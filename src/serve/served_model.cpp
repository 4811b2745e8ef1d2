#include "tessera/serve/served_model.h"

#include <cmath>

#include "tessera/explain/tree_shap.h"

namespace tessera::serve {

namespace {

// The reference counts when they describe the model's features, else none (drift off).
std::vector<std::vector<uint64_t>> UsableReferenceCounts(const models::gbdt::GbdtModel& model) {
  const auto& counts = model.reference_counts();
  const auto& mappers = model.reference().mappers();
  if (counts.size() != mappers.size()) return {};
  for (size_t f = 0; f < counts.size(); ++f)
    if (counts[f].size() != mappers[f].num_bins()) return {};
  return counts;
}

}  // namespace

ServedModel::ServedModel(models::gbdt::GbdtModel model, ModelIdentity identity, size_t drift_window)
    : model_(std::move(model)),
      identity_(std::move(identity)),
      inputs_(model_.reference()),
      expected_values_(explain::ExpectedValues(model_)),
      drift_(UsableReferenceCounts(model_), drift_window) {}

Result<std::shared_ptr<const ServedModel>> ServedModel::Create(models::gbdt::GbdtModel model, ModelIdentity identity,
                                                               size_t drift_window) {
  if (model.num_outputs() < 1 || model.reference().num_features() == 0)
    return Status::UserError(DescribeModel(identity) + ": the model has no outputs or no features");
  std::shared_ptr<const ServedModel> served(new ServedModel(std::move(model), std::move(identity), drift_window));
  data::BinnedDataset probe = served->inputs().NewRows(1);
  for (size_t f = 0; f < probe.num_features(); ++f) SetBin(&probe, 0, f, data::BinMapper::kMissingBin);
  for (double score : served->Predict(probe, false))
    if (!std::isfinite(score))
      return Status::UserError(DescribeModel(served->identity()) + ": the model predicts " + std::to_string(score) +
                               " for a row of missing values; refusing to serve it");
  return served;
}

std::vector<double> ServedModel::Predict(const data::BinnedDataset& rows, bool raw) const {
  // One thread: the HTTP server's worker threads are the parallelism.
  std::vector<double> scores = model_.PredictRaw(rows, 1);
  if (!raw) model_.Transform(&scores);
  return scores;
}

}  // namespace tessera::serve
