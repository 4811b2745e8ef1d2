// XGBoost JSON models (Booster.save_model("m.json"), XGBoost 1.x/2.x; tested against 1.7) into a
// Tessera model document. The parts read, and what becomes of them:
//
//   learner.learner_model_param  base_score (with the objective: the starting score),
//                                num_class, num_feature, num_target (> 1 is refused)
//   learner.objective.name       the link: see ObjectiveOf
//   learner.feature_names/types  feature names (f0, f1, ... when empty); type "c" = categorical
//   learner.gradient_booster     gbtree, or dart (leaves scaled by weight_drop); gblinear refused
//     model.tree_info            the class of each tree (trees are regrouped iteration-major)
//     model.trees[]              left/right_children, split_indices, split_conditions (the leaf
//                                value at a leaf), default_left, split_type, categories*,
//                                sum_hessian (the cover TreeSHAP uses), loss_changes (gain)
//
// XGBoost sends a value left when v < split_condition (float compare); Tessera's threshold is the
// float just below it (detail::TesseraThreshold). A categorical split lists the categories that
// go right; every other code, including codes never seen in training, goes left.
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "foreign_model.h"
#include "tessera/interop/import.h"

namespace tessera::interop {

namespace {

using nlohmann::json;

// XGBoost writes NaN (the split_condition of a categorical split) and infinities as bare words,
// which JSON does not allow. They become null and the strings "Infinity"/"-Infinity" before
// parsing; `shifts` records where text grew so that parse errors still point into the file.
std::string ReplaceNonFiniteWords(std::string_view text,
                                  std::vector<std::pair<size_t, size_t>>* shifts) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    auto word = [&](std::string_view w) { return text.substr(i, w.size()) == w; };
    auto replace = [&](std::string_view w, std::string_view with) {
      shifts->push_back({out.size() + with.size(), with.size() - w.size()});
      out += with;
      i += w.size() - 1;
    };
    if (word("NaN"))
      replace("NaN", "null");
    else if (word("-Infinity"))
      replace("-Infinity", "\"-Infinity\"");
    else if (word("Infinity"))
      replace("Infinity", "\"Infinity\"");
    else
      out += c;
  }
  return out;
}

// Reads typed values out of the parsed document, naming the path of what is wrong.
struct Reader {
  std::string source;

  Status Bad(const std::string& path, const std::string& what) const {
    return Status::UserError(source + ": XGBoost model: " + (path.empty() ? "" : path + ": ") +
                             what);
  }
  Result<const json*> Member(const json& obj, const std::string& key,
                             const std::string& path) const {
    if (!obj.is_object()) return Bad(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) return Bad(path, "missing '" + key + "'");
    return &*it;
  }
  // A number, written as a JSON number, a numeric string ("5E-1", XGBoost's parameters), null
  // (NaN) or "Infinity"/"-Infinity".
  Result<double> Number(const json& v, const std::string& path) const {
    if (v.is_number()) return v.get<double>();
    if (v.is_null()) return std::nan("");
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s == "Infinity") return HUGE_VAL;
      if (s == "-Infinity") return -HUGE_VAL;
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) return d;
    }
    return Bad(path, "expected a number, found " + v.dump());
  }
  Result<int64_t> Integer(const json& v, const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(double d, Number(v, path));
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15)
      return Bad(path, "expected a whole number, found " + v.dump());
    return static_cast<int64_t>(d);
  }
  Result<double> NumberAt(const json& obj, const std::string& key, const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(const json* v, Member(obj, key, path));
    return Number(*v, path + "." + key);
  }
  Result<int64_t> IntegerAt(const json& obj, const std::string& key,
                            const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(const json* v, Member(obj, key, path));
    return Integer(*v, path + "." + key);
  }
  // An array of numbers; `size` is checked unless it is -1.
  Result<std::vector<double>> Numbers(const json& obj, const std::string& key, int64_t size,
                                      const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(const json* v, Member(obj, key, path));
    const std::string at = path + "." + key;
    if (!v->is_array()) return Bad(at, "expected an array");
    if (size >= 0 && v->size() != static_cast<size_t>(size))
      return Bad(
          at, "expected " + std::to_string(size) + " entries, found " + std::to_string(v->size()));
    std::vector<double> out;
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
      TESSERA_ASSIGN_OR_RETURN(double d, Number((*v)[i], at + "[" + std::to_string(i) + "]"));
      out.push_back(d);
    }
    return out;
  }
  Result<std::vector<int64_t>> Integers(const json& obj, const std::string& key, int64_t size,
                                        const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(std::vector<double> d, Numbers(obj, key, size, path));
    std::vector<int64_t> out;
    for (size_t i = 0; i < d.size(); ++i) {
      if (!std::isfinite(d[i]) || d[i] != std::floor(d[i]) || std::fabs(d[i]) > 9e15)
        return Bad(path + "." + key + "[" + std::to_string(i) + "]", "expected a whole number");
      out.push_back(static_cast<int64_t>(d[i]));
    }
    return out;
  }
  Result<std::string> String(const json& obj, const std::string& key,
                             const std::string& path) const {
    TESSERA_ASSIGN_OR_RETURN(const json* v, Member(obj, key, path));
    if (!v->is_string()) return Bad(path + "." + key, "expected a string");
    return v->get<std::string>();
  }
};

