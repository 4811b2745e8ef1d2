// DriftMonitor: the bins of the last `window` rows a served model received, per feature, and
// their population stability index (metrics::GroupedPsi, as `tessera gate` computes it) against
// the training distribution stored in the model file (GbdtModel::reference_counts()).
// Thread-safe: Observe and Compute take a mutex held for a few counter updates per row.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "tessera/data/binned_dataset.h"

namespace tessera::serve {

class DriftMonitor {
 public:
  // `reference_counts`: training rows per bin of each feature (empty for a model without them:
  // then nothing is measured). `window` >= 1 rows.
  DriftMonitor(std::vector<std::vector<uint64_t>> reference_counts, size_t window);

  bool enabled() const { return !reference_.empty(); }
  size_t window() const { return window_; }

  // Adds the rows (binned with the model's bins) to the window, pushing out the oldest.
  void Observe(const data::BinnedDataset& rows);

  struct Snapshot {
    size_t rows = 0;          // rows in the window (at most window())
    std::vector<double> psi;  // per feature; empty when no rows or not enabled
  };
  Snapshot Compute() const;

 private:
  std::vector<std::vector<uint64_t>> reference_;
  size_t window_;
  mutable std::mutex mutex_;
  std::vector<uint32_t> ring_;                 // window x features bins, oldest overwritten
  std::vector<std::vector<uint64_t>> counts_;  // per feature and bin, over the window
  uint64_t seen_ = 0;                          // rows observed in all
};

}  // namespace tessera::serve
