#include "tessera/models/gbdt/tree.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

namespace tessera::models::gbdt {

void Tree::Pack() {
  cat_words_ = 0;
  for (const auto& node : nodes_)
    if (node.categorical) cat_words_ = std::max(cat_words_, static_cast<uint32_t>(node.left_bits.size()));
  cat_bits_.assign(1, 0);
  packed_.clear();
  for (const auto& node : nodes_) {
    PackedNode p;
    p.child[0] = node.left;
    p.child[1] = node.right;
    p.feature = static_cast<uint32_t>(node.feature);
    if (node.categorical) {
      p.feature |= PackedNode::kCategorical;
      p.limit = static_cast<uint32_t>(cat_bits_.size());
      cat_bits_.insert(cat_bits_.end(), node.left_bits.begin(), node.left_bits.end());
      cat_bits_.resize(p.limit + cat_words_, 0);
      if (node.default_left) cat_bits_[p.limit] |= 1;  // bin 0, the missing value
      else cat_bits_[p.limit] &= ~uint64_t{1};
    } else {
      if (!node.default_left) p.feature |= PackedNode::kDefaultRight;
      p.limit = node.default_left ? node.threshold_bin + 1 : node.threshold_bin;
    }
    packed_.push_back(p);
  }
}

Tree::Tree(double leaf_value) : leaf_values_{leaf_value}, leaf_counts_{0}, leaf_covers_{0}, leaf_parent_{-1} {}

int Tree::Split(int leaf, const TreeNode& split, double left_value, double right_value, int64_t left_count,
                int64_t right_count) {
  const int32_t node_index = static_cast<int32_t>(nodes_.size());
  TreeNode node = split;
  node.cover = static_cast<double>(left_count + right_count);
  const int new_leaf = static_cast<int>(leaf_values_.size());
  node.left = ~leaf;
  node.right = ~new_leaf;
  // Point the parent at the new node instead of the old leaf.
  int32_t parent = leaf_parent_[static_cast<size_t>(leaf)];
  if (parent >= 0) {
    TreeNode& p = nodes_[static_cast<size_t>(parent)];
    if (p.left == ~leaf) p.left = node_index;
    else p.right = node_index;
  }
  nodes_.push_back(std::move(node));
  Pack();
  leaf_values_[static_cast<size_t>(leaf)] = left_value;
  leaf_counts_[static_cast<size_t>(leaf)] = left_count;
  leaf_covers_[static_cast<size_t>(leaf)] = static_cast<double>(left_count);
  leaf_parent_[static_cast<size_t>(leaf)] = node_index;
  leaf_values_.push_back(right_value);
  leaf_counts_.push_back(right_count);
  leaf_covers_.push_back(static_cast<double>(right_count));
  leaf_parent_.push_back(node_index);
  return new_leaf;
}

int Tree::depth() const {
  std::function<int(int32_t)> walk = [&](int32_t n) -> int {
    if (n < 0) return 0;
    const TreeNode& node = nodes_[static_cast<size_t>(n)];
    return 1 + std::max(walk(node.left), walk(node.right));
  };
  return nodes_.empty() ? 0 : walk(0);
}

nlohmann::json Tree::ToJson(const std::vector<data::BinMapper>& mappers) const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : nodes_) {
    nlohmann::json j = {{"feature", n.feature}, {"default_left", n.default_left}, {"left", n.left},
                        {"right", n.right},     {"gain", n.gain},                 {"count", n.count},
                        {"cover", n.cover}};
    const data::BinMapper& m = mappers[static_cast<size_t>(n.feature)];
    if (n.categorical) {
      std::vector<uint32_t> bins;
      nlohmann::json cats = nlohmann::json::array();
      bool rare_left = false;
      for (uint32_t b = 1; b < m.num_bins(); ++b) {
        if (!n.GoesLeft(b)) continue;
        bins.push_back(b);
        if (b == m.rare_bin()) rare_left = true;
        else cats.push_back(m.categories()[b - 1]);
      }
      j["categorical"] = true;
      j["left_bins"] = bins;
      j["left_categories"] = cats;   // readable form of left_bins
      j["other_left"] = rare_left;   // rare and unseen categories go left
    } else {
      j["threshold_bin"] = n.threshold_bin;
      j["threshold"] = m.BinUpperBound(n.threshold_bin);  // value <= threshold goes left
    }
    nodes.push_back(j);
  }
  return {{"nodes", nodes}, {"leaf_values", leaf_values_}, {"leaf_counts", leaf_counts_}, {"leaf_covers", leaf_covers_}};
}