// How an XGBoost objective maps onto a Tessera objective with the same link, and how XGBoost
// turns base_score into the starting margin (in float, as XGBoost computes it).
struct ObjectiveMapping {
  std::string tessera;
  enum class Base { kIdentity, kLogit, kLog } base = Base::kIdentity;
};

std::optional<ObjectiveMapping> ObjectiveOf(const std::string& name) {
  using B = ObjectiveMapping::Base;
  if (name == "binary:logistic" || name == "reg:logistic")
    return ObjectiveMapping{"binary", B::kLogit};
  // logitraw: XGBoost predicts the margin and uses base_score as the margin; Tessera's raw score
  // is that margin and its prediction the probability.
  if (name == "binary:logitraw") return ObjectiveMapping{"binary", B::kIdentity};
  if (name == "reg:squarederror" || name == "reg:linear" || name == "reg:squaredlogerror" ||
      name == "reg:pseudohubererror")
    return ObjectiveMapping{"regression", B::kIdentity};
  if (name == "reg:absoluteerror") return ObjectiveMapping{"l1", B::kIdentity};
  if (name == "count:poisson" || name == "reg:gamma" || name == "reg:tweedie")
    return ObjectiveMapping{"poisson", B::kLog};
  if (name == "multi:softprob" || name == "multi:softmax")
    return ObjectiveMapping{"multiclass", B::kIdentity};
  return std::nullopt;
}

