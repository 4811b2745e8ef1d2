#include "tessera/edge/c_export.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "c_lockstep.h"
#include "tessera/edge/quantized_predictor.h"

namespace tessera::edge {

namespace {

using data::BinMapper;
using models::gbdt::GbdtModel;
using models::gbdt::Tree;
using models::gbdt::TreeNode;

// Deeper trees get the node-array layout: nested blocks that deep exceed some compilers' limits
// (clang stops at 256 nested brackets; C99 promises only 127 nested blocks).
constexpr int kMaxBranchDepth = 100;

// The largest quantized model (in trees) whose default layout is lockstep rather than branches:
// between the two sizes measured (lockstep faster at 100 trees, slower at 500).
constexpr size_t kMaxQuantizedLockstepTrees = 300;

enum class Link { kIdentity, kSigmoid, kSoftmax, kExp };

// Text for a /* */ comment: the string literal form, with '*' escaped so that no "*/" or "/*"
// can appear.
std::string CommentText(std::string_view bytes) {
  std::string out;
  for (char c : CStringLiteral(bytes)) {
    if (c == '*') out += "\\052";
    else out += c;
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string U(uint64_t v) { return std::to_string(v) + "u"; }
std::string I(int64_t v) { return std::to_string(v); }

// Appends `items` as the body of an array initializer, `per_line` to a line.
void AppendList(std::string* out, const std::vector<std::string>& items, size_t per_line) {
  for (size_t i = 0; i < items.size(); ++i) {
    *out += i % per_line == 0 ? "    " : " ";
    *out += items[i];
    *out += i + 1 < items.size() ? "," : "";
    if (i % per_line == per_line - 1 || i + 1 == items.size()) *out += "\n";
  }
}

// A categorical feature's map from value to bin: the bits of the float each category stands
// for, sorted, with the category's bin.
struct CatTable {
  size_t feature = 0;
  std::vector<std::pair<uint32_t, uint32_t>> keys;
  uint32_t rare = 0;
};

uint32_t FloatBits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

class Generator {
 public:
  Generator(const GbdtModel& model, const CExportOptions& options) : m_(model), o_(options) {}
  Result<CExport> Run();

 private:
  Status Check();
  void PlanCategoricalSets();
  std::string FloatLit(float v);
  std::string Threshold(const TreeNode& n) { return FloatLit(mapper(n).thresholds()[n.threshold_bin - 1]); }
  const BinMapper& mapper(const TreeNode& n) const { return mappers()[static_cast<size_t>(n.feature)]; }
  const std::vector<BinMapper>& mappers() const { return m_.reference().mappers(); }
  std::string Condition(size_t t, size_t node, bool negate = false);
  void EmitBranches(size_t t, int32_t at, int indent, std::string* out);
  std::string LeafLit(size_t t, size_t leaf) const {
    return o_.quantize ? I(q_->leaves()[t][leaf]) : CDoubleLiteral(m_.trees()[t].leaf_value(static_cast<int>(leaf)));
  }
  void EmitHeader();
  void EmitNames(std::string* out);
  void EmitCategoricals(std::string* out);
  void EmitFloatPredictor(std::string* out);
  void EmitQuantizedPredictor(std::string* out);
  void EmitArrays(std::string* out);
  LockstepCode Lockstep();

  const GbdtModel& m_;
  const CExportOptions& o_;
  std::string P_, M_;  // function prefix, macro prefix
  size_t nf_ = 0, k_ = 1;
  Link link_ = Link::kIdentity;
  std::vector<bool> used_;
  std::vector<int> cat_slot_;  // slot in c[] of each categorical feature the trees use, or -1
  std::vector<CatTable> cats_;
  std::vector<uint32_t> set_words_;               // bitsets of the categorical splits
  std::vector<std::vector<uint32_t>> set_offset_;  // per tree and node: its bitset's first word
  std::optional<QuantizedModel> q_;
  bool math_ = false;
  CExport r_;
};

std::string Generator::FloatLit(float v) {
  if (std::isinf(v)) math_ = true;
  return CFloatLiteral(v);
}

Status Generator::Check() {
  if (!IsIdentifier(o_.prefix))
    return Status::UserError("--prefix '" + o_.prefix + "' is not a C identifier (letters, digits and '_', not starting with a digit, at most 64)");
  P_ = o_.prefix;
  M_ = Upper(o_.prefix);
  const std::string& objective = m_.params().objective;
  if (objective == "binary") link_ = Link::kSigmoid;
  else if (objective == "multiclass") link_ = Link::kSoftmax;
  else if (objective == "poisson") link_ = Link::kExp;
  else if (objective == "regression" || objective == "l1" || objective == "huber") link_ = Link::kIdentity;
  else return Status::UserError("cannot export objective '" + objective + "' to C: its link function is unknown to the generator");
  nf_ = m_.reference().num_features();
  k_ = static_cast<size_t>(m_.num_outputs());
  if (nf_ == 0) return Status::UserError("cannot export a model without features");
  used_.assign(nf_, false);
  for (const Tree& tree : m_.trees())
    for (const TreeNode& n : tree.nodes()) used_[static_cast<size_t>(n.feature)] = true;

  std::string unused;
  size_t num_unused = 0;
  for (size_t f = 0; f < nf_; ++f)
    if (!used_[f] && ++num_unused <= 8) unused += (unused.empty() ? "" : ", ") + m_.reference().feature_name(f);
  if (num_unused > 0)
    r_.notes.push_back(std::to_string(num_unused) + " of " + std::to_string(nf_) +
                       " features are used by no tree and ignored by the generated code: " + unused +
                       (num_unused > 8 ? ", ..." : ""));

  cat_slot_.assign(nf_, -1);
  for (size_t f = 0; f < nf_; ++f) {
    const BinMapper& mp = mappers()[f];
    if (!used_[f]) continue;
    if (o_.quantize && mp.num_bins() > 32768)
      return Status::UserError("cannot quantize feature '" + m_.reference().feature_name(f) + "': its " +
                               std::to_string(mp.num_bins()) + " bins do not fit an int16 bin index (at most 32768)");
    if (mp.kind() != BinMapper::Kind::kCategorical) continue;
    CatTable table;
    table.feature = f;
    table.rare = mp.rare_bin();
    for (size_t i = 0; i < mp.categories().size(); ++i) {
      const std::string& category = mp.categories()[i];
      std::optional<float> v = CategoryAsFloat(category);
      if (!v)
        return Status::UserError(
            "cannot compile categorical feature '" + m_.reference().feature_name(f) + "' (feature " + std::to_string(f) +
            ") to C: its category \"" + category +
            "\" is not a number in shortest form; the generated code takes every feature as a float, so it can "
            "only map categories written as numbers (\"3\", \"12\", \"2.5\"). Encode the column as numeric codes "
            "and train again.");
      if (std::isnan(*v)) continue;  // a NaN value is missing, never this category
      table.keys.push_back({FloatBits(*v), static_cast<uint32_t>(i + 1)});
    }
    std::sort(table.keys.begin(), table.keys.end());
    cat_slot_[f] = static_cast<int>(cats_.size());
    cats_.push_back(std::move(table));
  }

  // Layout.
  int depth = 0;
  size_t total_nodes = 0;
  for (const Tree& tree : m_.trees()) depth = std::max(depth, tree.depth()), total_nodes += tree.nodes().size();
  r_.layout = o_.layout;
  if (o_.layout == CLayout::kBranches && depth > kMaxBranchDepth)
    return Status::UserError("a tree is " + std::to_string(depth) + " levels deep: nested branches deeper than " +
                             std::to_string(kMaxBranchDepth) +
                             " break some C compilers' nesting limits; use --layout arrays");
  size_t total_leaves = 0;
  for (const Tree& tree : m_.trees()) total_leaves += tree.num_leaves();
  if (o_.layout == CLayout::kLockstep && total_leaves >= (size_t{1} << 24))
    return Status::UserError("lockstep keeps leaf numbers in float thresholds, exact below 2^24 leaves; this model has " +
                             std::to_string(total_leaves) + ": use --layout branches or arrays");
  // Auto, by measurement (docs/edge.md, bench/edge): lockstep for float code (1.8 times faster
  // than nested branches at 100 trees, 1.06 at 500); for quantized code lockstep up to
  // kMaxQuantizedLockstepTrees trees (1.34 times at 100, 0.82 at 500: integer compares make
  // branches cheaper), and for trees too deep to nest.
  if (o_.layout == CLayout::kAuto)
    r_.layout = !o_.quantize || m_.trees().size() <= kMaxQuantizedLockstepTrees || depth > kMaxBranchDepth
                    ? CLayout::kLockstep
                    : CLayout::kBranches;
  if (r_.layout != CLayout::kBranches && total_nodes == 0) {
    r_.layout = CLayout::kBranches;  // no node to put in a table
    r_.notes.push_back("the trees have no splits: layout branches");
  }

  if (o_.quantize) {
    TESSERA_ASSIGN_OR_RETURN(QuantizedModel q, QuantizedModel::FromModel(m_));
    q_ = std::move(q);
    r_.score_shift = q_->shift();
  }
  return Status::Ok();
}

void Generator::PlanCategoricalSets() {
  std::map<std::vector<uint32_t>, uint32_t> seen;
  for (const Tree& tree : m_.trees()) {
    std::vector<uint32_t> offsets(tree.nodes().size(), 0);
    for (size_t i = 0; i < tree.nodes().size(); ++i) {
      const TreeNode& n = tree.nodes()[i];
      if (!n.categorical) continue;
      const uint32_t bins = mapper(n).num_bins();
      std::vector<uint32_t> words((bins + 31) / 32, 0);
      for (uint32_t b = 0; b < bins; ++b)
        if (n.GoesLeft(b)) words[b / 32] |= uint32_t{1} << (b % 32);
      auto [it, fresh] = seen.emplace(words, static_cast<uint32_t>(set_words_.size()));
      if (fresh) set_words_.insert(set_words_.end(), words.begin(), words.end());
      offsets[i] = it->second;
    }
    set_offset_.push_back(std::move(offsets));
  }
}

// The C expression that is true when a row goes left at node `node` of tree `t` (right when
// `negate`). Float code reads x[f] (raw values) and c[slot] (bins of categorical features);
// quantized code reads b[f] (bins).
std::string Generator::Condition(size_t t, size_t node, bool negate) {
  const TreeNode& n = m_.trees()[t].nodes()[node];
  auto neg = [&](const std::string& cond) { return negate ? "!(" + cond + ")" : cond; };
  const std::string off = U(set_offset_[t][node]);
  if (o_.quantize) {
    const std::string b = "b[" + I(n.feature) + "]", tb = U(n.threshold_bin);
    if (n.categorical)
      return neg(b + " < " + U(mapper(n).num_bins()) + " && ((cat_sets[" + off + " + (" + b + " >> 5)] >> (" + b +
                 " & 31u)) & 1u)");
    if (n.default_left) return b + (negate ? " > " : " <= ") + tb;
    return neg(b + " != 0u && " + b + " <= " + tb);
  }
  if (n.categorical) {
    const std::string c = "c[" + I(cat_slot_[static_cast<size_t>(n.feature)]) + "]";
    return neg("(cat_sets[" + off + " + (" + c + " >> 5)] >> (" + c + " & 31u)) & 1u");
  }
  const std::string x = "x[" + I(n.feature) + "]";
  const std::string t_lit = Threshold(n);
  // NaN compares false: "v <= t" sends missing values right, "!(v > t)" sends them left.
  if (n.default_left) return (negate ? "" : "!(") + x + " > " + t_lit + (negate ? "" : ")");
  return neg(x + " <= " + t_lit);
}

// Nested if/else for the subtree at `at`; a leaf child returns at once, so that chains of leaves
// do not nest.
void Generator::EmitBranches(size_t t, int32_t at, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (at < 0) {
    *out += pad + "return " + LeafLit(t, static_cast<size_t>(~at)) + ";\n";
    return;
  }
  const TreeNode& n = m_.trees()[t].nodes()[static_cast<size_t>(at)];
  const std::string cond = Condition(t, static_cast<size_t>(at));
  if (n.left < 0) {
    *out += pad + "if (" + cond + ") return " + LeafLit(t, static_cast<size_t>(~n.left)) + ";\n";
    EmitBranches(t, n.right, indent, out);
  } else if (n.right < 0) {
    *out += pad + "if (" + Condition(t, static_cast<size_t>(at), true) + ") return " +
            LeafLit(t, static_cast<size_t>(~n.right)) + ";\n";
    EmitBranches(t, n.left, indent, out);
  } else {
    *out += pad + "if (" + cond + ") {\n";
    EmitBranches(t, n.left, indent + 1, out);
    *out += pad + "} else {\n";
    EmitBranches(t, n.right, indent + 1, out);
    *out += pad + "}\n";
  }
}

void Generator::EmitNames(std::string* out) {
  *out += "const char *const " + P_ + "_feature_names[" + M_ + "_NUM_FEATURES] = {\n";
  std::vector<std::string> names;
  for (size_t f = 0; f < nf_; ++f) names.push_back(CStringLiteral(m_.reference().feature_name(f)));
  AppendList(out, names, 1);
  *out += "};\n";
  const auto& classes = m_.reference().label_classes();
  if (!classes.empty()) {
    std::vector<std::string> lits;
    for (const auto& c : classes) lits.push_back(CStringLiteral(c));
    *out += "const char *const " + P_ + "_class_names[" + M_ + "_NUM_CLASSES] = {\n";
    AppendList(out, lits, 1);
    *out += "};\n";
  }
  *out += "\n";
}

void Generator::EmitCategoricals(std::string* out) {
  if (cats_.empty()) return;
  *out +=
      "/* Categorical features: the value a category stands for (its float's bits, sorted) and the\n"
      " * category's bin. Other values go to the feature's rare bin, NaN to bin 0 (missing). */\n";
  for (const CatTable& c : cats_) {
    if (c.keys.empty()) continue;
    *out += "/* feature " + std::to_string(c.feature) + " " + CommentText(m_.reference().feature_name(c.feature)) + " */\n";
    std::vector<std::string> keys, bins;
    for (const auto& [k, b] : c.keys) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08xu", k);
      keys.push_back(buf), bins.push_back(U(b));
    }
    const std::string name = "f" + std::to_string(c.feature);
    *out += "static const uint32_t " + name + "_keys[" + std::to_string(keys.size()) + "] = {\n";
    AppendList(out, keys, 6);
    *out += "};\nstatic const uint16_t " + name + "_bins[" + std::to_string(bins.size()) + "] = {\n";
    AppendList(out, bins, 12);
    *out += "};\n";
  }
  *out +=
      "\n"
      "static uint32_t cat_bin(const uint32_t *keys, const uint16_t *bins, uint32_t n, uint32_t rare, float v) {\n"
      "  union { float f; uint32_t u; } bits;\n"
      "  uint32_t lo = 0u, hi = n;\n"
      "  bits.f = v;\n"
      "  if ((bits.u & 0x7fffffffu) > 0x7f800000u) return 0u; /* NaN: missing */\n"
      "  while (lo < hi) {\n"
      "    const uint32_t mid = lo + (hi - lo) / 2u;\n"
      "    if (keys[mid] < bits.u) lo = mid + 1u;\n"
      "    else hi = mid;\n"
      "  }\n"
      "  return lo < n && keys[lo] == bits.u ? bins[lo] : rare;\n"
      "}\n\n";
}

// The statement that sets `target` to the bin of categorical slot s from x[f].
std::string CatBinStatement(const CatTable& c, const std::string& target, const std::string& x, const std::string& cast) {
  const std::string v = x + "[" + std::to_string(c.feature) + "]";
  if (c.keys.empty()) return target + " = " + cast + "(" + v + " != " + v + " ? 0u : " + U(c.rare) + ");\n";
  const std::string n = "f" + std::to_string(c.feature);
  return target + " = " + cast + "cat_bin(" + n + "_keys, " + n + "_bins, " + U(c.keys.size()) + ", " + U(c.rare) +
         ", " + v + ");\n";
}

void Generator::EmitArrays(std::string* out) {
  const auto& trees = m_.trees();
  size_t total_nodes = 0, total_leaves = 0;
  for (const Tree& tree : trees) total_nodes += tree.nodes().size(), total_leaves += tree.num_leaves();
  const bool wide_child = total_nodes > 32767 || total_leaves > 32768;
  const std::string child_t = wide_child ? "int32_t" : "int16_t";
  const bool wide_fk = nf_ >= 16384;
  const std::string fk_t = wide_fk ? "uint32_t" : "uint16_t";
  const int kind_shift = wide_fk ? 30 : 14;
  uint64_t max_value = set_words_.size();
  if (o_.quantize)
    for (const Tree& tree : trees)
      for (const TreeNode& n : tree.nodes()) max_value = std::max<uint64_t>(max_value, n.threshold_bin);
  const std::string value_t = max_value > 65535 ? "uint32_t" : "uint16_t";
  const std::string node = o_.quantize ? "qnode" : "node";

  const std::string shift = std::to_string(kind_shift);
  *out += std::string("/* The trees as one table of nodes. fk holds the kind of test and the feature") +
          (o_.quantize ? "" : " (categorical:\n * its slot in c[])") +
          "; child >= 0 is a node, child < 0 is leaf ~child. */\n"
          "#define MISSING_RIGHT 0u            /* numeric, missing values go right */\n"
          "#define MISSING_LEFT (1u << " + shift + ")     /* numeric, missing values go left */\n"
          "#define CATEGORICAL (2u << " + shift + ")      /* categorical: a bitset in cat_sets */\n";
  if (o_.quantize) {
    *out += "struct qnode {\n  " + value_t + " v; /* numeric: bins 1..v go left; categorical: bitset offset */\n  " + fk_t +
            " fk;\n  " + child_t + " child[2];\n};\n";
  } else {
    *out += "struct node {\n  union {\n    float threshold; /* numeric: values <= threshold go left */\n"
            "    uint32_t set;    /* categorical: bitset offset in cat_sets */\n  } v;\n  " +
            fk_t + " fk;\n  " + child_t + " child[2];\n};\n";
  }
  std::vector<std::string> rows, leaves, roots;
  size_t node_base = 0, leaf_base = 0;
  for (size_t t = 0; t < trees.size(); ++t) {
    const Tree& tree = trees[t];
    auto ref = [&](int32_t c) {
      return c >= 0 ? I(static_cast<int64_t>(node_base) + c) : I(~(static_cast<int64_t>(leaf_base) + ~c));
    };
    roots.push_back(tree.nodes().empty() ? ref(-1) : ref(0));
    for (size_t i = 0; i < tree.nodes().size(); ++i) {
      const TreeNode& n = tree.nodes()[i];
      const uint32_t kind = n.categorical ? 2 : (n.default_left ? 1 : 0);
      uint64_t field = static_cast<uint64_t>(n.feature);
      if (n.categorical && !o_.quantize) field = static_cast<uint64_t>(cat_slot_[static_cast<size_t>(n.feature)]);
      const char* kinds[] = {"MISSING_RIGHT | ", "MISSING_LEFT | ", "CATEGORICAL | "};
      const std::string fk = kinds[kind] + U(field);
      std::string v;
      if (o_.quantize) v = U(n.categorical ? set_offset_[t][i] : n.threshold_bin);
      else v = n.categorical ? "{.set = " + U(set_offset_[t][i]) + "}" : "{" + Threshold(n) + "}";
      rows.push_back("{" + v + ", " + fk + ", {" + ref(n.left) + ", " + ref(n.right) + "}}");
    }
    for (size_t l = 0; l < tree.num_leaves(); ++l) leaves.push_back(LeafLit(t, l));
    node_base += tree.nodes().size();
    leaf_base += tree.num_leaves();
  }
  const std::string q = o_.quantize ? "q" : "";
  *out += "static const struct " + node + " " + q + "nodes[" + std::to_string(rows.size()) + "] = {\n";
  AppendList(out, rows, 1);
  *out += "};\n";
  *out += std::string("static const ") + (o_.quantize ? "int32_t" : "double") + " " + q + "leaves[" +
          std::to_string(leaves.size()) + "] = {\n";
  AppendList(out, leaves, o_.quantize ? 8 : 4);
  *out += "};\n";
  *out += "/* The root of each tree (a leaf when the tree has no split). */\n";
  *out += "static const " + child_t + " " + q + "roots[" + M_ + "_NUM_TREES] = {\n";
  AppendList(out, roots, 12);
  *out += "};\n";
  if (o_.quantize) {
    std::vector<std::string> nb;
    for (const auto& mp : mappers()) nb.push_back(U(std::min<uint32_t>(mp.num_bins(), 65535)));
    if (!set_words_.empty()) {
      *out += "static const uint16_t num_bins[" + M_ + "_NUM_FEATURES] = {\n";
      AppendList(out, nb, 12);
      *out += "};\n";
    }
  }
  *out += "\n";

  const std::string mask = U((uint64_t{1} << kind_shift) - 1);
  const bool any_cat = !set_words_.empty();
  if (o_.quantize) {
    *out += "static int32_t qwalk(int32_t n, const uint16_t *b) {\n"
            "  while (n >= 0) {\n"
            "    const struct qnode *p = &qnodes[n];\n"
            "    const uint32_t f = p->fk & " + mask + ";\n"
            "    const uint32_t bin = b[f];\n"
            "    int left;\n"
            "    switch (p->fk >> " + std::to_string(kind_shift) + ") {\n"
            "      case 0: left = bin != 0u && bin <= p->v; break;\n";
    if (any_cat)
      *out += "      case 1: left = bin <= p->v; break;\n"
              "      default: left = bin < num_bins[f] && ((cat_sets[p->v + (bin >> 5)] >> (bin & 31u)) & 1u); break;\n";
    else
      *out += "      default: left = bin <= p->v; break;\n";
    *out += "    }\n"
            "    n = p->child[!left];\n"
            "  }\n"
            "  return qleaves[~n];\n"
            "}\n\n";
  } else {
    *out += std::string("static double walk(int32_t n, const float *x") + (cats_.empty() ? "" : ", const uint16_t *c") +
            ") {\n"
            "  while (n >= 0) {\n"
            "    const struct node *p = &nodes[n];\n"
            "    const uint32_t f = p->fk & " + mask + ";\n"
            "    int left;\n"
            "    switch (p->fk >> " + std::to_string(kind_shift) + ") {\n"
            "      case 0: left = x[f] <= p->v.threshold; break;\n";
    if (any_cat)
      *out += "      case 1: left = !(x[f] > p->v.threshold); break;\n"
              "      default: left = (int)((cat_sets[p->v.set + (c[f] >> 5)] >> (c[f] & 31u)) & 1u); break;\n";
    else
      *out += "      default: left = !(x[f] > p->v.threshold); break;\n";
    *out += "    }\n"
            "    n = p->child[!left];\n"
            "  }\n"
            "  return leaves[~n];\n"
            "}\n\n";
  }
}

// The C expression for the value of the leaf tree t reached (in reached[t]).
std::string LeafOf(const LockstepCode& ls) {
  std::string e = ls.leaf_of_entry;
  return e.replace(e.find('@'), 1, "reached[t]");
}

LockstepCode Generator::Lockstep() {
  LockstepInput in;
  in.model = &m_;
  in.quantize = o_.quantize;
  in.macro_prefix = M_;
  in.cat_slot = cat_slot_;
  in.set_offset = &set_offset_;
  in.float_literal = [this](float v) { return FloatLit(v); };
  in.leaf_literal = [this](size_t t, size_t l) { return LeafLit(t, l); };
  return EmitLockstep(in);
}

void Generator::EmitFloatPredictor(std::string* out) {
  const auto& trees = m_.trees();
  const bool arrays = r_.layout == CLayout::kArrays;
  const bool lockstep = r_.layout == CLayout::kLockstep;
  LockstepCode ls;
  const std::string cat_param = cats_.empty() ? "" : ", const uint16_t *c";
  const std::string cat_arg = cats_.empty() ? "" : ", c";
  std::vector<std::string> core_calls;
  if (!cats_.empty()) core_calls.push_back("cat_bin");
  if (arrays) {
    EmitArrays(out);
    core_calls.push_back("walk");
  } else if (lockstep) {
    ls = Lockstep();
    *out += ls.definitions;
    core_calls.push_back(ls.walk);
  } else {
    *out += "/* One function per tree: the value of the leaf a row reaches. */\n";
    for (size_t t = 0; t < trees.size(); ++t) {
      const std::string name = "tree_" + std::to_string(t);
      *out += "static double " + name + "(const float *x" + cat_param + ") {\n";
      bool any_node = false, any_categorical = false;
      for (const TreeNode& n : trees[t].nodes()) any_node = true, any_categorical |= n.categorical;
      if (!any_node) *out += "  (void)x;\n";
      if (!cats_.empty() && !any_categorical) *out += "  (void)c;\n";
      EmitBranches(t, trees[t].nodes().empty() ? -1 : 0, 1, out);
      *out += "}\n\n";
      core_calls.push_back(name);
    }
  }
  // The raw scores in double, adding the trees of each output in order as GbdtModel::PredictRaw
  // does, so that they are the engine's to the last bit.
  *out += "/* Raw scores: init score plus the trees of each output, in double, in tree order. */\n";
  *out += "static void predict_raw(const float *x, double *raw) {\n";
  if (!cats_.empty()) *out += "  uint16_t c[" + std::to_string(cats_.size()) + "];\n";
  if (arrays) *out += "  uint32_t t;\n";
  if (lockstep)
    *out += "  float v[" + std::to_string(ls.value_slots) + "]; /* the values the trees test */\n  " + ls.reached_type +
            " reached[" + M_ + "_NUM_TREES + 1u];\n  uint32_t t;\n";
  for (size_t s = 0; s < cats_.size(); ++s) *out += "  " + CatBinStatement(cats_[s], "c[" + std::to_string(s) + "]", "x", "(uint16_t)");
  if (lockstep) *out += ls.fill + "  " + ls.walk + "(v, reached);\n";
  for (size_t k = 0; k < k_; ++k) *out += "  raw[" + std::to_string(k) + "] = " + CDoubleLiteral(m_.init_score()[k]) + ";\n";
  if (lockstep) {
    *out += "  for (t = 0u; t < " + M_ + "_NUM_TREES; ++t) raw[t % " + M_ + "_NUM_OUTPUTS] += " + LeafOf(ls) + ";\n";
  } else if (arrays) {
    *out += "  for (t = 0u; t < " + M_ + "_NUM_TREES; ++t) raw[t % " + M_ + "_NUM_OUTPUTS] += walk(roots[t], x" + cat_arg + ");\n";
  } else {
    for (size_t t = 0; t < trees.size(); ++t)
      *out += "  raw[" + std::to_string(t % k_) + "] += tree_" + std::to_string(t) + "(x" + cat_arg + ");\n";
  }
  *out += "}\n\n";
  r_.calls["predict_raw"] = core_calls;

  *out += "void " + P_ + "_predict_raw(const float *features, float *out) {\n"
          "  double raw[" + M_ + "_NUM_OUTPUTS];\n"
          "  int k;\n"
          "  predict_raw(features, raw);\n"
          "  for (k = 0; k < " + M_ + "_NUM_OUTPUTS; ++k) out[k] = (float)raw[k];\n"
          "}\n\n";
  *out += "void " + P_ + "_predict(const float *features, float *out) {\n"
          "  double raw[" + M_ + "_NUM_OUTPUTS];\n";
  switch (link_) {
    case Link::kIdentity:
      *out += "  int k;\n  predict_raw(features, raw);\n"
              "  for (k = 0; k < " + M_ + "_NUM_OUTPUTS; ++k) out[k] = (float)raw[k];\n";
      break;
    case Link::kSigmoid:
      *out += "  predict_raw(features, raw);\n"
              "  out[0] = (float)(1.0 / (1.0 + exp(-raw[0])));\n";
      break;
    case Link::kExp:
      *out += "  predict_raw(features, raw);\n"
              "  out[0] = (float)exp(raw[0]);\n";
      break;
    case Link::kSoftmax:
      *out += "  double top, sum = 0.0;\n"
              "  int k;\n"
              "  predict_raw(features, raw);\n"
              "  top = raw[0];\n"
              "  for (k = 1; k < " + M_ + "_NUM_OUTPUTS; ++k) if (raw[k] > top) top = raw[k];\n"
              "  for (k = 0; k < " + M_ + "_NUM_OUTPUTS; ++k) sum += (raw[k] = exp(raw[k] - top));\n"
              "  for (k = 0; k < " + M_ + "_NUM_OUTPUTS; ++k) out[k] = (float)(raw[k] / sum);\n";
      break;
  }
  *out += "}\n";
  if (link_ != Link::kIdentity) math_ = true, r_.needs_libm = true;
  r_.entry_points = {P_ + "_predict", P_ + "_predict_raw"};
  r_.calls[P_ + "_predict"] = {"predict_raw"};
  r_.calls[P_ + "_predict_raw"] = {"predict_raw"};
}

void Generator::EmitQuantizedPredictor(std::string* out) {
  const auto& trees = m_.trees();
  const bool arrays = r_.layout == CLayout::kArrays;
  // Binning: what the engine does to raw values (BinMapper::BinOfValue, categories by value).
  std::vector<std::string> bin_calls;
  std::string binning;
  binning += "/* Binning raw values as the engine does: numeric value v falls in bin 1 + #{thresholds < v},\n"
             " * NaN in bin 0. Features no tree uses get bin 0. Define " + M_ + "_NO_BINNING to leave this out\n"
             " * (and with it every float) when the bins come from elsewhere. */\n"
             "#ifndef " + M_ + "_NO_BINNING\n";
  bool any_numeric = false;
  std::string thresholds, statements;
  for (size_t f = 0; f < nf_; ++f) {
    const BinMapper& mp = mappers()[f];
    const std::string name = CommentText(m_.reference().feature_name(f));
    const std::string target = "bins[" + std::to_string(f) + "]";
    if (!used_[f]) {
      statements += "  " + target + " = 0; /* " + name + ": not used */\n";
    } else if (mp.kind() == BinMapper::Kind::kCategorical) {
      statements += "  " + CatBinStatement(cats_[static_cast<size_t>(cat_slot_[f])], target, "features", "(int16_t)");
    } else if (mp.thresholds().empty()) {
      statements += "  " + target + " = (int16_t)(features[" + std::to_string(f) + "] != features[" + std::to_string(f) + "] ? 0 : 1);\n";
    } else {
      any_numeric = true;
      std::vector<std::string> lits;
      for (float t : mp.thresholds()) lits.push_back(FloatLit(t));
      thresholds += "static const float thresholds_" + std::to_string(f) + "[" + std::to_string(lits.size()) + "] = { /* " + name + " */\n";
      AppendList(&thresholds, lits, 6);
      thresholds += "};\n";
      statements += "  " + target + " = num_bin(thresholds_" + std::to_string(f) + ", " + U(lits.size()) + ", features[" +
                    std::to_string(f) + "]);\n";
    }
  }
  EmitCategoricals(&binning);
  binning += thresholds;
  if (any_numeric) {
    binning +=
        "\nstatic int16_t num_bin(const float *t, uint32_t n, float v) {\n"
        "  union { float f; uint32_t u; } bits;\n"
        "  uint32_t lo = 0u;\n"
        "  bits.f = v;\n"
        "  if ((bits.u & 0x7fffffffu) > 0x7f800000u) return 0; /* NaN: missing */\n"
        "  while (n > 0u) {\n"
        "    const uint32_t half = n / 2u;\n"
        "    if (t[lo + half] < v) {\n"
        "      lo += half + 1u;\n"
        "      n -= half + 1u;\n"
        "    } else {\n"
        "      n = half;\n"
        "    }\n"
        "  }\n"
        "  return (int16_t)(lo + 1u);\n"
        "}\n";
    bin_calls.push_back("num_bin");
  }
  if (!cats_.empty()) bin_calls.push_back("cat_bin");
  binning += "\nvoid " + P_ + "_bin_features(const float *features, int16_t *bins) {\n" + statements + "}\n";
  binning += "#endif /* " + M_ + "_NO_BINNING */\n\n";
  *out += binning;

  std::vector<std::string> calls;
  const bool lockstep = r_.layout == CLayout::kLockstep;
  LockstepCode ls;
  if (arrays) {
    EmitArrays(out);
    calls.push_back("qwalk");
  } else if (lockstep) {
    ls = Lockstep();
    *out += ls.definitions;
    calls.push_back(ls.walk);
  } else {
    *out += "/* One function per tree: the fixed-point value of the leaf a row reaches. */\n";
    for (size_t t = 0; t < trees.size(); ++t) {
      const std::string name = "qtree_" + std::to_string(t);
      *out += "static int32_t " + name + "(const uint16_t *b) {\n";
      if (trees[t].nodes().empty()) *out += "  (void)b;\n";
      EmitBranches(t, trees[t].nodes().empty() ? -1 : 0, 1, out);
      *out += "}\n\n";
      calls.push_back(name);
    }
  }
  *out += "void " + P_ + "_predict_quantized(const int16_t *bins, int32_t *out) {\n"
          "  const uint16_t *b = (const uint16_t *)bins;\n";
  if (arrays) *out += "  uint32_t t;\n";
  if (lockstep)
    *out += "  " + ls.value_type + " v[" + std::to_string(ls.value_slots) + "]; /* the values the trees test */\n  " + ls.reached_type +
            " reached[" + M_ + "_NUM_TREES + 1u];\n  uint32_t t;\n" + ls.fill + "  " + ls.walk + "(v, reached);\n";
  for (size_t k = 0; k < k_; ++k) *out += "  out[" + std::to_string(k) + "] = " + I(q_->init()[k]) + ";\n";
  if (lockstep) {
    *out += "  for (t = 0u; t < " + M_ + "_NUM_TREES; ++t) out[t % " + M_ + "_NUM_OUTPUTS] += " + LeafOf(ls) + ";\n";
  } else if (arrays) {
    *out += "  for (t = 0u; t < " + M_ + "_NUM_TREES; ++t) out[t % " + M_ + "_NUM_OUTPUTS] += qwalk(qroots[t], b);\n";
  } else {
    for (size_t t = 0; t < trees.size(); ++t)
      *out += "  out[" + std::to_string(t % k_) + "] += qtree_" + std::to_string(t) + "(b);\n";
    if (trees.empty()) *out += "  (void)b;\n";
  }
  *out += "}\n";
  r_.entry_points = {P_ + "_bin_features", P_ + "_predict_quantized"};
  r_.no_binning_macro = M_ + "_NO_BINNING";
  r_.calls[P_ + "_bin_features"] = bin_calls;
  r_.calls[P_ + "_predict_quantized"] = calls;
}

void Generator::EmitHeader() {
  const auto& ref = m_.reference();
  const std::string guard = M_ + "_MODEL_H_";
  std::string& h = r_.header;
  h += "/* " + P_ + " model: generated by Tessera " + std::string(TESSERA_VERSION) + " (tessera export --format c" +
       (o_.quantize ? " --quantize" : "") + ")" + (o_.model_name.empty() ? "" : " from " + CommentText(o_.model_name)) +
       ". Do not edit.\n"
       " * Objective " + CommentText(m_.params().objective) + ", " + std::to_string(m_.trees().size()) + " trees, " +
       std::to_string(nf_) + " features, " + std::to_string(k_) + (k_ == 1 ? " output" : " outputs") + "; layout " +
       std::string(ToString(r_.layout)) + ".\n"
       " * Portable C99: no allocation, no mutable global state (every table is const), so the\n"
       " * functions are reentrant and thread-safe. See docs/edge.md. */\n"
       "#ifndef " + guard + "\n#define " + guard + "\n\n#include <stdint.h>\n\n"
       "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "#define " + M_ + "_NUM_FEATURES " + std::to_string(nf_) + "\n";
  h += "#define " + M_ + "_NUM_OUTPUTS " + std::to_string(k_) + "\n";
  h += "#define " + M_ + "_NUM_TREES " + std::to_string(m_.trees().size()) + "\n";
  h += "#define " + M_ + "_OBJECTIVE " + CStringLiteral(m_.params().objective) + "\n";
  if (!ref.label_classes().empty()) h += "#define " + M_ + "_NUM_CLASSES " + std::to_string(ref.label_classes().size()) + "\n";
  h += "\n/* The features, in the order the functions read them (features[i]):\n";
  for (size_t f = 0; f < nf_; ++f) {
    const BinMapper& mp = mappers()[f];
    std::string what;
    if (!used_[f]) {
      what = "not used by the trees";
    } else if (mp.kind() == BinMapper::Kind::kNumeric) {
      what = "numeric";
      // The caller computes derived datetime parts itself (the readers do it for files).
      const data::Column& column = ref.schema().column(ref.feature_columns()[f]);
      if (column.derived)
        what += ", the UTC " + std::string(data::ToString(column.derived->part)) +
                (column.derived->part == data::DatetimePart::kWeekday ? " (0 = Monday)" : "") + " of datetime " +
                CommentText(column.derived->source) + ", computed by the caller (docs/data.md)";
      else if (column.type == data::ColumnType::kDatetime)
        what += ", seconds since 1970-01-01 UTC";
    } else {
      what = "categorical, codes";
      const auto& cats = mp.categories();
      for (size_t i = 0; i < cats.size() && i < 8; ++i) what += (i ? ", " : " ") + CommentText(cats[i]);
      if (cats.size() > 8) what += ", ... (" + std::to_string(cats.size()) + " codes)";
      else if (cats.empty()) what += " (none)";
      what += "; other codes share the rare bin";
    }
    h += " *   " + std::to_string(f) + "  " + CommentText(ref.feature_name(f)) + "  " + what + "\n";
  }
  h += " * A missing value is NaN. A categorical feature's value is its category's numeric code. */\n";
  h += "extern const char *const " + P_ + "_feature_names[" + M_ + "_NUM_FEATURES];\n";
  if (!ref.label_classes().empty())
    h += "/* The label's classes (class k is output k for multiclass; binary predicts the second). */\n"
         "extern const char *const " + P_ + "_class_names[" + M_ + "_NUM_CLASSES];\n";
  h += "\n";
  if (o_.quantize) {
    h += "/* Quantized scores are fixed point: raw score = out[k] / " + M_ + "_SCORE_SCALE (2^" + M_ + "_SCORE_SHIFT).\n"
         " * The shift is the largest that keeps every sum within int32. No link function is applied:\n"
         " * for binary, out[0] > 0 means probability > 0.5; for multiclass, the largest out[k] wins. */\n";
    h += "#define " + M_ + "_SCORE_SHIFT " + std::to_string(q_->shift()) + "\n";
    h += "#define " + M_ + "_SCORE_SCALE " + CDoubleLiteral(q_->scale()) + "\n\n";
    h += "/* Bins of raw features: bins[i] for features[i] (NaN = missing = bin 0), as the engine\n"
         " * bins them. Uses float; absent when " + M_ + "_NO_BINNING is defined. */\n"
         "void " + P_ + "_bin_features(const float *features, int16_t *bins);\n";
    h += "/* Integer-only prediction from bins: " + M_ + "_NUM_OUTPUTS fixed-point raw scores. */\n"
         "void " + P_ + "_predict_quantized(const int16_t *bins, int32_t *out);\n";
  } else {
    std::string link;
    switch (link_) {
      case Link::kIdentity: link = "the raw score (identity link)"; break;
      case Link::kSigmoid: link = "the probability of the positive class, 1 / (1 + exp(-raw))"; break;
      case Link::kSoftmax: link = "class probabilities, softmax of the raw scores"; break;
      case Link::kExp: link = "the mean, exp(raw)"; break;
    }
    h += "/* Predictions as `tessera predict` writes them: " + link + ".\n"
         " * Reads " + M_ + "_NUM_FEATURES floats, writes " + M_ + "_NUM_OUTPUTS floats." +
         (link_ == Link::kIdentity ? "" : " Calls exp() from <math.h> (link with -lm).") + " */\n";
    h += "void " + P_ + "_predict(const float *features, float *out);\n";
    h += "/* Raw scores (margins), as `tessera predict --raw-score`. */\n";
    h += "void " + P_ + "_predict_raw(const float *features, float *out);\n";
  }
  h += "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
}

Result<CExport> Generator::Run() {
  TESSERA_RETURN_IF_ERROR(Check());
  PlanCategoricalSets();
  std::string body;
  EmitNames(&body);
  if (!o_.quantize) EmitCategoricals(&body);
  if (!set_words_.empty()) {
    body += "/* Bitsets of the categorical splits: bit b of a split's words says whether bin b goes left\n"
            " * (bin 0, missing, goes its learned default way). */\n";
    std::vector<std::string> words;
    for (uint32_t w : set_words_) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08xu", w);
      words.push_back(buf);
    }
    body += "static const uint32_t cat_sets[" + std::to_string(words.size()) + "] = {\n";
    AppendList(&body, words, 6);
    body += "};\n\n";
  }
  if (o_.quantize) EmitQuantizedPredictor(&body);
  else EmitFloatPredictor(&body);
  EmitHeader();

  std::string& s = r_.source;
  s = "/* " + P_ + " model: generated by Tessera " + std::string(TESSERA_VERSION) +
      (o_.model_name.empty() ? "" : " from " + CommentText(o_.model_name)) + ". Do not edit; see model.h. */\n";
  s += "#include \"model.h\"\n";
  if (math_) s += "#include <math.h>\n";
  s += "\n";
  if (!o_.quantize)
    s += "/* Missing values are NaN, and NaN must compare false: no -ffast-math / -ffinite-math-only. */\n"
         "#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)\n"
         "#error \"model.c needs IEEE NaN (missing values): compile it without -ffast-math\"\n"
         "#endif\n\n";
  s += body;
  return std::move(r_);
}

}  // namespace

Result<CExport> GenerateC(const models::gbdt::GbdtModel& model, const CExportOptions& options) {
  return Generator(model, options).Run();
}

std::string_view ToString(CLayout layout) {
  switch (layout) {
    case CLayout::kAuto: return "auto";
    case CLayout::kBranches: return "branches";
    case CLayout::kArrays: return "arrays";
    case CLayout::kLockstep: return "lockstep";
  }
  return "auto";
}

std::optional<CLayout> CLayoutFromString(std::string_view name) {
  if (name == "auto") return CLayout::kAuto;
  if (name == "branches") return CLayout::kBranches;
  if (name == "arrays") return CLayout::kArrays;
  if (name == "lockstep") return CLayout::kLockstep;
  return std::nullopt;
}

std::string CStringLiteral(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '?': out += "\\?"; break;  // no trigraph (??=) can form
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += static_cast<char>(c);
        } else {  // three octal digits: never swallows a following digit, unlike \x
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        }
    }
  }
  return out + "\"";
}

std::optional<float> CategoryAsFloat(std::string_view category) {
  float v = 0;
  const char* end = category.data() + category.size();
  auto [ptr, ec] = std::from_chars(category.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  char text[64];
  const char* text_end = std::to_chars(text, text + sizeof text, v).ptr;
  if (std::string_view(text, static_cast<size_t>(text_end - text)) != category) return std::nullopt;
  return v;
}

namespace {
template <typename T>
std::string Shortest(T v) {
  char text[64];
  const char* end = std::to_chars(text, text + sizeof text, v).ptr;
  std::string s(static_cast<const char*>(text), end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // "3" would be an int
  return s;
}
}  // namespace

std::string CFloatLiteral(float v) {
  if (std::isinf(v)) return v > 0 ? "HUGE_VALF" : "-HUGE_VALF";
  return Shortest(v) + "f";
}

std::string CDoubleLiteral(double v) {
  if (std::isinf(v)) return v > 0 ? "HUGE_VAL" : "-HUGE_VAL";
  return Shortest(v);
}

}  // namespace tessera::edge
