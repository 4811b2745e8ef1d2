#include "tessera/explain/tree_shap.h"

#include <algorithm>

#include "tessera/core/parallel.h"

namespace tessera::explain {

namespace {

using models::gbdt::GbdtModel;
using models::gbdt::Tree;

// One element of the path of features from the root to the current node: the fraction of
// "feature unknown" paths (zero_fraction, by cover) and of "feature known" paths (one_fraction,
// 0 or 1) that flow through, and the permutation weight of subsets of the path's size.
struct PathElement {
  int feature = -1;
  double zero_fraction = 0, one_fraction = 0, weight = 0;
};

// A tree flattened for the recursion: internal nodes 0..n-1, then leaves n..n+L-1.
struct ShapTree {
  const Tree* tree = nullptr;
  size_t internal = 0;
  std::vector<int32_t> feature, left, right;  // per internal node; children unified
  std::vector<double> cover, value;           // cover per unified node, value per leaf
  int depth = 0;
  double expected = 0;  // cover-weighted mean of the leaf values

  explicit ShapTree(const Tree& t) : tree(&t), internal(t.nodes().size()) {
    auto unify = [&](int32_t c) { return c >= 0 ? c : static_cast<int32_t>(internal) + ~c; };
    for (const auto& node : t.nodes()) {
      feature.push_back(node.feature);
      left.push_back(unify(node.left));
      right.push_back(unify(node.right));
      cover.push_back(node.cover);
    }
    cover.insert(cover.end(), t.leaf_covers().begin(), t.leaf_covers().end());
    value = t.leaf_values();
    depth = t.depth();
    expected = MeanValue(0);
  }

  bool is_leaf(size_t u) const { return u >= internal; }

