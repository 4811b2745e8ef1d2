// ForeignModel: the trees of an XGBoost or LightGBM model as the readers find them (raw
// thresholds, category codes, the format's own node numbering), and BuildModelDocument, which
// turns them into a Tessera model document. Internal to src/interop.
//
// Tessera trees test bins, not raw values. For each numeric feature the document gets a bin
// mapper whose thresholds are exactly the foreign split thresholds of that feature (converted to
// Tessera's "v <= t" in float, see TesseraThreshold), sorted and unique, so that every foreign
// split becomes a `threshold_bin` and a value lands on the same side as in the foreign library.
// A categorical feature gets a categorical mapper whose categories are the integer codes named
// by any split of that feature, written as text ("3"); codes never named share the rare bucket,
// which goes where the foreign library sends a code missing from the split's set.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::interop::detail {

// How a foreign numeric split compares a value with its threshold.
enum class Compare {
  kLessFloat,        // XGBoost: left when v < t, both float
  kLessEqualDouble,  // LightGBM: left when v <= t, t a double
};

struct ForeignNode {
  int64_t feature = 0;
  bool categorical = false;
  double threshold = 0;             // numeric splits
  std::vector<int64_t> categories;  // categorical splits: the codes the format lists
  bool listed_go_left = false;  // categorical: listed codes go left (LightGBM) or right (XGBoost)
  bool default_left = false;    // where a missing value (NaN) goes
  int64_t left = 0, right = 0;  // >= 0: node index in this tree; < 0: leaf ~index
  double gain = 0, cover = 0;
  int64_t count = 0;
};

struct ForeignTree {
  std::vector<ForeignNode> nodes;  // node 0 is the root (when there is any node)
  std::vector<double> leaf_values;
  std::vector<double> leaf_covers;
  std::vector<int64_t> leaf_counts;
  int output = 0;  // the class (output) the tree adds to
};

struct ForeignModel {
  std::vector<std::string> feature_names;
  std::vector<bool> categorical;  // per feature: the feature's splits are categorical
  Compare compare = Compare::kLessFloat;
  std::string objective;  // a Tessera objective: binary, multiclass, regression, l1, huber, poisson
  int num_outputs = 1;
  std::vector<double> init_score;  // per output
  double learning_rate = 0.1;      // informational: leaves are already shrunk
  std::vector<ForeignTree> trees;  // any order; grouped by `output` when building
  nlohmann::json training;         // the document's model.training (where the model came from)
};

// A double in its shortest exact form ("0.1", "1.0000000180025095e-35"), for messages.
std::string FormatNumber(double v);

// The Tessera threshold t' for a foreign threshold t: the largest float such that, for every
// float v, (v <= t') equals the foreign comparison. Fails when t' would be -infinity or NaN.
Result<float> TesseraThreshold(double t, Compare compare);

// The Tessera model document. Errors name the tree and node ("tree 3 node 5: ..."); when the
// error concerns one tree, its index goes to *failed_tree (if given), so that a reader can say
// where the tree is in its file.
Result<nlohmann::json> BuildModelDocument(const ForeignModel& model, size_t* failed_tree = nullptr);

}  // namespace tessera::interop::detail
