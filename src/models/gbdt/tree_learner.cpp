#include "tessera/models/gbdt/tree_learner.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tessera/core/hash_mix.h"
#include "tessera/core/parallel.h"

namespace tessera::models::gbdt {

namespace {

// The cells of `ds` feature by feature (each feature's column contiguous).
std::vector<uint8_t> ColumnMajor(const data::BinnedDataset& ds) {
  const size_t rows = ds.num_rows(), nf = ds.num_features(), width = static_cast<size_t>(ds.bytes_per_cell());
  std::vector<uint8_t> columns(rows * nf * width);
  for (size_t r = 0; r < rows; ++r)
    for (size_t f = 0; f < nf; ++f)
      std::memcpy(&columns[(f * rows + r) * width], ds.cells() + (r * nf + f) * width, width);
  return columns;
}

}  // namespace

TreeLearner::TreeLearner(const data::BinnedDataset& ds, const GbdtParams& params, dist::Collective& world)
    : ds_(ds),
      params_(params),
      world_(world),
      threads_(ResolveThreads(params.num_threads)),
      layout_(ds),
      builder_(ds, layout_, threads_),
      columns_(ColumnMajor(ds)) {}

bool TreeLearner::CanSplit(const Leaf& leaf) const {
  if (params_.max_depth > 0 && leaf.depth >= params_.max_depth) return false;
  return static_cast<int64_t>(leaf.total.n) >= 2 * static_cast<int64_t>(std::max(1, params_.min_data_in_leaf));
}

void TreeLearner::TakeHistogram(Leaf* leaf, bool packed) {
  // Buffers are recycled across leaves and trees: fresh ones would fault in new pages.
  auto take = [&](auto& free, auto& out) {
    if (!free.empty()) out = std::move(free.back()), free.pop_back();
    out.resize(layout_.total_bins());
  };
  if (packed) take(free_packed_, leaf->packed);
  else take(free_hists_, leaf->hist);
}

Status TreeLearner::BuildHistogram(std::span<const uint32_t> rows, bool all_rows, std::span<const GradPair> grads,
                                   bool packed, Leaf* leaf) {
  TakeHistogram(leaf, packed);
  // An empty `rows` means every row to the builder: a rank whose share of a node is empty adds zeros.
  const bool any = all_rows || !rows.empty();
  const std::span<const uint32_t> which = all_rows ? std::span<const uint32_t>() : rows;
  if (packed) {
    if (any) builder_.Build(which, packed_grads_, leaf->packed.data());
    else std::fill(leaf->packed.begin(), leaf->packed.end(), 0);
    // Words add as their fields do (PackedBin): summing them over the ranks sums the bins.
    if (world_.size() == 1) return Status::Ok();
    return world_.AllReduceSum(std::span<int64_t>(reinterpret_cast<int64_t*>(leaf->packed.data()), leaf->packed.size()));
  }
  HistBin* hist = leaf->hist.data();
  if (any) builder_.Build(which, grads, hist);
  else std::memset(static_cast<void*>(hist), 0, layout_.total_bins() * sizeof(HistBin));
  if (world_.size() == 1) return Status::Ok();
  // A bin is {int64 g; uint32 h; uint32 n}: as two int64 words, g adds as itself and (h, n) adds
  // as one word whose low half never carries into the high half, because the agreed scale keeps
  // the hessian sum of all rows below 2^32. So summing the words sums the bins exactly.
  static_assert(sizeof(HistBin) == 2 * sizeof(int64_t));
  return world_.AllReduceSum(std::span<int64_t>(reinterpret_cast<int64_t*>(hist), 2 * layout_.total_bins()));
}

uint64_t TreeLearner::NodeDraw(const Leaf& leaf, size_t feature, uint64_t purpose) const {
  return Mix64(Mix64(Mix64(tree_key_ + purpose) + leaf.id) + feature);
}

std::vector<bool> TreeLearner::NodeFeatures(const Leaf& leaf, const std::vector<bool>& feature_used) const {
  // The `keep` usable features with the smallest draws (ties to the lower feature).
  std::vector<std::pair<uint64_t, size_t>> drawn;
  for (size_t f = 0; f < feature_used.size(); ++f)
    if (feature_used[f]) drawn.push_back({NodeDraw(leaf, f, 0x5EA7u), f});
  const size_t keep = std::max<size_t>(
      1, static_cast<size_t>(std::round(params_.feature_fraction_bynode * static_cast<double>(drawn.size()))));
  std::vector<bool> used(feature_used.size(), false);
  if (drawn.empty()) return used;
  std::partial_sort(drawn.begin(), drawn.begin() + static_cast<long>(std::min(keep, drawn.size())), drawn.end());
  for (size_t i = 0; i < std::min(keep, drawn.size()); ++i) used[drawn[i].second] = true;
  return used;
}

SplitInfo TreeLearner::FindFeatureSplit(const Leaf& leaf, size_t f, const GradientScale& scale) const {
  const HistBin* h = leaf.hist.data() + layout_.offset(f);
  if (!leaf.packed.empty()) {
    thread_local std::vector<HistBin> unpacked;
    unpacked.resize(layout_.num_bins(f));
    const uint64_t* words = leaf.packed.data() + layout_.offset(f);
    for (size_t b = 0; b < unpacked.size(); ++b) unpacked[b] = PackedBin::Unpack(words[b]);
    h = unpacked.data();
  }
  const std::optional<uint64_t> draw = params_.extra_trees ? std::optional<uint64_t>(NodeDraw(leaf, f, 0xE7u)) : std::nullopt;
  SplitInfo s = ds_.mappers()[f].kind() == data::BinMapper::Kind::kCategorical
                    ? FindBestCategoricalSplit(h, layout_.num_bins(f), leaf.total, scale, params_, draw)
                    : FindBestNumericSplit(h, layout_.num_bins(f), leaf.total, scale, params_, draw);
  s.feature = static_cast<int>(f);
  return s;
}

void TreeLearner::FindBestSplits(std::span<Leaf* const> leaves, bool subtract, const GradientScale& scale,
                                 const std::vector<bool>& feature_used) {
  // Per feature (on many threads): finish the second leaf's histogram as (parent - first) when
  // asked, then each leaf's best split on that feature. The best over features is then chosen
  // in feature order, so ties go to the lowest feature whatever the threads.
  const size_t nf = layout_.num_features(), nl = leaves.size();
  std::vector<SplitInfo> found(nf * nl);
  std::vector<bool> can(nl);
  // feature_fraction_bynode: each leaf's own subset of the tree's features.
  const bool by_node = params_.feature_fraction_bynode < 1.0;
  std::vector<std::vector<bool>> node_features(by_node ? nl : 0);
  for (size_t l = 0; l < nl; ++l) {
    can[l] = CanSplit(*leaves[l]);
    if (can[l] && by_node) node_features[l] = NodeFeatures(*leaves[l], feature_used);
  }
  ParallelFor(nf, threads_, [&](size_t fb, size_t fe, size_t) {
    for (size_t f = fb; f < fe; ++f) {
      if (subtract) {
        // A packed parent has packed children; a wide parent may have a packed smaller child.
        const Leaf& small = *leaves[0];
        Leaf& large = *leaves[1];
        const size_t begin = layout_.offset(f), end = f + 1 < nf ? layout_.offset(f + 1) : layout_.total_bins();
        if (!large.packed.empty())
          for (size_t i = begin; i < end; ++i) large.packed[i] -= small.packed[i];
        else if (!small.packed.empty())
          for (size_t i = begin; i < end; ++i) large.hist[i] -= PackedBin::Unpack(small.packed[i]);
        else
          for (size_t i = begin; i < end; ++i) large.hist[i] -= small.hist[i];
      }
      if (!feature_used[f]) continue;
      for (size_t l = 0; l < nl; ++l)
        if (can[l] && (!by_node || node_features[l][f])) found[f * nl + l] = FindFeatureSplit(*leaves[l], f, scale);
    }
  }, 4);
  for (size_t l = 0; l < nl; ++l) {
    SplitInfo& best = leaves[l]->best;
    best = SplitInfo();
    for (size_t f = 0; f < nf; ++f) {
      SplitInfo& s = found[f * nl + l];
      if (s.valid && (!best.valid || s.gain > best.gain)) best = std::move(s);
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
  // Blocks partition on their own threads (lefts to one scratch array, rights to another),
  // then each block copies its pieces to their place: the lefts of every block in block order,
  // then the rights. The result is the same stable partition for any thread count.
  const size_t n = range.end - range.begin;
  const size_t blocks = std::min<size_t>(static_cast<size_t>(threads_), std::max<size_t>(1, n / 16384));
  if (left_scratch_.size() < order_.size()) left_scratch_.resize(order_.size()), right_scratch_.resize(order_.size());
  std::vector<size_t> lefts(blocks), rights(blocks);
  const size_t f = static_cast<size_t>(split.feature);
  auto block_begin = [&](size_t b) { return range.begin + n * b / blocks; };
  ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
    for (size_t b = bb; b < be; ++b) {
      const size_t begin = block_begin(b), end = block_begin(b + 1);
      uint32_t* left = left_scratch_.data() + begin;
      uint32_t* right = right_scratch_.data() + begin;
      size_t nl = 0, nr = 0;
      auto run = [&](auto cell_tag) {
        using Cell = decltype(cell_tag);
        // The split feature's column: a leaf's rows are in ascending order, so big leaves read
        // it almost sequentially.
        const Cell* column = reinterpret_cast<const Cell*>(columns_.data()) + f * ds_.num_rows();
        // Branch-free: write the row to both sides and advance the one it belongs to (the
        // direction is data-dependent, so a branch would mispredict half the time).
        for (size_t i = begin; i < end; ++i) {
          const uint32_t r = order_[i];
          const bool go_left = test.GoesLeft(column[r]);
          left[nl] = r;
          right[nr] = r;
          nl += go_left;
          nr += !go_left;
        }
      };
      if (ds_.bytes_per_cell() == 1) run(uint8_t{});
      else run(uint16_t{});
      lefts[b] = nl;
      rights[b] = nr;
    }
  });
  size_t total_left = 0;
  for (size_t b = 0; b < blocks; ++b) total_left += lefts[b];
  ParallelFor(blocks, static_cast<int>(blocks), [&](size_t bb, size_t be, size_t) {
    for (size_t b = bb; b < be; ++b) {
      size_t left_out = range.begin, right_out = range.begin + total_left;
      for (size_t p = 0; p < b; ++p) left_out += lefts[p], right_out += rights[p];
      const size_t begin = block_begin(b);
      std::copy_n(left_scratch_.begin() + static_cast<long>(begin), lefts[b], order_.begin() + static_cast<long>(left_out));
      std::copy_n(right_scratch_.begin() + static_cast<long>(begin), rights[b], order_.begin() + static_cast<long>(right_out));
    }
  });
  return total_left;
}

Result<Tree> TreeLearner::Grow(std::span<const uint32_t> rows, std::span<const GradPair> grads, const GradientScale& scale,
                               const std::vector<bool>& feature_used, uint64_t tree_key) {
  tree_key_ = tree_key;
  uint64_t next_id = 1;  // the root is node 0
  order_.assign(rows.begin(), rows.end());
  ranges_.assign(1, Range{0, order_.size()});
  if (params_.use_quantized_grad) {
    // A row's |g| and h are at most these many levels (GradientScale::QuantizeStochastic).
    const uint64_t levels = static_cast<uint64_t>(params_.num_grad_quant_bins);
    max_packed_rows_ = PackedBin::MaxRows((levels + 1) / 2, levels);
    packed_grads_.resize(ds_.num_rows());
    ParallelFor(rows.size(), threads_, [&](size_t b, size_t e, size_t) {
      for (size_t i = b; i < e; ++i) packed_grads_[rows[i]] = PackedBin::Pack(grads[rows[i]]);
    }, 4096);
  }
  // Whether a node of `rows` rows (over all ranks) keeps its histogram packed.
  auto packs = [&](uint64_t node_rows) { return max_packed_rows_ > 0 && node_rows <= max_packed_rows_; };
  std::vector<Leaf> leaves(1);
  // The root's row count over all ranks is known only after its histogram: packed in one process.
  const bool root_packed = world_.size() == 1 && packs(rows.size());
  TESSERA_RETURN_IF_ERROR(BuildHistogram(rows, rows.size() == ds_.num_rows(), grads, root_packed, &leaves[0]));
  // Any feature's bins add up to the node's totals.
  for (uint32_t b = 0; b < layout_.num_bins(0); ++b)
    leaves[0].total += root_packed ? PackedBin::Unpack(leaves[0].packed[b]) : leaves[0].hist[b];
  Leaf* root = &leaves[0];
  FindBestSplits(std::span<Leaf* const>(&root, 1), false, scale, feature_used);

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
    right.id = next_id + 1;
    parent.id = next_id;
    next_id += 2;
    right.depth = parent.depth + 1;
    right.total = split.right;
    parent.depth += 1;
    parent.total = split.left;
    const bool left_smaller = split.left.n <= split.right.n;
    Leaf& small = left_smaller ? parent : right;
    Leaf& large = left_smaller ? right : parent;
    const Range small_range = ranges_[static_cast<size_t>(left_smaller ? pick : right_index)];
    std::vector<HistBin> parent_hist = std::move(parent.hist);
    std::vector<uint64_t> parent_packed = std::move(parent.packed);
    parent.hist.clear(), parent.packed.clear();
    TESSERA_RETURN_IF_ERROR(BuildHistogram(
        std::span<const uint32_t>(order_.data() + small_range.begin, small_range.end - small_range.begin), false, grads,
        packs(small.total.n), &small));
    // The larger child's histogram is the parent's minus the smaller one's, in place.
    large.hist = std::move(parent_hist);
    large.packed = std::move(parent_packed);
    Leaf* pair[2] = {&small, &large};
    FindBestSplits(pair, true, scale, feature_used);
    leaves.push_back(std::move(right));
  }
  for (auto& leaf : leaves) {
    if (!leaf.hist.empty()) free_hists_.push_back(std::move(leaf.hist));
    if (!leaf.packed.empty()) free_packed_.push_back(std::move(leaf.packed));
  }
  return tree;
}

}  // namespace tessera::models::gbdt
