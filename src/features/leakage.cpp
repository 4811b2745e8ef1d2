#include "tessera/features/leakage.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace tessera::features {

namespace {

// AUC of scoring each row by its bin's positive rate; ties (rows of bins with equal rates) count half.
double BinAuc(const std::vector<double>& pos, const std::vector<double>& neg) {
  std::vector<size_t> order(pos.size());
  std::iota(order.begin(), order.end(), 0);
  auto rate = [&](size_t b) { return pos[b] / std::max(1e-300, pos[b] + neg[b]); };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rate(a) < rate(b); });
  const double total_pos = std::accumulate(pos.begin(), pos.end(), 0.0);
  const double total_neg = std::accumulate(neg.begin(), neg.end(), 0.0);
  if (total_pos == 0 || total_neg == 0) return 0.5;
  double below_neg = 0, concordant = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    double p = 0, n = 0;
    for (; j < order.size() && rate(order[j]) == rate(order[i]); ++j) p += pos[order[j]], n += neg[order[j]];
    concordant += p * below_neg + 0.5 * p * n;
    below_neg += n;
    i = j;
  }
  return concordant / (total_pos * total_neg);
}

}  // namespace

std::vector<LeakageWarning> FindProbableLeakage(const data::BinnedDataset& ds, const std::string& objective,
                                                double threshold) {
  std::vector<LeakageWarning> out;
  const auto& y = ds.labels();
  const size_t n = ds.num_rows();
  if (y.empty() || n < 10) return out;
  for (size_t f = 0; f < ds.num_features(); ++f) {
    const size_t bins = ds.mappers()[f].num_bins();
    LeakageWarning w{ds.feature_name(f), "", 0};
    if (objective == "binary") {
      std::vector<double> pos(bins, 0), neg(bins, 0);
      for (size_t r = 0; r < n; ++r) (y[r] > 0.5f ? pos : neg)[ds.bin(r, f)] += 1;
      w.measure = "auc";
      w.value = BinAuc(pos, neg);
    } else if (objective == "multiclass") {
      std::vector<std::map<float, double>> counts(bins);
      for (size_t r = 0; r < n; ++r) counts[ds.bin(r, f)][y[r]] += 1;
      double right = 0;
      for (const auto& c : counts) {
        double most = 0;
        for (const auto& [label, count] : c) most = std::max(most, count);
        right += most;
      }
      w.measure = "accuracy";
      w.value = right / static_cast<double>(n);
    } else {
      std::vector<double> sum(bins, 0), count(bins, 0);
      double mean = 0;
      for (size_t r = 0; r < n; ++r) sum[ds.bin(r, f)] += y[r], count[ds.bin(r, f)] += 1, mean += y[r];
      mean /= static_cast<double>(n);
      double residual = 0, total = 0;
      for (size_t r = 0; r < n; ++r) {
        const size_t b = ds.bin(r, f);
        const double fit = sum[b] / count[b];
        residual += (y[r] - fit) * (y[r] - fit);
        total += (y[r] - mean) * (y[r] - mean);
      }
      w.measure = "r2";
      w.value = total > 0 ? 1 - residual / total : 0;
    }
    if (w.value >= threshold) out.push_back(w);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.value > b.value; });
  return out;
}

}  // namespace tessera::features