// One XGBoost tree as a ForeignTree: nodes and leaves numbered in the order a walk from the root
// meets them (XGBoost numbers both in one sequence, with deleted nodes left in place).
Result<detail::ForeignTree> ReadTree(const Reader& r, const json& tj, const std::string& path,
                                     double weight) {
  TESSERA_ASSIGN_OR_RETURN(const json* param, r.Member(tj, "tree_param", path));
  TESSERA_ASSIGN_OR_RETURN(int64_t n, r.IntegerAt(*param, "num_nodes", path + ".tree_param"));
  if (n < 1 || n > (int64_t{1} << 31)) return r.Bad(path, "num_nodes must be at least 1");
  if (param->contains("size_leaf_vector")) {
    TESSERA_ASSIGN_OR_RETURN(int64_t leaf_vector,
                             r.IntegerAt(*param, "size_leaf_vector", path + ".tree_param"));
    if (leaf_vector > 1)
      return r.Bad(path, "vector leaves (multi_strategy=multi_output_tree) are not supported");
  }
  TESSERA_ASSIGN_OR_RETURN(auto left, r.Integers(tj, "left_children", n, path));
  TESSERA_ASSIGN_OR_RETURN(auto right, r.Integers(tj, "right_children", n, path));
  TESSERA_ASSIGN_OR_RETURN(auto feature, r.Integers(tj, "split_indices", n, path));
  TESSERA_ASSIGN_OR_RETURN(auto condition, r.Numbers(tj, "split_conditions", n, path));
  TESSERA_ASSIGN_OR_RETURN(auto default_left, r.Integers(tj, "default_left", n, path));
  TESSERA_ASSIGN_OR_RETURN(auto hessian, r.Numbers(tj, "sum_hessian", n, path));
  std::vector<double> gain(static_cast<size_t>(n), 0.0);
  if (tj.contains("loss_changes")) {
    TESSERA_ASSIGN_OR_RETURN(gain, r.Numbers(tj, "loss_changes", n, path));
  }
  std::vector<int64_t> split_type(static_cast<size_t>(n), 0);
  if (tj.contains("split_type")) {
    TESSERA_ASSIGN_OR_RETURN(split_type, r.Integers(tj, "split_type", n, path));
  }
  // Categorical splits: categories_nodes[i] lists categories[segments[i] .. + sizes[i]).
  std::vector<int64_t> cat_nodes, cat_segments, cat_sizes, categories;
  if (tj.contains("categories_nodes")) {
    TESSERA_ASSIGN_OR_RETURN(cat_nodes, r.Integers(tj, "categories_nodes", -1, path));
    const int64_t k = static_cast<int64_t>(cat_nodes.size());
    TESSERA_ASSIGN_OR_RETURN(cat_segments, r.Integers(tj, "categories_segments", k, path));
    TESSERA_ASSIGN_OR_RETURN(cat_sizes, r.Integers(tj, "categories_sizes", k, path));
    TESSERA_ASSIGN_OR_RETURN(categories, r.Integers(tj, "categories", -1, path));
  }

  std::unordered_map<int64_t, size_t> cat_entry;  // node id -> its entry in categories_nodes
  for (size_t c = 0; c < cat_nodes.size(); ++c) cat_entry[cat_nodes[c]] = c;

  detail::ForeignTree tree;
  const size_t count = static_cast<size_t>(n);
  // Walk from the root: node ids -> ForeignNode index, or leaf index (as ~index).
  std::vector<int64_t> index(count, 0);
  std::vector<char> seen(count, 0);
  std::vector<int64_t> stack = {0};
  std::vector<int64_t> visit;  // node ids in the order they got their index
  seen[0] = 1;
  while (!stack.empty()) {
    const int64_t id = stack.back();
    stack.pop_back();
    const size_t i = static_cast<size_t>(id);
    const std::string where = path + " node " + std::to_string(id);
    const bool leaf = left[i] == -1;
    if (leaf) {
      if (right[i] != -1) return r.Bad(where, "a leaf (left child -1) with a right child");
      index[i] = ~static_cast<int64_t>(tree.leaf_values.size());
      if (!std::isfinite(condition[i])) return r.Bad(where, "leaf value is not finite");
      // XGBoost keeps leaf values (and DART weights) as float32.
      tree.leaf_values.push_back(static_cast<double>(static_cast<float>(condition[i])) *
                                 static_cast<double>(static_cast<float>(weight)));
      tree.leaf_covers.push_back(hessian[i]);
      tree.leaf_counts.push_back(0);  // XGBoost keeps no row counts
      continue;
    }
    index[i] = static_cast<int64_t>(tree.nodes.size());
    tree.nodes.emplace_back();
    visit.push_back(id);
    for (int64_t c : {right[i], left[i]}) {
      if (c <= 0 || c >= n) return r.Bad(where, "child " + std::to_string(c) + " out of range");
      if (seen[static_cast<size_t>(c)]++)
        return r.Bad(where, "node " + std::to_string(c) + " is reached twice (not a tree)");
      stack.push_back(c);
    }
  }
  for (size_t k = 0; k < visit.size(); ++k) {
    const size_t i = static_cast<size_t>(visit[k]);
    const std::string where = path + " node " + std::to_string(visit[k]);
    detail::ForeignNode& node = tree.nodes[k];
    node.feature = feature[i];
    node.default_left = default_left[i] != 0;
    node.left = index[static_cast<size_t>(left[i])];
    node.right = index[static_cast<size_t>(right[i])];
    node.gain = gain[i];
    node.cover = hessian[i];
    node.count = 0;
    if (split_type[i] == 1) {
      node.categorical = true;
      node.listed_go_left = false;  // XGBoost: the listed categories go right
      auto entry = cat_entry.find(visit[k]);
      if (entry == cat_entry.end())
        return r.Bad(where, "categorical split without an entry in categories_nodes");
      const size_t c = entry->second;
      if (cat_segments[c] < 0 || cat_sizes[c] < 0 ||
          cat_segments[c] + cat_sizes[c] > static_cast<int64_t>(categories.size()))
        return r.Bad(where, "categories_segments/categories_sizes point outside 'categories'");
      node.categories.assign(categories.begin() + cat_segments[c],
                             categories.begin() + cat_segments[c] + cat_sizes[c]);
    } else if (split_type[i] == 0) {
      node.threshold = condition[i];
      if (std::isnan(node.threshold))
        return r.Bad(where, "numeric split with a NaN split_condition");
    } else {
      return r.Bad(where, "unknown split_type " + std::to_string(split_type[i]));
    }
  }
  return tree;
}

}  // namespace

