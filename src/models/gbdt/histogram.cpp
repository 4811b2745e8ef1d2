#include "tessera/models/gbdt/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tessera/core/parallel.h"

namespace tessera::models::gbdt {

GradientScale GradientScale::For(double sum_abs_grad, double sum_hess) {
  // Largest power of two with total * scale <= 2^bits.
  auto scale = [](double total, int bits) { return total > 0 ? std::exp2(std::floor(bits - std::log2(total))) : 1.0; };
  return Of(scale(sum_abs_grad, 62), scale(sum_hess, 31));
}

GradientScale GradientScale::ForLevels(double max_abs_grad, double max_hess, int levels) {
  const double g = max_abs_grad > 0 ? 0.5 * levels / max_abs_grad : 1.0;
  const double h = max_hess > 0 ? levels / max_hess : 1.0;
  return {g, h, 1 / g, 1 / h, 0.5 * levels, static_cast<double>(levels)};
}

uint64_t PackedBin::MaxRows(uint64_t max_abs_g, uint64_t max_h) {
  // Field sums must stay below 2^21 (|g|, with the sign bit), 2^22 (h) and 2^20 (n).
  uint64_t rows = (uint64_t{1} << kCountBits) - 1;
  if (max_abs_g > 0) rows = std::min(rows, ((uint64_t{1} << (63 - kGradShift)) - 1) / max_abs_g);
  if (max_h > 0) rows = std::min(rows, ((uint64_t{1} << kHessBits) - 1) / max_h);
  return rows;
}

HistogramLayout::HistogramLayout(const data::BinnedDataset& ds) {
  for (const auto& m : ds.mappers()) {
    offsets_.push_back(total_);
    num_bins_.push_back(m.num_bins());
    total_ += m.num_bins();
  }
}

template <typename Bin>
std::vector<Bin>& HistogramBuilder::twin_scratch() {
  thread_local std::vector<Bin> twin;
  return twin;
}

HistogramBuilder::HistogramBuilder(const data::BinnedDataset& ds, const HistogramLayout& layout, int threads)
    : ds_(ds),
      layout_(layout),
      threads_(std::max(1, threads)),
      scratch_(static_cast<size_t>(threads_)),
      packed_scratch_(static_cast<size_t>(threads_)) {}

namespace {

// One row's pair added to a bin: a 128-bit vector addition for a HistBin, one word for a packed bin.
inline void AddPair(HistBin* bin, const HistBin& pair) {
#if defined(__SSE2__)
  __m128i* b = reinterpret_cast<__m128i*>(bin);
  _mm_store_si128(b, _mm_add_epi64(_mm_load_si128(b), _mm_load_si128(reinterpret_cast<const __m128i*>(&pair))));
#else
  *bin += pair;
#endif
}
inline void AddPair(uint64_t* bin, uint64_t pair) { *bin += pair; }

}  // namespace

template <typename Cell, typename Bin>
void HistogramBuilder::Accumulate(std::span<const uint32_t> rows, size_t begin, size_t end, size_t f_begin,
                                  size_t f_end, std::span<const Bin> grads, Bin* hist) const {
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
  const size_t bin_begin = layout_.offset(f_begin);
  const size_t bin_end = f_end < nf ? layout_.offset(f_end) : layout_.total_bins();
  std::vector<Bin>& twin = twin_scratch<Bin>();
  if (use_twin) {
    twin.resize(layout_.total_bins());
    std::fill(twin.begin() + static_cast<long>(bin_begin), twin.begin() + static_cast<long>(bin_end), Bin{});
  }
  Bin* hists[2] = {hist, use_twin ? twin.data() : hist};
  constexpr size_t kAhead = 32;  // rows of a leaf are scattered: fetch their cells early
  for (size_t i = begin; i < end; ++i) {
    const uint32_t r = rows.empty() ? static_cast<uint32_t>(i) : rows[i];
    if (!rows.empty() && i + kAhead < end) {
      const Cell* ahead = cells + static_cast<size_t>(rows[i + kAhead]) * nf;
      __builtin_prefetch(ahead + f_begin);
      __builtin_prefetch(ahead + f_end - 1);  // a row may straddle two cache lines
      __builtin_prefetch(&grads[rows[i + kAhead]]);
    }
    const Cell* row = cells + static_cast<size_t>(r) * nf;
    Bin* out = hists[i & 1];
    const Bin pair = grads[r];
    size_t f = f_begin;
    // Four bins per step: their loads and stores are independent, and the loop overhead shrinks.
    for (; f + 4 <= f_end; f += 4) {
      AddPair(out + off[f] + row[f], pair);
      AddPair(out + off[f + 1] + row[f + 1], pair);
      AddPair(out + off[f + 2] + row[f + 2], pair);
      AddPair(out + off[f + 3] + row[f + 3], pair);
    }
    for (; f < f_end; ++f) AddPair(out + off[f] + row[f], pair);
  }
  if (use_twin)
    for (size_t i = bin_begin; i < bin_end; ++i) hist[i] += twin[i];
}

void HistogramBuilder::Build(std::span<const uint32_t> rows, std::span<const GradPair> grads, HistBin* hist) {
  BuildBins(rows, grads, hist, scratch_);
}

void HistogramBuilder::Build(std::span<const uint32_t> rows, std::span<const uint64_t> grads, uint64_t* hist) {
  BuildBins(rows, grads, hist, packed_scratch_);
}

template <typename Bin>
void HistogramBuilder::BuildBins(std::span<const uint32_t> rows, std::span<const Bin> grads, Bin* hist,
                                 std::vector<std::vector<Bin>>& scratch) {
  const size_t n = rows.empty() ? ds_.num_rows() : rows.size();
  const size_t nf = ds_.num_features();
  const size_t bins = layout_.total_bins();
  std::memset(static_cast<void*>(hist), 0, bins * sizeof(Bin));
  auto accumulate = [&](size_t b, size_t e, size_t fb, size_t fe, Bin* out) {
    if (ds_.bytes_per_cell() == 1) Accumulate<uint8_t, Bin>(rows, b, e, fb, fe, grads, out);
    else Accumulate<uint16_t, Bin>(rows, b, e, fb, fe, grads, out);
  };
  const size_t threads = static_cast<size_t>(threads_);
  if (threads <= 1 || n < kMinParallelRows) {
    accumulate(0, n, 0, nf, hist);
    return;
  }
  if (n < kMinRowBlocks * threads || nf < threads) {
    // Feature blocks: each thread reads every row but adds only its features, straight into
    // the result (the blocks' bins do not overlap): no private buffers to clear and add up.
    const size_t blocks = std::min(threads, nf);
    ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
      for (size_t block = bb; block < be; ++block) accumulate(0, n, nf * block / blocks, nf * (block + 1) / blocks, hist);
    });
    return;
  }
  // Row blocks, each into its own buffer.
  const size_t blocks = threads;
  ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
    for (size_t block = bb; block < be; ++block) {
      auto& buf = scratch[block];
      buf.assign(bins, Bin{});
      accumulate(n * block / blocks, n * (block + 1) / blocks, 0, nf, buf.data());
    }
  });
  // Integer sums: the order of this reduction does not change the result.
  for (size_t block = 0; block < blocks; ++block)
    for (size_t i = 0; i < bins; ++i) hist[i] += scratch[block][i];
}

}  // namespace tessera::models::gbdt
