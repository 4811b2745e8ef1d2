// FeaturePipeline: the fitted feature engineering of a linear model, from the model's coded input
// rows (one float per input feature: numeric values with NaN for missing, categorical codes of
// the feature's BinMapper: 0 missing, 1..m categories, m+1 rare/unseen) to the standardized
// design matrix the coefficients apply to. Per input column:
//   numeric                      -> impute (mean or median) [+ missing indicator]
//   categorical, <= one_hot_max  -> one-hot (+ "other" for unseen)
//   categorical, more levels     -> out-of-fold target encoding + frequency encoding
// then every output column is standardized. Fit() returns the training rows' matrix (target
// encodings out of fold: no row sees its own label); Transform() applies the full-data fit to new
// rows. Saved inside the model file; immutable once fitted, thread-safe to read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/features/frequency_encoder.h"
#include "tessera/features/imputer.h"
#include "tessera/features/one_hot.h"
#include "tessera/features/standardizer.h"
#include "tessera/features/target_encoder.h"

namespace tessera::features {

struct InputColumn {
  std::string name;
  bool categorical = false;
  std::vector<std::string> categories;  // categorical: the names of codes 1..m (for output names)
};

struct PipelineOptions {
  Imputer::Strategy impute = Imputer::Strategy::kMean;
  size_t one_hot_max_levels = 16;  // categories seen in training, at most, for one-hot
  TargetEncodingOptions target;
};

class FeaturePipeline {
 public:
  // `coded`: rows x inputs.size(), row-major. `targets`: rows x target_names.size() (one column for
  // regression and binary labels, one 0/1 column per class for multiclass). Writes the training
  // rows' standardized matrix (rows x num_outputs()) to `train_out`.
  static Result<FeaturePipeline> Fit(const std::vector<InputColumn>& inputs, std::span<const float> coded, size_t rows,
                                     std::span<const double> targets, const std::vector<std::string>& target_names,
                                     const PipelineOptions& options, std::vector<double>* train_out);

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return output_names_.size(); }
  const std::vector<std::string>& output_names() const { return output_names_; }
  const Standardizer& standardizer() const { return standardizer_; }
  // The input column each output column comes from.
  std::vector<size_t> OutputInputs() const;
  // The standardized matrix (rows x num_outputs()) of new coded rows.
  std::vector<double> Transform(std::span<const float> coded, size_t rows) const;

  nlohmann::json ToJson() const;
  static Result<FeaturePipeline> FromJson(const nlohmann::json& j);

 private:
  struct TargetAndFrequency {
    TargetEncoder target;
    FrequencyEncoder frequency;
  };
  using Step = std::variant<Imputer, OneHotEncoder, TargetAndFrequency>;
  static size_t StepOutputs(const Step& step);
  // Writes the unstandardized outputs of every step (the full-data fit) into `out`.
  void Encode(std::span<const float> coded, size_t rows, std::vector<double>* out) const;

  std::vector<InputColumn> inputs_;
  std::vector<Step> steps_;  // one per input column
  Standardizer standardizer_;
  std::vector<std::string> output_names_;
};

}  // namespace tessera::features
