#include "tessera/serve/drift_monitor.h"

#include <algorithm>

#include "tessera/metrics/metrics.h"

namespace tessera::serve {

DriftMonitor::DriftMonitor(std::vector<std::vector<uint64_t>> reference_counts, size_t window)
    : reference_(std::move(reference_counts)), window_(std::max<size_t>(window, 1)) {
  if (reference_.empty()) return;
  ring_.assign(window_ * reference_.size(), 0);
  counts_.resize(reference_.size());
  for (size_t f = 0; f < reference_.size(); ++f) counts_[f].assign(reference_[f].size(), 0);
}

void DriftMonitor::Observe(const data::BinnedDataset& rows) {
  const size_t nf = reference_.size();
  if (nf == 0 || rows.num_features() != nf) return;
  const size_t n = rows.num_rows();
  const size_t first = n > window_ ? n - window_ : 0;  // older rows would be pushed out at once
  std::lock_guard lock(mutex_);
  for (size_t r = first; r < n; ++r) {
    uint32_t* slot = &ring_[(seen_ % window_) * nf];
    const bool full = seen_ >= window_;
    for (size_t f = 0; f < nf; ++f) {
      std::vector<uint64_t>& counts = counts_[f];
      if (full && slot[f] < counts.size()) --counts[slot[f]];
      const uint32_t bin = rows.bin(r, f);
      slot[f] = bin;
      if (bin < counts.size()) ++counts[bin];
    }
    ++seen_;
  }
}

DriftMonitor::Snapshot DriftMonitor::Compute() const {
  Snapshot s;
  std::vector<std::vector<uint64_t>> counts;
  {
    std::lock_guard lock(mutex_);
    s.rows = static_cast<size_t>(std::min<uint64_t>(seen_, window_));
    if (s.rows == 0) return s;
    counts = counts_;
  }
  for (size_t f = 0; f < reference_.size(); ++f) s.psi.push_back(metrics::GroupedPsi(reference_[f], counts[f]));
  return s;
}

}  // namespace tessera::serve
