#include "tessera/models/linear/params.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

namespace tessera::models::linear {

namespace {

struct Setter {
  std::vector<std::string> names;  // canonical name first, then aliases
  std::function<Status(const std::string& key, const std::string& value, LinearParams*)> apply;
};

Status RangeError(const std::string& key, const std::string& value, const std::string& range) {
  return Status::UserError("parameter " + key + "=" + value + " is out of range; expected " + range);
}

template <typename T>
Result<T> ParseValue(const std::string& key, const std::string& value) {
  T out{};
  auto r = std::from_chars(value.data(), value.data() + value.size(), out);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size())
    return Status::UserError("parameter " + key + "=" + value + " is not a " + (std::is_integral_v<T> ? "whole number" : "number"));
  return out;
}

Setter Int(std::vector<std::string> names, int LinearParams::*field, long lo, long hi) {
  return {std::move(names), [=](const std::string& key, const std::string& value, LinearParams* p) -> Status {
            TESSERA_ASSIGN_OR_RETURN(long v, ParseValue<long>(key, value));
            if (v < lo || v > hi) return RangeError(key, value, "a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
            p->*field = static_cast<int>(v);
            return Status::Ok();
          }};
}

Setter Real(std::vector<std::string> names, double LinearParams::*field, double lo, double hi, bool open_low = false) {
  return {std::move(names), [=](const std::string& key, const std::string& value, LinearParams* p) -> Status {
            TESSERA_ASSIGN_OR_RETURN(double v, ParseValue<double>(key, value));
            char range[96];
            std::snprintf(range, sizeof range, "a number in %c%g, %g]", open_low ? '(' : '[', lo, hi);
            if (!std::isfinite(v) || v < lo || v > hi || (open_low && v == lo)) return RangeError(key, value, range);
            p->*field = v;
            return Status::Ok();
          }};
}

const std::vector<Setter>& Setters() {
  static const std::vector<Setter> kSetters = [] {
    std::vector<Setter> s = {
        Real({"lambda", "alpha", "reg_lambda"}, &LinearParams::lambda, 0, 1e300),
        Real({"l1_ratio"}, &LinearParams::l1_ratio, 0, 1),
        Int({"max_iterations", "max_iter", "num_iterations"}, &LinearParams::max_iterations, 0, 10000000),
        Real({"tolerance", "tol"}, &LinearParams::tolerance, 0, 1, true),
        Int({"num_class", "num_classes"}, &LinearParams::num_class, 1, 100000),
        Int({"num_threads", "n_jobs", "nthread"}, &LinearParams::num_threads, 0, 1024),
        Int({"max_bin", "max_bins"}, &LinearParams::max_bin, 2, 65535),
        Int({"one_hot_max_levels", "max_onehot_levels"}, &LinearParams::one_hot_max_levels, 0, 65535),
        Int({"target_encoding_folds", "te_folds"}, &LinearParams::target_encoding_folds, 2, 100),
        Real({"target_smoothing", "te_smoothing"}, &LinearParams::target_smoothing, 0, 1e300),
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
                   if (value != "mean" && value != "median") return RangeError(key, value, "mean or median");
                   p->impute = value;
                   return Status::Ok();
                 }});
    s.push_back({{"seed", "random_state"}, [](const std::string& key, const std::string& value, LinearParams* p) -> Status {
                   TESSERA_ASSIGN_OR_RETURN(p->seed, ParseValue<uint64_t>(key, value));
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
  for (const auto& [key, value] : settings) {
    const Setter* found = nullptr;
    for (const auto& s : Setters())
      for (const auto& name : s.names)
        if (name == key) found = &s;
    if (!found) {
      std::string known;
      for (const auto& s : Setters()) known += (known.empty() ? "" : ", ") + s.names[0];
      return Status::UserError("unknown parameter '" + key + "' for the linear family; known parameters: " + known);
    }
    TESSERA_RETURN_IF_ERROR(found->apply(key, value, params));
  }
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
