// LightGBM text models (model.txt, versions v2..v4) into a Tessera model document. The file is a
// header of key=value lines (objective, num_class, num_tree_per_iteration, max_feature_idx,
// feature_names, feature_infos, tree_sizes, average_output), then one block per tree
// ("Tree=N", then num_leaves, split_feature, threshold, decision_type, left_child, right_child,
// leaf_value, leaf_count, internal_count, cat_boundaries, cat_threshold, is_linear, ...), then
// "end of trees" and the training parameters.
//
// How LightGBM predicts, and how each case becomes a Tessera split (LightGBM's Tree::Decision):
//   numeric, left when v <= threshold (a double). The Tessera threshold is the largest float not
//     above it, exact for values read as float. LightGBM itself reads text into doubles, so a
//     value written with more digits than a float holds, lying between that float and the
//     threshold, can go the other way; values that are floats (as in float32 data) cannot.
//   decision_type bit 1 = default_left, bits 2-3 = missing type:
//     None: NaN is replaced by 0, so missing goes where 0 goes: default_left = (0 <= threshold).
//     NaN:  NaN goes the default direction.
//     Zero: 0 (|v| <= 1e-35) and NaN go the default direction. Exact when that is the side the
//           threshold sends 0 to anyway; otherwise the split is refused (Tessera cannot send the
//           values on both sides of 0 one way and 0 the other).
//   categorical (bit 0): the category bitset (cat_threshold) goes left; NaN, negative codes and
//     codes not in the set go right.
// Raw scores are the sum of leaf values (boost_from_average is folded into the first trees, so
// the starting score is 0); with average_output (random forest) they are the mean, so leaves are
// divided by the number of iterations.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "foreign_model.h"
#include "tessera/interop/import.h"

namespace tessera::interop {

namespace {

struct Field {
  std::string value;
  uint64_t line = 0;
};

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? std::string_view() : s.substr(b, e - b + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view token = s.substr(start, end - start);
    if (!token.empty()) out.push_back(token);
    start = end + 1;
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::string source) : source_(std::move(source)) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines_.push_back(line);
      start = end + 1;
    }
  }

  Status At(uint64_t line, const std::string& what) const {
    return Status::AtLocation(source_, line, 0, what);
  }

  Result<nlohmann::json> Run();

 private:
  using Block = std::map<std::string, Field, std::less<>>;

  // Reads key=value lines from lines_[pos_] until a blank line, "Tree=", "end of trees" or the end.
  Status ReadBlock(Block* block, std::vector<std::string>* flags, bool header);
  bool Done() const { return pos_ >= lines_.size(); }
  uint64_t LineNumber() const { return pos_ + 1; }

  template <typename T>
  Result<std::vector<T>> Numbers(const Block& block, const std::string& key, size_t size,
                                 uint64_t block_line, const std::string& what) const {
    auto it = block.find(key);
    if (it == block.end()) return At(block_line, what + ": missing '" + key + "'");
    std::vector<T> out;
    for (std::string_view token : Split(it->second.value, ' ')) {
      T v{};
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
      if (ec != std::errc() || end != token.data() + token.size())
        return At(it->second.line,
                  what + ": " + key + ": '" + std::string(token) + "' is not a number");
      out.push_back(v);
    }
    if (out.size() != size)
      return At(it->second.line, what + ": " + key + ": expected " + std::to_string(size) +
                                     " values, found " + std::to_string(out.size()));
    return out;
  }
  template <typename T>
  Result<T> Number(const Block& block, const std::string& key, uint64_t block_line,
                   const std::string& what) const {
    TESSERA_ASSIGN_OR_RETURN(std::vector<T> v, Numbers<T>(block, key, 1, block_line, what));
    return v[0];
  }

  Status ReadObjective(const Field& field, detail::ForeignModel* m) const;
  Result<detail::ForeignTree> ReadTree(const Block& block, uint64_t line, size_t t,
                                       int num_features, std::vector<bool>* categorical) const;

  std::string source_;
  std::vector<std::string_view> lines_;
  size_t pos_ = 0;
};

