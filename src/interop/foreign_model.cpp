#include "foreign_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "tessera/models/gbdt/params.h"
#include "tessera/models/model_file.h"

namespace tessera::interop::detail {

namespace {

// Tessera's bin mappers hold at most 65536 bins: the missing bin, the value bins and (numeric)
// the bin past the last threshold or (categorical) the rare bucket.
constexpr size_t kMaxThresholds = 65534;
constexpr size_t kMaxCategories = 65534;

std::string Where(size_t tree, int64_t node) {
  return "tree " + std::to_string(tree) + " node " + std::to_string(node);
}

// Checks that the tree is a proper binary tree rooted at node 0 (every node and leaf reached
// exactly once) and returns its nodes in preorder, so that each child gets a later index than
// its parent, as the Tessera format requires.
Result<std::vector<int64_t>> Preorder(const ForeignTree& tree, size_t t) {
  const int64_t num_nodes = static_cast<int64_t>(tree.nodes.size());
  const int64_t num_leaves = static_cast<int64_t>(tree.leaf_values.size());
  std::vector<int64_t> order;
  if (num_nodes == 0) {
    if (num_leaves != 1)
      return Status::UserError("tree " + std::to_string(t) +
                               ": a tree without splits needs exactly one leaf");
    return order;
  }
  if (num_leaves != num_nodes + 1)
    return Status::UserError("tree " + std::to_string(t) + ": " + std::to_string(num_nodes) +
                             " splits need " + std::to_string(num_nodes + 1) + " leaves, not " +
                             std::to_string(num_leaves));
  std::vector<char> node_seen(static_cast<size_t>(num_nodes), 0),
      leaf_seen(static_cast<size_t>(num_leaves), 0);
  std::vector<int64_t> stack = {0};
  node_seen[0] = 1;
  while (!stack.empty()) {
    const int64_t n = stack.back();
    stack.pop_back();
    order.push_back(n);
    const ForeignNode& node = tree.nodes[static_cast<size_t>(n)];
    // Right first, so that the left subtree comes first in preorder.
    for (int64_t child : {node.right, node.left}) {
      if (child >= 0) {
        if (child >= num_nodes)
          return Status::UserError(Where(t, n) + ": child node " + std::to_string(child) +
                                   " does not exist");
        if (node_seen[static_cast<size_t>(child)]++)
          return Status::UserError(Where(t, n) + ": node " + std::to_string(child) +
                                   " is reached twice (not a tree)");
        stack.push_back(child);
      } else {
        const int64_t leaf = ~child;
        if (leaf >= num_leaves)
          return Status::UserError(Where(t, n) + ": leaf " + std::to_string(leaf) +
                                   " does not exist");
        if (leaf_seen[static_cast<size_t>(leaf)]++)
          return Status::UserError(Where(t, n) + ": leaf " + std::to_string(leaf) +
                                   " is reached twice (not a tree)");
      }
    }
  }
  for (int64_t n = 0; n < num_nodes; ++n)
    if (!node_seen[static_cast<size_t>(n)])
      return Status::UserError(Where(t, n) + ": not reachable from the root");
  for (int64_t l = 0; l < num_leaves; ++l)
    if (!leaf_seen[static_cast<size_t>(l)])
      return Status::UserError("tree " + std::to_string(t) + " leaf " + std::to_string(l) +
                               ": not reachable from the root");
  return order;
}

// The number of splits on the longest path from the root, given the nodes in preorder (without
// recursion: an imported tree may be a chain thousands of nodes long).
int Depth(const ForeignTree& tree, const std::vector<int64_t>& preorder) {
  std::vector<int> depth(tree.nodes.size(), 1);
  int deepest = 0;
  for (int64_t n : preorder) {
    const ForeignNode& node = tree.nodes[static_cast<size_t>(n)];
    const int d = depth[static_cast<size_t>(n)];
    deepest = std::max(deepest, d);
    for (int64_t child : {node.left, node.right})
      if (child >= 0) depth[static_cast<size_t>(child)] = d + 1;
  }
  return deepest;
}

}  // namespace

std::string FormatNumber(double v) {
  char buf[40];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

Result<float> TesseraThreshold(double t, Compare compare) {
  constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
  if (std::isnan(t)) return Status::UserError("split threshold is NaN");
  float f;
  if (compare == Compare::kLessFloat) {
    // XGBoost compares floats: v < t  <=>  v <= (the float just below t).
    f = std::nextafter(static_cast<float>(t), kMinusInf);
  } else {
    // LightGBM compares the value (a double holding our float) with a double threshold:
    // v <= t  <=>  v <= (the largest float not above t).
    f = static_cast<float>(t);
    if (static_cast<double>(f) > t) f = std::nextafter(f, kMinusInf);
  }
  if (std::isnan(f) || f == kMinusInf)
    return Status::UserError("split threshold " + FormatNumber(t) + " is below the float range");
  return f;
}

Result<nlohmann::json> BuildModelDocument(const ForeignModel& m, size_t* failed_tree) {
  auto in_tree = [&](size_t t, Status status) {
    if (failed_tree) *failed_tree = t;
    return status;
  };
  const size_t nf = m.feature_names.size();
  if (nf == 0) return Status::UserError("the model has no features");
  if (m.categorical.size() != nf)
    return Status::Internal("interop: one feature type per feature expected");
  std::set<std::string> names;
  for (const auto& name : m.feature_names) {
    if (name.empty()) return Status::UserError("a feature has an empty name");
    if (!names.insert(name).second)
      return Status::UserError("feature name '" + name +
                               "' appears twice; new data is matched to features by name");
  }
  if (m.num_outputs < 1 || m.init_score.size() != static_cast<size_t>(m.num_outputs))
    return Status::Internal("interop: one init score per output expected");
  for (double s : m.init_score)
    if (!std::isfinite(s))
      return Status::UserError("the base score gives a starting score that is not finite");

  // Pass 1: check each tree and collect every feature's thresholds and category codes.
  std::vector<std::vector<float>> thresholds(nf);
  std::vector<std::vector<int64_t>> codes(nf);
  std::vector<std::vector<int64_t>> preorder(m.trees.size());
  auto check_tree = [&](size_t t) -> Status {
    const ForeignTree& tree = m.trees[t];
    TESSERA_ASSIGN_OR_RETURN(preorder[t], Preorder(tree, t));
    if (tree.output < 0 || tree.output >= m.num_outputs)
      return Status::UserError("tree " + std::to_string(t) + ": belongs to output " +
                               std::to_string(tree.output) + " of a model with " +
                               std::to_string(m.num_outputs));
    const size_t leaves = tree.leaf_values.size();
    if ((!tree.leaf_covers.empty() && tree.leaf_covers.size() != leaves) ||
        (!tree.leaf_counts.empty() && tree.leaf_counts.size() != leaves))
      return Status::UserError("tree " + std::to_string(t) +
                               ": one cover and count per leaf expected");
    for (size_t l = 0; l < leaves; ++l) {
      if (!std::isfinite(tree.leaf_values[l]))
        return Status::UserError("tree " + std::to_string(t) + " leaf " + std::to_string(l) +
                                 ": value is not finite");
      if (!tree.leaf_covers.empty() &&
          !(std::isfinite(tree.leaf_covers[l]) && tree.leaf_covers[l] >= 0))
        return Status::UserError("tree " + std::to_string(t) + " leaf " + std::to_string(l) +
                                 ": cover (hessian sum or count) must be a finite number >= 0");
      if (!tree.leaf_counts.empty() && tree.leaf_counts[l] < 0)
        return Status::UserError("tree " + std::to_string(t) + " leaf " + std::to_string(l) +
                                 ": negative count");
    }
    for (size_t n = 0; n < tree.nodes.size(); ++n) {
      const ForeignNode& node = tree.nodes[n];
      const std::string where = Where(t, static_cast<int64_t>(n));
      if (node.feature < 0 || static_cast<size_t>(node.feature) >= nf)
        return Status::UserError(where + ": feature index " + std::to_string(node.feature) +
                                 " out of range (the model has " + std::to_string(nf) +
                                 " features)");
      const size_t f = static_cast<size_t>(node.feature);
      if (!(std::isfinite(node.cover) && node.cover >= 0) || node.count < 0)
        return Status::UserError(where + ": cover and count must be finite numbers >= 0");
      if (node.categorical != m.categorical[f])
        return Status::UserError(where + ": a " + (node.categorical ? "categorical" : "numeric") +
                                 " split on feature '" + m.feature_names[f] + "', which is " +
                                 (m.categorical[f] ? "categorical" : "numeric") +
                                 " elsewhere in the model");
      if (node.categorical) {
        for (int64_t c : node.categories)
          if (c < 0 || c > std::numeric_limits<int32_t>::max())
            return Status::UserError(where + ": category code " + std::to_string(c) +
                                     " out of range");
        codes[f].insert(codes[f].end(), node.categories.begin(), node.categories.end());
      } else {
        auto threshold = TesseraThreshold(node.threshold, m.compare);
        if (!threshold.ok()) return threshold.status().WithContext(where);
        thresholds[f].push_back(*threshold);
      }
    }
    return Status::Ok();
  };
  for (size_t t = 0; t < m.trees.size(); ++t) {
    Status status = check_tree(t);
    if (!status.ok()) return in_tree(t, status);
  }

  // The bin mappers and the schema: one numeric or categorical feature column per feature.
  nlohmann::json mappers = nlohmann::json::array(), columns = nlohmann::json::array();
  for (size_t f = 0; f < nf; ++f) {
    columns.push_back({{"name", m.feature_names[f]},
                       {"type", m.categorical[f] ? "categorical" : "numeric"},
                       {"role", "feature"}});
    if (m.categorical[f]) {
      auto& c = codes[f];
      std::sort(c.begin(), c.end());
      c.erase(std::unique(c.begin(), c.end()), c.end());
      if (c.size() > kMaxCategories)
        return Status::UserError(
            "feature '" + m.feature_names[f] + "' splits on " + std::to_string(c.size()) +
            " categories; Tessera's bins hold at most " + std::to_string(kMaxCategories));
      nlohmann::json names_json = nlohmann::json::array();
      for (int64_t code : c) names_json.push_back(std::to_string(code));
      mappers.push_back(
          {{"kind", "categorical"}, {"num_bins", c.size() + 2}, {"categories", names_json}});
    } else {
      auto& th = thresholds[f];
      std::sort(th.begin(), th.end());
      th.erase(std::unique(th.begin(), th.end()), th.end());
      if (th.size() > kMaxThresholds)
        return Status::UserError("feature '" + m.feature_names[f] + "' has " +
                                 std::to_string(th.size()) +
                                 " distinct split thresholds; Tessera's bins hold at most " +
                                 std::to_string(kMaxThresholds));
      mappers.push_back({{"kind", "numeric"}, {"num_bins", th.size() + 2}, {"thresholds", th}});
    }
  }

  // Pass 2: the trees, with nodes renumbered in preorder and splits as bins.
  std::vector<nlohmann::json> trees_json(m.trees.size());
  size_t max_leaves = 2;
  int max_depth = 0;
  for (size_t t = 0; t < m.trees.size(); ++t) {
    const ForeignTree& tree = m.trees[t];
    std::vector<int64_t> new_index(tree.nodes.size());
    for (size_t i = 0; i < preorder[t].size(); ++i)
      new_index[static_cast<size_t>(preorder[t][i])] = static_cast<int64_t>(i);
    auto child = [&](int64_t c) { return c >= 0 ? new_index[static_cast<size_t>(c)] : c; };
    nlohmann::json nodes = nlohmann::json::array();
    for (int64_t old : preorder[t]) {
      const ForeignNode& node = tree.nodes[static_cast<size_t>(old)];
      const size_t f = static_cast<size_t>(node.feature);
      nlohmann::json j = {{"feature", node.feature},
                          {"default_left", node.default_left},
                          {"left", child(node.left)},
                          {"right", child(node.right)},
                          {"gain", std::isfinite(node.gain) ? node.gain : 0.0},
                          {"count", node.count},
                          {"cover", node.cover}};
      if (node.categorical) {
        const auto& c = codes[f];
        std::vector<int64_t> listed = node.categories;
        std::sort(listed.begin(), listed.end());
        std::vector<uint32_t> left_bins;
        for (size_t b = 0; b < c.size(); ++b)
          if (std::binary_search(listed.begin(), listed.end(), c[b]) == node.listed_go_left)
            left_bins.push_back(static_cast<uint32_t>(b + 1));
        // The rare bucket holds codes no split names: not listed here, so they go the other way.
        if (!node.listed_go_left) left_bins.push_back(static_cast<uint32_t>(c.size() + 1));
        j["categorical"] = true;
        j["left_bins"] = left_bins;
      } else {
        const float threshold = TesseraThreshold(node.threshold, m.compare).value();
        const auto& th = thresholds[f];
        j["threshold_bin"] =
            static_cast<uint32_t>(std::lower_bound(th.begin(), th.end(), threshold) - th.begin()) +
            1;
        j["threshold"] = threshold;
      }
      nodes.push_back(std::move(j));
    }
    const size_t leaves = tree.leaf_values.size();
    std::vector<int64_t> counts =
        tree.leaf_counts.empty() ? std::vector<int64_t>(leaves, 0) : tree.leaf_counts;
    std::vector<double> covers = tree.leaf_covers;
    if (covers.empty()) covers.assign(counts.begin(), counts.end());
    trees_json[t] = {{"nodes", nodes},
                     {"leaf_values", tree.leaf_values},
                     {"leaf_counts", counts},
                     {"leaf_covers", covers}};
    max_leaves = std::max(max_leaves, leaves);
    max_depth = std::max(max_depth, Depth(tree, preorder[t]));
  }

  // Tessera's trees are iteration-major (tree i adds to output i % num_outputs). Group the trees
  // by output, keeping their order, and pad outputs with fewer trees with one-leaf zero trees.
  const size_t k = static_cast<size_t>(m.num_outputs);
  std::vector<std::vector<size_t>> by_output(k);
  for (size_t t = 0; t < m.trees.size(); ++t)
    by_output[static_cast<size_t>(m.trees[t].output)].push_back(t);
  size_t iterations = 0;
  for (const auto& list : by_output) iterations = std::max(iterations, list.size());
  const nlohmann::json zero_tree = {{"nodes", nlohmann::json::array()},
                                    {"leaf_values", {0.0}},
                                    {"leaf_counts", {0}},
                                    {"leaf_covers", {0.0}}};
  nlohmann::json trees = nlohmann::json::array();
  for (size_t i = 0; i < iterations; ++i)
    for (size_t c = 0; c < k; ++c)
      trees.push_back(i < by_output[c].size() ? trees_json[by_output[c][i]] : zero_tree);

  models::gbdt::GbdtParams params;
  params.objective = m.objective;
  params.num_class = m.objective == "multiclass" ? m.num_outputs : 1;
  params.learning_rate = m.learning_rate > 0 && m.learning_rate <= 1 ? m.learning_rate : 0.1;
  params.num_iterations = static_cast<int>(std::clamp<size_t>(iterations, 1, 1000000));
  params.num_leaves = static_cast<int>(std::min<size_t>(max_leaves, 131072));
  params.max_depth = max_depth > 0 ? max_depth : -1;
  TESSERA_RETURN_IF_ERROR(models::gbdt::ValidateGbdtParams(params));

  nlohmann::json training = m.training.is_object() ? m.training : nlohmann::json::object();
  training["features"] = nf;
  training["iterations"] = iterations;

  std::vector<size_t> feature_columns(nf);
  for (size_t f = 0; f < nf; ++f) feature_columns[f] = f;
  nlohmann::json doc;
  doc["format_version"] = 1;  // imported models have no derived columns
  doc["tessera_version"] = TESSERA_VERSION;
  doc["schema"] = {{"columns", columns}};
  doc["features"] = {
      {"columns", feature_columns}, {"names", m.feature_names}, {"bin_mappers", mappers}};
  doc["label_classes"] = nlohmann::json::array();
  doc["model"] = {{"family", "gbdt"},
                  {"objective", m.objective},
                  {"num_outputs", m.num_outputs},
                  {"init_score", m.init_score},
                  {"params", params.ToJson()},
                  {"training", training},
                  {"trees", trees}};
  return doc;
}

}  // namespace tessera::interop::detail