  // Recursively, as XGBoost does: children weighted by their covers over the node's own.
  double MeanValue(size_t u) const {
    if (is_leaf(u)) return value[u - internal];
    if (cover[u] <= 0) return 0.5 * (MeanValue(static_cast<size_t>(left[u])) + MeanValue(static_cast<size_t>(right[u])));
    return (MeanValue(static_cast<size_t>(left[u])) * cover[static_cast<size_t>(left[u])] +
            MeanValue(static_cast<size_t>(right[u])) * cover[static_cast<size_t>(right[u])]) /
           cover[u];
  }
};

// Adds a feature to the path, updating the weights of all subset sizes.
void ExtendPath(PathElement* path, int depth, double zero_fraction, double one_fraction, int feature) {
  path[depth] = {feature, zero_fraction, one_fraction, depth == 0 ? 1.0 : 0.0};
  for (int i = depth - 1; i >= 0; --i) {
    path[i + 1].weight += one_fraction * path[i].weight * (i + 1) / (depth + 1);
    path[i].weight = zero_fraction * path[i].weight * (depth - i) / (depth + 1);
  }
}

// Undoes ExtendPath for the element at `index` (the inverse of its update), then removes it.
void UnwindPath(PathElement* path, int depth, int index) {
  const double one = path[index].one_fraction, zero = path[index].zero_fraction;
  double next_one_portion = path[depth].weight;
  for (int i = depth - 1; i >= 0; --i) {
    if (one != 0) {
      const double saved = path[i].weight;
      path[i].weight = next_one_portion * (depth + 1) / ((i + 1) * one);
      next_one_portion = saved - path[i].weight * zero * (depth - i) / (depth + 1);
    } else {
      path[i].weight = path[i].weight * (depth + 1) / (zero * (depth - i));
    }
  }
  for (int i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

// The recursion of Algorithm 2, with XGBoost's conditioning: condition > 0 follows only the
// known branch of `condition_feature`'s splits, < 0 only the unknown mix, 0 neither.
template <typename Cell>
struct ShapWalker {
  const ShapTree& t;
  const Cell* row;
  double* phi;      // features + 1
  double* scratch;       // AddLeaf's: 3 x levels doubles
  int* feature_scratch;  // and levels ints
  int condition = 0, condition_feature = -1;

  // The leaf's share for every feature on the path: UnwoundPathSum(path, depth, i) * (one - zero)
  // * v for each element i, computed for all elements at once. A "cold" element (one = 0) needs
  // no loop of its own: its unwound sum is S / zero with S the same for all of them, so its share
  // is -S * v. The "hot" ones (one = 1; one_fraction is only ever 0 or 1) run UnwoundPathSum's recurrence side by side, one lane
  // per element, which the compiler vectorises (one element at a time is a chain of dependent
  // multiplications).
  void AddLeaf(const PathElement* path, int depth, double v) const {
    double* __restrict next = scratch;
    double* __restrict total = scratch + depth + 1;
    double* __restrict zero = scratch + 2 * (depth + 1);
    int* __restrict feature = feature_scratch;
    int hot = 0;
    bool any_cold = false;
    for (int i = 1; i <= depth; ++i) {
      if (path[i].one_fraction != 0) {
        zero[hot] = path[i].zero_fraction;
        next[hot] = path[depth].weight;
        total[hot] = 0;
        feature[hot++] = path[i].feature;
      } else if (path[i].zero_fraction != 0) {
        any_cold = true;
      }
    }
    const double d1 = depth + 1;
    for (int i = depth - 1; i >= 0; --i) {
      const double a = d1 / (i + 1), b = (depth - i) / d1, weight = path[i].weight;
      for (int e = 0; e < hot; ++e) {
        const double w = next[e] * a;
        total[e] += w;
        next[e] = weight - w * zero[e] * b;
      }
    }
    for (int e = 0; e < hot; ++e) phi[feature[e]] += total[e] * (1 - zero[e]) * v;
    if (!any_cold) return;
    double s = 0;
    for (int i = 0; i < depth; ++i) s += path[i].weight * d1 / (depth - i);
    for (int i = 1; i <= depth; ++i)
      if (path[i].one_fraction == 0 && path[i].zero_fraction != 0) phi[path[i].feature] -= s * v;
  }

  void Recurse(size_t u, int unique_depth, PathElement* parent_path, double parent_zero, double parent_one,
               int parent_feature, double condition_fraction) const {
    if (condition_fraction == 0) return;
    // Each level works on its own copy of the path, just past the parent's.
    PathElement* path = parent_path + unique_depth + 1;
    std::copy(parent_path, parent_path + unique_depth + 1, path);
    if (condition == 0 || condition_feature != parent_feature) ExtendPath(path, unique_depth, parent_zero, parent_one, parent_feature);

    if (t.is_leaf(u)) {
      AddLeaf(path, unique_depth, t.value[u - t.internal] * condition_fraction);
      return;
    }
    const int feature = t.feature[u];
    const bool goes_left = t.tree->nodes()[u].GoesLeft(row[feature]);
    const size_t hot = static_cast<size_t>(goes_left ? t.left[u] : t.right[u]);
    const size_t cold = static_cast<size_t>(goes_left ? t.right[u] : t.left[u]);
    const double w = t.cover[u];
    const double hot_zero = w > 0 ? t.cover[hot] / w : 0.5, cold_zero = w > 0 ? t.cover[cold] / w : 0.5;
    double incoming_zero = 1, incoming_one = 1;
    // A feature already on the path: undo its earlier split so that this one replaces it.
    int index = 0;
    while (index <= unique_depth && path[index].feature != feature) ++index;
    if (index != unique_depth + 1) {
      incoming_zero = path[index].zero_fraction;
      incoming_one = path[index].one_fraction;
      UnwindPath(path, unique_depth, index);
      unique_depth -= 1;
    }
    double hot_fraction = condition_fraction, cold_fraction = condition_fraction;
    if (condition > 0 && feature == condition_feature) {
      cold_fraction = 0;
      unique_depth -= 1;
    } else if (condition < 0 && feature == condition_feature) {
      hot_fraction *= hot_zero;
      cold_fraction *= cold_zero;
      unique_depth -= 1;
    }
    Recurse(hot, unique_depth + 1, path, hot_zero * incoming_zero, incoming_one, feature, hot_fraction);
    Recurse(cold, unique_depth + 1, path, cold_zero * incoming_zero, 0, feature, cold_fraction);
  }
};

// Per-thread working memory of the recursion, sized for the deepest tree.
struct Scratch {
  std::vector<PathElement> path;
  std::vector<double> values;
  std::vector<int> features;
  void Reserve(size_t path_size, size_t levels) {
    if (path.size() < path_size) path.resize(path_size);
    if (values.size() < 3 * levels) values.resize(3 * levels);
    if (features.size() < levels) features.resize(levels);
  }
};

struct Prepared {
  std::vector<ShapTree> trees;
  std::vector<double> expected;  // per output
  size_t outputs = 1, features = 0, path_size = 0, levels = 0;
};

Prepared Prepare(const GbdtModel& model) {
  Prepared p;
  p.outputs = static_cast<size_t>(model.num_outputs());
  p.features = model.reference().num_features();
  p.expected = model.init_score();
  int max_depth = 0;
  for (size_t t = 0; t < model.trees().size(); ++t) {
    p.trees.emplace_back(model.trees()[t]);
    p.expected[t % p.outputs] += p.trees.back().expected;
    max_depth = std::max(max_depth, p.trees.back().depth);
  }
  // Room for one path per level, each one element longer than its parent's.
  const size_t levels = static_cast<size_t>(max_depth) + 2;
  p.path_size = (levels + 1) * (levels + 2) / 2;
  p.levels = levels + 1;
  return p;
}

// Adds the SHAP values of one row (conditioned as asked) for every output to phi
// (outputs x (features + 1)), without the expected value.
template <typename Cell>
void RowShap(const Prepared& p, const Cell* row, int condition, int condition_feature, Scratch& scratch, double* phi) {
  for (size_t t = 0; t < p.trees.size(); ++t) {
    const ShapTree& tree = p.trees[t];
    double* out = phi + (t % p.outputs) * (p.features + 1);
    if (tree.internal == 0) continue;  // a lone leaf: all in the expected value
    ShapWalker<Cell> walker{tree, row, out, scratch.values.data(), scratch.features.data(), condition, condition_feature};
    walker.Recurse(0, 0, scratch.path.data(), 1, 1, -1, 1);
  }
}

template <typename Fn>
void ForEachRow(const data::BinnedDataset& ds, int threads, Fn fn) {
  const size_t nf = ds.num_features();
  ParallelFor(ds.num_rows(), ResolveThreads(threads), [&](size_t b, size_t e, size_t) {
    for (size_t r = b; r < e; ++r) {
      if (ds.bytes_per_cell() == 1) fn(r, ds.cells() + r * nf);
      else fn(r, reinterpret_cast<const uint16_t*>(ds.cells()) + r * nf);
    }
  }, 16);
}

}  // namespace

std::vector<double> ExpectedValues(const GbdtModel& model) { return Prepare(model).expected; }

std::vector<double> ShapValues(const GbdtModel& model, const data::BinnedDataset& ds, int threads) {
  const Prepared p = Prepare(model);
  const size_t width = p.outputs * (p.features + 1);
  std::vector<double> out(ds.num_rows() * width, 0.0);
  ForEachRow(ds, threads, [&](size_t r, const auto* row) {
    thread_local Scratch scratch;
    scratch.Reserve(p.path_size, p.levels);
    double* phi = out.data() + r * width;
    RowShap(p, row, 0, -1, scratch, phi);
    for (size_t k = 0; k < p.outputs; ++k) phi[k * (p.features + 1) + p.features] = p.expected[k];
  });
  return out;
}

std::vector<double> ShapInteractionValues(const GbdtModel& model, const data::BinnedDataset& ds, int threads) {
  const Prepared p = Prepare(model);
  const size_t F = p.features, W = F + 1, width = p.outputs * W * W;
  std::vector<double> out(ds.num_rows() * width, 0.0);
  ForEachRow(ds, threads, [&](size_t r, const auto* row) {
    thread_local Scratch scratch;
    thread_local std::vector<double> diag, on, off;
    scratch.Reserve(p.path_size, p.levels);
    diag.assign(p.outputs * W, 0.0);
    RowShap(p, row, 0, -1, scratch, diag.data());
    for (size_t k = 0; k < p.outputs; ++k) diag[k * W + F] = p.expected[k];
    double* result = out.data() + r * width;
    for (size_t i = 0; i < W; ++i) {
      on.assign(p.outputs * W, 0.0);
      off.assign(p.outputs * W, 0.0);
      if (i < F) {  // the bias never splits: its on and off values are equal
        RowShap(p, row, 1, static_cast<int>(i), scratch, on.data());
        RowShap(p, row, -1, static_cast<int>(i), scratch, off.data());
      }
      for (size_t k = 0; k < p.outputs; ++k) {
        double* cell = result + k * W * W + i * W;
        cell[i] = diag[k * W + i];
        for (size_t j = 0; j < W; ++j) {
          if (j == i) continue;
          cell[j] = (on[k * W + j] - off[k * W + j]) / 2;
          cell[i] -= cell[j];
        }
      }
    }
  });
  return out;
}

}  // namespace tessera::explain
