// Imputer: fills the missing values (NaN) of one numeric column with its training mean or median
// and, when the training rows had missing values, adds a 0/1 missing-indicator column so that a
// model can still tell them apart. Fitted on training rows only; immutable once fitted.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/features/column_view.h"

namespace tessera::features {

class Imputer {
 public:
  enum class Strategy { kMean, kMedian };
  // A column with no value at all is filled with 0.
  static Imputer Fit(ColumnView values, Strategy strategy);

  double fill() const { return fill_; }
  bool indicator() const { return indicator_; }
  size_t num_outputs() const { return indicator_ ? 2 : 1; }
  std::vector<std::string> OutputNames(const std::string& input) const;
  // Output 0: the value or the fill; output 1 (with the indicator): 1 where it was missing.
  void Transform(ColumnView values, OutputBlock out) const;

  nlohmann::json ToJson() const;
  static Result<Imputer> FromJson(const nlohmann::json& j);

 private:
  Strategy strategy_ = Strategy::kMean;
  double fill_ = 0;
  bool indicator_ = false;
};

}  // namespace tessera::features
