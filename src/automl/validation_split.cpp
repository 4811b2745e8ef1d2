#include "tessera/automl/validation_split.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace tessera::automl {

namespace {

// Rows grouped by class (one group when not stratified), each group shuffled.
std::vector<std::vector<size_t>> ShuffledGroups(const data::BinnedDataset& ds, int classes, uint64_t seed) {
  std::vector<std::vector<size_t>> groups(static_cast<size_t>(std::max(classes, 1)));
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    size_t g = 0;
    if (classes > 0) g = std::min<size_t>(static_cast<size_t>(std::max(0.0f, ds.labels()[r])), groups.size() - 1);
    groups[g].push_back(r);
  }
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 5);
  for (auto& g : groups) std::shuffle(g.begin(), g.end(), rng);
  return groups;
}

}  // namespace

std::vector<Fold> HoldoutSplit(const data::BinnedDataset& ds, double valid_fraction, int classes, uint64_t seed) {
  Fold fold;
  for (const auto& group : ShuffledGroups(ds, classes, seed)) {
    const size_t n_valid = static_cast<size_t>(std::llround(valid_fraction * static_cast<double>(group.size())));
    fold.valid.insert(fold.valid.end(), group.begin(), group.begin() + static_cast<std::ptrdiff_t>(n_valid));
    fold.train.insert(fold.train.end(), group.begin() + static_cast<std::ptrdiff_t>(n_valid), group.end());
  }
  std::sort(fold.train.begin(), fold.train.end());
  std::sort(fold.valid.begin(), fold.valid.end());
  return {fold};
}

std::vector<Fold> KFoldSplit(const data::BinnedDataset& ds, int folds, int classes, uint64_t seed) {
  const size_t k = static_cast<size_t>(folds);
  std::vector<std::vector<size_t>> members(k);
  size_t next = 0;  // deal rows round robin, class after class, so every fold gets its share
  for (const auto& group : ShuffledGroups(ds, classes, seed))
    for (size_t r : group) members[next++ % k].push_back(r);
  std::vector<Fold> out(k);
  for (size_t f = 0; f < k; ++f) {
    out[f].valid = members[f];
    for (size_t g = 0; g < k; ++g)
      if (g != f) out[f].train.insert(out[f].train.end(), members[g].begin(), members[g].end());
    std::sort(out[f].train.begin(), out[f].train.end());
    std::sort(out[f].valid.begin(), out[f].valid.end());
  }
  return out;
}

std::vector<Fold> TimeOrderedSplit(const data::BinnedDataset& ds, double valid_fraction, size_t time_feature) {
  std::vector<size_t> order(ds.num_rows());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ds.bin(a, time_feature) < ds.bin(b, time_feature); });
  const size_t n_valid = static_cast<size_t>(std::llround(valid_fraction * static_cast<double>(order.size())));
  Fold fold;
  fold.train.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(n_valid));
  fold.valid.assign(order.end() - static_cast<std::ptrdiff_t>(n_valid), order.end());
  std::sort(fold.train.begin(), fold.train.end());
  std::sort(fold.valid.begin(), fold.valid.end());
  return {fold};
}

data::BinnedDataset RowsWithLabels(const data::BinnedDataset& ds, const std::vector<size_t>& rows) {
  data::BinnedDataset out = data::SelectRows(ds, rows);
  out.set_label_classes(ds.label_classes());
  if (ds.has_labels()) {
    auto& labels = out.mutable_labels();
    labels.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) labels[i] = ds.labels()[rows[i]];
  }
  if (!ds.weights().empty()) {
    auto& weights = out.mutable_weights();
    weights.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) weights[i] = ds.weights()[rows[i]];
  }
  return out;
}

data::CodedRows RawRowsAt(const data::CodedRows& raw, const std::vector<size_t>& rows) {
  data::CodedRows out;
  out.rows = rows.size();
  out.cols = raw.cols;
  out.values.resize(rows.size() * raw.cols);
  for (size_t i = 0; i < rows.size(); ++i)
    std::copy_n(raw.values.begin() + static_cast<std::ptrdiff_t>(rows[i] * raw.cols), raw.cols,
                out.values.begin() + static_cast<std::ptrdiff_t>(i * raw.cols));
  return out;
}

data::CodedRows RawColumnsWithout(const data::CodedRows& raw, const std::vector<size_t>& dropped) {
  std::vector<bool> drop(raw.cols, false);
  for (size_t c : dropped)
    if (c < raw.cols) drop[c] = true;
  std::vector<size_t> kept;
  for (size_t c = 0; c < raw.cols; ++c)
    if (!drop[c]) kept.push_back(c);
  data::CodedRows out;
  out.rows = raw.rows;
  out.cols = kept.size();
  out.values.reserve(out.rows * out.cols);
  for (size_t r = 0; r < raw.rows; ++r)
    for (size_t c : kept) out.values.push_back(raw.values[r * raw.cols + c]);
  return out;
}

}  // namespace tessera::automl
