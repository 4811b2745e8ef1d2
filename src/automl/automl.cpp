#include "tessera/automl/automl.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "tessera/automl/common_round.h"
#include "tessera/automl/ensemble_model.h"
#include "tessera/automl/ensemble_selection.h"
#include "tessera/automl/sampler.h"
#include "tessera/automl/search_space.h"
#include "tessera/automl/validation_split.h"
#include "tessera/core/parallel.h"
#include "tessera/dist/collective.h"
#include "tessera/features/leakage.h"
#include "tessera/features/unusable_features.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/model_file.h"

namespace tessera::automl {

namespace {

using Clock = std::chrono::steady_clock;
using models::gbdt::GbdtModel;
using models::gbdt::GbdtParams;
using models::linear::LinearModel;
using models::linear::LinearParams;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Trials are planned in waves of this many jobs, whatever the thread count (so the search is the
// same for any thread count); up to `threads` of a wave train at once.
constexpr int kWaveSize = 4;
// Up to this many cells (rows x features), trials train one thread each, side by side: on small
// data one trial cannot keep several threads busy. Above it, one trial at a time uses them all.
constexpr size_t kParallelTrialCells = size_t{4} << 20;
// Ensemble selection looks at this many of the best candidates and adds members this many
// times. The search keeps time to refit the best and a few more (kEnsembleReserveMembers, within
// kEnsembleReserveShare of the budget); the ensemble's other members are refit with what is
// left (so a tight budget on a large table keeps the best alone).
constexpr size_t kEnsemblePool = 10;
// And this many of the best linear configurations: an ensemble of trees and a linear model is a
// blend model (automl::EnsembleModel).
constexpr size_t kEnsembleLinearPool = 2;
constexpr int kEnsembleAdditions = 25;
// The search also keeps time to refit this many further ensemble members, at most this share of
// the budget.
constexpr size_t kEnsembleReserveMembers = 4;
constexpr double kEnsembleReserveShare = 0.1;
// Tables up to this many rows are cross-validated with this many folds unless told otherwise.
constexpr size_t kCrossValidateRows = 10000;
constexpr int kAutoFolds = 5;
// The linear solvers' stopping tolerance in the search and its refit.
constexpr double kLinearTolerance = 1e-4;
// Proposals asked for before taking one whose settings were (nearly) tried already.
constexpr int kProposalAttempts = 8;
// The model file's write time per tree node is measured once on a trial model of at least this
// many nodes (about a tenth of a second): a blend of big trees can take seconds to write.
constexpr double kWriteProbeNodes = 20000;
// Cross-validated searches recheck their finalists (the best few of each family, and the
// ensemble's members) on up to kRecheckSplits fresh k-fold splits of the same rows, and choose by
// those scores: thousands of trials on a few hundred rows find settings that fit the search's
// folds by luck (on diabetes a 5-fold RMSE of 52.7 that tested at 61.8), which other splits do
// not share. The search keeps time for as many whole splits as fit in kRecheckShare of the budget.
constexpr size_t kRecheckPerFamily = 3;
constexpr size_t kRecheckSplits = 3;
constexpr double kRecheckShare = 0.1;

// A configuration under evaluation: its models per fold, grown rung by rung (a linear one is
// fitted once).
struct Candidate {
  TrialResult result;
  size_t family = 0;  // index into Search::families_
  bool linear = false;
  UnitPoint point;
  GbdtParams params;
  std::vector<GbdtModel> fold_models;
  std::vector<std::vector<double>> fold_curves;  // cross-validated boosting: each fold's metric after each round
  LinearParams linear_params;
  std::optional<LinearModel> linear_model;     // the first fold's (the trial's own model)
  std::vector<std::vector<double>> valid_raw;  // raw scores of the fold models on their validation rows
  double seconds_per_round = 0;  // of one fold's training (linear: of one fold's fit), for the refit estimate
  double metric_seconds = 0;     // one evaluation of the metric on every fold, for the ensemble estimate
  double model_nodes = 0;        // tree nodes of the first fold's model, for the model file's write estimate
};

// A model family in the search: its space, the settings every configuration of it has, and its
// own sampler and history (points of different spaces are not comparable).
struct Family {
  std::string name;
  SearchSpace space;
  std::map<std::string, std::string> fixed;
  std::unique_ptr<BlendSampler> sampler;
  std::vector<Observation> history;
  double best_loss = INFINITY;
  std::set<std::string> tried;  // SettingsKey of every configuration proposed
};

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// Whether the losses `simpler` exceed `chosen` (on the same folds) by at most one standard error
// of their paired difference, which *standard_error receives. Folds of repeated splits overlap
// in their training rows, so their differences are correlated: for those the variance is
// Nadeau and Bengio's corrected resampled one, var * (1/folds + valid_rows/train_rows), rather
// than var / folds (`overlap` = valid_rows/train_rows; 0 for the folds of one split).
bool WithinOneStandardError(const std::vector<double>& simpler, const std::vector<double>& chosen, double overlap,
                            double* standard_error) {
  const double k = static_cast<double>(chosen.size());
  double mean = 0, square = 0;
  for (size_t f = 0; f < chosen.size(); ++f) mean += (simpler[f] - chosen[f]) / k;
  for (size_t f = 0; f < chosen.size(); ++f) square += (simpler[f] - chosen[f] - mean) * (simpler[f] - chosen[f] - mean);
  *standard_error = std::sqrt(square / (k - 1) * (1 / k + overlap));
  return mean <= *standard_error;
}

// The weighted sum of members' raw scores on each fold: what their ensemble's model predicts
// (automl::EnsembleModel). raw[m][f] is member m's on fold f.
std::vector<std::vector<double>> BlendRaw(const std::vector<const std::vector<std::vector<double>>*>& raw,
                                          const std::vector<double>& weights) {
  std::vector<std::vector<double>> blended(raw[0]->size());
  for (size_t f = 0; f < blended.size(); ++f) blended[f].assign((*raw[0])[f].size(), 0.0);
  for (size_t m = 0; m < raw.size(); ++m)
    for (size_t f = 0; f < blended.size(); ++f)
      for (size_t i = 0; i < blended[f].size(); ++i) blended[f][i] += weights[m] * (*raw[m])[f][i];
  return blended;
}

size_t Members(const EnsembleSelection& selection) {
  return static_cast<size_t>(std::count_if(selection.weights.begin(), selection.weights.end(), [](double w) { return w > 0; }));
}

class Search {
 public:
  Search(const data::BinnedDataset& data, const AutoMlOptions& options)
      : data_(data), options_(options), world_(options.world ? *options.world : dist::LocalWorld()) {}
  Result<AutoMlResult> Run();

 private:
  Status Prepare();
  Status Train(Candidate& c, int rounds);
  // The metric of predictions on validation fold f (timed into *metric_seconds); a non-finite
  // score is an error naming the trial.
  Result<double> ScoreFold(const Candidate& c, size_t f, const std::vector<double>& preds, size_t outputs,
                           double* metric_seconds) const;
  Status TrainLinearFolds(Candidate& c);
  std::optional<size_t> Promotable(const std::vector<bool>& taken) const;
  struct Job {
    size_t candidate;
    int rounds;
  };
  Status SetUpFamilies();
  Status SetUpLinear();
  size_t NextFamily();
  std::vector<Job> PlanWave();
  void Record(Candidate& c);
  int Owner(size_t candidate) const { return candidates_[candidate].result.rank; }
  // After a wave: every rank gets the results (and errors) of the jobs the others trained.
  Status ShareResults(const std::vector<Job>& wave, const std::vector<size_t>& mine, std::vector<Status>* statuses,
                      std::vector<char>* skipped);
  double Loss(const TrialResult& r) const { return higher_is_better_ ? -r.score : r.score; }
  const Candidate* Best() const;
  double RefitReserveSeconds() const;
  double QuickestMetricSeconds() const;  // of one evaluation of the metric on every fold
  // Training the configuration on all rows, and that plus writing its model file.
  double RefitTrainingSeconds(double seconds_per_round, double rounds) const;
  double RefitTrainingSeconds(const Candidate& c) const {
    return RefitTrainingSeconds(c.seconds_per_round, c.linear ? 1 : c.result.rounds);
  }
  double RefitSeconds(const Candidate& c) const { return RefitTrainingSeconds(c) + WriteSeconds(c.model_nodes); }
  double WriteSeconds(double nodes) const { return 1.25 * write_seconds_per_node_ * nodes; }
  double WriteSeconds(const Candidate& c) const { return WriteSeconds(c.model_nodes); }
  // Whether a trial training at `seconds_per_round`, `rounds` rounds in and with `more_seconds` of
  // training still to come, could no longer be refit (and written) in the budget were it the best.
  bool OwnRefitWouldOverrun(const Candidate& c, double seconds_per_round, int rounds, double more_seconds) const;
  void MeasureWriteCost();
  std::vector<const Candidate*> Ranked() const;  // scored candidates, best first
  // The configuration trained on all rows, stopping `write_seconds` before the budget's end (the
  // model file's writing); *cut_short: the budget stopped it before its rounds.
  Result<models::Model> Refit(const Candidate& c, double write_seconds, bool* cut_short) const;
  // The model trained in the candidate's trial (its first fold's), if this rank holds it.
  std::optional<models::Model> TrialModel(const Candidate& c) const;
  // The ensemble of the best candidates, if it validates better than the best alone.
  Result<std::optional<EnsembleSelection>> Ensemble(const std::vector<const Candidate*>& pool) const;
  // The loss on each validation fold of raw scores (one vector per fold).
  Result<std::vector<double>> FoldLosses(const std::vector<std::vector<double>>& raw_per_fold) const {
    return FoldLosses(raw_per_fold, fold_valid_);
  }
  Result<std::vector<double>> FoldLosses(const std::vector<std::vector<double>>& raw_per_fold,
                                         const std::vector<data::BinnedDataset>& valid) const;
  // The loss of raw scores on one validation fold, `link` the objective's.
  Result<double> FoldLoss(const models::gbdt::Objective& link, std::vector<double> raw,
                          const data::BinnedDataset& valid) const;
  // Ensemble selection over `models` (raw scores per fold of `valid`).
  Result<EnsembleSelection> SelectOn(const std::vector<std::vector<std::vector<double>>>& models,
                                     const std::vector<const data::BinnedDataset*>& valid) const;
  // The loss on each fresh fold of an ensemble of `raw`'s models (per fold of `valid`, split after
  // split of k folds) whose weights were selected on the split's other folds: an honest score, as
  // the finalists' are (selected and scored on the same folds, any blend looks better).
  Result<std::vector<double>> NestedEnsembleLosses(const std::vector<std::vector<std::vector<double>>>& raw,
                                                   const std::vector<data::BinnedDataset>& valid, size_t k) const;
  // Cross-validated searches: the best linear configuration when the folds cannot tell it from
  // the chosen model (`chosen_raw`, its raw scores per fold), else nullptr; *why says so.
  Result<const Candidate*> SimplerWithinOneStandardError(const std::vector<std::vector<double>>& chosen_raw,
                                                         std::string* why) const;
  // The final choice among the chosen model (the ensemble if any, else *best) and the finalists
  // rechecked on fresh fold splits, then the one-standard-error rule for a linear model; false
  // when no split could be rechecked in time (the choice is then left to the search's folds).
  // Sets recheck scores on `leaderboard`, and *why when the choice is not the search's.
  // Ensemble selection runs again there, over the finalists: when its blend is chosen, *pool
  // becomes the finalists and *ensemble its weights over them.
  Result<bool> ChooseOnFreshFolds(std::vector<const Candidate*>* pool, std::optional<EnsembleSelection>* ensemble,
                                  const Candidate** best, std::vector<TrialResult>* leaderboard, std::string* why);
  // The best kRecheckPerFamily of every family, after the ensemble's `members`.
  std::vector<const Candidate*> Finalists(const std::vector<const Candidate*>& members) const;
  // The `n` best scored candidates that `keep` accepts, best first (a partial sort: the search
  // asks after every wave, with up to tens of thousands of candidates).
  std::vector<const Candidate*> Top(size_t n, const std::function<bool(const Candidate&)>& keep) const;
  double RecheckSplitSeconds(const std::vector<const Candidate*>& finalists) const;
  // One fresh k-fold split's rows, with their raw values when there is a linear family.
  struct FreshSplit {
    std::vector<data::BinnedDataset> train, valid;
    std::vector<data::CodedRows> train_raw, valid_raw;
  };
  FreshSplit MakeFreshSplit(uint64_t seed) const;
  // The candidate trained on fold `f` of `split` with its rounds (no early stopping), its raw
  // scores on that fold's validation rows; nullopt if `deadline` came first.
  Result<std::optional<std::vector<double>>> FreshFoldRaw(const Candidate& c, const FreshSplit& split, size_t f,
                                                          double deadline) const;
  // The refits a recheck leaves time for: the dearest finalist's, and the ensemble's other
  // members' (at most kEnsembleReserveShare of the budget).
  double FinalRefitSeconds(const std::vector<const Candidate*>& finalists,
                           const std::vector<const Candidate*>& members) const;
  bool SearchTimeIsUp() const;
  bool LinearFitWouldOverrun() const;
  int RungRounds(int rung) const {
    const double r = options_.min_rounds * std::pow(options_.eta, rung);
    return static_cast<int>(std::min<double>(r, options_.max_rounds));
  }
  int TopRung() const {
    int rung = 0;
    while (RungRounds(rung) < options_.max_rounds) ++rung;
    return rung;
  }

  const data::BinnedDataset& data_;
  const AutoMlOptions& options_;
  std::string objective_, metric_;
  bool higher_is_better_ = true;
  int classes_ = 0;
  GbdtParams base_;
  std::vector<Fold> folds_;
  std::vector<data::BinnedDataset> fold_train_, fold_valid_;
  std::vector<data::CodedRows> fold_train_raw_, fold_valid_raw_;  // the same rows' raw values (linear family)
  LinearParams linear_base_;
  double linear_fit_seconds_ = INFINITY;  // the quickest linear trial (all folds): a linear job's least cost
  std::vector<Candidate> candidates_;
  std::vector<std::vector<double>> rung_scores_;  // every score seen at each rung
  std::string validation_;
  std::vector<std::string> warnings_;
  dist::Collective& world_;      // trials are spread over its ranks
  size_t wave_size_ = kWaveSize;
  int workers_ = 1;              // trials trained at once by one rank
  int trial_threads_ = 1;        // threads inside each trial
  double refit_reserve_ = 0;     // frozen while a wave trains (trainings read it concurrently)
  double ensemble_recheck_score_ = std::numeric_limits<double>::quiet_NaN();  // for its leaderboard row
  double write_seconds_per_node_ = 0;  // MeasureWriteCost's; 0 until a trial model is big enough
  bool cross_validated_ = false;
  std::vector<std::unique_ptr<Family>> families_;
  size_t new_configurations_ = 0;
};

Status Search::Prepare() {
  // The objective from the label: text classes or 0/1 values.
  objective_ = options_.objective;
  const auto& labels = data_.labels();
  if (labels.empty()) return Status::UserError("automl needs a label column (--label)");
  if (objective_.empty()) {
    std::set<float> distinct(labels.begin(), labels.end());
    if (data_.label_classes().size() > 2) objective_ = "multiclass";
    else if (distinct.size() <= 2 && std::all_of(distinct.begin(), distinct.end(), [](float v) { return v == 0 || v == 1; }))
      objective_ = "binary";
    else objective_ = "regression";
  }
  TESSERA_RETURN_IF_ERROR(models::gbdt::ApplyGbdtParams({{"objective", objective_}}, &base_, false));
  if (objective_ == "multiclass") {
    float max_label = 0;
    for (float y : labels) max_label = std::max(max_label, y);
    base_.num_class = std::max<int>(2, static_cast<int>(max_label) + 1);
    classes_ = base_.num_class;
  } else if (objective_ == "binary") {
    classes_ = 2;
  }
  metric_ = options_.metric.empty() ? (objective_ == "binary" ? "auc" : objective_ == "multiclass" ? "multi_logloss" : "rmse")
                                    : options_.metric;
  const auto canonical = metrics::CanonicalMetricName(metric_);
  if (!canonical) return Status::UserError("automl: unknown metric '" + metric_ + "'");
  metric_ = *canonical;
  higher_is_better_ = metrics::HigherIsBetter(metric_);
  base_.metrics = {metric_};
  base_.seed = options_.seed;
  const int threads = ResolveThreads(options_.threads);
  const bool parallel_trials = options_.parallel_trials > 0 ? options_.parallel_trials > 1
                                                            : data_.num_rows() * data_.num_features() <= kParallelTrialCells;
  wave_size_ = std::max<size_t>(kWaveSize, static_cast<size_t>(world_.size()));
  workers_ = parallel_trials ? std::min(threads, kWaveSize) : 1;
  trial_threads_ = parallel_trials ? 1 : threads;
  base_.num_threads = trial_threads_;
  TESSERA_RETURN_IF_ERROR(models::gbdt::ValidateGbdtParams(base_));

  if (options_.time_budget_seconds <= 0 && options_.max_trials == 0)
    return Status::UserError("automl needs --time-budget or --max-trials");
  if (world_.size() > 1 && !options_.refit)
    return Status::UserError("automl: under mpirun the best model is refit on rank 0; --no-refit is not supported");
  if (options_.min_rounds < 1 || options_.max_rounds < options_.min_rounds || options_.eta < 2)
    return Status::UserError("automl: need 1 <= min_rounds <= max_rounds and eta >= 2");
  const int percent = static_cast<int>(std::lround(options_.holdout_fraction * 100));
  // Small tables: a holdout of a few hundred rows scores too noisily to choose among many
  // trials (the search overfits it), so they are cross-validated unless a split was asked for.
  const int cv_folds = options_.cv_folds == 0 && options_.time_feature < 0 && data_.num_rows() <= kCrossValidateRows
                           ? kAutoFolds
                           : options_.cv_folds;
  if (cv_folds >= 2) {
    cross_validated_ = true;
    folds_ = KFoldSplit(data_, cv_folds, classes_, options_.seed);
    validation_ = std::to_string(cv_folds) + "-fold cv" + (classes_ ? " (stratified)" : "");
  } else if (options_.time_feature >= 0) {
    folds_ = TimeOrderedSplit(data_, options_.holdout_fraction, static_cast<size_t>(options_.time_feature));
    validation_ = "latest " + std::to_string(percent) + "% by " + data_.feature_name(static_cast<size_t>(options_.time_feature));
  } else {
    if (!(options_.holdout_fraction > 0 && options_.holdout_fraction < 1))
      return Status::UserError("automl: the holdout fraction must be in (0, 1)");
    folds_ = HoldoutSplit(data_, options_.holdout_fraction, classes_, options_.seed);
    validation_ = "holdout " + std::to_string(percent) + "%" + (classes_ ? " (stratified)" : "");
  }
  for (size_t k = 0; k < folds_.size(); ++k) {
    const Fold& f = folds_[k];
    if (f.train.empty() || f.valid.empty()) return Status::UserError("automl: too few rows to validate on");
    // A validation fold of one class scores AUC as NaN: every trial would tie at nothing.
    if (classes_ > 0) {
      std::set<float> seen;
      for (size_t row : f.valid) seen.insert(labels[row]);
      if (seen.size() < 2)
        return Status::UserError("automl: validation fold " + std::to_string(k + 1) + " of " + validation_ +
                                 " holds one class only; the rarest class needs more rows (or use fewer folds, --cv 1)");
    }
    fold_train_.push_back(RowsWithLabels(data_, f.train));
    fold_valid_.push_back(RowsWithLabels(data_, f.valid));
  }
  rung_scores_.resize(static_cast<size_t>(TopRung()) + 1);
  for (const auto& leak : features::FindProbableLeakage(data_, objective_)) {
    char value[32];
    std::snprintf(value, sizeof value, "%.4f", leak.value);
    warnings_.push_back("feature '" + leak.feature + "' alone predicts the label (" + leak.measure + " " + value +
                        "): probable target leakage; --ignore it if it is not known when predicting");
  }
  return Status::Ok();
}

const Candidate* Search::Best() const {
  const Candidate* best = nullptr;
  for (const auto& c : candidates_)
    if (c.result.rung >= 0 && (!best || Loss(c.result) < Loss(best->result))) best = &c;
  return best;
}

double Search::RefitReserveSeconds() const {
  const Candidate* best = Best();
  // An ensemble's likely other members: the next best trees, and the best linear configuration
  // (on 40,000 rows its refit takes longer than a few trees', and without it the ensemble is lost).
  std::vector<const Candidate*> likely_members;
  if (options_.ensemble) {
    for (const Candidate* c : Top(kEnsembleReserveMembers + 1, [](const Candidate& c) { return !c.linear; }))
      if (c != best && likely_members.size() < kEnsembleReserveMembers) likely_members.push_back(c);
    for (const Candidate* c : Top(1, [](const Candidate& c) { return c.linear; }))
      if (c != best) likely_members.push_back(c);
  }
  // Ensemble selection evaluates the metric on every fold pool x additions times.
  const double metric_seconds = options_.ensemble ? QuickestMetricSeconds() : 0;
  double seconds = 1.25 * static_cast<double>((kEnsemblePool + kEnsembleLinearPool) * kEnsembleAdditions) * metric_seconds;
  if (options_.time_budget_seconds <= 0) return seconds;
  if (cross_validated_) {
    // The recheck of the finalists (and their ensemble selection on its folds), then the refits
    // it leaves time for.
    const std::vector<const Candidate*> finalists = Finalists(likely_members);
    const double selection =
        1.25 * static_cast<double>(finalists.size() * kEnsembleAdditions * folds_.size()) * metric_seconds;
    const double split = 1.25 * RecheckSplitSeconds(finalists) + selection;
    const double splits = split > 0 ? std::floor(kRecheckShare * options_.time_budget_seconds / split) : 0;
    return seconds + split * std::min(static_cast<double>(kRecheckSplits), splits) +
           FinalRefitSeconds(finalists, likely_members);
  }
  if (!options_.refit) return seconds;
  // The best's refit, and the refits of an ensemble's likely other members, up to a share of the
  // budget: an ensemble that validates better is lost when they cannot be refit.
  double members = 0;
  for (const Candidate* c : likely_members) members += RefitSeconds(*c);
  return seconds + (best ? RefitSeconds(*best) : 0) + std::min(members, kEnsembleReserveShare * options_.time_budget_seconds);
}

// Ensemble selection evaluates alone on one thread: the quickest evaluation seen (trials side by
// side slow each other down) is its cost.
double Search::QuickestMetricSeconds() const {
  double seconds = INFINITY;
  for (const auto& c : candidates_)
    if (c.metric_seconds > 0) seconds = std::min(seconds, c.metric_seconds);
  return std::isfinite(seconds) ? seconds : 0;
}

double Search::RefitTrainingSeconds(double seconds_per_round, double rounds) const {
  const double all_rows = static_cast<double>(data_.num_rows());
  const double fold_rows = static_cast<double>(fold_train_[0].num_rows());
  // Trials side by side were timed on one thread each; the refit has all threads to itself.
  const double speedup = static_cast<double>(ResolveThreads(options_.threads)) / trial_threads_;
  return 1.25 * seconds_per_round * rounds * all_rows / fold_rows / speedup;
}

bool Search::OwnRefitWouldOverrun(const Candidate& c, double seconds_per_round, int rounds, double more_seconds) const {
  if (options_.time_budget_seconds <= 0 || !options_.refit) return false;
  // A tree has num_leaves - 1 nodes at most.
  const int outputs = objective_ == "multiclass" ? classes_ : 1;
  const double nodes = static_cast<double>(rounds) * std::max(1, c.params.num_leaves - 1) * outputs;
  const double margin = 0.02 * options_.time_budget_seconds;
  return Seconds(Clock::now() - options_.start) + more_seconds + RefitTrainingSeconds(seconds_per_round, rounds) +
             WriteSeconds(nodes) + margin >= options_.time_budget_seconds;
}

void Search::MeasureWriteCost() {
  if (write_seconds_per_node_ > 0 || options_.time_budget_seconds <= 0) return;
  const Candidate* probe = nullptr;  // the smallest model big enough to time
  for (const Candidate& c : candidates_)
    if (!c.fold_models.empty() && c.model_nodes >= kWriteProbeNodes && (!probe || c.model_nodes < probe->model_nodes))
      probe = &c;
  if (!probe) return;
  const auto t0 = Clock::now();
  const std::string text = models::ModelToJson(probe->fold_models[0]).dump(1);
  write_seconds_per_node_ = Seconds(Clock::now() - t0) / probe->model_nodes;
}

std::vector<const Candidate*> Search::Ranked() const {
  return Top(candidates_.size(), [](const Candidate&) { return true; });
}

bool Search::SearchTimeIsUp() const {
  if (options_.time_budget_seconds <= 0) return false;
  const double margin = 0.02 * options_.time_budget_seconds;  // model writing, the leaderboard
  return Seconds(Clock::now() - options_.start) + refit_reserve_ + margin >= options_.time_budget_seconds;
}

bool Search::LinearFitWouldOverrun() const {
  if (options_.time_budget_seconds <= 0 || !std::isfinite(linear_fit_seconds_)) return false;
  const double margin = 0.02 * options_.time_budget_seconds;
  return Seconds(Clock::now() - options_.start) + linear_fit_seconds_ + refit_reserve_ + margin >=
         options_.time_budget_seconds;
}

Result<double> Search::ScoreFold(const Candidate& c, size_t f, const std::vector<double>& preds, size_t outputs,
                                 double* metric_seconds) const {
  const auto e0 = Clock::now();
  TESSERA_ASSIGN_OR_RETURN(const double score,
                           metrics::Evaluate(metric_, fold_valid_[f].labels(), preds, outputs, fold_valid_[f].weights()));
  *metric_seconds += Seconds(Clock::now() - e0);
  if (!std::isfinite(score))
    return Status::UserError("automl: trial " + std::to_string(c.result.trial) + " scored " + metric_ + " = " +
                             std::to_string(score) + " on validation fold " + std::to_string(f + 1));
  return score;
}

Status Search::Train(Candidate& c, int rounds) {
  if (c.linear) return TrainLinearFolds(c);
  double fit = 0, predict = 0, predict_rows = 0, metric_seconds = 0;
  bool converged = true, short_of_rounds = false;
  int cut_at = 0;  // the round a fold stopped at to keep time for this trial's refit; later folds stop there too
  const bool forest = c.params.random_forest();
  // Cross-validated boosting stops every fold at one round count (common_round.h).
  const bool common_rounds = !forest && folds_.size() > 1;
  if (common_rounds) c.fold_curves.resize(folds_.size());
  for (size_t f = 0; f < folds_.size(); ++f) {
    GbdtParams params = c.params;
    const int have = f < c.fold_models.size() ? static_cast<int>(c.fold_models[f].num_iterations()) : 0;
    params.num_iterations = std::max(1, (cut_at > 0 ? std::min(rounds, cut_at) : rounds) - have);
    // A forest's score only wobbles as trees are added (they never make it worse on average):
    // it grows to its rung's size, and successive halving decides how far.
    const int patience = forest ? 0 : std::max(10, rounds / 4);
    params.early_stopping_rounds = common_rounds ? 0 : patience;
    models::gbdt::TrainOptions train_options;
    train_options.valid = {&fold_valid_[f]};
    train_options.valid_names = {"valid"};
    if (f < c.fold_models.size()) train_options.init_model = &c.fold_models[f];
    std::vector<double>* curve = common_rounds ? &c.fold_curves[f] : nullptr;  // the fold's metric after each round
    if (curve) curve->resize(static_cast<size_t>(have));
    int last_iteration = have;
    // Rounds are timed from the end of the first one: before it, training scores the rows with
    // the trees of earlier rungs, which is not a round's cost.
    Clock::time_point first_round_end;
    train_options.on_iteration = [&](const models::gbdt::IterationReport& r) {
      if (r.iteration == have + 1) first_round_end = Clock::now();
      last_iteration = r.iteration;
      if (curve && !r.metrics.empty()) curve->push_back(r.metrics[0].second);
    };
    const auto t0 = Clock::now();
    // Past the reserve kept for the best so far, a trial also stops while its own refit still
    // fits, the folds after this one included: a long trial late in the search may become the
    // best, and a best that cannot be refit is left trained on the trial's rows only.
    const double folds_after = static_cast<double>(folds_.size() - f - 1);
    train_options.should_stop = [&] {
      if (SearchTimeIsUp()) return true;
      if (curve && RoundsSinceBest(*curve, higher_is_better_) >= patience) return true;
      const int trained = last_iteration - have;
      if (cut_at > 0 || trained < 2) return false;
      const double per_round = Seconds(Clock::now() - first_round_end) / (trained - 1);
      if (!OwnRefitWouldOverrun(c, per_round, last_iteration, folds_after * per_round * trained)) return false;
      cut_at = last_iteration;
      return true;
    };
    TESSERA_ASSIGN_OR_RETURN(GbdtModel model, models::gbdt::TrainGbdt(fold_train_[f], params, train_options));
    const double seconds = Seconds(Clock::now() - t0);
    fit += seconds;
    if (f == 0) c.seconds_per_round = seconds / std::max(1, last_iteration - have);
    // Training ended before the rounds asked: early stopping (or the budget) ended it.
    if (last_iteration >= rounds) converged = false;
    else short_of_rounds = true;
    if (f < c.fold_models.size()) c.fold_models[f] = std::move(model);
    else c.fold_models.push_back(std::move(model));
  }
  if (common_rounds) {
    const size_t best = BestCommonRound(c.fold_curves, higher_is_better_);
    for (size_t f = 0; f < folds_.size(); ++f) {
      c.fold_models[f].KeepFirstIterations(best);
      c.fold_curves[f].resize(best);
    }
  }
  double scores = 0;
  int rounds_sum = 0;
  c.valid_raw.resize(folds_.size());
  for (size_t f = 0; f < folds_.size(); ++f) {
    const GbdtModel& model = c.fold_models[f];
    const auto p0 = Clock::now();
    c.valid_raw[f] = model.PredictRaw(fold_valid_[f], trial_threads_);
    predict += Seconds(Clock::now() - p0);
    std::vector<double> preds = c.valid_raw[f];
    model.Transform(&preds);
    predict_rows += static_cast<double>(fold_valid_[f].num_rows());
    TESSERA_ASSIGN_OR_RETURN(const double score,
                             ScoreFold(c, f, preds, static_cast<size_t>(model.num_outputs()), &metric_seconds));
    scores += score;
    rounds_sum += static_cast<int>(model.num_iterations());
  }
  c.model_nodes = 0;
  for (const auto& tree : c.fold_models[0].trees()) c.model_nodes += static_cast<double>(tree.nodes().size());
  const double k = static_cast<double>(folds_.size());
  c.result.score = scores / k;
  c.metric_seconds = metric_seconds;
  c.result.rounds = static_cast<int>(std::lround(rounds_sum / k));
  c.result.fit_seconds += fit;
  c.result.predict_ms_per_1k_rows = predict_rows > 0 ? 1e6 * predict / predict_rows : 0;
  c.result.stopped_by_budget = short_of_rounds && (cut_at > 0 || SearchTimeIsUp());
  c.result.converged = converged && !c.result.stopped_by_budget;
  return Status::Ok();
}

// A linear configuration: one fit per fold, to convergence or the budget line, scored on the same
// validation rows as the trees.
Status Search::TrainLinearFolds(Candidate& c) {
  double scores = 0, fit = 0, predict = 0, predict_rows = 0, metric_seconds = 0;
  bool converged = true, stopped = false;
  c.valid_raw.assign(folds_.size(), {});
  for (size_t f = 0; f < folds_.size(); ++f) {
    const auto t0 = Clock::now();
    TESSERA_ASSIGN_OR_RETURN(LinearModel model,
                             models::linear::TrainLinear(fold_train_[f], fold_train_raw_[f], c.linear_params, [&] {
                               stopped = stopped || SearchTimeIsUp();
                               return stopped;
                             }));
    const double seconds = Seconds(Clock::now() - t0);
    fit += seconds;
    if (f == 0) c.seconds_per_round = seconds;
    converged = converged && model.training_info().value("converged", false);
    const auto p0 = Clock::now();
    std::vector<double> raw = model.PredictRaw(fold_valid_raw_[f], trial_threads_);
    predict += Seconds(Clock::now() - p0);
    predict_rows += static_cast<double>(fold_valid_raw_[f].rows);
    std::vector<double> preds = raw;
    model.Transform(&preds);
    c.valid_raw[f] = std::move(raw);
    TESSERA_ASSIGN_OR_RETURN(const double score,
                             ScoreFold(c, f, preds, static_cast<size_t>(model.num_outputs()), &metric_seconds));
    scores += score;
    if (f == 0) c.linear_model = std::move(model);
  }
  c.result.score = scores / static_cast<double>(folds_.size());
  c.metric_seconds = metric_seconds;
  c.result.rounds = 0;
  c.result.fit_seconds = fit;
  c.result.predict_ms_per_1k_rows = predict_rows > 0 ? 1e6 * predict / predict_rows : 0;
  c.result.stopped_by_budget = stopped;
  c.result.converged = converged && !stopped;
  return Status::Ok();
}

// ASHA's rule, from the highest rung down: a configuration whose best rung is k, that has not
// converged, and that ranks in the top 1/eta of every score seen at rung k, goes on to k + 1.
std::optional<size_t> Search::Promotable(const std::vector<bool>& taken) const {
  for (int rung = TopRung() - 1; rung >= 0; --rung) {
    const auto& seen = rung_scores_[static_cast<size_t>(rung)];
    const size_t top = seen.size() / static_cast<size_t>(options_.eta);
    if (top == 0) continue;
    std::vector<double> losses;
    for (double s : seen) losses.push_back(higher_is_better_ ? -s : s);
    std::nth_element(losses.begin(), losses.begin() + static_cast<std::ptrdiff_t>(top - 1), losses.end());
    const double cutoff = losses[top - 1];
    std::optional<size_t> best;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      const auto& r = candidates_[i].result;
      if (taken[i] || candidates_[i].linear || r.rung != rung || r.converged || r.stopped_by_budget || Loss(r) > cutoff)
        continue;
      if (!best || Loss(r) < Loss(candidates_[*best].result)) best = i;
    }
    if (best) return best;
  }
  return std::nullopt;
}

Result<models::Model> Search::Refit(const Candidate& c, double write_seconds, bool* cut_short) const {
  const double deadline = options_.time_budget_seconds - write_seconds;
  *cut_short = false;
  // (A forest may end with fewer trees than rounds without being cut: bags that cannot split.)
  auto should_stop = [&] {
    *cut_short = options_.time_budget_seconds > 0 && Seconds(Clock::now() - options_.start) >= deadline;
    return *cut_short;
  };
  if (c.linear) {
    LinearParams params = c.linear_params;
    params.num_threads = ResolveThreads(options_.threads);
    TESSERA_ASSIGN_OR_RETURN(LinearModel model, models::linear::TrainLinear(data_, *options_.raw_rows, params, should_stop));
    return models::Model(std::move(model));
  }
  GbdtParams params = c.params;
  params.num_threads = ResolveThreads(options_.threads);
  params.num_iterations = std::max(1, c.result.rounds);
  params.early_stopping_rounds = 0;
  models::gbdt::TrainOptions train_options;
  train_options.should_stop = should_stop;
  TESSERA_ASSIGN_OR_RETURN(GbdtModel model, models::gbdt::TrainGbdt(data_, params, train_options));
  return models::Model(std::move(model));
}

std::optional<models::Model> Search::TrialModel(const Candidate& c) const {
  if (c.linear_model) return models::Model(*c.linear_model);
  if (!c.fold_models.empty()) return models::Model(c.fold_models[0]);
  return std::nullopt;
}

// Members are averaged in raw-score space (log-odds for binary), which is what blending their
// trees into one model computes.
Result<std::optional<EnsembleSelection>> Search::Ensemble(const std::vector<const Candidate*>& pool) const {
  std::vector<std::vector<std::vector<double>>> predictions;
  for (const Candidate* c : pool) predictions.push_back(c->valid_raw);
  std::vector<const data::BinnedDataset*> valid;
  for (const auto& fold : fold_valid_) valid.push_back(&fold);
  TESSERA_ASSIGN_OR_RETURN(EnsembleSelection selection, SelectOn(predictions, valid));
  // Kept only if it beats the best single model on validation.
  if (Members(selection) < 2 || !(selection.loss < Loss(Best()->result))) return std::optional<EnsembleSelection>();
  return std::optional<EnsembleSelection>(std::move(selection));
}

Result<EnsembleSelection> Search::SelectOn(const std::vector<std::vector<std::vector<double>>>& models,
                                           const std::vector<const data::BinnedDataset*>& valid) const {
  // The link (sigmoid, softmax, ...) from the objective: rank 0 may hold none of the models.
  TESSERA_ASSIGN_OR_RETURN(const std::unique_ptr<models::gbdt::Objective> link, models::gbdt::Objective::Create(base_));
  auto loss = [&](size_t f, const std::vector<double>& raw) { return FoldLoss(*link, raw, *valid[f]); };
  return SelectEnsemble(models, loss, kEnsembleAdditions);
}

Result<std::vector<double>> Search::NestedEnsembleLosses(const std::vector<std::vector<std::vector<double>>>& raw,
                                                         const std::vector<data::BinnedDataset>& valid, size_t k) const {
  TESSERA_ASSIGN_OR_RETURN(const std::unique_ptr<models::gbdt::Objective> link, models::gbdt::Objective::Create(base_));
  std::vector<double> losses;
  for (size_t split = 0; split * k < valid.size(); ++split) {
    for (size_t f = 0; f < k; ++f) {
      std::vector<std::vector<std::vector<double>>> others(raw.size());
      std::vector<const data::BinnedDataset*> others_valid;
      for (size_t g = 0; g < k; ++g) {
        if (g == f) continue;
        for (size_t m = 0; m < raw.size(); ++m) others[m].push_back(raw[m][split * k + g]);
        others_valid.push_back(&valid[split * k + g]);
      }
      TESSERA_ASSIGN_OR_RETURN(const EnsembleSelection selection, SelectOn(others, others_valid));
      std::vector<double> blended(raw[0][split * k + f].size(), 0.0);
      for (size_t m = 0; m < raw.size(); ++m)
        for (size_t i = 0; i < blended.size(); ++i) blended[i] += selection.weights[m] * raw[m][split * k + f][i];
      TESSERA_ASSIGN_OR_RETURN(const double loss, FoldLoss(*link, std::move(blended), valid[split * k + f]));
      losses.push_back(loss);
    }
  }
  return losses;
}

Result<double> Search::FoldLoss(const models::gbdt::Objective& link, std::vector<double> raw,
                                const data::BinnedDataset& valid) const {
  link.Transform(raw);
  TESSERA_ASSIGN_OR_RETURN(const double score, metrics::Evaluate(metric_, valid.labels(), raw,
                                                                 static_cast<size_t>(link.num_outputs()), valid.weights()));
  return higher_is_better_ ? -score : score;
}

Result<std::vector<double>> Search::FoldLosses(const std::vector<std::vector<double>>& raw_per_fold,
                                               const std::vector<data::BinnedDataset>& valid) const {
  TESSERA_ASSIGN_OR_RETURN(const std::unique_ptr<models::gbdt::Objective> link, models::gbdt::Objective::Create(base_));
  std::vector<double> losses;
  for (size_t f = 0; f < raw_per_fold.size(); ++f) {
    TESSERA_ASSIGN_OR_RETURN(const double loss, FoldLoss(*link, raw_per_fold[f], valid[f]));
    losses.push_back(loss);
  }
  return losses;
}

// The one-standard-error rule (as CART's pruning and glmnet's lambda.1se): on a few hundred rows a
// boosted model that validates slightly better is often only luckier, and the linear model
// generalises as well or better. The difference is paired over the folds (same rows).
Result<const Candidate*> Search::SimplerWithinOneStandardError(const std::vector<std::vector<double>>& chosen_raw,
                                                               std::string* why) const {
  if (!cross_validated_) return nullptr;
  const Candidate* simpler = nullptr;
  for (const Candidate* c : Ranked())
    if (c->linear) {
      simpler = c;
      break;
    }
  if (!simpler || simpler->valid_raw.size() != chosen_raw.size()) return nullptr;
  TESSERA_ASSIGN_OR_RETURN(const std::vector<double> chosen, FoldLosses(chosen_raw));
  TESSERA_ASSIGN_OR_RETURN(const std::vector<double> linear, FoldLosses(simpler->valid_raw));
  double standard_error = 0;
  if (!WithinOneStandardError(linear, chosen, 0, &standard_error)) return nullptr;
  char text[160];
  std::snprintf(text, sizeof text, "%s %.6g, within one standard error (%.3g) of the best; the simpler model is kept",
                metric_.c_str(), simpler->result.score, standard_error);
  *why = "linear (trial " + std::to_string(simpler->result.trial) + ") scores " + text;
  return simpler;
}

std::vector<const Candidate*> Search::Top(size_t n, const std::function<bool(const Candidate&)>& keep) const {
  std::vector<const Candidate*> top;
  for (const auto& c : candidates_)
    if (c.result.rung >= 0 && keep(c)) top.push_back(&c);
  n = std::min(n, top.size());
  std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), top.end(),
                    [&](const Candidate* a, const Candidate* b) {
                      return Loss(a->result) < Loss(b->result) || (Loss(a->result) == Loss(b->result) && a < b);
                    });
  top.resize(n);
  return top;
}

