// Model: a trained model of any family — gradient-boosted trees ("gbdt"), linear ("linear"), or a
// blend of such models ("blend": their raw scores weighted and summed, as AutoML's ensembles of
// trees and linear models) — for the commands that accept any (predict, eval, explain, serve,
// monitor, gate). Copies share the (immutable) model. What every family has: the
// reference it reads new data against (schema, bin mappers, label classes), its outputs, raw-row
// prediction, provenance and the reference distribution for drift. Commands that need trees ask
// for gbdt() and refuse the rest with RequireGbdt's message. Immutable; thread-safe to read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/coded_rows.h"
#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/linear/linear_model.h"

namespace tessera::models {

struct BlendMember;

class Model {
 public:
  explicit Model(gbdt::GbdtModel model);
  explicit Model(linear::LinearModel model);
  // A blend of gbdt and linear models that read the same features and predict the same outputs;
  // its raw score is the weighted sum of theirs. `training_info` is the blend's own.
  static Result<Model> Blend(std::vector<BlendMember> members, nlohmann::json training_info);

  // "gbdt", "linear" or "blend".
  const std::string& family() const { return family_; }
  // The model of that family, or nullptr.
  const gbdt::GbdtModel* gbdt() const { return gbdt_.get(); }
  const linear::LinearModel* linear() const { return linear_.get(); }
  const std::vector<BlendMember>* blend() const { return blend_.get(); }
  // Whether predictions read the rows binned (trees) and as coded values (linear models).
  bool ReadsBins() const;
  bool ReadsValues() const;

  const data::BinnedDataset& reference() const;
  int num_outputs() const;
  // binary, multiclass, regression, l1, huber or poisson.
  const std::string& objective() const;
  nlohmann::json training_info() const;
  // A copy of this model with training_info()[key] = value (this model and its copies are unchanged).
  Model WithTrainingInfo(const std::string& key, nlohmann::json value) const;
  const std::vector<std::vector<uint64_t>>& reference_counts() const;

  // Predictions (probabilities, values; or raw scores) for rows of raw values in memory, in the
  // order of reference().feature_name(f) (see data::BinFloatRows).
  std::vector<double> PredictValues(const float* values, size_t rows, bool raw_score = false, int threads = 0) const;
  // Raw scores (rows x num_outputs) of the same rows given binned and coded: a family reads the
  // form it needs (ReadsBins, ReadsValues); the other may be empty.
  std::vector<double> PredictRaw(const data::BinnedDataset& bins, const data::CodedRows& values, int threads = 0) const;
  // Raw scores to predictions (the objective's link).
  void Transform(std::vector<double>* scores) const;

  // Predictions for every row of `inputs` read against the reference, with the labels read too
  // (`need_labels`: an error when the input has none).
  struct TablePredictions {
    std::vector<double> scores;  // rows x num_outputs
    data::BinnedDataset data;    // the rows as read (labels, weights)
  };
  Result<TablePredictions> PredictTable(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                        bool need_labels, bool raw_score = false) const;

 private:
  Model() = default;

  std::string family_;
  std::shared_ptr<const gbdt::GbdtModel> gbdt_;
  std::shared_ptr<const linear::LinearModel> linear_;
  std::shared_ptr<const std::vector<BlendMember>> blend_;
  nlohmann::json blend_info_;
};

struct BlendMember {
  double weight = 1;
  Model model;  // gbdt or linear
};

// The error for a command that needs trees given a model of another family.
Status RequireGbdt(const Model& model, const std::string& source, const std::string& what);

}  // namespace tessera::models
