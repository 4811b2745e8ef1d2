// How AutoML scores a configuration without touching data it trains on: a holdout (stratified
// for classification, or the latest rows by a time feature), or k folds (stratified for
// classification). Row indices only; the data set itself is not copied here.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"

namespace tessera::automl {

struct Fold {
  std::vector<size_t> train, valid;
};

// `classes` > 0 stratifies by the label (0..classes-1); 0 shuffles all rows together.
std::vector<Fold> HoldoutSplit(const data::BinnedDataset& ds, double valid_fraction, int classes, uint64_t seed);
std::vector<Fold> KFoldSplit(const data::BinnedDataset& ds, int folds, int classes, uint64_t seed);
// The last `valid_fraction` of rows by feature `time_feature`'s bins (ties by row order).
std::vector<Fold> TimeOrderedSplit(const data::BinnedDataset& ds, double valid_fraction, size_t time_feature);

// The rows of `ds` with their labels and weights.
data::BinnedDataset RowsWithLabels(const data::BinnedDataset& ds, const std::vector<size_t>& rows);
// The same rows of a table's raw values (for the linear family).
data::CodedRows RawRowsAt(const data::CodedRows& raw, const std::vector<size_t>& rows);
// The raw values without the columns `dropped` (feature indices, any order), as a table searched
// without those features needs them.
data::CodedRows RawColumnsWithout(const data::CodedRows& raw, const std::vector<size_t>& dropped);

}  // namespace tessera::automl