Status Parser::ReadBlock(Block* block, std::vector<std::string>* flags, bool header) {
  for (; !Done(); ++pos_) {
    std::string_view line = Trim(lines_[pos_]);
    if (line.empty()) {
      if (header) continue;
      return Status::Ok();
    }
    if (line.starts_with("Tree=") || line == "end of trees") return Status::Ok();
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      if (!header)
        return At(LineNumber(),
                  "expected key=value inside a tree, found '" + std::string(line) + "'");
      flags->push_back(std::string(line));
      continue;
    }
    std::string key(Trim(line.substr(0, eq)));
    if (block->count(key)) return At(LineNumber(), "'" + key + "' appears twice");
    (*block)[key] = Field{std::string(Trim(line.substr(eq + 1))), LineNumber()};
  }
  return Status::Ok();
}

// "binary sigmoid:1", "multiclass num_class:3", "regression", "poisson", ... onto a Tessera
// objective with the same link from raw score to prediction.
Status Parser::ReadObjective(const Field& field, detail::ForeignModel* m) const {
  std::vector<std::string_view> tokens = Split(field.value, ' ');
  if (tokens.empty()) return At(field.line, "objective: empty");
  const std::string name(tokens[0]);
  std::map<std::string, std::string> args;
  for (size_t i = 1; i < tokens.size(); ++i) {
    size_t colon = tokens[i].find(':');
    if (colon == std::string_view::npos)
      args[std::string(tokens[i])] = "";
    else
      args[std::string(tokens[i].substr(0, colon))] = std::string(tokens[i].substr(colon + 1));
  }
  if (args.count("sqrt"))
    return At(field.line, "objective '" + field.value +
                              "': reg_sqrt (predictions squared back) is not supported");
  auto sigmoid_is_one = [&] {
    auto it = args.find("sigmoid");
    if (it == args.end()) return true;
    double s = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), s);
    return ec == std::errc() && s == 1.0;
  };
  if (name == "binary" || name == "cross_entropy" || name == "xentropy") {
    if (!sigmoid_is_one())
      return At(field.line, "objective '" + field.value +
                                "': only sigmoid:1 is supported (Tessera's link is 1/(1+exp(-x)))");
    m->objective = "binary";
  } else if (name == "multiclass" || name == "softmax") {
    int k = 0;
    const std::string& s = args["num_class"];
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), k);
    if (ec != std::errc() || k < 2)
      return At(field.line, "objective '" + field.value + "': needs num_class >= 2");
    m->objective = "multiclass";
    m->num_outputs = k;
  } else if (name == "regression" || name == "regression_l2" || name == "l2" ||
             name == "mean_squared_error" || name == "mse" || name == "fair" ||
             name == "quantile" || name == "mape") {
    m->objective = "regression";  // identity link
  } else if (name == "regression_l1" || name == "l1" || name == "mean_absolute_error" ||
             name == "mae") {
    m->objective = "l1";
  } else if (name == "huber") {
    m->objective = "huber";
  } else if (name == "poisson" || name == "gamma" || name == "tweedie") {
    m->objective = "poisson";  // exp link
  } else {
    return At(field.line,
              "objective '" + field.value +
                  "' is not supported (supported: binary, cross_entropy, multiclass, regression, "
                  "regression_l1, huber, fair, quantile, mape, poisson, gamma, tweedie)");
  }
  m->init_score.assign(static_cast<size_t>(m->num_outputs), 0.0);
  return Status::Ok();
}

