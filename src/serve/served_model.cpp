#include "tessera/serve/served_model.h"

#include <cmath>

#include "json_cell.h"
#include "tessera/explain/model_shap.h"

namespace tessera::serve {

namespace {

// The reference counts when they describe the model's features, else none (drift off).
std::vector<std::vector<uint64_t>> UsableReferenceCounts(const models::Model& model) {
  const auto& counts = model.reference_counts();
  const auto& mappers = model.reference().mappers();
  if (counts.size() != mappers.size()) return {};
  for (size_t f = 0; f < counts.size(); ++f)
    if (counts[f].size() != mappers[f].num_bins()) return {};
  return counts;
}

}  // namespace

ServedModel::ServedModel(models::Model model, ModelIdentity identity, size_t drift_window)
    : model_(std::move(model)),
      identity_(std::move(identity)),
      inputs_(model_.reference()),
      expected_values_(explain::ModelExpectedValues(model_)),
      drift_(UsableReferenceCounts(model_), drift_window) {}

Result<std::shared_ptr<const ServedModel>> ServedModel::Create(models::Model model, ModelIdentity identity, size_t drift_window) {
  if (model.num_outputs() < 1 || model.reference().num_features() == 0)
    return Status::UserError(DescribeModel(identity) + ": the model has no outputs or no features");
  std::shared_ptr<const ServedModel> served(new ServedModel(std::move(model), std::move(identity), drift_window));
  DecodedRequest probe = NewRequest(served->inputs(), 1);
  for (size_t f = 0; f < served->inputs().num_features(); ++f) {
    const bool categorical = served->inputs().mapper(f).kind() == data::BinMapper::Kind::kCategorical;
    SetCell(&probe, 0, f, categorical ? static_cast<float>(data::BinMapper::kMissingBin) : std::nanf(""), served->inputs());
  }
  for (double score : served->Predict(probe, false))
    if (!std::isfinite(score))
      return Status::UserError(DescribeModel(served->identity()) + ": the model predicts " + std::to_string(score) +
                               " for a row of missing values; refusing to serve it");
  return served;
}

std::vector<double> ServedModel::Predict(const DecodedRequest& request, bool raw) const {
  // One thread: the HTTP server's worker threads are the parallelism.
  std::vector<double> scores = model_.PredictRaw(request.rows, request.cells, 1);
  if (!raw) Transform(&scores);
  return scores;
}

void ServedModel::Transform(std::vector<double>* scores) const { model_.Transform(scores); }

std::vector<double> ServedModel::Shap(const DecodedRequest& request) const {
  return explain::ModelShapValues(model_, request.rows, request.cells, 1);
}

}  // namespace tessera::serve
