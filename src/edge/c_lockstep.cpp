#include "c_lockstep.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace tessera::edge {

namespace {

using data::BinMapper;
using models::gbdt::Tree;
using models::gbdt::TreeNode;

// Trees walked together: independent chains of loads that keep a core's load ports busy. Ten
// measured fastest on x86-64 (bench/edge, 100 and 500 trees: 6, 8, 10, 12 and 16 tried).
constexpr size_t kChains = 10;

std::string U(uint64_t v) {
  return std::to_string(v) + "u";
}

void AppendRows(std::string* out, const std::vector<std::string>& items, size_t per_line) {
  for (size_t i = 0; i < items.size(); ++i) {
    *out += i % per_line == 0 ? "    " : " ";
    *out += items[i];
    *out += i + 1 < items.size() ? "," : "";
    if (i % per_line == per_line - 1 || i + 1 == items.size()) *out += "\n";
  }
}

std::string IndexType(uint64_t max) {
  return max <= 65535 ? "uint16_t" : "uint32_t";
}

}  // namespace

LockstepCode EmitLockstep(const LockstepInput& in) {
  const auto& trees = in.model->trees();
  const auto& mappers = in.model->reference().mappers();
  const std::string M = in.macro_prefix;
  LockstepCode code;

  size_t total_leaves = 0;
  for (const Tree& tree : trees) total_leaves += tree.num_leaves();
  // Quantized values are bins (uint16), unless leaf numbers need more (see the leaf entries).
  const std::string value_t = !in.quantize           ? "float"
                              : total_leaves > 65535 ? "uint32_t"
                                                     : "uint16_t";
  // Value slots: 0 holds what makes every leaf's test go "right", to itself (1.0 above the
  // negative thresholds of float leaves; the largest value above the leaf numbers of quantized
  // ones); the others are made as nodes need them. Key: (feature, kind, bitset offset); kind 0 =
  // numeric, missing right; 1 = numeric, missing left; 2 = categorical.
  std::map<std::tuple<size_t, int, uint32_t>, size_t> slots;
  std::string fill = !in.quantize           ? "  v[0] = 1.0f;\n"
                     : total_leaves > 65535 ? "  v[0] = 4294967295u;\n"
                                            : "  v[0] = 65535u;\n";
  bool neg_inf = false;
  auto slot_of = [&](size_t t, size_t i) -> size_t {
    const TreeNode& n = trees[t].nodes()[i];
    const size_t f = static_cast<size_t>(n.feature);
    const int kind = n.categorical ? 2 : (n.default_left ? 1 : 0);
    const uint32_t off = n.categorical ? (*in.set_offset)[t][i] : 0;
    auto [it, fresh] = slots.emplace(std::make_tuple(f, kind, off), slots.size() + 1);
    if (!fresh) return it->second;
    const std::string v = "  v[" + std::to_string(it->second) + "] = ";
    const std::string fs = std::to_string(f);
    if (in.quantize) {
      const std::string b = "b[" + fs + "]";
      if (kind == 0)
        fill += v + "(" + value_t + ")(" + b + " == 0u ? 65535u : " + b + ");\n";
      else if (kind == 1)
        fill += v + b + ";\n";
      else
        fill += v + "(" + value_t + ")(" + b + " < " + U(mappers[f].num_bins()) +
                " && ((cat_sets[" + U(off) + " + (" + b + " >> 5)] >> (" + b +
                " & 31u)) & 1u) ? 0u : 1u);\n";
    } else {
      const std::string x = "x[" + fs + "]";
      if (kind == 0) {
        fill += v + x + ";\n";
      } else if (kind == 1) {
        fill += v + x + " != " + x + " ? neg_inf.f : " + x + ";\n";
        neg_inf = true;
      } else {
        const std::string c = "c[" + std::to_string(in.cat_slot[f]) + "]";
        fill += v + "(float)(1u ^ ((cat_sets[" + U(off) + " + (" + c + " >> 5)] >> (" + c +
                " & 31u)) & 1u));\n";
      }
    }
    return it->second;
  };

  // Entries: each tree in pre-order (a node, its left subtree, its right subtree), so that a
  // node's left child is the next entry and only the right one is stored, as `jump` = right - n
  // - 1; a leaf is an entry whose test always holds and whose jump (-1) leads to itself.
  size_t entries = 0;
  for (const Tree& tree : trees) entries += tree.nodes().size() + tree.num_leaves();
  const std::string idx_t = IndexType(entries);
  std::vector<std::string> rows, values, roots_of(trees.size());
  std::vector<int> depth(trees.size());
  const std::string zero = in.quantize ? "0u" : "0.0f";
  size_t first_leaf = std::string::npos;  // where padding chains wait
  size_t max_jump = 0;
  for (size_t t = 0; t < trees.size(); ++t) {
    const Tree& tree = trees[t];
    roots_of[t] = U(rows.size());
    depth[t] = tree.depth();
    // Pre-order with an explicit stack: (child reference, the row of the parent whose right
    // child it is, to fill in at "@", or npos for a left child or the root).
    std::vector<std::pair<int32_t, size_t>> stack = {
        {tree.nodes().empty() ? -1 : 0, std::string::npos}};
    while (!stack.empty()) {
      const auto [c, parent] = stack.back();
      stack.pop_back();
      const size_t at = rows.size();
      if (parent != std::string::npos) {
        max_jump = std::max(max_jump, at - parent - 1);
        rows[parent].replace(rows[parent].find('@'), 1, std::to_string(at - parent - 1));
      }
      if (c < 0) {
        if (first_leaf == std::string::npos) first_leaf = at;
        // The leaf's number in the threshold: -(number + 1) for floats, the number for bins.
        const size_t number = values.size();
        rows.push_back("{" + (in.quantize ? U(number) : "-" + std::to_string(number + 1) + ".0f") +
                       ", 0u, -1}");
        values.push_back(in.leaf_literal(t, static_cast<size_t>(~c)));
        continue;
      }
      const TreeNode& n = tree.nodes()[static_cast<size_t>(c)];
      std::string threshold = zero;
      if (!n.categorical)
        threshold =
            in.quantize
                ? U(n.threshold_bin)
                : in.float_literal(
                      mappers[static_cast<size_t>(n.feature)].thresholds()[n.threshold_bin - 1]);
      rows.push_back("{" + threshold + ", " + U(slot_of(t, static_cast<size_t>(c))) + ", @}");
      stack.push_back({n.right, at});
      stack.push_back({n.left, std::string::npos});
    }
  }
  code.value_slots = slots.size() + 1;
  const std::string slot_t = IndexType(code.value_slots);

  // Groups of kChains trees of similar depth (each group walks as deep as its deepest tree);
  // short groups are padded with a leaf whose result goes to reached[NUM_TREES].
  std::vector<size_t> order(trees.size());
  for (size_t t = 0; t < trees.size(); ++t) order[t] = t;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return depth[a] < depth[b]; });
  const size_t groups = (trees.size() + kChains - 1) / kChains;
  std::vector<std::string> group_roots, group_trees, group_steps;
  int max_steps = 0;
  for (size_t g = 0; g < groups; ++g) {
    int steps = 0;
    for (size_t j = 0; j < kChains; ++j) {
      const size_t at = g * kChains + j;
      if (at < order.size()) {
        group_roots.push_back(roots_of[order[at]]);
        group_trees.push_back(U(order[at]));
        steps = std::max(steps, depth[order[at]]);
      } else {
        group_roots.push_back(U(first_leaf));  // a leaf: stays put
        group_trees.push_back(M + "_NUM_TREES");
      }
    }
    group_steps.push_back(U(static_cast<uint64_t>(steps)));
    max_steps = std::max(max_steps, steps);
  }

  const std::string leaf_t = in.quantize ? "int32_t" : "double";
  const std::string go = in.quantize ? "v[slot] > t" : "!(v[slot] <= t)";
  std::string& d = code.definitions;
  d +=
      "/* Lockstep layout: the trees as one table of nodes in pre-order (a node's left child is "
      "the\n"
      " * next entry), walked " +
      std::to_string(kChains) +
      " trees at a time for as many steps as the deepest of "
      "them,\n"
      " * with no branch on the data. A node sends a row to its right child (jump + 1 entries on)\n"
      " * when " +
      go +
      ", else to the next entry; v[] holds the values the trees test (see its filling). A leaf\n"
      " * tests v[0] against its own number and leads to itself. */\n";
  if (neg_inf)
    d += "static const union { uint32_t u; float f; } neg_inf = {0xff800000u}; /* -infinity */\n";
  const std::string jump_t = max_jump <= 32767 ? "int16_t" : "int32_t";
  d += "struct lnode {\n  " + value_t + " t;\n  " + slot_t + " slot;\n  " + jump_t +
       " jump; /* right child - this - 1 */\n};\n";
  d += "static const struct lnode lnodes[" + std::to_string(entries) + "] = {\n";
  AppendRows(&d, rows, 4);
  d +=
      "};\n/* The leaves' values, by leaf number (a leaf entry's threshold holds its number). */\n";
  d += "static const " + leaf_t + " lvalues[" + std::to_string(values.size()) + "] = {\n";
  AppendRows(&d, values, in.quantize ? 8 : 6);
  d += "};\n/* Groups of " + std::to_string(kChains) +
       " trees: their roots, which tree each is, and the steps to walk. */\n";
  const std::string tree_t = IndexType(trees.size());
  d += "static const " + idx_t + " lgroup_roots[" + std::to_string(group_roots.size()) + "] = {\n";
  AppendRows(&d, group_roots, 12);
  d += "};\nstatic const " + tree_t + " lgroup_trees[" + std::to_string(group_trees.size()) +
       "] = {\n";
  AppendRows(&d, group_trees, 8);
  d += "};\nstatic const " + std::string(max_steps <= 255 ? "uint8_t" : "uint16_t") +
       " lgroup_steps[" + std::to_string(group_steps.size()) + "] = {\n";
  AppendRows(&d, group_steps, 16);
  d += "};\n\n";

  code.walk = "lwalk";
  code.leaf_of_entry =
      in.quantize ? "lvalues[lnodes[@].t]" : "lvalues[(uint32_t)-lnodes[@].t - 1u]";
  code.reached_type = idx_t;
  code.value_type = value_t;
  d += "static void lwalk(const " + value_t + " *v, " + idx_t + " *reached) {\n  uint32_t g, s;\n";
  d += "  for (g = 0u; g < " + U(groups) + "; ++g) {\n";
  d += "    const " + idx_t + " *r = &lgroup_roots[g * " + U(kChains) + "];\n";
  d += "    const " + tree_t + " *tr = &lgroup_trees[g * " + U(kChains) + "];\n";
  std::string decl = "    uint32_t ", step, store;
  for (size_t j = 0; j < kChains; ++j) {
    const std::string n = "n" + std::to_string(j), J = std::to_string(j);
    decl += n + " = r[" + J + "]" + (j + 1 < kChains ? ", " : ";\n");
    const std::string p = "lnodes[" + n + "]";
    const std::string test =
        in.quantize ? "v[" + p + ".slot] > " + p + ".t" : "!(v[" + p + ".slot] <= " + p + ".t)";
    // n += 1, or 1 + jump: arithmetic (modulo 2^32), not a ternary, which compilers make a branch.
    step +=
        "      " + n + " += 1u + ((0u - (uint32_t)(" + test + ")) & (uint32_t)" + p + ".jump);\n";
    store += "    reached[tr[" + J + "]] = (" + idx_t + ")" + n + ";\n";
  }
  d += decl + "    for (s = lgroup_steps[g]; s > 0u; --s) {\n" + step + "    }\n" + store +
       "  }\n}\n\n";
  code.fill = fill;
  return code;
}

}  // namespace tessera::edge