std::vector<const Candidate*> Search::Finalists(const std::vector<const Candidate*>& members) const {
  std::vector<const Candidate*> finalists = members;
  for (size_t family = 0; family < families_.size(); ++family)
    for (const Candidate* c : Top(kRecheckPerFamily, [&](const Candidate& c) { return c.family == family; }))
      if (std::find(finalists.begin(), finalists.end(), c) == finalists.end()) finalists.push_back(c);
  return finalists;
}

double Search::FinalRefitSeconds(const std::vector<const Candidate*>& finalists,
                                 const std::vector<const Candidate*>& members) const {
  if (!options_.refit || options_.time_budget_seconds <= 0) return 0;
  const Candidate* dearest = nullptr;
  for (const Candidate* c : finalists)
    if (!dearest || RefitSeconds(*c) > RefitSeconds(*dearest)) dearest = c;
  double others = 0;
  for (const Candidate* c : members)
    if (c != dearest) others += RefitSeconds(*c);
  return (dearest ? RefitSeconds(*dearest) : 0) + std::min(others, kEnsembleReserveShare * options_.time_budget_seconds);
}

// The finalists trained on one split's folds, side by side as the trials were (and timed). The
// search reserves 1.25 times this; a split starts when this much still fits, so the time spent
// between the search's end and the recheck does not leave it out.
double Search::RecheckSplitSeconds(const std::vector<const Candidate*>& finalists) const {
  double seconds = 0;
  for (const Candidate* c : finalists) seconds += c->seconds_per_round * (c->linear ? 1 : std::max(1, c->result.rounds));
  return seconds * static_cast<double>(folds_.size()) / workers_;
}

