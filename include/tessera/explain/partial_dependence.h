// Partial dependence and individual conditional expectation (ICE): the model's prediction as one
// feature (or two) is set to each value of a grid for every row, the others kept. The grid is
// the feature's own bins: every bin when few, else bins at evenly spaced quantiles of the data;
// each grid point is shown by a value inside its bin (numeric) or its category.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::explain {

struct GridAxis {
  size_t feature = 0;
  std::vector<uint32_t> bins;
  std::vector<std::string> labels;  // the value each bin is shown as
  std::vector<double> values;       // numeric: that value; categorical: NaN
};

struct PartialDependence {
  std::vector<GridAxis> axes;       // one or two
  size_t outputs = 1;
  // Per grid point (first axis outer) and output: the mean prediction over the rows.
  std::vector<double> average;
  // ICE (one axis only, when asked): rows x grid points x outputs.
  std::vector<double> ice;
};

struct PartialDependenceOptions {
  std::vector<size_t> features;  // one or two feature indices
  size_t grid_points = 20;
  bool ice = false;
  bool raw_score = false;  // margins instead of probabilities
  int threads = 0;
};

Result<PartialDependence> ComputePartialDependence(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds,
                                                   const PartialDependenceOptions& options);

// The value shown for a bin: a numeric bin's upper bound (the last bin's lower bound), or the
// category; "missing" for bin 0, "other" for the rare bucket.
std::string BinLabel(const data::BinMapper& mapper, uint32_t bin);
double BinValue(const data::BinMapper& mapper, uint32_t bin);

}  // namespace tessera::explain
