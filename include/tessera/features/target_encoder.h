// Target encoding of one (high-cardinality) categorical column: a category becomes the smoothed
// mean of the target over the training rows holding it,
//   (sum of targets + smoothing * prior) / (count + smoothing),
// one output per target column (1 for regression and binary labels, one per class for
// multiclass: the class's share). Unseen categories get the prior (the overall mean).
// Training rows are encoded out of fold: rows are dealt into k folds by a hash of (seed, row), and
// a row's encoding uses only the other folds' rows, so that it never sees its own label. The
// encoder kept for predicting is fitted on every training row. Immutable once fitted.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/features/column_view.h"

namespace tessera::features {

struct TargetEncodingOptions {
  int folds = 5;           // >= 2
  double smoothing = 10;   // >= 0: pseudo-rows of the prior added to each category
  uint64_t seed = 0;       // deals the rows into folds
};

class TargetEncoder {
 public:
  // `codes`: category codes (whole numbers >= 0). `targets`: rows x width, row-major. Writes the
  // out-of-fold encodings of the training rows into `oof` (width columns) and returns the encoder
  // fitted on all rows.
  static TargetEncoder FitOutOfFold(ColumnView codes, std::span<const double> targets, size_t width,
                                    const TargetEncodingOptions& options, OutputBlock oof);
  // The fold of training row `row` (0..folds-1).
  static int FoldOf(uint64_t row, const TargetEncodingOptions& options);

  size_t num_outputs() const { return prior_.size(); }
  const std::vector<double>& prior() const { return prior_; }
  std::vector<std::string> OutputNames(const std::string& input, const std::vector<std::string>& target_names) const;
  // The full-data encodings (for rows that were not used to fit: validation, prediction).
  void Transform(ColumnView codes, OutputBlock out) const;

  nlohmann::json ToJson() const;
  static Result<TargetEncoder> FromJson(const nlohmann::json& j);

 private:
  std::vector<double> prior_;                  // width
  std::vector<uint32_t> codes_;                // sorted codes seen in training
  std::vector<std::vector<double>> encoding_;  // per code: width values
  double smoothing_ = 0;
  int folds_ = 0;
  uint64_t seed_ = 0;
};

}  // namespace tessera::features
