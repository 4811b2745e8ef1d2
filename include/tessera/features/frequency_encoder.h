// Frequency encoding of one categorical column: a category becomes the share of training rows
// that hold it (0 for categories never seen in training). Uses no label, so fitting it on all
// training rows leaks nothing. Immutable once fitted.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/features/column_view.h"

namespace tessera::features {

class FrequencyEncoder {
 public:
  static FrequencyEncoder Fit(ColumnView codes);

  size_t num_outputs() const { return 1; }
  std::vector<std::string> OutputNames(const std::string& input) const { return {input + ":frequency"}; }
  void Transform(ColumnView codes, OutputBlock out) const;
  double FrequencyOf(float code) const;

  nlohmann::json ToJson() const;
  static Result<FrequencyEncoder> FromJson(const nlohmann::json& j);

 private:
  std::vector<uint32_t> codes_;   // sorted
  std::vector<double> shares_;    // per code
};

}  // namespace tessera::features
