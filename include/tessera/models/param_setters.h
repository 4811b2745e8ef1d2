// Key=value parameters of the model families (gbdt/params.h, linear/params.h): one setter per
// parameter with its aliases, number parsing, and range checks whose messages name the
// parameter and its valid range. Plain functions; thread-safe.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::models {

template <typename P>
struct ParamSetter {
  std::vector<std::string> names;  // canonical name first, then aliases
  std::function<Status(const std::string& key, const std::string& value, P*)> apply;
};

inline Status ParamRangeError(const std::string& key, const std::string& value, const std::string& range) {
  return Status::UserError("parameter " + key + "=" + value + " is out of range; expected " + range);
}

template <typename T>
Result<T> ParseParamValue(const std::string& key, const std::string& value) {
  T out{};
  auto r = std::from_chars(value.data(), value.data() + value.size(), out);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size())
    return Status::UserError("parameter " + key + "=" + value + " is not a " +
                             (std::is_integral_v<T> ? "whole number" : "number"));
  return out;
}

template <typename P>
ParamSetter<P> IntParam(std::vector<std::string> names, int P::*field, long lo, long hi) {
  return {std::move(names), [=](const std::string& key, const std::string& value, P* p) -> Status {
            TESSERA_ASSIGN_OR_RETURN(long v, ParseParamValue<long>(key, value));
            if (v < lo || v > hi)
              return ParamRangeError(key, value, "a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
            p->*field = static_cast<int>(v);
            return Status::Ok();
          }};
}

// `open_low`: lo itself is out of range.
template <typename P>
ParamSetter<P> RealParam(std::vector<std::string> names, double P::*field, double lo, double hi, bool open_low = false) {
  return {std::move(names), [=](const std::string& key, const std::string& value, P* p) -> Status {
            TESSERA_ASSIGN_OR_RETURN(double v, ParseParamValue<double>(key, value));
            char range[96];
            std::snprintf(range, sizeof range, "a number in %c%g, %g]", open_low ? '(' : '[', lo, hi);
            if (!std::isfinite(v) || v < lo || v > hi || (open_low && v == lo)) return ParamRangeError(key, value, range);
            p->*field = v;
            return Status::Ok();
          }};
}

template <typename P>
ParamSetter<P> BoolParam(std::vector<std::string> names, bool P::*field) {
  return {std::move(names), [=](const std::string& key, const std::string& value, P* p) -> Status {
            if (value != "true" && value != "false") return ParamRangeError(key, value, "true or false");
            p->*field = value == "true";
            return Status::Ok();
          }};
}

// Applies each setting through the setter that has its key as a name; an unknown key is an
// error listing the known parameters (`where` names the family in it, e.g. " for the linear family").
template <typename P>
Status ApplyParamSettings(const std::vector<ParamSetter<P>>& setters, const std::map<std::string, std::string>& settings,
                          P* params, const std::string& where = "") {
  for (const auto& [key, value] : settings) {
    const ParamSetter<P>* found = nullptr;
    for (const auto& s : setters)
      for (const auto& name : s.names)
        if (name == key) found = &s;
    if (!found) {
      std::string known;
      for (const auto& s : setters) known += (known.empty() ? "" : ", ") + s.names[0];
      return Status::UserError("unknown parameter '" + key + "'" + where + "; known parameters: " + known);
    }
    TESSERA_RETURN_IF_ERROR(found->apply(key, value, params));
  }
  return Status::Ok();
}

}  // namespace tessera::models
