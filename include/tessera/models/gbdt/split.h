// Split finding: given a node's histogram, the best way to cut it on one feature.
// Numeric features try every bin boundary with missing values sent left and then right (the
// learned default direction). Categorical features order their categories by gradient
// statistics and try the best prefix from either end (many-vs-many, as LightGBM does).
// Extra trees (a random draw given): numeric features try one threshold drawn between the node's lowest and
// highest occupied bins, with missing values sent either way; categorical features keep the gradient order and cut it
// at one random prefix length, taken from either end.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tessera/models/gbdt/histogram.h"
#include "tessera/models/gbdt/params.h"

namespace tessera::models::gbdt {

struct SplitInfo {
  bool valid = false;
  double gain = 0;
  int feature = -1;
  bool categorical = false;
  uint32_t threshold_bin = 0;          // numeric: bins 1..threshold_bin go left
  bool default_left = false;           // where missing values (bin 0) go
  std::vector<uint32_t> left_bins;     // categorical: the bins that go left (sorted)
  HistBin left, right;                 // sums of each side
};

// Regularised score of a node with gradient sum G and hessian sum H: ThresholdL1(G)^2 / (H + l2).
double LeafScore(double g, double h, double lambda_l1, double lambda_l2);
// Leaf value (before the learning rate): -ThresholdL1(G) / (H + l2).
double LeafValue(double g, double h, double lambda_l1, double lambda_l2);

// Best split of `feature` whose histogram is hist[0..num_bins) for a node with totals `total`.
// Returns an invalid split when no cut satisfies the constraints or gains more than
// min_gain_to_split.
// With `random_draw` (extra trees), only the cut that the draw picks is tried.
SplitInfo FindBestNumericSplit(const HistBin* hist, uint32_t num_bins, const HistBin& total, const GradientScale& scale,
                               const GbdtParams& params, std::optional<uint64_t> random_draw = std::nullopt);
// Categorical, as LightGBM: up to max_cat_to_onehot categories, each one alone against the rest;
// more are ordered by smoothed mean gradient and a prefix from either end goes left.
SplitInfo FindBestCategoricalSplit(const HistBin* hist, uint32_t num_bins, const HistBin& total,
                                   const GradientScale& scale, const GbdtParams& params,
                                   std::optional<uint64_t> random_draw = std::nullopt);

}  // namespace tessera::models::gbdt