Search::FreshSplit Search::MakeFreshSplit(uint64_t seed) const {
  FreshSplit split;
  for (const Fold& f : KFoldSplit(data_, static_cast<int>(folds_.size()), classes_, seed)) {
    split.train.push_back(RowsWithLabels(data_, f.train));
    split.valid.push_back(RowsWithLabels(data_, f.valid));
    if (fold_train_raw_.empty()) continue;  // no linear family
    split.train_raw.push_back(RawRowsAt(*options_.raw_rows, f.train));
    split.valid_raw.push_back(RawRowsAt(*options_.raw_rows, f.valid));
  }
  return split;
}

Result<std::optional<std::vector<double>>> Search::FreshFoldRaw(const Candidate& c, const FreshSplit& split, size_t f,
                                                                double deadline) const {
  bool late = false;
  auto should_stop = [&] {
    late = late || (options_.time_budget_seconds > 0 && Seconds(Clock::now() - options_.start) >= deadline);
    return late;
  };
  if (should_stop()) return std::optional<std::vector<double>>();
  std::vector<double> raw;
  if (c.linear) {
    TESSERA_ASSIGN_OR_RETURN(const LinearModel model, models::linear::TrainLinear(split.train[f], split.train_raw[f],
                                                                                  c.linear_params, should_stop));
    raw = model.PredictRaw(split.valid_raw[f], trial_threads_);
  } else {
    GbdtParams params = c.params;
    params.num_iterations = std::max(1, c.result.rounds);
    params.early_stopping_rounds = 0;
    models::gbdt::TrainOptions train_options;
    train_options.should_stop = should_stop;
    TESSERA_ASSIGN_OR_RETURN(const GbdtModel model, models::gbdt::TrainGbdt(split.train[f], params, train_options));
    raw = model.PredictRaw(split.valid[f], trial_threads_);
  }
  if (late) return std::optional<std::vector<double>>();
  return std::optional<std::vector<double>>(std::move(raw));
}

