#include "tessera/models/gbdt/split.h"

#include <algorithm>
#include <cmath>

namespace tessera::models::gbdt {

namespace {

double ThresholdL1(double g, double l1) {
  if (g > l1) return g - l1;
  if (g < -l1) return g + l1;
  return 0;
}

struct SideCheck {
  const GradientScale& scale;
  const GbdtParams& p;
  bool Ok(const HistBin& side) const {
    return static_cast<int64_t>(side.n) >= p.min_data_in_leaf && side.n > 0 && scale.Hess(side.h) >= p.min_sum_hessian_in_leaf;
  }
};

}  // namespace

double LeafScore(double g, double h, double lambda_l1, double lambda_l2) {
  double t = ThresholdL1(g, lambda_l1);
  return t * t / (h + lambda_l2);
}

double LeafValue(double g, double h, double lambda_l1, double lambda_l2) {
  return -ThresholdL1(g, lambda_l1) / (h + lambda_l2);
}

SplitInfo FindBestNumericSplit(const HistBin* hist, uint32_t num_bins, const HistBin& total, const GradientScale& scale,
                               const GbdtParams& p, std::optional<uint64_t> random_draw) {
  SplitInfo best;
  if (num_bins < 3) return best;  // missing + one value bin: nothing to cut
  const SideCheck check{scale, p};
  const double parent = LeafScore(scale.Grad(total.g), scale.Hess(total.h), p.lambda_l1, p.lambda_l2);
  const HistBin missing = hist[0];
  auto consider = [&](const HistBin& left, uint32_t t, bool default_left) {
    HistBin right = total;
    right -= left;
    if (!check.Ok(left) || !check.Ok(right)) return;
    double gain = LeafScore(scale.Grad(left.g), scale.Hess(left.h), p.lambda_l1, p.lambda_l2) +
                  LeafScore(scale.Grad(right.g), scale.Hess(right.h), p.lambda_l1, p.lambda_l2) - parent;
    if (gain <= p.min_gain_to_split || gain <= 0) return;
    if (best.valid && gain <= best.gain) return;  // the first (lowest) threshold wins ties
    best.valid = true;
    best.gain = gain;
    best.threshold_bin = t;
    best.default_left = default_left;
    best.left = left;
    best.right = right;
  };
  // Extra trees: one threshold drawn uniformly between the node's lowest and highest occupied
  // value bins (as Geurts et al. draw between the node's minimum and maximum), so that both
  // sides hold rows.
  uint32_t only = 0;
  if (random_draw) {
    uint32_t lo = 1, hi = num_bins - 1;
    while (lo < num_bins && hist[lo].n == 0) ++lo;
    while (hi > lo && hist[hi].n == 0) --hi;
    if (hi <= lo) return best;  // one value (or none) in this node
    only = lo + static_cast<uint32_t>(*random_draw % (hi - lo));
  }
  HistBin cum;
  for (uint32_t t = 1; t + 1 < num_bins; ++t) {
    cum += hist[t];
    if (only != 0 && t != only) continue;
    // An empty bin cuts the rows as the threshold before it did, which won the tie already.
    if (only == 0 && hist[t].n == 0 && t > 1) continue;
    consider(cum, t, false);
    if (missing.n > 0) {
      HistBin with_missing = cum;
      with_missing += missing;
      consider(with_missing, t, true);
    }
  }
  return best;
}

namespace {

// Each category alone against the rest (and the missing values): for a feature of few categories
// this tries every useful split without LightGBM's guards for many categories.
SplitInfo FindBestOneVsRestSplit(const HistBin* hist, uint32_t num_bins, const HistBin& total, const GradientScale& scale,
                                 const GbdtParams& p, std::optional<uint64_t> random_draw) {
  SplitInfo best;
  best.categorical = true;
  const SideCheck check{scale, p};
  const double parent = LeafScore(scale.Grad(total.g), scale.Hess(total.h), p.lambda_l1, p.lambda_l2);
  // Extra trees: one category drawn.
  const uint32_t only = random_draw ? 1 + static_cast<uint32_t>(*random_draw % (num_bins - 1)) : 0;
  for (uint32_t b = 1; b < num_bins; ++b) {
    if (hist[b].n == 0 || (only != 0 && b != only)) continue;
    HistBin right = total;
    right -= hist[b];
    if (!check.Ok(hist[b]) || !check.Ok(right)) continue;
    const double gain = LeafScore(scale.Grad(hist[b].g), scale.Hess(hist[b].h), p.lambda_l1, p.lambda_l2) +
                        LeafScore(scale.Grad(right.g), scale.Hess(right.h), p.lambda_l1, p.lambda_l2) - parent;
    if (gain <= p.min_gain_to_split || gain <= 0 || (best.valid && gain <= best.gain)) continue;
    best.valid = true;
    best.gain = gain;
    best.left = hist[b];
    best.right = right;
    best.left_bins = {b};
  }
  return best;
}

}  // namespace

SplitInfo FindBestCategoricalSplit(const HistBin* hist, uint32_t num_bins, const HistBin& total,
                                   const GradientScale& scale, const GbdtParams& p, std::optional<uint64_t> random_draw) {
  if (num_bins < 2) return SplitInfo();
  if (num_bins - 1 <= static_cast<uint32_t>(p.max_cat_to_onehot))
    return FindBestOneVsRestSplit(hist, num_bins, total, scale, p, random_draw);
  SplitInfo best;
  best.categorical = true;
  // Categories of at least cat_smooth rows (as LightGBM), ordered by their mean gradient
  // (smoothed); rarer ones always go right with the missing values and unseen categories.
  std::vector<uint32_t> cats;
  for (uint32_t b = 1; b < num_bins; ++b)
    if (hist[b].n > 0 && static_cast<double>(hist[b].n) >= p.cat_smooth) cats.push_back(b);
  if (cats.size() < 2) return best;
  auto ratio = [&](uint32_t b) { return scale.Grad(hist[b].g) / (scale.Hess(hist[b].h) + p.cat_smooth); };
  std::stable_sort(cats.begin(), cats.end(), [&](uint32_t a, uint32_t b) { return ratio(a) < ratio(b); });
  const SideCheck check{scale, p};
  const double l2 = p.lambda_l2 + p.cat_l2;
  const double parent = LeafScore(scale.Grad(total.g), scale.Hess(total.h), p.lambda_l1, l2);
  const size_t max_left = std::min<size_t>(static_cast<size_t>(p.max_cat_threshold), (cats.size() + 1) / 2);
  // Extra trees: one prefix length drawn (both ends are still tried).
  const size_t only = random_draw ? 1 + static_cast<size_t>(*random_draw % max_left) : 0;
  for (int direction = 0; direction < 2; ++direction) {
    HistBin left;
    int64_t group = 0;  // rows added to the left since the last threshold tried
    for (size_t k = 0; k < max_left; ++k) {
      uint32_t b = direction == 0 ? cats[k] : cats[cats.size() - 1 - k];
      left += hist[b];
      group += hist[b].n;
      if (!check.Ok(left)) continue;
      HistBin right = total;
      right -= left;
      // The right side only shrinks from here on.
      if (!check.Ok(right) || static_cast<int64_t>(right.n) < p.min_data_per_group) break;
      // Thresholds at least min_data_per_group rows apart: a threshold past a few rare
      // categories fits noise.
      if (group < p.min_data_per_group) continue;
      group = 0;
      if (only != 0 && k + 1 != only) continue;
      double gain = LeafScore(scale.Grad(left.g), scale.Hess(left.h), p.lambda_l1, l2) +
                    LeafScore(scale.Grad(right.g), scale.Hess(right.h), p.lambda_l1, l2) - parent;
      if (gain <= p.min_gain_to_split || gain <= 0 || (best.valid && gain <= best.gain)) continue;
      best.valid = true;
      best.gain = gain;
      best.left = left;
      best.right = right;
      best.left_bins.clear();
      for (size_t i = 0; i <= k; ++i) best.left_bins.push_back(direction == 0 ? cats[i] : cats[cats.size() - 1 - i]);
      std::sort(best.left_bins.begin(), best.left_bins.end());
    }
  }
  return best;
}

}  // namespace tessera::models::gbdt