Result<nlohmann::json> XgboostJsonToDocument(std::string_view text, const std::string& source) {
  Reader r{source};
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return Status::UserError(source + ": empty file, not an XGBoost JSON model");
  if (text[first] == '{') {
    size_t next = text.find_first_not_of(" \t\r\n", first + 1);
    if (next != std::string_view::npos && text[next] != '"' && text[next] != '}')
      return Status::UserError(source +
                               ": looks like XGBoost's binary UBJSON format; save the model with "
                               "Booster.save_model('model.json') to get JSON");
  }
  std::vector<std::pair<size_t, size_t>> shifts;
  const std::string clean = ReplaceNonFiniteWords(text, &shifts);
  json doc;
  try {
    doc = json::parse(clean);
  } catch (const json::parse_error& e) {
    size_t offset = e.byte;
    size_t back = 0;
    for (const auto& [at, grew] : shifts)
      if (at <= offset) back += grew;
    return Status::AtOffset(
        source, offset > back ? offset - back : 0,
        "not an XGBoost JSON model: not valid JSON (" + std::string(e.what()) + ")");
  }
  if (doc.is_array() && !doc.empty() && doc[0].is_object() && doc[0].contains("nodeid"))
    return Status::UserError(
        source +
        ": this is a tree dump (Booster.dump_model / get_dump), which lacks the base "
        "score and objective; save the model with Booster.save_model('model.json')");
  if (!doc.is_object() || !doc.contains("learner"))
    return Status::UserError(
        source +
        ": not an XGBoost JSON model (expected an object with 'learner'; save the "
        "model with Booster.save_model('model.json'))");
  std::string version = "unknown";
  if (doc.contains("version") && doc["version"].is_array()) {
    version.clear();
    for (const auto& v : doc["version"]) version += (version.empty() ? "" : ".") + v.dump();
  }

  const json& learner = doc["learner"];
  TESSERA_ASSIGN_OR_RETURN(const json* mp, r.Member(learner, "learner_model_param", "learner"));
  const std::string mp_path = "learner.learner_model_param";
  TESSERA_ASSIGN_OR_RETURN(int64_t num_feature, r.IntegerAt(*mp, "num_feature", mp_path));
  TESSERA_ASSIGN_OR_RETURN(int64_t num_class, r.IntegerAt(*mp, "num_class", mp_path));
  if (mp->contains("num_target")) {
    TESSERA_ASSIGN_OR_RETURN(int64_t num_target, r.IntegerAt(*mp, "num_target", mp_path));
    if (num_target > 1)
      return r.Bad(mp_path, "multi-target models (num_target=" + std::to_string(num_target) +
                                ") are not supported");
  }
  if (num_feature < 1 || num_feature > 10000000)
    return r.Bad(mp_path, "num_feature must be between 1 and 10000000");
  TESSERA_ASSIGN_OR_RETURN(const json* objective_json, r.Member(learner, "objective", "learner"));
  TESSERA_ASSIGN_OR_RETURN(std::string objective,
                           r.String(*objective_json, "name", "learner.objective"));
  auto mapping = ObjectiveOf(objective);
  if (!mapping)
    return r.Bad(
        "learner.objective",
        "objective '" + objective +
            "' is not supported (supported: binary:logistic, binary:logitraw, reg:logistic, "
            "reg:squarederror, reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, "
            "count:poisson, reg:gamma, reg:tweedie, multi:softprob, multi:softmax)");
  const bool multiclass = mapping->tessera == "multiclass";
  if (multiclass && num_class < 2) return r.Bad(mp_path, objective + " needs num_class >= 2");
  if (!multiclass && num_class > 1)
    return r.Bad(mp_path,
                 "num_class=" + std::to_string(num_class) + " with objective " + objective);
  const int outputs = multiclass ? static_cast<int>(num_class) : 1;

  // base_score: "5E-1", or "[5E-1]" / one value per output in newer versions.
  TESSERA_ASSIGN_OR_RETURN(const json* base_json, r.Member(*mp, "base_score", mp_path));
  std::vector<float> base;
  {
    json parsed = *base_json;
    if (parsed.is_string() && !parsed.get<std::string>().empty() &&
        parsed.get<std::string>()[0] == '[') {
      try {
        parsed = json::parse(parsed.get<std::string>());
      } catch (const json::parse_error&) {
        return r.Bad(mp_path + ".base_score", "cannot read " + base_json->dump());
      }
    }
    if (!parsed.is_array()) parsed = json::array({parsed});
    for (const auto& v : parsed) {
      TESSERA_ASSIGN_OR_RETURN(double b, r.Number(v, mp_path + ".base_score"));
      base.push_back(static_cast<float>(b));
    }
    if (base.size() == 1) base.resize(static_cast<size_t>(outputs), base[0]);
    if (base.size() != static_cast<size_t>(outputs))
      return r.Bad(mp_path + ".base_score",
                   "expected one value or one per class, found " + std::to_string(base.size()));
  }
  std::vector<double> init;
  for (float b : base) {
    // As XGBoost's ProbToMargin, in float.
    float margin = b;
    if (mapping->base == ObjectiveMapping::Base::kLogit) {
      if (!(b > 0 && b < 1))
        return r.Bad(mp_path + ".base_score", objective + " needs a base_score in (0, 1)");
      margin = -std::log(1.0f / b - 1.0f);
    } else if (mapping->base == ObjectiveMapping::Base::kLog) {
      if (!(b > 0)) return r.Bad(mp_path + ".base_score", objective + " needs a base_score > 0");
      margin = std::log(b);
    }
    if (!std::isfinite(margin)) return r.Bad(mp_path + ".base_score", "not a finite number");
    init.push_back(margin);
  }

  detail::ForeignModel m;
  m.compare = detail::Compare::kLessFloat;
  m.objective = mapping->tessera;
  m.num_outputs = outputs;
  m.init_score = init;
  m.learning_rate = 0.3;  // XGBoost's default eta; the file does not keep it and leaves include it
  const size_t nf = static_cast<size_t>(num_feature);
  m.categorical.assign(nf, false);
  if (learner.contains("feature_names") && learner["feature_names"].is_array() &&
      !learner["feature_names"].empty()) {
    const json& names = learner["feature_names"];
    if (names.size() != nf)
      return r.Bad("learner.feature_names",
                   std::to_string(names.size()) + " names for num_feature=" + std::to_string(nf));
    for (const auto& name : names) {
      if (!name.is_string()) return r.Bad("learner.feature_names", "expected strings");
      m.feature_names.push_back(name.get<std::string>());
    }
  } else {
    for (size_t f = 0; f < nf; ++f) m.feature_names.push_back("f" + std::to_string(f));
  }
  if (learner.contains("feature_types") && learner["feature_types"].is_array() &&
      !learner["feature_types"].empty()) {
    const json& types = learner["feature_types"];
    if (types.size() != nf)
      return r.Bad("learner.feature_types",
                   std::to_string(types.size()) + " types for num_feature=" + std::to_string(nf));
    for (size_t f = 0; f < nf; ++f) {
      const std::string type = types[f].is_string() ? types[f].get<std::string>() : "";
      if (type == "c")
        m.categorical[f] = true;
      else if (type != "float" && type != "int" && type != "i" && type != "q")
        return r.Bad("learner.feature_types", "unknown feature type " + types[f].dump() +
                                                  " of feature '" + m.feature_names[f] + "'");
    }
  }

  TESSERA_ASSIGN_OR_RETURN(const json* gb, r.Member(learner, "gradient_booster", "learner"));
  TESSERA_ASSIGN_OR_RETURN(std::string booster, r.String(*gb, "name", "learner.gradient_booster"));
  std::string model_path = "learner.gradient_booster.model";
  const json* model = nullptr;
  std::vector<double> weight_drop;
  if (booster == "gbtree") {
    TESSERA_ASSIGN_OR_RETURN(model, r.Member(*gb, "model", "learner.gradient_booster"));
  } else if (booster == "dart") {
    // DART keeps a weight per tree that prediction multiplies the tree's output by.
    TESSERA_ASSIGN_OR_RETURN(const json* inner,
                             r.Member(*gb, "gbtree", "learner.gradient_booster"));
    TESSERA_ASSIGN_OR_RETURN(model, r.Member(*inner, "model", "learner.gradient_booster.gbtree"));
    TESSERA_ASSIGN_OR_RETURN(weight_drop,
                             r.Numbers(*gb, "weight_drop", -1, "learner.gradient_booster"));
    model_path = "learner.gradient_booster.gbtree.model";
  } else {
    return r.Bad("learner.gradient_booster",
                 "booster '" + booster + "' is not supported (only gbtree and dart)");
  }
  TESSERA_ASSIGN_OR_RETURN(const json* trees, r.Member(*model, "trees", model_path));
  if (!trees->is_array()) return r.Bad(model_path + ".trees", "expected an array");
  const int64_t num_trees = static_cast<int64_t>(trees->size());
  TESSERA_ASSIGN_OR_RETURN(std::vector<int64_t> tree_info,
                           r.Integers(*model, "tree_info", num_trees, model_path));
  if (model->contains("gbtree_model_param")) {
    TESSERA_ASSIGN_OR_RETURN(int64_t declared,
                             r.IntegerAt((*model)["gbtree_model_param"], "num_trees",
                                         model_path + ".gbtree_model_param"));
    if (declared != num_trees)
      return r.Bad(model_path, "num_trees says " + std::to_string(declared) + " but there are " +
                                   std::to_string(num_trees) + " trees (truncated file?)");
  }
  if (!weight_drop.empty() && weight_drop.size() != trees->size())
    return r.Bad("learner.gradient_booster.weight_drop", "expected one weight per tree");
  for (int64_t t = 0; t < num_trees; ++t) {
    const std::string path = model_path + ".trees[" + std::to_string(t) + "]";
    const double weight = weight_drop.empty() ? 1.0 : weight_drop[static_cast<size_t>(t)];
    if (!std::isfinite(weight))
      return r.Bad("learner.gradient_booster.weight_drop", "weights must be finite");
    TESSERA_ASSIGN_OR_RETURN(detail::ForeignTree tree,
                             ReadTree(r, (*trees)[static_cast<size_t>(t)], path, weight));
    const int64_t cls = tree_info[static_cast<size_t>(t)];
    if (cls < 0 || cls >= outputs)
      return r.Bad(model_path + ".tree_info", "tree " + std::to_string(t) + " belongs to class " +
                                                  std::to_string(cls) + " of a model with " +
                                                  std::to_string(outputs) + " output(s)");
    tree.output = static_cast<int>(cls);
    // split_type says which splits are categorical, even where feature_types is missing.
    for (const auto& node : tree.nodes)
      if (node.categorical && node.feature >= 0 && static_cast<size_t>(node.feature) < nf)
        m.categorical[static_cast<size_t>(node.feature)] = true;
    m.trees.push_back(std::move(tree));
  }
  m.training = {{"imported_from",
                 {{"format", "xgboost"},
                  {"version", version},
                  {"objective", objective},
                  {"booster", booster},
                  {"base_score", base},
                  {"file", source}}}};
  auto document = detail::BuildModelDocument(m);
  if (!document.ok()) return document.status().WithContext(source + ": XGBoost model");
  return document;
}

}  // namespace tessera::interop
