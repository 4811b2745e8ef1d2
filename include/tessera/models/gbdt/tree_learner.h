// TreeLearner: grows one tree leaf-wise (best-first): it keeps the best split of every leaf and
// always splits the leaf whose split gains most, until num_leaves or max_depth stops it. Each
// leaf owns a contiguous range of a row-index array, partitioned in place as leaves split; the
// smaller child's histogram is built and the larger one's is the parent's minus it.
// Data-parallel: with a world of several ranks, each rank holds some of the rows; the histograms
// it builds (the root's, each smaller child's) are summed over the ranks (an allreduce of the
// fixed-point bins, exact), so every rank sees the histograms of all rows, finds the same splits
// and grows the same tree, while partitioning only its own rows. The learner knows only the
// Collective interface.
// Quantized training (use_quantized_grad): a node small enough for PackedBin keeps its histogram
// in packed 64-bit bins (half the cache per bin); split finding reads them unpacked, so the
// splits are those the same integer sums in HistBins would give.
// Random choices inside a tree (extra-trees thresholds, per-node feature subsets) are hashes of
// the tree's key, the node's number (0 for the root, then 1, 2, ... as children are made) and
// the feature: the same for any thread count and on every rank.
// One learner per training run; not thread-safe (it uses many threads inside).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/dist/collective.h"
#include "tessera/models/gbdt/histogram.h"
#include "tessera/models/gbdt/params.h"
#include "tessera/models/gbdt/split.h"
#include "tessera/models/gbdt/tree.h"

namespace tessera::models::gbdt {

class TreeLearner {
 public:
  TreeLearner(const data::BinnedDataset& ds, const GbdtParams& params, dist::Collective& world = dist::LocalWorld());

  // Grows a tree on `rows` (sorted row ids) with fixed-point gradients (the scale agreed by all
  // ranks). Leaf values are raw (before the learning rate). Afterwards leaf_rows(leaf) lists the
  // rows of this rank that reached each leaf. `tree_key` seeds the tree's random choices (extra
  // trees, feature_fraction_bynode). Fails only when the ranks cannot communicate.
  Result<Tree> Grow(std::span<const uint32_t> rows, std::span<const GradPair> grads, const GradientScale& scale,
                    const std::vector<bool>& feature_used, uint64_t tree_key = 0);

  std::span<const uint32_t> leaf_rows(int leaf) const {
    const Range& r = ranges_[static_cast<size_t>(leaf)];
    return std::span<const uint32_t>(order_.data() + r.begin, r.end - r.begin);
  }

 private:
  struct Range {
    size_t begin = 0, end = 0;
  };
  struct Leaf {
    std::vector<HistBin> hist;
    std::vector<uint64_t> packed;  // the histogram instead of `hist`, in PackedBins
    HistBin total;
    SplitInfo best;
    int depth = 0;
    uint64_t id = 0;  // the node's number in its tree, for random draws
  };
  bool CanSplit(const Leaf& leaf) const;
  // The leaf's histogram (packed when `packed`) of `rows` (none: all zeros), summed over all ranks.
  Status BuildHistogram(std::span<const uint32_t> rows, bool all_rows, std::span<const GradPair> grads, bool packed,
                        Leaf* leaf);
  SplitInfo FindFeatureSplit(const Leaf& leaf, size_t feature, const GradientScale& scale) const;
  // A hash of (tree key, node, feature, purpose): the node's random draw for that feature.
  uint64_t NodeDraw(const Leaf& leaf, size_t feature, uint64_t purpose) const;
  // feature_fraction_bynode: the features (of those the tree may use) this node tries.
  std::vector<bool> NodeFeatures(const Leaf& leaf, const std::vector<bool>& feature_used) const;
  // Sets each leaf's best split. With `subtract`, leaves[1] holds its parent's histogram and first
  // becomes the parent's minus leaves[0]'s.
  void FindBestSplits(std::span<Leaf* const> leaves, bool subtract, const GradientScale& scale,
                      const std::vector<bool>& feature_used);
  // leaf.hist (or leaf.packed) sized for a histogram, from the recycled buffers.
  void TakeHistogram(Leaf* leaf, bool packed);
  // Moves the rows of `range` that go left to its front (keeping their order); returns how many.
  size_t Partition(const Range& range, const SplitInfo& split);

  const data::BinnedDataset& ds_;
  const GbdtParams& params_;
  dist::Collective& world_;
  int threads_;
  HistogramLayout layout_;
  HistogramBuilder builder_;
  std::vector<uint8_t> columns_;  // the cells again, column-major, for Partition
  std::vector<uint32_t> order_, left_scratch_, right_scratch_;
  std::vector<std::vector<HistBin>> free_hists_;
  std::vector<std::vector<uint64_t>> free_packed_;
  std::vector<uint64_t> packed_grads_;  // quantized training: PackedBin::Pack of each row's pair
  uint64_t max_packed_rows_ = 0;        // 0: no packed histograms
  std::vector<Range> ranges_;
  uint64_t tree_key_ = 0;
};

}  // namespace tessera::models::gbdt