Result<bool> Search::ChooseOnFreshFolds(std::vector<const Candidate*>* pool_ptr,
                                        std::optional<EnsembleSelection>* ensemble, const Candidate** best,
                                        std::vector<TrialResult>* leaderboard, std::string* why) {
  const std::vector<const Candidate*>& pool = *pool_ptr;
  std::vector<const Candidate*> members;
  if (*ensemble)
    for (size_t m = 0; m < pool.size(); ++m)
      if ((*ensemble)->weights[m] > 0) members.push_back(pool[m]);
  const std::vector<const Candidate*> finalists = Finalists(members);
  const double deadline = 0.98 * options_.time_budget_seconds - FinalRefitSeconds(finalists, members);
  // Estimated from the trials' speed until a split has run; then what the last one took.
  double split_seconds = RecheckSplitSeconds(finalists);
  // The ensemble selection over the finalists after the splits, per split: once on all folds and
  // once per fold on the others (NestedEnsembleLosses), k times one selection on one split's folds.
  const double selection_seconds =
      options_.ensemble ? static_cast<double>(finalists.size() * kEnsembleAdditions * folds_.size()) * QuickestMetricSeconds() : 0;
  const size_t k = folds_.size();
  std::vector<std::vector<std::vector<double>>> raw(finalists.size());  // [finalist][fresh fold]
  std::vector<data::BinnedDataset> valid;  // the fresh validation folds, split after split
  size_t splits = 0;
  while (splits < kRecheckSplits) {
    if (options_.time_budget_seconds > 0 &&
        Seconds(Clock::now() - options_.start) + split_seconds + selection_seconds * (splits + 1) > deadline)
      break;
    const auto split_start = Clock::now();
    FreshSplit split = MakeFreshSplit((options_.seed + 1) * 1000003 + splits);
    std::vector<std::optional<std::vector<double>>> got(finalists.size() * k);
    std::vector<Status> statuses(got.size(), Status::Ok());
    RunTasks(got.size(), workers_, [&](size_t j) {
      auto fold_raw = FreshFoldRaw(*finalists[j / k], split, j % k, deadline);
      if (fold_raw.ok()) got[j] = std::move(*fold_raw);
      else statuses[j] = fold_raw.status();
    });
    for (const Status& st : statuses) TESSERA_RETURN_IF_ERROR(st);
    if (std::any_of(got.begin(), got.end(), [](const auto& g) { return !g; })) break;  // the deadline came first
    for (size_t j = 0; j < got.size(); ++j) raw[j / k].push_back(std::move(*got[j]));
    for (auto& fold : split.valid) valid.push_back(std::move(fold));
    ++splits;
    split_seconds = Seconds(Clock::now() - split_start);
  }
  if (splits == 0) return false;

  // A configuration that scores no number on a fresh fold (a diverged fit) is not chosen.
  auto mean_loss = [](const std::vector<double>& l) {
    const double m = Mean(l);
    return std::isfinite(m) ? m : INFINITY;
  };
  std::vector<std::vector<double>> losses(finalists.size());
  for (size_t i = 0; i < finalists.size(); ++i) {
    TESSERA_ASSIGN_OR_RETURN(losses[i], FoldLosses(raw[i], valid));
  }
  std::optional<std::vector<double>> ensemble_losses;  // its members' scores, blended with their weights
  if (*ensemble) {
    std::vector<const std::vector<std::vector<double>>*> member_raw;  // the members (weight > 0) are finalists
    std::vector<double> weights;
    for (size_t m = 0; m < pool.size(); ++m) {
      if ((*ensemble)->weights[m] <= 0) continue;
      const auto at = std::find(finalists.begin(), finalists.end(), pool[m]);
      member_raw.push_back(&raw[static_cast<size_t>(at - finalists.begin())]);
      weights.push_back((*ensemble)->weights[m]);
    }
    TESSERA_ASSIGN_OR_RETURN(ensemble_losses, FoldLosses(BlendRaw(member_raw, weights), valid));
  }
  // Ensemble selection again, over the finalists on the fresh folds: the search's folds favour
  // the near-copies tuned on them (and a linear model rarely joins those). It competes with its
  // nested score.
  std::optional<EnsembleSelection> fresh;
  std::vector<double> fresh_losses;
  if (options_.ensemble) {
    std::vector<const data::BinnedDataset*> all_valid;
    for (const auto& fold : valid) all_valid.push_back(&fold);
    TESSERA_ASSIGN_OR_RETURN(EnsembleSelection selection, SelectOn(raw, all_valid));
    if (Members(selection) >= 2) {
      fresh = std::move(selection);
      TESSERA_ASSIGN_OR_RETURN(fresh_losses, NestedEnsembleLosses(raw, valid, k));
    }
  }
  auto score = [&](const std::vector<double>& l) { return higher_is_better_ ? -Mean(l) : Mean(l); };
  for (size_t i = 0; i < finalists.size(); ++i)
    for (TrialResult& row : *leaderboard)
      if (row.trial == finalists[i]->result.trial) row.recheck_score = score(losses[i]);
  if (ensemble_losses) ensemble_recheck_score_ = score(*ensemble_losses);

  // The lowest mean loss on the fresh folds (the search's choice wins ties), then a linear
  // finalist within one standard error of it.
  const size_t best_index = static_cast<size_t>(std::find(finalists.begin(), finalists.end(), *best) - finalists.begin());
  const std::vector<double>& search_choice = ensemble_losses ? *ensemble_losses : losses[best_index];
  const Candidate* chosen = ensemble_losses ? nullptr : *best;  // nullptr: the ensemble
  const std::vector<double>* chosen_losses = &search_choice;
  const std::vector<double>* linear_losses = nullptr;
  const Candidate* linear = nullptr;
  for (size_t i = 0; i < finalists.size(); ++i) {
    if (mean_loss(losses[i]) < mean_loss(*chosen_losses)) {
      chosen = finalists[i];
      chosen_losses = &losses[i];
    }
    if (finalists[i]->linear && (!linear_losses || mean_loss(losses[i]) < mean_loss(*linear_losses))) {
      linear = finalists[i];
      linear_losses = &losses[i];
    }
  }
  bool fresh_chosen = false;
  if (fresh && mean_loss(fresh_losses) < mean_loss(*chosen_losses)) {
    chosen = nullptr;
    chosen_losses = &fresh_losses;
    fresh_chosen = true;
  }
  const std::string where = " on " + std::to_string(splits) + " fresh " + std::to_string(k) + "-fold split" +
                            (splits > 1 ? "s" : "");
  char text[200];
  double standard_error = 0;
  // Folds of different splits overlap in their training rows (see WithinOneStandardError).
  const double overlap = splits > 1 ? 1 / static_cast<double>(k - 1) : 0;
  if (linear && chosen != linear && std::isfinite(mean_loss(*linear_losses)) &&
      WithinOneStandardError(*linear_losses, *chosen_losses, overlap, &standard_error)) {
    std::snprintf(text, sizeof text, "%s %.6g%s, within one standard error (%.3g) of the best there (%.6g); the simpler model is kept",
                  metric_.c_str(), score(*linear_losses), where.c_str(), standard_error, score(*chosen_losses));
    chosen = linear;
    *why = "linear (trial " + std::to_string(linear->result.trial) + ") scores " + text;
  } else if (fresh_chosen || (chosen && (*ensemble || chosen != *best))) {
    std::snprintf(text, sizeof text, "%s %.6g%s, the best of %zu finalists and their ensemble there (the search's choice: %.6g)",
                  metric_.c_str(), score(*chosen_losses), where.c_str(), finalists.size() + (*ensemble ? 1 : 0),
                  score(search_choice));
    *why = (chosen ? chosen->result.family + " (trial " + std::to_string(chosen->result.trial) + ")"
                   : std::string("the ensemble selected on the fresh folds")) + " scores " + text;
  }
  if (chosen) {
    ensemble->reset();
    *best = chosen;
  } else if (fresh_chosen) {
    // Its leaderboard score is its members' blend on the search's folds, as for any ensemble.
    std::vector<const std::vector<std::vector<double>>*> search_raw;
    for (const Candidate* c : finalists) search_raw.push_back(&c->valid_raw);
    TESSERA_ASSIGN_OR_RETURN(const std::vector<double> search_losses, FoldLosses(BlendRaw(search_raw, fresh->weights)));
    *ensemble = fresh;
    (*ensemble)->loss = Mean(search_losses);
    ensemble_recheck_score_ = score(fresh_losses);
    *pool_ptr = finalists;
  }
  return true;
}

