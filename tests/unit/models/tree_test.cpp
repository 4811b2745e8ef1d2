#include "tessera/models/gbdt/tree.h"

#include <gtest/gtest.h>

#include <random>

namespace tessera::models::gbdt {
namespace {

// The leaf a row reaches, following TreeNode::GoesLeft one node at a time.
int ReferenceLeaf(const Tree& tree, const uint8_t* row) {
  if (tree.nodes().empty()) return 0;
  int32_t n = 0;
  for (;;) {
    const TreeNode& node = tree.nodes()[static_cast<size_t>(n)];
    const int32_t next = node.GoesLeft(row[node.feature]) ? node.left : node.right;
    if (next < 0) return ~next;
    n = next;
  }
}

// A random tree over 6 features: 0-3 numeric with 200 bins, 4-5 categorical with 100 bins.
Tree RandomTree(std::mt19937_64& rng, int leaves) {
  Tree tree(0.0);
  for (int l = 1; l < leaves; ++l) {
    TreeNode node;
    node.feature = static_cast<int32_t>(rng() % 6);
    node.categorical = node.feature >= 4;
    node.default_left = rng() % 2;
    if (node.categorical) {
      node.left_bits.assign(2, 0);  // 100 bins
      for (uint32_t b = 1; b < 100; ++b)
        if (rng() % 2) node.left_bits[b / 64] |= uint64_t{1} << (b % 64);
    } else {
      node.threshold_bin = 1 + static_cast<uint32_t>(rng() % 198);
    }
    const int leaf = static_cast<int>(rng() % tree.num_leaves());
    tree.Split(leaf, node, 0.0, 0.0, 0, 0);
  }
  return tree;
}

TEST(Tree, LockstepWalkReachesTheSameLeavesAsNodeByNode) {
  std::mt19937_64 rng(3);
  constexpr size_t kWidth = 6, kRows = 1000;
  std::vector<uint8_t> rows(kRows * kWidth);
  for (size_t r = 0; r < kRows; ++r)
    for (size_t f = 0; f < kWidth; ++f) {
      // Missing bins often, and bins beyond the categorical sets' words (no category there).
      const uint32_t limit = f >= 4 ? 140 : 200;
      rows[r * kWidth + f] = static_cast<uint8_t>(rng() % 5 == 0 ? 0 : rng() % limit);
    }
  for (int t = 0; t < 20; ++t) {
    const Tree tree = RandomTree(rng, 1 + static_cast<int>(rng() % 120));
    std::vector<int32_t> leaves(kRows);
    tree.LeavesOf(rows.data(), kWidth, kRows, leaves.data());
    for (size_t r = 0; r < kRows; ++r) {
      const int expected = ReferenceLeaf(tree, &rows[r * kWidth]);
      ASSERT_EQ(leaves[r], expected) << "tree " << t << " row " << r;
      ASSERT_EQ(tree.LeafOf(&rows[r * kWidth]), expected) << "tree " << t << " row " << r;
    }
  }
}

}  // namespace
}  // namespace tessera::models::gbdt
