// GbdtParams: every knob of the gradient-boosting learner, with LightGBM/XGBoost names and
// aliases. ParseGbdtParams() turns "key=value" pairs (flags, config files) into params and
// rejects unknown keys and out-of-range values with a message naming the key and the range.
// Plain value type.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::models::gbdt {

struct GbdtParams {
  std::string objective = "binary";  // binary, multiclass, regression (l2), l1, huber, poisson
  int num_class = 1;                 // multiclass only
  double learning_rate = 0.1;
  int num_iterations = 100;
  int num_leaves = 31;
  int max_depth = -1;                // -1 = no limit
  int min_data_in_leaf = 20;
  double min_sum_hessian_in_leaf = 1e-3;
  double lambda_l1 = 0;
  double lambda_l2 = 0;
  double min_gain_to_split = 0;
  double bagging_fraction = 1.0;
  int bagging_freq = 0;
  double feature_fraction = 1.0;
  int max_bin = 255;
  int max_cat_threshold = 32;        // most categories on one side of a categorical split
  double cat_smooth = 10;            // added to the hessian when ordering categories; rarer ones are not ordered
  double cat_l2 = 10;                // extra L2 for categorical splits
  int min_data_per_group = 100;      // least rows between two categorical thresholds and right of one
  int max_cat_to_onehot = 4;         // up to this many categories, each one alone against the rest
  double huber_delta = 1.0;
  double poisson_max_delta_step = 0.7;
  uint64_t seed = 0;
  int num_threads = 0;               // 0 = all cores
  int early_stopping_rounds = 0;     // 0 = off
  std::vector<std::string> metrics;  // empty = the objective's default
  bool boost_from_average = true;
  // "gbdt" (boosting) or "rf" (random forest: every tree fits the gradients at the start score,
  // no learning rate, and the model's output is the trees' average; needs bagging or
  // feature_fraction < 1, as LightGBM).
  std::string boosting = "gbdt";
  // Extremely randomised trees: each node tries one random threshold per feature (a hash of
  // seed, tree, node and feature) instead of the best one.
  bool extra_trees = false;
  // Fraction of the tree's features tried at each node (drawn per node, as a random forest's
  // max_features); 1 = all.
  double feature_fraction_bynode = 1.0;
  // Quantized training (LightGBM's use_quantized_grad): each tree fits gradients and hessians
  // rounded at random to num_grad_quant_bins levels, which lets histograms use half the memory
  // per bin (faster). quant_train_renew_leaf: leaf values from the exact gradients afterwards.
  bool use_quantized_grad = false;
  int num_grad_quant_bins = 4;
  bool quant_train_renew_leaf = false;

  bool random_forest() const { return boosting == "rf"; }
  // "gbdt", "random_forest" or "extra_trees" (a forest of extremely randomised trees).
  std::string family_name() const;

  nlohmann::json ToJson() const;
};

// Applies key=value settings (aliases accepted: n_estimators, eta, max_leaves, subsample, ...),
// then ValidateGbdtParams unless `validate` is false (a caller that fills in num_class later).
Status ApplyGbdtParams(const std::map<std::string, std::string>& settings, GbdtParams* params, bool validate = true);
// Checks the relations between parameters (e.g. multiclass needs num_class >= 2).
Status ValidateGbdtParams(const GbdtParams& params);
Result<GbdtParams> GbdtParamsFromJson(const nlohmann::json& j);

}  // namespace tessera::models::gbdt
