#include "tessera/explain/model_shap.h"

#include "tessera/explain/linear_shap.h"
#include "tessera/explain/tree_shap.h"

namespace tessera::explain {

std::vector<double> ModelShapValues(const models::Model& model, const data::BinnedDataset& bins,
                                    const data::CodedRows& values, int threads) {
  if (model.gbdt()) return ShapValues(*model.gbdt(), bins, threads);
  if (model.linear()) return LinearShapValues(*model.linear(), values);
  std::vector<double> sum;
  for (const models::BlendMember& m : *model.blend()) {
    const std::vector<double> part = ModelShapValues(m.model, bins, values, threads);
    if (sum.empty()) sum.assign(part.size(), 0.0);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += m.weight * part[i];
  }
  return sum;
}

std::vector<double> ModelExpectedValues(const models::Model& model) {
  if (model.gbdt()) return ExpectedValues(*model.gbdt());
  if (model.linear()) return model.linear()->intercept();
  std::vector<double> sum(static_cast<size_t>(model.num_outputs()), 0.0);
  for (const models::BlendMember& m : *model.blend()) {
    const std::vector<double> part = ModelExpectedValues(m.model);
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += m.weight * part[k];
  }
  return sum;
}

}  // namespace tessera::explain