Result<detail::ForeignTree> Parser::ReadTree(const Block& b, uint64_t line, size_t t,
                                             int num_features,
                                             std::vector<bool>* categorical) const {
  const std::string what = "tree " + std::to_string(t);
  TESSERA_ASSIGN_OR_RETURN(int64_t leaves, Number<int64_t>(b, "num_leaves", line, what));
  if (leaves < 1 || leaves > (int64_t{1} << 24))
    return At(b.at("num_leaves").line, what + ": num_leaves must be >= 1");
  if (b.count("is_linear")) {
    TESSERA_ASSIGN_OR_RETURN(int64_t linear, Number<int64_t>(b, "is_linear", line, what));
    if (linear != 0)
      return At(b.at("is_linear").line,
                what + ": linear trees (linear_tree=true) are not supported");
  }
  const size_t n = static_cast<size_t>(leaves - 1), l = static_cast<size_t>(leaves);
  detail::ForeignTree tree;
  TESSERA_ASSIGN_OR_RETURN(tree.leaf_values, Numbers<double>(b, "leaf_value", l, line, what));
  if (b.count("leaf_count")) {
    TESSERA_ASSIGN_OR_RETURN(tree.leaf_counts, Numbers<int64_t>(b, "leaf_count", l, line, what));
    tree.leaf_covers.assign(tree.leaf_counts.begin(), tree.leaf_counts.end());
  }
  if (n == 0) return tree;
  TESSERA_ASSIGN_OR_RETURN(auto features, Numbers<int64_t>(b, "split_feature", n, line, what));
  TESSERA_ASSIGN_OR_RETURN(auto thresholds, Numbers<double>(b, "threshold", n, line, what));
  TESSERA_ASSIGN_OR_RETURN(auto left, Numbers<int64_t>(b, "left_child", n, line, what));
  TESSERA_ASSIGN_OR_RETURN(auto right, Numbers<int64_t>(b, "right_child", n, line, what));
  std::vector<int64_t> decision(n, 0), internal_count(n, 0);
  std::vector<double> gain(n, 0.0);
  if (b.count("decision_type")) {
    TESSERA_ASSIGN_OR_RETURN(decision, Numbers<int64_t>(b, "decision_type", n, line, what));
  }
  if (b.count("internal_count")) {
    TESSERA_ASSIGN_OR_RETURN(internal_count, Numbers<int64_t>(b, "internal_count", n, line, what));
  }
  if (b.count("split_gain")) {
    TESSERA_ASSIGN_OR_RETURN(gain, Numbers<double>(b, "split_gain", n, line, what));
  }
  int64_t num_cat = 0;
  std::vector<int64_t> cat_boundaries;
  std::vector<uint32_t> cat_threshold;
  if (b.count("num_cat")) {
    TESSERA_ASSIGN_OR_RETURN(num_cat, Number<int64_t>(b, "num_cat", line, what));
  }
  if (num_cat < 0 || num_cat > leaves)
    return At(b.at("num_cat").line, what + ": num_cat out of range");
  if (num_cat > 0) {
    TESSERA_ASSIGN_OR_RETURN(
        cat_boundaries,
        Numbers<int64_t>(b, "cat_boundaries", static_cast<size_t>(num_cat) + 1, line, what));
    for (size_t i = 0; i + 1 < cat_boundaries.size(); ++i)
      if (cat_boundaries[0] != 0 || cat_boundaries[i + 1] < cat_boundaries[i] ||
          cat_boundaries[i + 1] > (int64_t{1} << 26))
        return At(b.at("cat_boundaries").line, what + ": cat_boundaries must rise from 0");
    TESSERA_ASSIGN_OR_RETURN(
        cat_threshold, Numbers<uint32_t>(b, "cat_threshold",
                                         static_cast<size_t>(cat_boundaries.back()), line, what));
  }
  // The threshold line, for errors about one node.
  const uint64_t node_line =
      b.count("decision_type") ? b.at("decision_type").line : b.at("threshold").line;
  for (size_t i = 0; i < n; ++i) {
    const std::string where = what + " node " + std::to_string(i);
    detail::ForeignNode node;
    node.feature = features[i];
    if (node.feature < 0 || node.feature >= num_features)
      return At(b.at("split_feature").line, where + ": feature " + std::to_string(node.feature) +
                                                " out of range (max_feature_idx is " +
                                                std::to_string(num_features - 1) + ")");
    node.left = left[i];
    node.right = right[i];
    node.gain = gain[i];
    node.count = internal_count[i];
    node.cover = static_cast<double>(internal_count[i]);
    const int64_t dt = decision[i];
    if (dt < 0 || dt > 15)
      return At(node_line, where + ": decision_type " + std::to_string(dt) + " is not understood");
    const bool is_categorical = dt & 1, default_left = dt & 2;
    const int missing_type = static_cast<int>((dt >> 2) & 3);
    if (missing_type == 3)
      return At(node_line, where + ": unknown missing type 3 in decision_type");
    if (is_categorical) {
      const double idx = thresholds[i];
      if (!(idx >= 0 && idx < static_cast<double>(num_cat)) || idx != std::floor(idx))
        return At(b.at("threshold").line, where + ": categorical split names category set " +
                                              detail::FormatNumber(idx) + " of " +
                                              std::to_string(num_cat));
      const size_t c = static_cast<size_t>(idx);
      node.categorical = true;
      node.listed_go_left = true;
      node.default_left = false;  // NaN goes right in LightGBM's CategoricalDecision
      for (int64_t w = cat_boundaries[c]; w < cat_boundaries[c + 1]; ++w)
        for (int bit = 0; bit < 32; ++bit)
          if ((cat_threshold[static_cast<size_t>(w)] >> bit) & 1)
            node.categories.push_back((w - cat_boundaries[c]) * 32 + bit);
      (*categorical)[static_cast<size_t>(node.feature)] = true;
    } else {
      const double t_value = thresholds[i];
      if (std::isnan(t_value)) return At(b.at("threshold").line, where + ": threshold is NaN");
      node.threshold = t_value;
      if (missing_type == 0) {
        node.default_left = 0.0 <= t_value;  // NaN is read as 0
      } else if (missing_type == 2) {
        node.default_left = default_left;
      } else {
        // Zero as missing: |v| <= kZeroThreshold (1e-35f) and NaN go the default direction.
        const double zero = static_cast<double>(1e-35f);
        if (default_left && t_value >= zero)
          node.default_left = true;
        else if (!default_left && t_value < -zero)
          node.default_left = false;
        else
          return At(
              node_line,
              where + ": zero is treated as missing here (missing_type=Zero) and sent " +
                  (default_left ? "left" : "right") + ", while the threshold " +
                  detail::FormatNumber(t_value) +
                  " sends values on either side of 0 the other way; Tessera cannot represent this "
                  "split exactly");
      }
    }
    tree.nodes.push_back(std::move(node));
  }
  return tree;
}

