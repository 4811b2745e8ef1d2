#include "tessera/explain/partial_dependence.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace tessera::explain {

namespace {

// The feature's bins that occur in the data (not missing), thinned to at most `points` at evenly
// spaced quantiles of the rows.
GridAxis MakeAxis(const data::BinnedDataset& ds, size_t feature, size_t points) {
  const data::BinMapper& m = ds.mappers()[feature];
  std::vector<size_t> counts(m.num_bins(), 0);
  size_t present = 0;
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    const uint32_t b = ds.bin(r, feature);
    if (b != data::BinMapper::kMissingBin) ++counts[b], ++present;
  }
  GridAxis axis;
  axis.feature = feature;
  std::vector<uint32_t> seen;
  for (uint32_t b = 1; b < m.num_bins(); ++b)
    if (counts[b] > 0) seen.push_back(b);
  if (seen.size() <= points || m.kind() == data::BinMapper::Kind::kCategorical) {
    // Categories: the most frequent ones, in bin order.
    if (seen.size() > points) {
      std::stable_sort(seen.begin(), seen.end(), [&](uint32_t a, uint32_t b) { return counts[a] > counts[b]; });
      seen.resize(points);
      std::sort(seen.begin(), seen.end());
    }
    axis.bins = seen;
  } else {
    size_t cumulative = 0, next = 0;
    for (uint32_t b : seen) {
      cumulative += counts[b];
      // Grid point q sits at quantile (q + 0.5) / points.
      while (next < points && static_cast<double>(cumulative) >= (static_cast<double>(next) + 0.5) / static_cast<double>(points) * static_cast<double>(present)) {
        if (axis.bins.empty() || axis.bins.back() != b) axis.bins.push_back(b);
        ++next;
      }
    }
  }
  for (uint32_t b : axis.bins) {
    axis.labels.push_back(BinLabel(m, b));
    axis.values.push_back(BinValue(m, b));
  }
  return axis;
}

void SetColumn(data::BinnedDataset* ds, size_t feature, uint32_t bin) {
  const size_t nf = ds->num_features();
  if (ds->bytes_per_cell() == 1) {
    for (size_t r = 0; r < ds->num_rows(); ++r) ds->mutable_cells()[r * nf + feature] = static_cast<uint8_t>(bin);
  } else {
    auto* cells = reinterpret_cast<uint16_t*>(ds->mutable_cells());
    for (size_t r = 0; r < ds->num_rows(); ++r) cells[r * nf + feature] = static_cast<uint16_t>(bin);
  }
}

}  // namespace

double BinValue(const data::BinMapper& m, uint32_t bin) {
  if (m.kind() != data::BinMapper::Kind::kNumeric || bin == data::BinMapper::kMissingBin) return std::nan("");
  const auto& t = m.thresholds();
  if (t.empty()) return 0;
  return bin - 1 < t.size() ? t[bin - 1] : t.back();
}

std::string BinLabel(const data::BinMapper& m, uint32_t bin) {
  if (bin == data::BinMapper::kMissingBin) return "missing";
  if (m.kind() == data::BinMapper::Kind::kCategorical)
    return bin - 1 < m.categories().size() ? m.categories()[bin - 1] : "other";
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, static_cast<float>(BinValue(m, bin))).ptr;
  return std::string(text, end);
}

Result<PartialDependence> ComputePartialDependence(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds,
                                                   const PartialDependenceOptions& options) {
  if (options.features.empty() || options.features.size() > 2)
    return Status::UserError("partial dependence takes one or two features");
  if (options.ice && options.features.size() != 1) return Status::UserError("ICE curves are for one feature");
  if (options.grid_points < 2) return Status::UserError("the grid needs at least 2 points");
  if (ds.num_rows() == 0) return Status::UserError("partial dependence needs rows of data");
  for (size_t f : options.features)
    if (f >= ds.num_features()) return Status::UserError("feature index out of range");
  PartialDependence pd;
  pd.outputs = static_cast<size_t>(model.num_outputs());
  for (size_t f : options.features) pd.axes.push_back(MakeAxis(ds, f, options.grid_points));
  const size_t n = ds.num_rows(), K = pd.outputs;
  const size_t first = pd.axes[0].bins.size(), second = pd.axes.size() > 1 ? pd.axes[1].bins.size() : 1;
  pd.average.assign(first * second * K, 0.0);
  if (options.ice) pd.ice.assign(n * first * K, 0.0);
  data::BinnedDataset grid = ds;
  for (size_t i = 0; i < first; ++i) {
    SetColumn(&grid, pd.axes[0].feature, pd.axes[0].bins[i]);
    for (size_t j = 0; j < second; ++j) {
      if (pd.axes.size() > 1) SetColumn(&grid, pd.axes[1].feature, pd.axes[1].bins[j]);
      const std::vector<double> preds = options.raw_score ? model.PredictRaw(grid, options.threads) : model.Predict(grid, options.threads);
      double* avg = &pd.average[(i * second + j) * K];
      for (size_t r = 0; r < n; ++r)
        for (size_t k = 0; k < K; ++k) avg[k] += preds[r * K + k];
      for (size_t k = 0; k < K; ++k) avg[k] /= static_cast<double>(n);
      if (options.ice)
        for (size_t r = 0; r < n; ++r)
          for (size_t k = 0; k < K; ++k) pd.ice[(r * first + i) * K + k] = preds[r * K + k];
    }
  }
  return pd;
}

}  // namespace tessera::explain