// The next wave: promotions first (ASHA), then new configurations, up to wave_size_ jobs, all
// decided from the results before the wave, so that the search does not depend on which trial
// of a wave finishes first, nor on the thread count.
std::vector<Search::Job> Search::PlanWave() {
  std::vector<Job> wave;
  std::vector<bool> taken(candidates_.size(), false);
  while (wave.size() < wave_size_) {
    const auto promote = Promotable(taken);
    if (!promote) break;
    taken[*promote] = true;
    wave.push_back({*promote, RungRounds(candidates_[*promote].result.rung + 1)});
  }
  while (wave.size() < wave_size_ &&
         (options_.max_trials == 0 || candidates_.size() < options_.max_trials)) {
    Candidate c;
    c.family = NextFamily();
    Family& family = *families_[c.family];
    c.linear = family.name == "linear";
    // A converged local search proposes nearly the same settings again and again: ask again
    // (local and global proposals alternate) for settings not tried yet, a few times.
    for (int attempt = 0; attempt < kProposalAttempts; ++attempt) {
      c.point = family.sampler->Propose(family.history);
      const auto settings = ToSettings(family.space.Decode(c.point), family.space);
      if (family.tried.insert(SettingsKey(settings, data_.num_features())).second) break;
    }
    c.result.trial = candidates_.size();
    c.result.family = family.name;
    c.result.strategy = family.sampler->last_strategy();
    c.result.params = ToSettings(family.space.Decode(c.point), family.space);
    for (const auto& [key, value] : family.fixed) c.result.params[key] = value;
    c.result.rung = -1;  // not scored yet
    c.result.rank = static_cast<int>(c.result.trial % static_cast<size_t>(world_.size()));
    c.params = base_;
    wave.push_back({candidates_.size(), RungRounds(0)});
    candidates_.push_back(std::move(c));
  }
  return wave;
}

