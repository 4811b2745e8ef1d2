// Tree: one regression tree of a boosted model. Internal nodes test one feature's bin (numeric:
// bin <= threshold_bin; categorical: bin in a set; missing values follow default_left); leaves
// hold the value added to the score. Nodes refer to children by index; a negative child c is
// leaf ~c. Immutable once grown; thread-safe to read.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/bin_mapper.h"

namespace tessera::models::gbdt {

struct TreeNode {
  int32_t feature = 0;
  bool categorical = false;
  bool default_left = false;
  uint32_t threshold_bin = 0;           // numeric: bins 1..threshold_bin go left
  std::vector<uint64_t> left_bits;      // categorical: bitset of bins that go left
  int32_t left = 0, right = 0;          // child node index, or ~leaf index when negative
  double gain = 0;
  int64_t count = 0;                    // training rows through this node
  // The weight of training data through the node, which TreeSHAP uses: the row count for trees
  // Tessera grows, the hessian sum for trees imported from XGBoost.
  double cover = 0;

  bool GoesLeft(uint32_t bin) const {
    if (!categorical) return bin == data::BinMapper::kMissingBin ? default_left : bin <= threshold_bin;
    if (bin == data::BinMapper::kMissingBin) return default_left;
    size_t word = bin / 64;
    return word < left_bits.size() && ((left_bits[word] >> (bin % 64)) & 1);
  }
};

class Tree {
 public:
  // A tree with one leaf of the given value.
  explicit Tree(double leaf_value = 0);

  // Splits leaf `leaf` into two; the old leaf index becomes the left child, the new leaf the
  // right one. Returns the new leaf's index.
  int Split(int leaf, const TreeNode& node, double left_value, double right_value, int64_t left_count, int64_t right_count);

  // Leaf reached by a row of bins (indexed by feature).
  template <typename Cell>
  int LeafOf(const Cell* row) const {
    if (packed_.empty()) return 0;
    int32_t n = 0;
    do n = packed_[static_cast<size_t>(n)].child[!GoesLeft<true>(static_cast<size_t>(n), row)];
    while (n >= 0);
    return ~n;
  }

  // LeafOf for `count` rows of `row_width` cells starting at `rows`, into leaves[0..count).
  template <typename Cell>
  void LeavesOf(const Cell* rows, size_t row_width, size_t count, int32_t* leaves) const {
    if (cat_words_ > 0) LeavesInLockstep<true>(rows, row_width, count, leaves);
    else LeavesInLockstep<false>(rows, row_width, count, leaves);
  }

  size_t num_leaves() const { return leaf_values_.size(); }
  const std::vector<TreeNode>& nodes() const { return nodes_; }
  const std::vector<double>& leaf_values() const { return leaf_values_; }
  double leaf_value(int leaf) const { return leaf_values_[static_cast<size_t>(leaf)]; }
  void set_leaf_value(int leaf, double v) { leaf_values_[static_cast<size_t>(leaf)] = v; }
  const std::vector<int64_t>& leaf_counts() const { return leaf_counts_; }
  const std::vector<double>& leaf_covers() const { return leaf_covers_; }
  int depth() const;

  // JSON with raw thresholds taken from the feature's bin mapper, for readers outside Tessera.
  nlohmann::json ToJson(const std::vector<data::BinMapper>& mappers) const;
  static Result<Tree> FromJson(const nlohmann::json& j, const std::vector<data::BinMapper>& mappers);

 private:
  // The nodes again, 16 bytes each, for walking rows down the tree without a branch on the data
  // (a mispredicted branch per level costs more than the rest of the walk). Numeric: a row goes
  // left when bin - (feature >> 31) < limit, unsigned, which handles the missing bin 0 too: with
  // default_left the top bit is 0 and limit = threshold + 1, else the top bit is 1 (bin 0 wraps
  // round) and limit = threshold. Categorical (bit 30 set): bit `bin` of the cat_words_ words
  // at cat_bits_[limit] (bins past them go right).
  struct PackedNode {
    static constexpr uint32_t kDefaultRight = 0x80000000u, kCategorical = 0x40000000u, kFeatureMask = 0x3FFFFFFFu;
    int32_t child[2];  // left, right
    uint32_t feature;
    uint32_t limit;
  };
  // Rebuilds packed_ and cat_bits_ from nodes_.
  void Pack();

  template <bool kAnyCategorical, typename Cell>
  bool GoesLeft(size_t at, const Cell* row) const {
    const PackedNode& node = packed_[at];
    const uint32_t bin = row[node.feature & PackedNode::kFeatureMask];
    const bool numeric_left = bin - (node.feature >> 31) < node.limit;
    if constexpr (!kAnyCategorical) {
      return numeric_left;
    } else {
      const bool categorical = node.feature & PackedNode::kCategorical;
      const uint32_t word = bin >> 6;
      // Word 0 of cat_bits_ is all zeros: numeric nodes and bins past the set read it.
      const uint64_t bits = cat_bits_[categorical && word < cat_words_ ? node.limit + word : 0];
      return categorical ? (bits >> (bin & 63)) & 1 : numeric_left;
    }
  }

  // Walks eight rows at a time in lockstep, so that their chains of dependent loads overlap.
  template <bool kAnyCategorical, typename Cell>
  void LeavesInLockstep(const Cell* rows, size_t row_width, size_t count, int32_t* leaves) const {
    constexpr size_t kLanes = 8;
    size_t i = 0;
    if (!packed_.empty()) {
      for (; i + kLanes <= count; i += kLanes) {
        int32_t n[kLanes] = {};
        int32_t all_leaves;
        do {
          all_leaves = -1;
          for (size_t l = 0; l < kLanes; ++l) {
            // A lane at a leaf keeps stepping from the root but keeps its leaf.
            const size_t at = static_cast<size_t>(n[l] < 0 ? 0 : n[l]);
            const int32_t next = packed_[at].child[!GoesLeft<kAnyCategorical>(at, rows + (i + l) * row_width)];
            n[l] = n[l] < 0 ? n[l] : next;
            all_leaves &= n[l];
          }
        } while (all_leaves >= 0);
        for (size_t l = 0; l < kLanes; ++l) leaves[i + l] = ~n[l];
      }
    }
    for (; i < count; ++i) leaves[i] = LeafOf(rows + i * row_width);
  }

  std::vector<TreeNode> nodes_;
  std::vector<PackedNode> packed_;
  std::vector<uint64_t> cat_bits_;  // cat_words_ words per categorical node, after a zero word
  uint32_t cat_words_ = 0;          // 0 when no node is categorical
  std::vector<double> leaf_values_;
  std::vector<int64_t> leaf_counts_;
  std::vector<double> leaf_covers_;
  std::vector<int32_t> leaf_parent_;  // node whose child the leaf is (-1 for a lone root)
};

}  // namespace tessera::models::gbdt
