#include "tessera/automl/ensemble_selection.h"

#include <limits>

namespace tessera::automl {

Result<EnsembleSelection> SelectEnsemble(const std::vector<std::vector<std::vector<double>>>& predictions,
                                         const std::function<Result<double>(size_t, const std::vector<double>&)>& loss,
                                         int additions) {
  const size_t models = predictions.size();
  if (models == 0 || additions < 1) return Status::UserError("ensemble selection needs models and additions");
  const size_t folds = predictions[0].size();
  std::vector<std::vector<double>> sum(folds);
  for (size_t f = 0; f < folds; ++f) sum[f].assign(predictions[0][f].size(), 0.0);
  std::vector<int> counts(models, 0), best_counts;
  double best_loss = std::numeric_limits<double>::infinity();
  std::vector<double> averaged;
  for (int added = 1; added <= additions; ++added) {
    size_t pick = 0;
    double pick_loss = std::numeric_limits<double>::infinity();
    for (size_t m = 0; m < models; ++m) {
      double total = 0;
      for (size_t f = 0; f < folds; ++f) {
        const auto& p = predictions[m][f];
        averaged.resize(p.size());
        for (size_t i = 0; i < p.size(); ++i) averaged[i] = (sum[f][i] + p[i]) / added;
        TESSERA_ASSIGN_OR_RETURN(const double l, loss(f, averaged));
        total += l;
      }
      total /= static_cast<double>(folds);
      if (total < pick_loss) {
        pick_loss = total;
        pick = m;
      }
    }
    for (size_t f = 0; f < folds; ++f)
      for (size_t i = 0; i < sum[f].size(); ++i) sum[f][i] += predictions[pick][f][i];
    ++counts[pick];
    if (pick_loss < best_loss) {
      best_loss = pick_loss;
      best_counts = counts;
    }
  }
  EnsembleSelection selection;
  selection.loss = best_loss;
  int total = 0;
  for (int c : best_counts) total += c;
  for (int c : best_counts) selection.weights.push_back(static_cast<double>(c) / total);
  return selection;
}

}  // namespace tessera::automl