Result<Tree> Tree::FromJson(const nlohmann::json& j, const std::vector<data::BinMapper>& mappers) {
  auto bad = [](const std::string& what) { return Status::UserError("tree: " + what); };
  if (!j.is_object() || !j.contains("nodes") || !j["nodes"].is_array() || !j.contains("leaf_values") ||
      !j["leaf_values"].is_array())
    return bad("expected 'nodes' and 'leaf_values' arrays");
  Tree t;
  t.nodes_.clear();
  t.leaf_values_ = j["leaf_values"].get<std::vector<double>>();
  t.leaf_counts_ = j.value("leaf_counts", std::vector<int64_t>(t.leaf_values_.size(), 0));
  const size_t num_nodes = j["nodes"].size();
  if (t.leaf_values_.size() != num_nodes + 1 || t.leaf_counts_.size() != t.leaf_values_.size())
    return bad("a tree with " + std::to_string(num_nodes) + " nodes needs " + std::to_string(num_nodes + 1) + " leaves");
  for (double v : t.leaf_values_)
    if (!std::isfinite(v)) return bad("leaf values must be finite numbers");
  t.leaf_covers_.assign(t.leaf_counts_.begin(), t.leaf_counts_.end());
  if (j.contains("leaf_covers")) t.leaf_covers_ = j["leaf_covers"].get<std::vector<double>>();
  if (t.leaf_covers_.size() != t.leaf_values_.size()) return bad("leaf_covers needs one value per leaf");
  for (double c : t.leaf_covers_)
    if (!std::isfinite(c) || c < 0) return bad("leaf covers must be finite numbers >= 0");
  t.leaf_parent_.assign(t.leaf_values_.size(), -1);
  std::vector<int> node_refs(num_nodes, 0), leaf_refs(t.leaf_values_.size(), 0);
  for (size_t i = 0; i < num_nodes; ++i) {
    const auto& jn = j["nodes"][i];
    TreeNode n;
    n.feature = jn.at("feature").get<int32_t>();
    if (n.feature < 0 || static_cast<size_t>(n.feature) >= mappers.size()) return bad("node feature out of range");
    const data::BinMapper& m = mappers[static_cast<size_t>(n.feature)];
    n.default_left = jn.at("default_left").get<bool>();
    n.left = jn.at("left").get<int32_t>();
    n.right = jn.at("right").get<int32_t>();
    n.gain = jn.value("gain", 0.0);
    n.count = jn.value("count", int64_t{0});
    n.cover = jn.value("cover", static_cast<double>(n.count));
    if (!std::isfinite(n.cover) || n.cover < 0) return bad("node cover must be a finite number >= 0");
    n.categorical = jn.value("categorical", false);
    if (n.categorical != (m.kind() == data::BinMapper::Kind::kCategorical))
      return bad("node " + std::to_string(i) + " splits feature " + std::to_string(n.feature) + " as the wrong kind");
    if (n.categorical) {
      n.left_bits.assign((m.num_bins() + 63) / 64, 0);
      for (uint32_t b : jn.at("left_bins").get<std::vector<uint32_t>>()) {
        if (b == 0 || b >= m.num_bins()) return bad("categorical bin out of range");
        n.left_bits[b / 64] |= uint64_t{1} << (b % 64);
      }
    } else {
      n.threshold_bin = jn.at("threshold_bin").get<uint32_t>();
      if (n.threshold_bin == 0 || n.threshold_bin + 1 >= m.num_bins()) return bad("threshold bin out of range");
    }
    for (int32_t child : {n.left, n.right}) {
      if (child >= 0) {
        if (static_cast<size_t>(child) >= num_nodes || static_cast<size_t>(child) <= i) return bad("child node out of range");
        ++node_refs[static_cast<size_t>(child)];
      } else {
        if (static_cast<size_t>(~child) >= t.leaf_values_.size()) return bad("leaf index out of range");
        ++leaf_refs[static_cast<size_t>(~child)];
        t.leaf_parent_[static_cast<size_t>(~child)] = static_cast<int32_t>(i);
      }
    }
    t.nodes_.push_back(std::move(n));
  }
  // A proper tree: every node but the root and every leaf has exactly one parent.
  for (size_t i = 1; i < num_nodes; ++i)
    if (node_refs[i] != 1) return bad("node " + std::to_string(i) + " is not reached exactly once");
  if (num_nodes > 0 && node_refs[0] != 0) return bad("the root must not be a child");
  for (size_t l = 0; l < leaf_refs.size(); ++l)
    if (num_nodes > 0 && leaf_refs[l] != 1) return bad("leaf " + std::to_string(l) + " is not reached exactly once");
  t.Pack();
  return t;
}

}  // namespace tessera::models::gbdt
