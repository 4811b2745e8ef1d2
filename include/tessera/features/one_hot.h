// One-hot encoding of one categorical column for linear models: a 0/1 column per category code
// seen in training (the missing code 0 included, when training had it), and one "other" column
// for the codes never seen in training (new categories, the rare bucket). Fitted on training rows
// only; immutable once fitted.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/features/column_view.h"

namespace tessera::features {

class OneHotEncoder {
 public:
  // `values` holds category codes (whole numbers >= 0).
  static OneHotEncoder Fit(ColumnView values);

  const std::vector<uint32_t>& levels() const { return levels_; }
  size_t num_outputs() const { return levels_.size() + 1; }
  // `level_names[k]` names code levels()[k] (the output is "input=name"); the last output is "input=<other>".
  std::vector<std::string> OutputNames(const std::string& input, const std::vector<std::string>& level_names) const;
  void Transform(ColumnView values, OutputBlock out) const;

  nlohmann::json ToJson() const;
  static Result<OneHotEncoder> FromJson(const nlohmann::json& j);

 private:
  // Output of a code: its level's position, or the "other" column.
  size_t OutputOf(float code) const;
  std::vector<uint32_t> levels_;  // sorted
};

}  // namespace tessera::features
