// Unusable features: columns a model search should leave out. A constant feature (one bin over
// the rows: nothing to split) only costs time; an ID-like one (a row's name or number) lets trees
// memorise rows, which validates by luck and predicts nothing on new rows. Judged from the binned
// training rows alone (no label), conservatively, so that a genuine numeric feature stays:
//
//   constant      every row in one bin (all missing included)
//   ID-like text  a categorical feature with at least 50 distinct values, more than half of its
//                 non-missing rows distinct (counted as: its categories, plus the rare bucket's
//                 rows divided by the count of its most frequent category, a lower bound)
//   ID-like int   a numeric feature without missing values whose bin edges are whole or half
//                 numbers (an integer column), whose values are distinct (no more rows between
//                 two edges than integers) and which rises or falls with the row order (99% of
//                 neighbouring rows), over at least 100 rows: a row number
//
// Functions only; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "tessera/data/binned_dataset.h"

namespace tessera::features {

struct UnusableFeature {
  size_t feature = 0;  // index into the data set's features
  std::string name;
  std::string reason;  // "constant", "ID-like: 569 distinct values in 569 rows", ...
};

// The unusable features of `ds`, in feature order; `keep` (a feature index, or -1) is never one.
std::vector<UnusableFeature> FindUnusableFeatures(const data::BinnedDataset& ds, int keep = -1);

}  // namespace tessera::features
