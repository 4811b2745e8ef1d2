#include "tessera/models/gbdt/histogram.h"

#include <cmath>
#include <cstring>

#include "tessera/core/parallel.h"

namespace tessera::models::gbdt {

GradientScale GradientScale::For(double sum_abs_grad, double sum_abs_hess) {
  auto scale = [](double total) {
    if (!(total > 0)) return 1.0;
    // Largest power of two with total * scale <= 2^62.
    return std::exp2(std::floor(62 - std::log2(total)));
  };
  return Of(scale(sum_abs_grad), scale(sum_abs_hess));
}

HistogramLayout::HistogramLayout(const data::BinnedDataset& ds) {
  for (const auto& m : ds.mappers()) {
    offsets_.push_back(total_);
    num_bins_.push_back(m.num_bins());
    total_ += m.num_bins();
  }
}

std::vector<HistBin>& HistogramBuilder::twin_scratch() {
  thread_local std::vector<HistBin> twin;
  return twin;
}

HistogramBuilder::HistogramBuilder(const data::BinnedDataset& ds, const HistogramLayout& layout, int threads)
    : ds_(ds), layout_(layout), threads_(std::max(1, threads)), scratch_(static_cast<size_t>(threads_)) {}

template <typename Cell>
void HistogramBuilder::Accumulate(std::span<const uint32_t> rows, size_t begin, size_t end,
                                  std::span<const GradPair> grads, HistBin* hist) const {
  const size_t nf = ds_.num_features();
  const Cell* cells = reinterpret_cast<const Cell*>(ds_.cells());
  // Offsets per feature, so a cell's bin indexes the flat histogram directly.
  std::vector<uint32_t> offsets(nf);
  for (size_t f = 0; f < nf; ++f) offsets[f] = static_cast<uint32_t>(layout_.offset(f));
  const uint32_t* off = offsets.data();
  // Alternate rows go to two histograms: consecutive rows often hit the same bin of a
  // low-cardinality feature, and one histogram would chain every update on the previous one.
  // Only worth it when bins are few: with many bins repeats are rare and the second histogram
  // just doubles what the cache must hold.
  const bool use_twin = layout_.total_bins() <= 32 * nf;
  std::vector<HistBin>& twin = twin_scratch();
  if (use_twin) twin.assign(layout_.total_bins(), HistBin{});
  HistBin* hists[2] = {hist, use_twin ? twin.data() : hist};
  constexpr size_t kAhead = 16;  // rows of a leaf are scattered: fetch their cells early
  for (size_t i = begin; i < end; ++i) {
    const uint32_t r = rows.empty() ? static_cast<uint32_t>(i) : rows[i];
    if (!rows.empty() && i + kAhead < end) {
      __builtin_prefetch(cells + static_cast<size_t>(rows[i + kAhead]) * nf);
      __builtin_prefetch(&grads[rows[i + kAhead]]);
    }
    const Cell* row = cells + static_cast<size_t>(r) * nf;
    const int64_t g = grads[r].g, h = grads[r].h;
    HistBin* out = hists[i & 1];
    for (size_t f = 0; f < nf; ++f) {
      HistBin& b = out[off[f] + row[f]];
      b.g += g;
      b.h += h;
      b.n += 1;
    }
  }
  if (use_twin)
    for (size_t i = 0; i < twin.size(); ++i) hist[i] += twin[i];
}

void HistogramBuilder::Build(std::span<const uint32_t> rows, std::span<const GradPair> grads, HistBin* hist) {
  const size_t n = rows.empty() ? ds_.num_rows() : rows.size();
  const size_t bins = layout_.total_bins();
  std::memset(static_cast<void*>(hist), 0, bins * sizeof(HistBin));
  // Below a few thousand rows, clearing and adding per-thread buffers costs more than it saves.
  const size_t blocks = std::min<size_t>(static_cast<size_t>(threads_), std::max<size_t>(1, n / 4096));
  auto accumulate = [&](size_t b, size_t e, HistBin* out) {
    if (ds_.bytes_per_cell() == 1) Accumulate<uint8_t>(rows, b, e, grads, out);
    else Accumulate<uint16_t>(rows, b, e, grads, out);
  };
  if (blocks <= 1) {
    accumulate(0, n, hist);
    return;
  }
  ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
    for (size_t block = bb; block < be; ++block) {
      auto& buf = scratch_[block];
      buf.assign(bins, HistBin{});
      accumulate(n * block / blocks, n * (block + 1) / blocks, buf.data());
    }
  });
  // Integer sums: the order of this reduction does not change the result.
  for (size_t block = 0; block < blocks; ++block)
    for (size_t i = 0; i < bins; ++i) hist[i] += scratch_[block][i];
}

}  // namespace tessera::models::gbdt
