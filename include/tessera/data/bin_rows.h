// Binning rows that are already in memory as numbers (an API caller's matrix, a request body)
// with the bins of a trained model, so that they predict exactly as the same rows read from a
// CSV file would.
#pragma once

#include <cstddef>

#include "tessera/data/binned_dataset.h"

namespace tessera::data {

// `values` holds `rows` rows of reference.num_features() values each, in the reference's feature
// order (feature_name(f)). NaN is a missing value. A categorical feature's value stands for the
// category written as that number in shortest form (3 -> "3", 2.5 -> "2.5"), as a CSV column of
// numeric codes would hold it; unseen categories go to the rare bucket, as when reading files.
BinnedDataset BinFloatRows(const BinnedDataset& reference, const float* values, size_t rows);

}  // namespace tessera::data
