#include "tessera/features/imputer.h"

#include <algorithm>
#include <cmath>

namespace tessera::features {

Imputer Imputer::Fit(ColumnView values, Strategy strategy) {
  Imputer m;
  m.strategy_ = strategy;
  std::vector<double> present;
  present.reserve(values.rows);
  for (size_t i = 0; i < values.rows; ++i)
    if (!std::isnan(values[i])) present.push_back(values[i]);
  m.indicator_ = present.size() < values.rows;
  if (present.empty()) return m;
  if (strategy == Strategy::kMean) {
    double sum = 0;
    for (double v : present) sum += v;
    m.fill_ = sum / static_cast<double>(present.size());
  } else {  // the median as numpy computes it: the middle value, or the mean of the two middle ones
    const size_t mid = present.size() / 2;
    std::nth_element(present.begin(), present.begin() + static_cast<std::ptrdiff_t>(mid), present.end());
    m.fill_ = present[mid];
    if (present.size() % 2 == 0) {
      const double below = *std::max_element(present.begin(), present.begin() + static_cast<std::ptrdiff_t>(mid));
      m.fill_ = (m.fill_ + below) / 2;
    }
  }
  return m;
}

std::vector<std::string> Imputer::OutputNames(const std::string& input) const {
  if (indicator_) return {input, input + ":missing"};
  return {input};
}

void Imputer::Transform(ColumnView values, OutputBlock out) const {
  for (size_t i = 0; i < values.rows; ++i) {
    const float v = values[i];
    const bool missing = std::isnan(v);
    out.at(i, 0) = missing ? fill_ : static_cast<double>(v);
    if (indicator_) out.at(i, 1) = missing ? 1.0 : 0.0;
  }
}

nlohmann::json Imputer::ToJson() const {
  return {{"transform", "impute"}, {"strategy", strategy_ == Strategy::kMean ? "mean" : "median"}, {"fill", fill_},
          {"indicator", indicator_}};
}

Result<Imputer> Imputer::FromJson(const nlohmann::json& j) {
  Imputer m;
  const std::string strategy = j.at("strategy").get<std::string>();
  if (strategy != "mean" && strategy != "median")
    return Status::UserError("impute: strategy must be \"mean\" or \"median\", got \"" + strategy + "\"");
  m.strategy_ = strategy == "mean" ? Strategy::kMean : Strategy::kMedian;
  m.fill_ = j.at("fill").get<double>();
  m.indicator_ = j.at("indicator").get<bool>();
  return m;
}

}  // namespace tessera::features