// Every family's cheap start comes first. Then, of every eight new configurations, four go to the
// family with the best score so far, two to the second and one to each of the next two (a family
// that trails still gets a look, as FLAML keeps trying every learner), in a fixed order so the
// search stays deterministic.
size_t Search::NextFamily() {
  const size_t k = new_configurations_++;
  const size_t n = families_.size();
  if (k < n) return k;
  std::vector<size_t> ranked(n);
  for (size_t f = 0; f < n; ++f) ranked[f] = f;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](size_t a, size_t b) { return families_[a]->best_loss < families_[b]->best_loss; });
  static constexpr size_t kPattern[8] = {0, 1, 0, 2, 0, 1, 0, 3};
  return ranked[std::min(kPattern[k % 8], n - 1)];
}

// The most levels of a categorical feature (0 without one): the linear space searches how many
// levels are one-hot encoded up to it.
size_t MostCategoricalLevels(const data::BinnedDataset& data) {
  size_t most = 0;
  for (const auto& mapper : data.mappers())
    if (mapper.kind() == data::BinMapper::Kind::kCategorical) most = std::max(most, mapper.categories().size());
  return most;
}

bool LinearFitsObjective(const std::string& objective) {
  return objective == "binary" || objective == "multiclass" || objective == "regression";
}

