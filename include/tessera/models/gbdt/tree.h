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
    if (nodes_.empty()) return 0;
    int32_t n = 0;
    for (;;) {
      const TreeNode& node = nodes_[static_cast<size_t>(n)];
      int32_t next = node.GoesLeft(row[node.feature]) ? node.left : node.right;
      if (next < 0) return ~next;
      n = next;
    }
  }

  size_t num_leaves() const { return leaf_values_.size(); }
  const std::vector<TreeNode>& nodes() const { return nodes_; }
  const std::vector<double>& leaf_values() const { return leaf_values_; }
  double leaf_value(int leaf) const { return leaf_values_[static_cast<size_t>(leaf)]; }
  void set_leaf_value(int leaf, double v) { leaf_values_[static_cast<size_t>(leaf)] = v; }
  const std::vector<int64_t>& leaf_counts() const { return leaf_counts_; }
  int depth() const;

  // JSON with raw thresholds taken from the feature's bin mapper, for readers outside Tessera.
  nlohmann::json ToJson(const std::vector<data::BinMapper>& mappers) const;
  static Result<Tree> FromJson(const nlohmann::json& j, const std::vector<data::BinMapper>& mappers);

 private:
  std::vector<TreeNode> nodes_;
  std::vector<double> leaf_values_;
  std::vector<int64_t> leaf_counts_;
  std::vector<int32_t> leaf_parent_;  // node whose child the leaf is (-1 for a lone root)
};

}  // namespace tessera::models::gbdt
