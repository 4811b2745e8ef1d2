// Gradient boosting: the training loop and the trained model. Each iteration computes the
// objective's gradients at the current scores, turns them into fixed-point pairs, grows one
// tree per output (class) on a bagged subset of rows and features, and adds its shrunken leaf
// values to the scores. Validation sets are scored as trees are added; early stopping keeps the
// best iteration. The model keeps the bin mappers, so it predicts from any table with the
// training columns. GbdtModel is immutable once trained; thread-safe to read.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/row_segments.h"
#include "tessera/dist/collective.h"
#include "tessera/models/gbdt/objective.h"
#include "tessera/models/gbdt/params.h"
#include "tessera/models/gbdt/tree.h"

namespace tessera::models::gbdt {

struct BlendMember;  // blend.h

class GbdtModel {
 public:
  GbdtModel() = default;

  const GbdtParams& params() const { return params_; }
  int num_outputs() const { return num_outputs_; }
  size_t num_iterations() const { return trees_.size() / static_cast<size_t>(num_outputs_); }
  const std::vector<Tree>& trees() const { return trees_; }
  const std::vector<double>& init_score() const { return init_score_; }
  // The training data's schema and bins, with no rows: what new data is read against.
  const data::BinnedDataset& reference() const { return reference_; }

  // Raw scores (row-major rows x outputs), using the first `iterations` (0 = all).
  std::vector<double> PredictRaw(const data::BinnedDataset& ds, int threads = 0, size_t iterations = 0) const;
  // Probabilities (binary, multiclass), values (regression) or means (poisson).
  std::vector<double> Predict(const data::BinnedDataset& ds, int threads = 0) const;
  // Predictions (as Predict, or raw scores) for `rows` rows of raw values in memory, in the
  // order of reference().feature_name(f); see data::BinFloatRows for missing and categorical values.
  std::vector<double> PredictValues(const float* values, size_t rows, bool raw_score = false, int threads = 0) const;
  // Leaf index per row and tree (row-major rows x trees), as LightGBM's pred_leaf.
  std::vector<int32_t> PredictLeaf(const data::BinnedDataset& ds, int threads = 0) const;
  // Applies the objective's link (sigmoid, softmax, exp) to raw scores in place.
  void Transform(std::vector<double>* scores) const;
  // Keeps the first `iterations` of a boosted model (a cut its caller chose, as early stopping
  // does). A forest's leaves are divided by its tree count, so a forest is left whole.
  void KeepFirstIterations(size_t iterations);

  nlohmann::json training_info() const { return training_info_; }
  // Training rows per bin of each feature: the reference distribution that drift is measured
  // against (empty for imported models).
  const std::vector<std::vector<uint64_t>>& reference_counts() const { return reference_counts_; }
  void SetReferenceCounts(std::vector<std::vector<uint64_t>> counts) { reference_counts_ = std::move(counts); }
  // Provenance added after training (the tracked run's id, an import's origin).
  void SetTrainingInfo(const std::string& key, nlohmann::json value) { training_info_[key] = std::move(value); }

 private:
  friend class GbdtTrainer;
  friend Result<GbdtModel> GbdtModelFromJson(const nlohmann::json&, data::BinnedDataset);
  friend nlohmann::json GbdtModelToJson(const GbdtModel&);
  friend Result<GbdtModel> BlendModels(const std::vector<BlendMember>& members);
  GbdtParams params_;
  int num_outputs_ = 1;
  std::vector<double> init_score_;
  std::vector<Tree> trees_;  // iteration-major: tree i belongs to output i % num_outputs
  data::BinnedDataset reference_;
  std::vector<std::vector<uint64_t>> reference_counts_;
  std::shared_ptr<Objective> objective_;
  nlohmann::json training_info_;
};

// One line of the training log: the iteration and each validation set's metrics.
struct IterationReport {
  int iteration = 0;
  std::vector<std::pair<std::string, double>> metrics;  // "valid_0 auc" -> value
};

// Where a run stands after a whole iteration: what a checkpoint holds besides the model's trees,
// so that a resumed run continues exactly as the uninterrupted one would have.
struct TrainingState {
  int iteration = 0;        // iterations done; the next one to run (counted from 0)
  int best_iteration = -1;  // early stopping: the best iteration so far (-1: none yet),
  double best_value = 0;    // its metric value,
  int since_best = 0;       // and the iterations since
  nlohmann::json ToJson() const;
  static Result<TrainingState> FromJson(const nlohmann::json& j);
};

struct TrainOptions {
  std::vector<const data::BinnedDataset*> valid;  // read with the training bins
  std::vector<std::string> valid_names;
  const GbdtModel* init_model = nullptr;          // continue boosting from this model
  // Evaluate validation metrics every N iterations (and at the last); early stopping needs 1.
  int metric_every = 1;
  std::function<void(const IterationReport&)> on_iteration;
  // Asked after each iteration; true ends training there (a time budget). The model keeps the
  // trees grown so far (or the best iteration's, with early stopping). Single process only: ranks
  // would have to agree on it.
  std::function<bool()> should_stop;

  // Data-parallel training: the ranks of `world` each pass their own rows of the training (and
  // validation) data, with where those rows sit in the whole table; every rank gets the same
  // model, the one a single process would train on the whole table (see docs/distributed.md).
  dist::Collective* world = nullptr;       // nullptr: a world of one
  data::GlobalRows train_rows;             // identity in a world of one
  std::vector<data::GlobalRows> valid_rows;  // per validation set; empty: identity
  // Called after each iteration with the bytes this rank sent and the seconds it spent in
  // communication during that iteration.
  std::function<void(int iteration, uint64_t bytes, double seconds)> on_communication;

  // Checkpoints: after every `checkpoint_every` iterations (0: never; not after the last one),
  // on_checkpoint gets the model so far (every tree: early stopping not applied) and the state.
  // Every rank calls it; it must return the same status on every rank (agree inside), and an
  // error stops training with that error.
  int checkpoint_every = 0;
  std::function<Status(const GbdtModel& model, const TrainingState& state)> on_checkpoint;
  // Resuming: a checkpoint's model (trained on the same data with the same parameters) and state;
  // training continues at state.iteration and ends with the model an uninterrupted run gives.
  const GbdtModel* resume_model = nullptr;
  TrainingState resume_state;
};

Result<GbdtModel> TrainGbdt(const data::BinnedDataset& train, const GbdtParams& params, const TrainOptions& options = {});

// The model document's "model" part (see docs/model-format.md) and back; `reference` holds the
// schema and bin mappers read from the same document.
nlohmann::json GbdtModelToJson(const GbdtModel& model);
Result<GbdtModel> GbdtModelFromJson(const nlohmann::json& j, data::BinnedDataset reference);

}  // namespace tessera::models::gbdt
