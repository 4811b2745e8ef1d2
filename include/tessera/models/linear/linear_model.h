// The linear family: logistic (binary), multinomial (softmax) and linear (squared loss)
// regression with an L2, L1 or elastic-net penalty, on the output of a fitted FeaturePipeline
// (imputation, one-hot / target / frequency encoding, standardization) kept inside the model, so
// that it predicts from raw rows. Like GbdtModel it keeps the training data's reference (schema
// and bin mappers, no rows): new data is read against it, categorical values are coded with its
// dictionaries, and drift is measured against its bins. Immutable once trained; thread-safe to read.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"
#include "tessera/features/pipeline.h"
#include "tessera/models/linear/params.h"

namespace tessera::models::linear {

class LinearModel {
 public:
  LinearModel() = default;

  const LinearParams& params() const { return params_; }
  int num_outputs() const { return num_outputs_; }
  const data::BinnedDataset& reference() const { return reference_; }
  const features::FeaturePipeline& pipeline() const { return pipeline_; }
  // num_outputs x pipeline().num_outputs(), row-major, on the standardized encoded columns.
  const std::vector<double>& coef() const { return coef_; }
  const std::vector<double>& intercept() const { return intercept_; }

  // Raw scores (row-major rows x outputs: margins, or the value for regression), on `threads`
  // threads (0 = all cores; the same bits for any count), a block of rows at a time.
  std::vector<double> PredictRaw(const data::CodedRows& rows, int threads = 0) const;
  // Probabilities (binary: of class 1; multiclass: per class) or values (regression).
  std::vector<double> Predict(const data::CodedRows& rows, int threads = 0) const;
  // Predictions for `rows` rows of raw values in memory, in the order of
  // reference().feature_name(f); see data::BinFloatRows for missing and categorical values.
  std::vector<double> PredictValues(const float* values, size_t rows, bool raw_score = false, int threads = 0) const;
  // Applies the link (sigmoid, softmax) to raw scores in place.
  void Transform(std::vector<double>* scores) const;

  const nlohmann::json& training_info() const { return training_info_; }
  void SetTrainingInfo(const std::string& key, nlohmann::json value) { training_info_[key] = std::move(value); }
  const std::vector<std::vector<uint64_t>>& reference_counts() const { return reference_counts_; }
  void SetReferenceCounts(std::vector<std::vector<uint64_t>> counts) { reference_counts_ = std::move(counts); }

 private:
  friend Result<LinearModel> TrainLinear(const data::BinnedDataset&, const data::CodedRows&, const LinearParams&,
                                         const std::function<bool()>&);
  friend Result<LinearModel> LinearModelFromJson(const nlohmann::json&, data::BinnedDataset);
  friend nlohmann::json LinearModelToJson(const LinearModel&);
  LinearParams params_;
  int num_outputs_ = 1;
  features::FeaturePipeline pipeline_;
  std::vector<double> coef_, intercept_;
  data::BinnedDataset reference_;
  std::vector<std::vector<uint64_t>> reference_counts_;
  nlohmann::json training_info_ = nlohmann::json::object();
};

// Trains on `train` (read by IngestBinned: labels, weights, bins for the reference) and its coded
// rows (data::ReadCodedRows of the same inputs against `train`). The model's reference is
// `train` without its rows; its reference counts are the training bins. `should_stop` (a time
// budget) is asked before every solver step; true ends the fit where it is (training info
// "converged": false).
Result<LinearModel> TrainLinear(const data::BinnedDataset& train, const data::CodedRows& coded, const LinearParams& params,
                                const std::function<bool()>& should_stop = {});

// The model document's "model" part (see docs/model-format.md) and back.
nlohmann::json LinearModelToJson(const LinearModel& model);
Result<LinearModel> LinearModelFromJson(const nlohmann::json& j, data::BinnedDataset reference);

}  // namespace tessera::models::linear