// The linear family's settings shared by its configurations, and the raw values of every fold's rows.
Status Search::SetUpLinear() {
  if (!options_.raw_rows)
    return Status::UserError("automl: the linear family needs the table's raw values (AutoMlOptions::raw_rows)");
  if (!LinearFitsObjective(base_.objective))
    return Status::UserError("automl: the linear family fits binary, multiclass and regression objectives, not '" +
                             base_.objective + "'");
  const data::CodedRows& raw = *options_.raw_rows;
  // (A search that leaves features out must leave their raw columns out too: RawColumnsWithout.)
  if (raw.rows != data_.num_rows() || raw.cols != data_.num_features())
    return Status::Internal("automl: the raw values hold " + std::to_string(raw.rows) + " rows x " +
                            std::to_string(raw.cols) + " features, the table " + std::to_string(data_.num_rows()) +
                            " x " + std::to_string(data_.num_features()));
  TESSERA_RETURN_IF_ERROR(models::linear::ApplyLinearParams({{"objective", base_.objective}}, &linear_base_, false));
  if (base_.objective == "multiclass") linear_base_.num_class = base_.num_class;
  linear_base_.seed = options_.seed;
  // scikit-learn's default for LogisticRegression and ElasticNet: configurations are compared by
  // their validation score, which a tighter fit barely moves (OWL-QN can take 10x the steps).
  linear_base_.tolerance = kLinearTolerance;
  linear_base_.num_threads = trial_threads_;
  TESSERA_RETURN_IF_ERROR(models::linear::ValidateLinearParams(linear_base_));
  for (const Fold& f : folds_) {
    fold_train_raw_.push_back(RawRowsAt(raw, f.train));
    fold_valid_raw_.push_back(RawRowsAt(raw, f.valid));
  }
  return Status::Ok();
}

Status Search::SetUpFamilies() {
  const size_t rows = fold_train_[0].num_rows();
  bool categorical = false;
  for (const auto& m : data_.mappers()) categorical = categorical || m.kind() == data::BinMapper::Kind::kCategorical;
  std::vector<std::string> names = options_.families;
  if (names.empty()) {  // every family that fits the data and the objective
    names = {"gbdt", "random_forest", "extra_trees"};
    if (options_.raw_rows && LinearFitsObjective(base_.objective)) names.push_back("linear");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    for (size_t j = 0; j < i; ++j)
      if (families_[j]->name == name) return Status::UserError("automl: model family '" + name + "' named twice");
    auto family = std::make_unique<Family>(Family{name, GbdtSearchSpace(rows, categorical), {}, nullptr, {}, INFINITY, {}});
    if (name == "random_forest" || name == "extra_trees") {
      family->space = ForestSearchSpace(rows, categorical);
      family->fixed = {{"boosting", "rf"}, {"bagging_fraction", "0.632"}, {"bagging_freq", "1"}};
      if (name == "extra_trees") family->fixed["extra_trees"] = "true";
    } else if (name == "linear") {
      TESSERA_RETURN_IF_ERROR(SetUpLinear());
      family->space = LinearSearchSpace(MostCategoricalLevels(data_));
    } else if (name != "gbdt") {
      return Status::UserError("automl: unknown model family '" + name +
                               "' (expected gbdt, random_forest, extra_trees, linear)");
    }
    family->sampler = std::make_unique<BlendSampler>(family->space, options_.seed + 1000003 * i);
    families_.push_back(std::move(family));
  }
  if (families_.empty()) return Status::UserError("automl: no model family to search");
  return Status::Ok();
}

Status Search::ShareResults(const std::vector<Job>& wave, const std::vector<size_t>& mine, std::vector<Status>* statuses,
                            std::vector<char>* skipped) {
  nlohmann::json sent = nlohmann::json::array();
  for (size_t j : mine) {
    const Candidate& c = candidates_[wave[j].candidate];
    const Status& st = (*statuses)[j];
    sent.push_back({{"job", j}, {"skipped", (*skipped)[j] != 0}, {"error", st.ok() ? "" : st.message()}, {"score", c.result.score},
                    {"rounds", c.result.rounds}, {"fit_seconds", c.result.fit_seconds},
                    {"predict_ms", c.result.predict_ms_per_1k_rows}, {"converged", c.result.converged},
                    {"stopped_by_budget", c.result.stopped_by_budget}, {"seconds_per_round", c.seconds_per_round},
                    {"metric_seconds", c.metric_seconds}, {"model_nodes", c.model_nodes},
                    {"write_seconds_per_node", write_seconds_per_node_},
                    {"valid_raw", c.valid_raw}});
  }
  TESSERA_ASSIGN_OR_RETURN(const std::vector<std::string> gathered, world_.AllGather(sent.dump()));
  for (int rank = 0; rank < world_.size(); ++rank) {
    if (rank == world_.rank()) continue;
    const auto received = nlohmann::json::parse(gathered[static_cast<size_t>(rank)], nullptr, false);
    if (!received.is_array()) return Status::Internal("automl: rank " + std::to_string(rank) + " sent unreadable results");
    try {
      for (const auto& r : received) {
        const size_t j = r.at("job").get<size_t>();
        Candidate& c = candidates_[wave.at(j).candidate];
        const std::string error = r.at("error").get<std::string>();
        (*skipped)[j] = r.at("skipped").get<bool>() ? 1 : 0;
        if (!error.empty()) (*statuses)[j] = Status::UserError("rank " + std::to_string(rank) + ": " + error);
        c.result.score = r.at("score").get<double>();
        c.result.rounds = r.at("rounds").get<int>();
        c.result.fit_seconds = r.at("fit_seconds").get<double>();
        c.result.predict_ms_per_1k_rows = r.at("predict_ms").get<double>();
        c.result.converged = r.at("converged").get<bool>();
        c.result.stopped_by_budget = r.at("stopped_by_budget").get<bool>();
        c.seconds_per_round = r.at("seconds_per_round").get<double>();
        c.metric_seconds = r.at("metric_seconds").get<double>();
        c.model_nodes = r.at("model_nodes").get<double>();
        // Rank 0 refits and writes: it takes the slowest rate any rank measured.
        write_seconds_per_node_ = std::max(write_seconds_per_node_, r.at("write_seconds_per_node").get<double>());
        c.valid_raw = r.at("valid_raw").get<std::vector<std::vector<double>>>();
      }
    } catch (const std::exception& e) {  // json errors, and a job number outside the wave
      return Status::Internal("automl: rank " + std::to_string(rank) + " sent unreadable results: " + e.what());
    }
  }
  return Status::Ok();
}

void Search::Record(Candidate& c) {
  ++c.result.rung;
  // Successive halving ranks trees at a rung against trees only: a linear fit is final, and
  // would set the bar for 16-round trees.
  if (c.linear) linear_fit_seconds_ = std::min(linear_fit_seconds_, c.result.fit_seconds);
  else rung_scores_[static_cast<size_t>(c.result.rung)].push_back(c.result.score);
  Family& family = *families_[c.family];
  family.history.push_back({c.point, Loss(c.result)});
  family.best_loss = std::min(family.best_loss, Loss(c.result));
  if (options_.on_trial) options_.on_trial(c.result);
}