Result<nlohmann::json> Parser::Run() {
  while (!Done() && Trim(lines_[pos_]).empty()) ++pos_;
  if (Done()) return Status::UserError(source_ + ": empty file, not a LightGBM model");
  if (Trim(lines_[pos_]) != "tree")
    return At(LineNumber(),
              "not a LightGBM text model (the first line should be 'tree'; save the model with "
              "Booster.save_model('model.txt'))");
  ++pos_;
  Block header;
  std::vector<std::string> flags;
  TESSERA_RETURN_IF_ERROR(ReadBlock(&header, &flags, true));
  const uint64_t header_line = 1;
  auto field = [&](const std::string& key) -> Result<Field> {
    auto it = header.find(key);
    if (it == header.end()) return At(header_line, "header: missing '" + key + "'");
    return it->second;
  };

  detail::ForeignModel m;
  m.compare = detail::Compare::kLessEqualDouble;
  TESSERA_ASSIGN_OR_RETURN(Field objective, field("objective"));
  TESSERA_RETURN_IF_ERROR(ReadObjective(objective, &m));
  TESSERA_ASSIGN_OR_RETURN(int64_t max_feature_idx,
                           Number<int64_t>(header, "max_feature_idx", header_line, "header"));
  if (max_feature_idx < 0 || max_feature_idx >= 10000000)
    return At(header.at("max_feature_idx").line, "header: max_feature_idx out of range");
  const int num_features = static_cast<int>(max_feature_idx + 1);
  int64_t per_iteration = m.num_outputs;
  if (header.count("num_tree_per_iteration")) {
    TESSERA_ASSIGN_OR_RETURN(
        per_iteration, Number<int64_t>(header, "num_tree_per_iteration", header_line, "header"));
  }
  if (per_iteration != m.num_outputs)
    return At(header.at("num_tree_per_iteration").line,
              "header: num_tree_per_iteration=" + std::to_string(per_iteration) +
                  " does not match the objective's " + std::to_string(m.num_outputs) +
                  " output(s)");
  if (header.count("feature_names")) {
    for (std::string_view name : Split(header.at("feature_names").value, ' '))
      m.feature_names.emplace_back(name);
    if (m.feature_names.size() != static_cast<size_t>(num_features))
      return At(header.at("feature_names").line,
                "header: " + std::to_string(m.feature_names.size()) +
                    " feature names for max_feature_idx=" + std::to_string(max_feature_idx));
  } else {
    for (int f = 0; f < num_features; ++f) m.feature_names.push_back("Column_" + std::to_string(f));
  }
  m.categorical.assign(static_cast<size_t>(num_features), false);
  if (header.count("feature_infos")) {
    // "[min:max]" for numeric features, "none" for unused ones, "0:1:5" (codes) for categorical
    // ones.
    std::vector<std::string_view> infos = Split(header.at("feature_infos").value, ' ');
    if (infos.size() != static_cast<size_t>(num_features))
      return At(header.at("feature_infos").line, "header: " + std::to_string(infos.size()) +
                                                     " feature infos for " +
                                                     std::to_string(num_features) + " features");
    for (size_t f = 0; f < infos.size(); ++f)
      if (infos[f] != "none" && infos[f][0] != '[') m.categorical[f] = true;
  }
  int64_t declared_trees = -1;
  if (header.count("tree_sizes"))
    declared_trees = static_cast<int64_t>(Split(header.at("tree_sizes").value, ' ').size());
  const bool average_output =
      std::find(flags.begin(), flags.end(), "average_output") != flags.end();

  std::vector<bool> categorical = m.categorical;
  std::vector<detail::ForeignTree> trees;
  std::vector<uint64_t> tree_lines;  // the "Tree=N" line of each tree
  bool ended = false;
  while (!Done()) {
    std::string_view line = Trim(lines_[pos_]);
    if (line.empty()) {
      ++pos_;
      continue;
    }
    if (line == "end of trees") {
      ended = true;
      ++pos_;
      break;
    }
    if (!line.starts_with("Tree="))
      return At(LineNumber(),
                "expected 'Tree=N' or 'end of trees', found '" + std::string(line) + "'");
    const uint64_t tree_line = LineNumber();
    tree_lines.push_back(tree_line);
    if (line.substr(5) != std::to_string(trees.size()))
      return At(tree_line, "expected Tree=" + std::to_string(trees.size()) + ", found '" +
                               std::string(line) + "'");
    ++pos_;
    Block block;
    TESSERA_RETURN_IF_ERROR(ReadBlock(&block, nullptr, false));
    // A whole file has "end of trees" after the last tree.
    if (Done())
      return At(lines_.size(),
                "truncated: the file ends inside tree " + std::to_string(trees.size()));
    TESSERA_ASSIGN_OR_RETURN(detail::ForeignTree tree,
                             ReadTree(block, tree_line, trees.size(), num_features, &categorical));
    tree.output = static_cast<int>(trees.size() % static_cast<size_t>(m.num_outputs));
    trees.push_back(std::move(tree));
  }
  if (!ended)
    return At(lines_.size(), "truncated: no 'end of trees' line after " +
                                 std::to_string(trees.size()) + " tree(s)");
  if (declared_trees >= 0 && declared_trees != static_cast<int64_t>(trees.size()))
    return At(header.at("tree_sizes").line,
              "header: tree_sizes lists " + std::to_string(declared_trees) +
                  " trees, the file has " + std::to_string(trees.size()));
  if (trees.size() % static_cast<size_t>(m.num_outputs) != 0)
    return At(lines_.size(), std::to_string(trees.size()) +
                                 " trees is not a whole number of iterations of " +
                                 std::to_string(m.num_outputs) + " trees");
  const size_t iterations = trees.size() / static_cast<size_t>(m.num_outputs);
  if (average_output && iterations > 0)
    for (auto& tree : trees)
      for (double& v : tree.leaf_values) v /= static_cast<double>(iterations);

  // The training parameters, for the learning rate ("[learning_rate: 0.05]").
  for (; !Done(); ++pos_) {
    std::string_view line = Trim(lines_[pos_]);
    if (line.starts_with("[learning_rate: ") && line.ends_with("]")) {
      std::string_view v = line.substr(16, line.size() - 17);
      double lr = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), lr);
      if (ec == std::errc()) m.learning_rate = lr;
    }
  }

  m.categorical = categorical;
  m.trees = std::move(trees);
  std::string version = header.count("version") ? header.at("version").value : "unknown";
  m.training = {{"imported_from",
                 {{"format", "lightgbm"},
                  {"version", version},
                  {"objective", objective.value},
                  {"average_output", average_output},
                  {"file", source_}}}};
  size_t failed_tree = tree_lines.size();
  auto document = detail::BuildModelDocument(m, &failed_tree);
  if (!document.ok() && failed_tree < tree_lines.size())
    return At(tree_lines[failed_tree], document.status().message());
  if (!document.ok()) return document.status().WithContext(source_ + ": LightGBM model");
  return document;
}

}  // namespace

Result<nlohmann::json> LightgbmTextToDocument(std::string_view text,
                                              const std::string& source_name) {
  Parser parser(text, source_name);
  return parser.Run();
}

}  // namespace tessera::interop
