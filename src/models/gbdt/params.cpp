#include "tessera/models/gbdt/params.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "tessera/models/param_setters.h"

namespace tessera::models::gbdt {

namespace {

using Setter = ParamSetter<GbdtParams>;

const std::vector<Setter>& Setters() {
  static const std::vector<Setter> kSetters = [] {
    constexpr long kMaxInt = std::numeric_limits<int>::max();
    std::vector<Setter> s = {
        IntParam({"num_iterations", "n_estimators", "num_boost_round", "num_trees", "num_round", "nrounds"}, &GbdtParams::num_iterations, 1, 1000000),
        RealParam({"learning_rate", "eta", "shrinkage_rate"}, &GbdtParams::learning_rate, 0, 1, true),
        IntParam({"num_leaves", "max_leaves", "max_leaf_nodes"}, &GbdtParams::num_leaves, 2, 131072),
        IntParam({"max_depth"}, &GbdtParams::max_depth, -1, 64),
        IntParam({"min_data_in_leaf", "min_child_samples", "min_samples_leaf"}, &GbdtParams::min_data_in_leaf, 0, kMaxInt),
        RealParam({"min_sum_hessian_in_leaf", "min_child_weight", "min_sum_hessian"}, &GbdtParams::min_sum_hessian_in_leaf, 0, 1e300),
        RealParam({"lambda_l1", "reg_alpha", "alpha", "l1_regularization"}, &GbdtParams::lambda_l1, 0, 1e300),
        RealParam({"lambda_l2", "reg_lambda", "lambda", "l2_regularization"}, &GbdtParams::lambda_l2, 0, 1e300),
        RealParam({"min_gain_to_split", "gamma", "min_split_gain"}, &GbdtParams::min_gain_to_split, 0, 1e300),
        RealParam({"bagging_fraction", "subsample", "sub_row"}, &GbdtParams::bagging_fraction, 0, 1, true),
        IntParam({"bagging_freq", "subsample_freq"}, &GbdtParams::bagging_freq, 0, kMaxInt),
        RealParam({"feature_fraction", "colsample_bytree", "sub_feature"}, &GbdtParams::feature_fraction, 0, 1, true),
        RealParam({"feature_fraction_bynode", "colsample_bynode", "sub_feature_bynode"}, &GbdtParams::feature_fraction_bynode, 0, 1, true),
        IntParam({"max_bin", "max_bins"}, &GbdtParams::max_bin, 2, 65535),
        IntParam({"max_cat_threshold"}, &GbdtParams::max_cat_threshold, 1, 65535),
        RealParam({"cat_smooth"}, &GbdtParams::cat_smooth, 0, 1e300),
        RealParam({"cat_l2"}, &GbdtParams::cat_l2, 0, 1e300),
        IntParam({"min_data_per_group"}, &GbdtParams::min_data_per_group, 1, kMaxInt),
        IntParam({"max_cat_to_onehot"}, &GbdtParams::max_cat_to_onehot, 1, 65535),
        RealParam({"huber_delta"}, &GbdtParams::huber_delta, 0, 1e300, true),
        RealParam({"poisson_max_delta_step"}, &GbdtParams::poisson_max_delta_step, 0, 1e300, true),
        IntParam({"num_threads", "n_jobs", "nthread", "num_thread"}, &GbdtParams::num_threads, 0, 1024),
        IntParam({"early_stopping_rounds", "early_stopping_round", "early_stopping", "n_iter_no_change"}, &GbdtParams::early_stopping_rounds, 0, kMaxInt),
        IntParam({"num_class", "num_classes"}, &GbdtParams::num_class, 1, 100000),
        IntParam({"num_grad_quant_bins"}, &GbdtParams::num_grad_quant_bins, 2, 256),
    };
    s.push_back({{"objective", "application", "app", "loss"}, [](const std::string& key, const std::string& value, GbdtParams* p) -> Status {
                   static const std::map<std::string, std::string> kObjectives = {
                       {"binary", "binary"}, {"binary:logistic", "binary"}, {"multiclass", "multiclass"},
                       {"softmax", "multiclass"}, {"multi:softprob", "multiclass"}, {"multi:softmax", "multiclass"},
                       {"regression", "regression"}, {"l2", "regression"}, {"mse", "regression"},
                       {"reg:squarederror", "regression"}, {"regression_l1", "l1"}, {"l1", "l1"}, {"mae", "l1"},
                       {"reg:absoluteerror", "l1"}, {"huber", "huber"}, {"reg:pseudohubererror", "huber"},
                       {"poisson", "poisson"}, {"count:poisson", "poisson"}};
                   auto it = kObjectives.find(value);
                   if (it == kObjectives.end())
                     return Status::UserError("parameter " + key + "=" + value +
                                              " is not known; expected one of binary, multiclass, regression, l1, huber, poisson");
                   p->objective = it->second;
                   return Status::Ok();
                 }});
    s.push_back({{"seed", "random_state", "random_seed"}, [](const std::string& key, const std::string& value, GbdtParams* p) -> Status {
                   TESSERA_ASSIGN_OR_RETURN(p->seed, ParseParamValue<uint64_t>(key, value));
                   return Status::Ok();
                 }});
    s.push_back({{"metric", "metrics", "eval_metric"}, [](const std::string&, const std::string& value, GbdtParams* p) -> Status {
                   p->metrics.clear();
                   size_t start = 0;
                   while (start <= value.size()) {
                     size_t comma = value.find(',', start);
                     std::string name = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                     if (!name.empty()) p->metrics.push_back(name);
                     if (comma == std::string::npos) break;
                     start = comma + 1;
                   }
                   return Status::Ok();
                 }});
    s.push_back(BoolParam({"boost_from_average"}, &GbdtParams::boost_from_average));
    s.push_back(BoolParam({"extra_trees", "extra_tree"}, &GbdtParams::extra_trees));
    s.push_back(BoolParam({"use_quantized_grad"}, &GbdtParams::use_quantized_grad));
    s.push_back(BoolParam({"quant_train_renew_leaf"}, &GbdtParams::quant_train_renew_leaf));
    s.push_back({{"boosting", "boosting_type", "boost"}, [](const std::string& key, const std::string& value, GbdtParams* p) -> Status {
                   if (value == "gbdt" || value == "gbrt" || value == "gbtree") p->boosting = "gbdt";
                   else if (value == "rf" || value == "random_forest") p->boosting = "rf";
                   else return ParamRangeError(key, value, "gbdt or rf (random forest)");
                   return Status::Ok();
                 }});
    return s;
  }();
  return kSetters;
}

}  // namespace

Status ApplyGbdtParams(const std::map<std::string, std::string>& settings, GbdtParams* params, bool validate) {
  TESSERA_RETURN_IF_ERROR(ApplyParamSettings(Setters(), settings, params));
  return validate ? ValidateGbdtParams(*params) : Status::Ok();
}

Status ValidateGbdtParams(const GbdtParams& p) {
  if (p.objective == "multiclass" && p.num_class < 2)
    return Status::UserError("objective=multiclass needs num_class >= 2 (the number of classes)");
  if (p.objective != "multiclass" && p.num_class != 1)
    return Status::UserError("num_class=" + std::to_string(p.num_class) + " is only for objective=multiclass");
  if (p.bagging_fraction < 1.0 && p.bagging_freq == 0)
    return Status::UserError("bagging_fraction < 1 has no effect without bagging_freq > 0 (LightGBM's rule); set bagging_freq=1");
  if (p.random_forest() && !(p.bagging_freq > 0 && p.bagging_fraction < 1.0) && !(p.feature_fraction < 1.0))
    return Status::UserError(
        "boosting=rf needs random subsets, or every tree would be the same (LightGBM's rule): set bagging_fraction < 1 "
        "with bagging_freq > 0 (e.g. bagging_fraction=0.632 bagging_freq=1), or feature_fraction < 1");
  return Status::Ok();
}

std::string GbdtParams::family_name() const {
  if (!random_forest()) return "gbdt";
  return extra_trees ? "extra_trees" : "random_forest";
}

nlohmann::json GbdtParams::ToJson() const {
  nlohmann::json j = {{"objective", objective},
          {"num_class", num_class},
          {"learning_rate", learning_rate},
          {"num_iterations", num_iterations},
          {"num_leaves", num_leaves},
          {"max_depth", max_depth},
          {"min_data_in_leaf", min_data_in_leaf},
          {"min_sum_hessian_in_leaf", min_sum_hessian_in_leaf},
          {"lambda_l1", lambda_l1},
          {"lambda_l2", lambda_l2},
          {"min_gain_to_split", min_gain_to_split},
          {"bagging_fraction", bagging_fraction},
          {"bagging_freq", bagging_freq},
          {"feature_fraction", feature_fraction},
          {"max_bin", max_bin},
          {"max_cat_threshold", max_cat_threshold},
          {"cat_smooth", cat_smooth},
          {"cat_l2", cat_l2},
          {"min_data_per_group", min_data_per_group},
          {"max_cat_to_onehot", max_cat_to_onehot},
          {"huber_delta", huber_delta},
          {"poisson_max_delta_step", poisson_max_delta_step},
          {"seed", seed},
          {"early_stopping_rounds", early_stopping_rounds},
          {"metrics", metrics},
          {"boost_from_average", boost_from_average},
          {"boosting", boosting},
          {"extra_trees", extra_trees},
          {"feature_fraction_bynode", feature_fraction_bynode}};
  // Written only when on, so that the files of ordinary models stay as they were.
  if (use_quantized_grad)
    j.update({{"use_quantized_grad", true},
              {"num_grad_quant_bins", num_grad_quant_bins},
              {"quant_train_renew_leaf", quant_train_renew_leaf}});
  return j;
}

Result<GbdtParams> GbdtParamsFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::UserError("model parameters: expected an object");
  std::map<std::string, std::string> settings;
  for (const auto& [key, value] : j.items()) {
    if (key == "metrics") continue;
    if (value.is_string()) settings[key] = value.get<std::string>();
    else if (value.is_boolean()) settings[key] = value.get<bool>() ? "true" : "false";
    else if (value.is_number_integer()) settings[key] = std::to_string(value.get<int64_t>());
    else if (value.is_number_unsigned()) settings[key] = std::to_string(value.get<uint64_t>());
    else if (value.is_number()) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", value.get<double>());
      settings[key] = buf;
    } else {
      return Status::UserError("model parameters: '" + key + "' has an unexpected type");
    }
  }
  GbdtParams p;
  TESSERA_RETURN_IF_ERROR(ApplyGbdtParams(settings, &p));
  if (j.contains("metrics") && j["metrics"].is_array())
    for (const auto& m : j["metrics"])
      if (m.is_string()) p.metrics.push_back(m.get<std::string>());
  return p;
}

}  // namespace tessera::models::gbdt