Result<AutoMlResult> Search::Run() {
  TESSERA_RETURN_IF_ERROR(Prepare());
  TESSERA_RETURN_IF_ERROR(SetUpFamilies());

  while (true) {
    // Ranks agree on when the search ends (their clocks differ a little).
    int64_t up = SearchTimeIsUp() ? 1 : 0;
    TESSERA_RETURN_IF_ERROR(world_.AllReduceMax(std::span<int64_t>(&up, 1)));
    if (up) break;
    const std::vector<Job> wave = PlanWave();
    if (wave.empty()) break;
    for (const Job& job : wave) {
      Candidate& c = candidates_[job.candidate];
      if (c.result.rung >= 0) continue;
      if (c.linear) {
        c.linear_params = linear_base_;
        TESSERA_RETURN_IF_ERROR(models::linear::ApplyLinearParams(c.result.params, &c.linear_params));
      } else {
        TESSERA_RETURN_IF_ERROR(models::gbdt::ApplyGbdtParams(c.result.params, &c.params));
      }
    }
    MeasureWriteCost();
    refit_reserve_ = RefitReserveSeconds();
    // Each rank trains the jobs of the candidates it owns (their models stay with it).
    std::vector<size_t> mine;
    for (size_t j = 0; j < wave.size(); ++j)
      if (Owner(wave[j].candidate) == world_.rank()) mine.push_back(j);
    std::vector<Status> statuses(wave.size(), Status::Ok());
    std::vector<char> skipped(wave.size(), 0);
    RunTasks(mine.size(), workers_, [&](size_t k) {
      const Job& job = wave[mine[k]];
      // A job that would start after the time is up would only eat the refit's reserve; so would
      // a linear fit that cannot end before it (its passes over the rows do not stop halfway).
      if (SearchTimeIsUp() || (candidates_[job.candidate].linear && LinearFitWouldOverrun())) {
        skipped[mine[k]] = 1;
        return;
      }
      statuses[mine[k]] = Train(candidates_[job.candidate], job.rounds);
    });
    if (world_.size() > 1) TESSERA_RETURN_IF_ERROR(ShareResults(wave, mine, &statuses, &skipped));
    for (size_t j = 0; j < wave.size(); ++j) {
      if (skipped[j]) continue;  // a promotion keeps its rung; a new configuration is dropped below
      TESSERA_RETURN_IF_ERROR(statuses[j]);
      Record(candidates_[wave[j].candidate]);
    }
  }
  std::erase_if(candidates_, [](const Candidate& c) { return c.result.rung < 0; });
  const Candidate* best = Best();
  if (!best) return Status::UserError("automl: the time budget ended before the first trial was scored");

  AutoMlResult result;
  result.lead = world_.rank() == 0;
  result.objective = objective_;
  result.metric = metric_;
  result.higher_is_better = higher_is_better_;
  result.validation = validation_;
  result.warnings = warnings_;
  for (const auto& c : candidates_) result.leaderboard.push_back(c.result);
  std::stable_sort(result.leaderboard.begin(), result.leaderboard.end(),
                   [&](const TrialResult& a, const TrialResult& b) { return Loss(a) < Loss(b); });
  if (!result.lead) return result;  // the ensemble and the refit are rank 0's
  // Under MPI another rank may hold the trial's models; rank 0 then refits (always asked there).
  std::optional<models::Model> trial_model = TrialModel(*best);
  if (trial_model) result.model = *trial_model;

  // The best trees and the best linear configurations (their own share: on a few hundred rows
  // thousands of near-identical linear fits could fill the pool).
  std::vector<const Candidate*> pool;
  size_t trees = 0, linear = 0;
  for (const Candidate* c : Ranked()) {
    size_t& taken = c->linear ? linear : trees;
    if (taken < (c->linear ? kEnsembleLinearPool : kEnsemblePool)) {
      pool.push_back(c);
      ++taken;
    }
  }
  std::optional<EnsembleSelection> ensemble;
  if (options_.ensemble && pool.size() >= 2) {
    TESSERA_ASSIGN_OR_RETURN(ensemble, Ensemble(pool));
  }
  const Candidate* search_best = best;
  bool rechecked = false;
  if (cross_validated_) {
    TESSERA_ASSIGN_OR_RETURN(rechecked, ChooseOnFreshFolds(&pool, &ensemble, &best, &result.leaderboard, &result.choice));
  }
  if (!rechecked) {
    // The raw scores of what would be chosen: the ensemble's blend, or the best's.
    std::vector<std::vector<double>> chosen_raw = best->valid_raw;
    if (ensemble) {
      std::vector<const std::vector<std::vector<double>>*> member_raw;
      for (const Candidate* c : pool) member_raw.push_back(&c->valid_raw);
      chosen_raw = BlendRaw(member_raw, ensemble->weights);
    }
    TESSERA_ASSIGN_OR_RETURN(const Candidate* simpler, SimplerWithinOneStandardError(chosen_raw, &result.choice));
    if (simpler && simpler != best) {
      ensemble.reset();
      best = simpler;
    } else {
      result.choice.clear();
    }
  }
  if (best != search_best) {  // the chosen configuration heads the leaderboard
    trial_model = TrialModel(*best);
    if (trial_model) result.model = *trial_model;
    auto row = std::find_if(result.leaderboard.begin(), result.leaderboard.end(),
                            [&](const TrialResult& t) { return t.trial == best->result.trial; });
    std::rotate(result.leaderboard.begin(), row, row + 1);
  }
  // The best alone is refit first (the search kept time for it), then the ensemble's other
  // members while the budget lasts; an ensemble short of a member falls back to the best.
  std::optional<models::Model> best_refit;
  if (options_.refit) {
    bool cut_short = false;
    TESSERA_ASSIGN_OR_RETURN(models::Model refit, Refit(*best, WriteSeconds(*best), &cut_short));
    // A refit the budget cut short would be a worse model than the trial's: keep the trial's.
    if (!cut_short || !trial_model)
      best_refit = std::move(refit);
  }
  std::vector<const Candidate*> members;
  std::vector<double> weights;
  double blend_write_seconds = 0;  // the blend's file holds every member's trees
  bool members_here = true;        // this rank holds every member's trial models
  if (ensemble) {
    for (size_t m = 0; m < pool.size(); ++m) {
      if (ensemble->weights[m] <= 0) continue;
      members.push_back(pool[m]);
      weights.push_back(ensemble->weights[m]);
      blend_write_seconds += WriteSeconds(*pool[m]);
      members_here = members_here && TrialModel(*pool[m]);
    }
  }
  // When even the best's refit did not fit, the ensemble of trial models (which validated better
  // than the best's trial model, now the answer) is taken if its file can still be written.
  const double seconds_left = options_.time_budget_seconds - Seconds(Clock::now() - options_.start);
  const bool trial_ensemble = options_.refit && !best_refit && members_here &&
                              (options_.time_budget_seconds <= 0 || blend_write_seconds <= seconds_left);
  if (ensemble && (best_refit || !options_.refit || trial_ensemble)) {
    std::vector<models::Model> fitted;
    for (const Candidate* c : members) {
      if (!options_.refit || trial_ensemble) {
        fitted.push_back(*TrialModel(*c));
        continue;
      }
      if (c == best) {
        fitted.push_back(*best_refit);
        continue;
      }
      const double left = options_.time_budget_seconds - Seconds(Clock::now() - options_.start);
      if (options_.time_budget_seconds > 0 && RefitTrainingSeconds(*c) + blend_write_seconds > left) break;
      bool cut_short = false;
      TESSERA_ASSIGN_OR_RETURN(models::Model model, Refit(*c, blend_write_seconds, &cut_short));
      if (cut_short) break;  // the budget ran out
      fitted.push_back(std::move(model));
    }
    if (fitted.size() == members.size()) {
      TESSERA_ASSIGN_OR_RETURN(result.model, EnsembleModel(fitted, weights));
      result.refit = options_.refit && !trial_ensemble;
      TrialResult row;
      row.trial = candidates_.size();
      row.family = "ensemble";
      row.strategy = "caruana";
      row.score = higher_is_better_ ? -ensemble->loss : ensemble->loss;
      row.recheck_score = ensemble_recheck_score_;
      for (size_t m = 0; m < members.size(); ++m) {
        char weight[32];
        std::snprintf(weight, sizeof weight, "%.4g", weights[m]);
        row.params["trial " + std::to_string(members[m]->result.trial)] = weight;
        row.rounds += members[m]->result.rounds;
        row.fit_seconds += members[m]->result.fit_seconds;
      }
      result.leaderboard.insert(result.leaderboard.begin(), row);
      result.ensemble = true;
      return result;
    }
    result.warnings.push_back("an ensemble validated better, but refitting its members did not fit in the budget");
  }
  if (best_refit) {
    result.model = std::move(*best_refit);
    result.refit = true;
  }
  return result;
}

}  // namespace

Result<AutoMlResult> RunAutoMl(const data::BinnedDataset& data, const AutoMlOptions& options) {
  const auto unusable = features::FindUnusableFeatures(data, options.time_feature);
  if (unusable.empty()) {
    Search search(data, options);
    return search.Run();
  }
  if (unusable.size() == data.num_features())
    return Status::UserError("automl: every feature is constant or ID-like (" + unusable.front().name + ": " +
                             unusable.front().reason + "); nothing is left to learn from");
  std::vector<size_t> dropped;
  for (const auto& u : unusable) dropped.push_back(u.feature);
  const data::BinnedDataset kept = data::WithoutFeatures(data, dropped);
  AutoMlOptions kept_options = options;
  if (options.time_feature >= 0)
    kept_options.time_feature -= static_cast<int>(std::count_if(dropped.begin(), dropped.end(), [&](size_t f) {
      return f < static_cast<size_t>(options.time_feature);
    }));
  std::optional<data::CodedRows> kept_raw;  // the linear family's raw values, without the same columns
  if (options.raw_rows) {
    kept_raw = RawColumnsWithout(*options.raw_rows, dropped);
    kept_options.raw_rows = &*kept_raw;
  }
  Search search(kept, kept_options);
  TESSERA_ASSIGN_OR_RETURN(AutoMlResult result, search.Run());
  std::vector<std::string> notes;
  for (const auto& u : unusable) {
    notes.push_back("feature '" + u.name + "' is " + u.reason + ": left out of the search and the model");
    result.dropped_features.push_back(u.name);
  }
  result.warnings.insert(result.warnings.begin(), notes.begin(), notes.end());
  return result;
}

}  // namespace tessera::automl
