#include "tessera/models/gbdt/tree_learner.h"

#include <algorithm>

#include "tessera/core/parallel.h"

namespace tessera::models::gbdt {

TreeLearner::TreeLearner(const data::BinnedDataset& ds, const GbdtParams& params)
    : ds_(ds),
      params_(params),
      threads_(ResolveThreads(params.num_threads)),
      layout_(ds),
      builder_(ds, layout_, threads_) {}

void TreeLearner::FindBestSplit(Leaf* leaf, const GradientScale& scale, const std::vector<bool>& feature_used) const {
  leaf->best = SplitInfo();
  if (params_.max_depth > 0 && leaf->depth >= params_.max_depth) return;
  if (leaf->total.n < 2 * static_cast<int64_t>(std::max(1, params_.min_data_in_leaf))) return;
  for (size_t f = 0; f < layout_.num_features(); ++f) {
    if (!feature_used[f]) continue;
    const HistBin* h = leaf->hist.data() + layout_.offset(f);
    SplitInfo s = ds_.mappers()[f].kind() == data::BinMapper::Kind::kCategorical
                      ? FindBestCategoricalSplit(h, layout_.num_bins(f), leaf->total, scale, params_)
                      : FindBestNumericSplit(h, layout_.num_bins(f), leaf->total, scale, params_);
    if (s.valid && (!leaf->best.valid || s.gain > leaf->best.gain)) {
      s.feature = static_cast<int>(f);
      leaf->best = std::move(s);
    }
  }
}

size_t TreeLearner::Partition(const Range& range, const SplitInfo& split) {
  TreeNode test;
  test.feature = split.feature;
  test.categorical = split.categorical;
  test.default_left = split.default_left;
  test.threshold_bin = split.threshold_bin;
  if (split.categorical) {
    test.left_bits.assign((layout_.num_bins(static_cast<size_t>(split.feature)) + 63) / 64, 0);
    for (uint32_t b : split.left_bins) test.left_bits[b / 64] |= uint64_t{1} << (b % 64);
  }
  // Blocks partition on their own threads (lefts kept in place, rights to scratch), then the
  // pieces are joined in block order: the result is the same stable partition for any threads.
  const size_t n = range.end - range.begin;
  const size_t blocks = std::min<size_t>(static_cast<size_t>(threads_), std::max<size_t>(1, n / 16384));
  scratch_.resize(std::max(scratch_.size(), n));
  std::vector<size_t> lefts(blocks), rights(blocks);
  const size_t nf = ds_.num_features(), f = static_cast<size_t>(split.feature);
  ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
    for (size_t b = bb; b < be; ++b) {
      const size_t begin = range.begin + n * b / blocks, end = range.begin + n * (b + 1) / blocks;
      size_t left = begin, right = begin - range.begin;
      auto run = [&](auto cell_tag) {
        using Cell = decltype(cell_tag);
        const Cell* cells = reinterpret_cast<const Cell*>(ds_.cells()) + f;
        // Branch-free: write the row to both sides and advance the one it belongs to (the
        // direction is data-dependent, so a branch would mispredict half the time).
        for (size_t i = begin; i < end; ++i) {
          const uint32_t r = order_[i];
          if (i + 16 < end) __builtin_prefetch(cells + static_cast<size_t>(order_[i + 16]) * nf);
          const bool go_left = test.GoesLeft(cells[static_cast<size_t>(r) * nf]);
          order_[left] = r;
          scratch_[right] = r;
          left += go_left;
          right += !go_left;
        }
      };
      if (ds_.bytes_per_cell() == 1) run(uint8_t{});
      else run(uint16_t{});
      lefts[b] = left - begin;
      rights[b] = right - (begin - range.begin);
    }
  });
  // Join: the lefts of every block, then the rights of every block.
  size_t out = range.begin;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = range.begin + n * b / blocks;
    if (out != begin) std::copy(order_.begin() + static_cast<long>(begin), order_.begin() + static_cast<long>(begin + lefts[b]),
                                order_.begin() + static_cast<long>(out));
    out += lefts[b];
  }
  const size_t total_left = out - range.begin;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = n * b / blocks;
    std::copy(scratch_.begin() + static_cast<long>(begin), scratch_.begin() + static_cast<long>(begin + rights[b]),
              order_.begin() + static_cast<long>(out));
    out += rights[b];
  }
  return total_left;
}

