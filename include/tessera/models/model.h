// Model: a trained model of any family — gradient-boosted trees ("gbdt") or linear ("linear") —
// for the commands that accept either (predict, eval, explain, export, serve, monitor, gate).
// Copies share the (immutable) model. What every family has: the
// reference it reads new data against (schema, bin mappers, label classes), its outputs, raw-row
// prediction, provenance and the reference distribution for drift. Commands that need trees ask
// for gbdt() and refuse the rest with RequireGbdt's message. Immutable; thread-safe to read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/linear/linear_model.h"

namespace tessera::models {

class Model {
 public:
  explicit Model(gbdt::GbdtModel model);
  explicit Model(linear::LinearModel model);

  // "gbdt" or "linear".
  const std::string& family() const { return family_; }
  // The model of that family, or nullptr.
  const gbdt::GbdtModel* gbdt() const { return gbdt_.get(); }
  const linear::LinearModel* linear() const { return linear_.get(); }

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

  // Predictions for every row of `inputs` read against the reference, with the labels read too
  // (`need_labels`: an error when the input has none).
  struct TablePredictions {
    std::vector<double> scores;  // rows x num_outputs
    data::BinnedDataset data;    // the rows as read (labels, weights)
  };
  Result<TablePredictions> PredictTable(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                        bool need_labels, bool raw_score = false) const;

 private:
  std::string family_;
  std::shared_ptr<const gbdt::GbdtModel> gbdt_;
  std::shared_ptr<const linear::LinearModel> linear_;
};

// The error for a command that needs trees given a model of another family.
Status RequireGbdt(const Model& model, const std::string& source, const std::string& what);

}  // namespace tessera::models
