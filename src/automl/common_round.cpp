#include "tessera/automl/common_round.h"

#include <algorithm>

namespace tessera::automl {

int RoundsSinceBest(const std::vector<double>& curve, bool higher_is_better) {
  size_t best = 0;
  for (size_t i = 1; i < curve.size(); ++i)
    if (higher_is_better ? curve[i] >= curve[best] : curve[i] <= curve[best]) best = i;
  return curve.empty() ? 0 : static_cast<int>(curve.size() - 1 - best);
}

size_t BestCommonRound(const std::vector<std::vector<double>>& curves, bool higher_is_better) {
  if (curves.empty()) return 0;
  size_t reached = curves[0].size();
  for (const auto& curve : curves) reached = std::min(reached, curve.size());
  size_t best = 0;
  double best_mean = 0;
  for (size_t i = 0; i < reached; ++i) {
    double mean = 0;
    for (const auto& curve : curves) mean += curve[i] / static_cast<double>(curves.size());
    if (best == 0 || (higher_is_better ? mean > best_mean : mean < best_mean)) best = i + 1, best_mean = mean;
  }
  return best;
}

}  // namespace tessera::automl
