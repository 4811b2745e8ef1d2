// AutoML: given a table, a label and a budget, find the best model it can, and show what it
// tried. The model families (gradient boosting, random forest, extra trees, linear) each have a
// search space and a BlendSampler; every family's cheap start is tried first, then the leading
// family gets half the new configurations, the second a quarter, the others an eighth each. A linear configuration is fitted once per fold, to
// convergence: it has no rounds and is never promoted. Rounds (trees, for forests) are the
// fidelity of successive halving, run as ASHA does: every configuration is first trained for
// `min_rounds`, and one that ranks in the top 1/eta of its rung continues (from its own model,
// not from scratch) to eta times more rounds, up to max_rounds. Early stopping on the validation
// rows ends a boosted configuration that has converged (with k folds, at the round of the best
// mean: common_round.h). The best is refit on all rows with its number of rounds, within the
// budget. Then greedy ensemble selection (ensemble_selection.h) weighs the ten best
// tree configurations; if the weighted blend of their raw scores validates better than the best
// (of any family) alone, its members are refit and blended into one tree model
// (models/gbdt/blend.h), and it heads the leaderboard as family "ensemble".
//
// Trials run in waves of four jobs (promotions first, then new configurations), planned from
// the results before the wave; on small data the jobs of a wave train side by side, one thread
// each. The leaderboard is the same for any thread count.
//
// Budget: trials stop when the time left is what the refit of the best (estimated from its
// measured time per round, or per fit for linear) and ensemble selection need; a training
// running into that point stops at its next round (a linear fit: at its next solver step).
// With max_trials and no time budget the run is reproducible: same data, options and seed give
// the same leaderboard and model. Features that alone predict the label almost perfectly are
// reported as probable target leakage (features/leakage.h) before the search. Constant and
// ID-like features (features/unusable_features.h) are left out of the search and the model
// (their columns become ignored: the model still reads tables that hold them) and reported.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"
#include "tessera/dist/collective.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model.h"

namespace tessera::automl {

struct TrialResult {
  size_t trial = 0;  // in the order configurations were proposed
  std::string family = "gbdt";
  std::string strategy;  // how the sampler found it: start, local, tpe, random
  std::map<std::string, std::string> params;
  int rounds = 0;  // boosting rounds (trees) of the scored model, after early stopping; 0 for linear
  int rung = 0;    // successive-halving rung reached
  double score = 0;
  double fit_seconds = 0;  // over all rungs and folds
  double predict_ms_per_1k_rows = 0;
  // Early stopping ended it before its rung's rounds (linear: every fold's solver converged).
  bool converged = false;
  bool stopped_by_budget = false;
  int rank = 0;  // the MPI rank that trained it
  // Cross-validated searches: the mean score on fresh fold splits, for the finalists rechecked
  // there (the final choice goes by it); NaN otherwise.
  double recheck_score = std::numeric_limits<double>::quiet_NaN();
};

struct AutoMlOptions {
  std::string objective;  // empty: binary for 0/1 or two-class labels, multiclass, else regression
  std::string metric;     // empty: auc, multi_logloss or rmse
  double time_budget_seconds = 0;  // 0: none (then max_trials bounds the run)
  size_t max_trials = 0;           // 0: no limit (then the time budget does)
  int cv_folds = 0;  // >= 2: k-fold cross-validation; 1: a holdout; 0: 5 folds up to 10,000 rows, else a holdout
  double holdout_fraction = 0.2;
  int time_feature = -1;           // >= 0: the holdout is the latest rows by this feature
  int min_rounds = 16, max_rounds = 1000, eta = 4;
  bool refit = true;
  // Greedy ensemble selection over the best configurations, kept if it validates better.
  bool ensemble = true;
  uint64_t seed = 0;
  int threads = 0;
  // Trials side by side, one thread each: 0 = when the data is small enough, 1 = never, 2+ = always.
  int parallel_trials = 0;
  // Model families searched: gbdt, random_forest, extra_trees (forests grow trees as the
  // fidelity, as boosting grows rounds), linear (needs raw_rows, and a binary, multiclass or
  // regression objective). Empty: every family that fits (linear when those hold).
  std::vector<std::string> families;
  // The raw feature values of the same rows (models::linear::ReadTrainingRows), for the linear
  // family. nullptr: no linear family.
  const data::CodedRows* raw_rows = nullptr;
  // Under mpirun: the ranks, each with the whole table, share the trials of every wave (a
  // candidate stays on rank trial % size) and gather the results, so every rank sees the same
  // leaderboard; rank 0 then ensembles and refits. nullptr: a world of one.
  dist::Collective* world = nullptr;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();  // the budget's start
  std::function<void(const TrialResult&)> on_trial;  // each trial as it is scored (also promotions)
};

struct AutoMlResult {
  std::vector<TrialResult> leaderboard;  // the chosen model first, then by search score
  std::string objective, metric;
  bool higher_is_better = true;
  // The best configuration (refit on all rows if `refit`): a tree model (also for an ensemble)
  // or a linear one. Empty on ranks other than 0.
  models::Model model{models::gbdt::GbdtModel()};
  bool refit = false;
  bool lead = true;        // false on ranks other than 0: the leaderboard only, no model
  bool ensemble = false;   // the model blends several configurations (leaderboard row 0 says which)
  std::string validation;  // "holdout 20%", "5-fold cv", "latest 20% by <feature>"
  // Why the model is not the leaderboard's best by search score, when it is not (the recheck on
  // fresh folds chose another finalist, or the one-standard-error rule a linear one; the chosen
  // configuration then heads the leaderboard). Empty otherwise.
  std::string choice;
  std::vector<std::string> warnings;  // probable target leakage, ...
  std::vector<std::string> dropped_features;  // constant and ID-like features left out
};

Result<AutoMlResult> RunAutoMl(const data::BinnedDataset& data, const AutoMlOptions& options);

}  // namespace tessera::automl