Tree TreeLearner::Grow(std::span<const uint32_t> rows, std::span<const GradPair> grads, const GradientScale& scale,
                       const std::vector<bool>& feature_used) {
  const size_t total_bins = layout_.total_bins();
  order_.assign(rows.begin(), rows.end());
  ranges_.assign(1, Range{0, order_.size()});
  // Histogram buffers are recycled across leaves and trees: fresh ones would fault in new pages.
  auto take_hist = [&] {
    std::vector<HistBin> h;
    if (!free_hists_.empty()) h = std::move(free_hists_.back()), free_hists_.pop_back();
    h.resize(total_bins);
    return h;
  };
  std::vector<Leaf> leaves(1);
  leaves[0].hist = take_hist();
  builder_.Build(rows.size() == ds_.num_rows() ? std::span<const uint32_t>() : rows, grads, leaves[0].hist.data());
  // Any feature's bins add up to the node's totals.
  for (uint32_t b = 0; b < layout_.num_bins(0); ++b) leaves[0].total += leaves[0].hist[b];
  FindBestSplit(&leaves[0], scale, feature_used);

  auto value_of = [&](const HistBin& s) {
    return LeafValue(scale.Grad(s.g), scale.Hess(s.h), params_.lambda_l1, params_.lambda_l2);
  };
  Tree tree(value_of(leaves[0].total));
  while (static_cast<int>(leaves.size()) < params_.num_leaves) {
    // The leaf whose best split gains most; the lowest index wins ties.
    int pick = -1;
    for (size_t l = 0; l < leaves.size(); ++l)
      if (leaves[l].best.valid && (pick < 0 || leaves[l].best.gain > leaves[static_cast<size_t>(pick)].best.gain))
        pick = static_cast<int>(l);
    if (pick < 0) break;
    Leaf& parent = leaves[static_cast<size_t>(pick)];
    const SplitInfo split = parent.best;

    TreeNode node;
    node.feature = split.feature;
    node.categorical = split.categorical;
    node.default_left = split.default_left;
    node.threshold_bin = split.threshold_bin;
    node.gain = split.gain;
    node.count = parent.total.n;
    if (split.categorical) {
      node.left_bits.assign((layout_.num_bins(static_cast<size_t>(split.feature)) + 63) / 64, 0);
      for (uint32_t b : split.left_bins) node.left_bits[b / 64] |= uint64_t{1} << (b % 64);
    }
    const int right_index = tree.Split(pick, node, value_of(split.left), value_of(split.right), split.left.n, split.right.n);

    const Range range = ranges_[static_cast<size_t>(pick)];
    const size_t n_left = Partition(range, split);
    ranges_[static_cast<size_t>(pick)] = Range{range.begin, range.begin + n_left};
    ranges_.push_back(Range{range.begin + n_left, range.end});

    // The parent's slot becomes the left child; the right child is appended.
    Leaf right;
    right.depth = parent.depth + 1;
    right.total = split.right;
    parent.depth += 1;
    parent.total = split.left;
    const bool left_smaller = split.left.n <= split.right.n;
    Leaf& small = left_smaller ? parent : right;
    Leaf& large = left_smaller ? right : parent;
    const Range small_range = ranges_[static_cast<size_t>(left_smaller ? pick : right_index)];
    std::vector<HistBin> parent_hist = std::move(parent.hist);
    small.hist = take_hist();
    builder_.Build(std::span<const uint32_t>(order_.data() + small_range.begin, small_range.end - small_range.begin), grads,
                   small.hist.data());
    large.hist = std::move(parent_hist);
    for (size_t i = 0; i < total_bins; ++i) large.hist[i] -= small.hist[i];
    FindBestSplit(&parent, scale, feature_used);
    FindBestSplit(&right, scale, feature_used);
    leaves.push_back(std::move(right));
  }
  for (auto& leaf : leaves)
    if (!leaf.hist.empty()) free_hists_.push_back(std::move(leaf.hist));
  return tree;
}

}  // namespace tessera::models::gbdt
