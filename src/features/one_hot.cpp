#include "tessera/features/one_hot.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tessera::features {

OneHotEncoder OneHotEncoder::Fit(ColumnView values) {
  std::set<uint32_t> seen;
  for (size_t i = 0; i < values.rows; ++i)
    if (values[i] >= 0) seen.insert(static_cast<uint32_t>(values[i]));
  OneHotEncoder e;
  e.levels_.assign(seen.begin(), seen.end());
  return e;
}

size_t OneHotEncoder::OutputOf(float code) const {
  if (!(code >= 0)) return levels_.size();
  auto it = std::lower_bound(levels_.begin(), levels_.end(), static_cast<uint32_t>(code));
  return it != levels_.end() && *it == static_cast<uint32_t>(code) ? static_cast<size_t>(it - levels_.begin()) : levels_.size();
}

std::vector<std::string> OneHotEncoder::OutputNames(const std::string& input, const std::vector<std::string>& level_names) const {
  std::vector<std::string> names;
  for (size_t k = 0; k < levels_.size(); ++k)
    names.push_back(input + "=" + (k < level_names.size() ? level_names[k] : std::to_string(levels_[k])));
  names.push_back(input + "=<other>");
  return names;
}

void OneHotEncoder::Transform(ColumnView values, OutputBlock out) const {
  for (size_t i = 0; i < values.rows; ++i) {
    for (size_t k = 0; k < num_outputs(); ++k) out.at(i, k) = 0.0;
    out.at(i, OutputOf(values[i])) = 1.0;
  }
}

nlohmann::json OneHotEncoder::ToJson() const { return {{"transform", "one_hot"}, {"levels", levels_}}; }

Result<OneHotEncoder> OneHotEncoder::FromJson(const nlohmann::json& j) {
  OneHotEncoder e;
  e.levels_ = j.at("levels").get<std::vector<uint32_t>>();
  if (!std::is_sorted(e.levels_.begin(), e.levels_.end()) ||
      std::adjacent_find(e.levels_.begin(), e.levels_.end()) != e.levels_.end())
    return Status::UserError("one_hot: levels must be distinct and sorted");
  return e;
}

}  // namespace tessera::features
