#include "tessera/features/standardizer.h"

#include <algorithm>
#include <cmath>

namespace tessera::features {

Standardizer Standardizer::Fit(const std::vector<double>& x, size_t rows, size_t cols) {
  Standardizer s;
  s.mean_.assign(cols, 0.0);
  s.scale_.assign(cols, 1.0);
  if (rows == 0) return s;
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) s.mean_[j] += x[i * cols + j];
  for (double& m : s.mean_) m /= static_cast<double>(rows);
  std::vector<double> var(cols, 0.0);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) {
      const double d = x[i * cols + j] - s.mean_[j];
      var[j] += d * d;
    }
  for (size_t j = 0; j < cols; ++j) {
    const double sd = std::sqrt(var[j] / static_cast<double>(rows));
    // Near-constant columns (rounding noise around the mean) count as constant.
    s.scale_[j] = sd > 1e-12 * std::max(1.0, std::fabs(s.mean_[j])) ? sd : 1.0;
  }
  return s;
}

void Standardizer::Transform(double* x, size_t rows) const {
  const size_t cols = mean_.size();
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) x[i * cols + j] = (x[i * cols + j] - mean_[j]) / scale_[j];
}

nlohmann::json Standardizer::ToJson() const { return {{"mean", mean_}, {"scale", scale_}}; }

Result<Standardizer> Standardizer::FromJson(const nlohmann::json& j) {
  Standardizer s;
  s.mean_ = j.at("mean").get<std::vector<double>>();
  s.scale_ = j.at("scale").get<std::vector<double>>();
  if (s.mean_.size() != s.scale_.size()) return Status::UserError("standardize: one scale per mean expected");
  for (double v : s.scale_)
    if (!(v > 0) || !std::isfinite(v)) return Status::UserError("standardize: every scale must be finite and > 0");
  return s;
}

}  // namespace tessera::features
