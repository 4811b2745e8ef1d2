// Early stopping for cross-validated boosting, as LightGBM's and XGBoost's cv do it: every fold
// stops at one round count, the one whose mean metric over the folds is best. A fold stopped at
// its own best round scores the best of a noisy curve; over thousands of trials on a few hundred
// rows that favours the settings whose curves are noisiest.
#pragma once

#include <cstddef>
#include <vector>

namespace tessera::automl {

// Rounds since the best value of one fold's metric curve (curve[i]: after round i + 1); the
// latest of equal values counts as the best. 0 for an empty curve.
int RoundsSinceBest(const std::vector<double>& curve, bool higher_is_better);

// The round count (1-based) whose mean metric over the folds' curves is best, among the rounds
// every fold reached; the fewest rounds of equal means. 0 when a curve is empty.
size_t BestCommonRound(const std::vector<std::vector<double>>& curves, bool higher_is_better);

}  // namespace tessera::automl
