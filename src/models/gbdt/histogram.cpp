#include "tessera/models/gbdt/histogram.h"

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

GradPair GradientScale::Quantize(double grad, double hess, double unit) const {
  const double gs = grad * g;
  GradPair p;
  p.g = static_cast<int64_t>(gs >= 0 ? gs + 0.5 : gs - 0.5);  // inline: llround is a library call
  p.h = static_cast<uint32_t>(std::max(0.0, hess) * h + unit);
  p.n = 1;
  return p;
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
void HistogramBuilder::Accumulate(std::span<const uint32_t> rows, size_t begin, size_t end, size_t f_begin,
                                  size_t f_end, std::span<const GradPair> grads, HistBin* hist) const {
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
  std::vector<HistBin>& twin = twin_scratch();
  if (use_twin) {
    twin.resize(layout_.total_bins());
    std::fill(twin.begin() + static_cast<long>(bin_begin), twin.begin() + static_cast<long>(bin_end), HistBin{});
  }
  HistBin* hists[2] = {hist, use_twin ? twin.data() : hist};
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
    HistBin* out = hists[i & 1];
#if defined(__SSE2__)
    const __m128i pair = _mm_load_si128(reinterpret_cast<const __m128i*>(&grads[r]));
    auto add = [&](size_t f) {
      __m128i* b = reinterpret_cast<__m128i*>(out + off[f] + row[f]);
      _mm_store_si128(b, _mm_add_epi64(_mm_load_si128(b), pair));
    };
    size_t f = f_begin;
    // Four bins per step: their loads and stores are independent, and the loop overhead shrinks.
    for (; f + 4 <= f_end; f += 4) add(f), add(f + 1), add(f + 2), add(f + 3);
    for (; f < f_end; ++f) add(f);
#else
    const HistBin pair = grads[r];
    for (size_t f = f_begin; f < f_end; ++f) out[off[f] + row[f]] += pair;
#endif
  }
  if (use_twin)
    for (size_t i = bin_begin; i < bin_end; ++i) hist[i] += twin[i];
}

void HistogramBuilder::Build(std::span<const uint32_t> rows, std::span<const GradPair> grads, HistBin* hist) {
  const size_t n = rows.empty() ? ds_.num_rows() : rows.size();
  const size_t nf = ds_.num_features();
  const size_t bins = layout_.total_bins();
  std::memset(static_cast<void*>(hist), 0, bins * sizeof(HistBin));
  auto accumulate = [&](size_t b, size_t e, size_t fb, size_t fe, HistBin* out) {
    if (ds_.bytes_per_cell() == 1) Accumulate<uint8_t>(rows, b, e, fb, fe, grads, out);
    else Accumulate<uint16_t>(rows, b, e, fb, fe, grads, out);
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
      auto& buf = scratch_[block];
      buf.assign(bins, HistBin{});
      accumulate(n * block / blocks, n * (block + 1) / blocks, 0, nf, buf.data());
    }
  });
  // Integer sums: the order of this reduction does not change the result.
  for (size_t block = 0; block < blocks; ++block)
    for (size_t i = 0; i < bins; ++i) hist[i] += scratch_[block][i];
}

}  // namespace tessera::models::gbdt
