#include "tessera/models/linear/params.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "tessera/models/param_setters.h"

namespace tessera::models::linear {

namespace {

using Setter = ParamSetter<LinearParams>;

const std::vector<Setter>& Setters() {
  static const std::vector<Setter> kSetters = [] {
    std::vector<Setter> s = {
        RealParam({"lambda", "alpha", "reg_lambda"}, &LinearParams::lambda, 0, 1e300),
        RealParam({"l1_ratio"}, &LinearParams::l1_ratio, 0, 1),
        IntParam({"max_iterations", "max_iter", "num_iterations"}, &LinearParams::max_iterations, 0, 10000000),
        RealParam({"tolerance", "tol"}, &LinearParams::tolerance, 0, 1, true),
        IntParam({"num_class", "num_classes"}, &LinearParams::num_class, 1, 100000),
        IntParam({"num_threads", "n_jobs", "nthread"}, &LinearParams::num_threads, 0, 1024),
        IntParam({"max_bin", "max_bins"}, &LinearParams::max_bin, 2, 65535),
        IntParam({"one_hot_max_levels", "max_onehot_levels"}, &LinearParams::one_hot_max_levels, 0, 65535),
        IntParam({"target_encoding_folds", "te_folds"}, &LinearParams::target_encoding_folds, 2, 100),
        RealParam({"target_smoothing", "te_smoothing"}, &LinearParams::target_smoothing, 0, 1e300),
    };
    s.push_back({{"objective", "loss"}, [](const std::string& key, const std::string& value, LinearParams* p) -> Status {
                   static const std::map<std::string, std::string> kObjectives = {
                       {"binary", "binary"},         {"logistic", "binary"},       {"binary:logistic", "binary"},
                       {"multiclass", "multiclass"}, {"softmax", "multiclass"},    {"multinomial", "multiclass"},
                       {"regression", "regression"}, {"l2", "regression"},         {"mse", "regression"},
                       {"linear", "regression"}};
                   auto it = kObjectives.find(value);
                   if (it == kObjectives.end())
                     return Status::UserError("parameter " + key + "=" + value +
                                              " is not known for the linear family; expected one of binary, multiclass, regression");
                   p->objective = it->second;
                   return Status::Ok();
                 }});
    s.push_back({{"impute"}, [](const std::string& key, const std::string& value, LinearParams* p) -> Status {
                   if (value != "mean" && value != "median") return ParamRangeError(key, value, "mean or median");
                   p->impute = value;
                   return Status::Ok();
                 }});
    s.push_back({{"seed", "random_state"}, [](const std::string& key, const std::string& value, LinearParams* p) -> Status {
                   TESSERA_ASSIGN_OR_RETURN(p->seed, ParseParamValue<uint64_t>(key, value));
                   return Status::Ok();
                 }});
    return s;
  }();
  return kSetters;
}

}  // namespace

nlohmann::json LinearParams::ToJson() const {
  return {{"objective", objective},
          {"lambda", lambda},
          {"l1_ratio", l1_ratio},
          {"max_iterations", max_iterations},
          {"tolerance", tolerance},
          {"num_class", num_class},
          {"num_threads", num_threads},
          {"seed", seed},
          {"max_bin", max_bin},
          {"impute", impute},
          {"one_hot_max_levels", one_hot_max_levels},
          {"target_encoding_folds", target_encoding_folds},
          {"target_smoothing", target_smoothing}};
}

Status ApplyLinearParams(const std::map<std::string, std::string>& settings, LinearParams* params, bool validate) {
  TESSERA_RETURN_IF_ERROR(ApplyParamSettings(Setters(), settings, params, " for the linear family"));
  return validate ? ValidateLinearParams(*params) : Status::Ok();
}

Status ValidateLinearParams(const LinearParams& p) {
  if (p.objective == "multiclass" && p.num_class < 2)
    return Status::UserError("objective=multiclass needs num_class >= 2 (the number of classes)");
  if (p.objective != "multiclass" && p.num_class > 1)
    return Status::UserError("num_class=" + std::to_string(p.num_class) + " needs objective=multiclass");
  return Status::Ok();
}

Result<LinearParams> LinearParamsFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::UserError("linear params: expected an object");
  std::map<std::string, std::string> settings;
  for (const auto& [key, value] : j.items()) settings[key] = value.is_string() ? value.get<std::string>() : value.dump();
  LinearParams p;
  TESSERA_RETURN_IF_ERROR(ApplyLinearParams(settings, &p));
  return p;
}

}  // namespace tessera::models::linear
