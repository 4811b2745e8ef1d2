// Standardization of the encoded columns for linear models: x -> (x - mean) / scale with the
// training mean and population standard deviation (as scikit-learn's StandardScaler; a constant
// column keeps scale 1). Keeping it inside the model makes the penalty treat every column alike
// while predictions still take raw rows. Immutable once fitted.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::features {

class Standardizer {
 public:
  // `x`: rows x cols, row-major.
  static Standardizer Fit(const std::vector<double>& x, size_t rows, size_t cols);

  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }
  // In place, on rows x mean().size() values.
  void Transform(double* x, size_t rows) const;

  nlohmann::json ToJson() const;
  static Result<Standardizer> FromJson(const nlohmann::json& j);

 private:
  std::vector<double> mean_, scale_;
};

}  // namespace tessera::features
