#include "tessera/automl/automl.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <optional>
#include <set>

#include "tessera/automl/sampler.h"
#include "tessera/automl/search_space.h"
#include "tessera/automl/validation_split.h"
#include "tessera/features/leakage.h"
#include "tessera/metrics/metrics.h"

namespace tessera::automl {

namespace {

using Clock = std::chrono::steady_clock;
using models::gbdt::GbdtModel;
using models::gbdt::GbdtParams;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A configuration under evaluation: its models per fold, grown rung by rung.
struct Candidate {
  TrialResult result;
  UnitPoint point;
  GbdtParams params;
  std::vector<GbdtModel> fold_models;
  double seconds_per_round = 0;  // of one fold's training, for the refit estimate
};

class Search {
 public:
  Search(const data::BinnedDataset& data, const AutoMlOptions& options) : data_(data), options_(options) {}
  Result<AutoMlResult> Run();

 private:
  Status Prepare();
  Status Train(Candidate& c, int rounds);
  std::optional<size_t> Promotable() const;
  double Loss(const TrialResult& r) const { return higher_is_better_ ? -r.score : r.score; }
  const Candidate* Best() const;
  double RefitReserveSeconds() const;
  bool SearchTimeIsUp() const;
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
  std::vector<Candidate> candidates_;
  std::vector<std::vector<double>> rung_scores_;  // every score seen at each rung
  std::string validation_;
  std::vector<std::string> warnings_;
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
  base_.num_threads = options_.threads;
  TESSERA_RETURN_IF_ERROR(models::gbdt::ValidateGbdtParams(base_));

  if (options_.time_budget_seconds <= 0 && options_.max_trials == 0)
    return Status::UserError("automl needs --time-budget or --max-trials");
  if (options_.min_rounds < 1 || options_.max_rounds < options_.min_rounds || options_.eta < 2)
    return Status::UserError("automl: need 1 <= min_rounds <= max_rounds and eta >= 2");
  const int percent = static_cast<int>(std::lround(options_.holdout_fraction * 100));
  if (options_.cv_folds >= 2) {
    folds_ = KFoldSplit(data_, options_.cv_folds, classes_, options_.seed);
    validation_ = std::to_string(options_.cv_folds) + "-fold cv" + (classes_ ? " (stratified)" : "");
  } else if (options_.time_feature >= 0) {
    folds_ = TimeOrderedSplit(data_, options_.holdout_fraction, static_cast<size_t>(options_.time_feature));
    validation_ = "latest " + std::to_string(percent) + "% by " + data_.feature_name(static_cast<size_t>(options_.time_feature));
  } else {
    if (!(options_.holdout_fraction > 0 && options_.holdout_fraction < 1))
      return Status::UserError("automl: the holdout fraction must be in (0, 1)");
    folds_ = HoldoutSplit(data_, options_.holdout_fraction, classes_, options_.seed);
    validation_ = "holdout " + std::to_string(percent) + "%" + (classes_ ? " (stratified)" : "");
  }
  for (const Fold& f : folds_) {
    if (f.train.empty() || f.valid.empty()) return Status::UserError("automl: too few rows to validate on");
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
    if (c.result.rounds > 0 && (!best || Loss(c.result) < Loss(best->result))) best = &c;
  return best;
}

double Search::RefitReserveSeconds() const {
  const Candidate* best = Best();
  if (!best || !options_.refit) return 0;
  const double all_rows = static_cast<double>(data_.num_rows());
  const double fold_rows = static_cast<double>(fold_train_[0].num_rows());
  return 1.25 * best->seconds_per_round * best->result.rounds * all_rows / fold_rows;
}

bool Search::SearchTimeIsUp() const {
  if (options_.time_budget_seconds <= 0) return false;
  const double margin = 0.02 * options_.time_budget_seconds;  // model writing, the leaderboard
  return Seconds(Clock::now() - options_.start) + RefitReserveSeconds() + margin >= options_.time_budget_seconds;
}

Status Search::Train(Candidate& c, int rounds) {
  double scores = 0, fit = 0, predict = 0, predict_rows = 0;
  int rounds_sum = 0;
  bool converged = true, short_of_rounds = false;
  for (size_t f = 0; f < folds_.size(); ++f) {
    GbdtParams params = c.params;
    const int have = f < c.fold_models.size() ? static_cast<int>(c.fold_models[f].num_iterations()) : 0;
    params.num_iterations = std::max(1, rounds - have);
    params.early_stopping_rounds = std::max(10, rounds / 4);
    models::gbdt::TrainOptions train_options;
    train_options.valid = {&fold_valid_[f]};
    train_options.valid_names = {"valid"};
    if (f < c.fold_models.size()) train_options.init_model = &c.fold_models[f];
    train_options.should_stop = [this] { return SearchTimeIsUp(); };
    int last_iteration = have;
    train_options.on_iteration = [&](const models::gbdt::IterationReport& r) { last_iteration = r.iteration; };
    const auto t0 = Clock::now();
    TESSERA_ASSIGN_OR_RETURN(GbdtModel model, models::gbdt::TrainGbdt(fold_train_[f], params, train_options));
    const double seconds = Seconds(Clock::now() - t0);
    fit += seconds;
    if (f == 0) c.seconds_per_round = seconds / std::max(1, params.num_iterations);
    const auto p0 = Clock::now();
    const std::vector<double> preds = model.Predict(fold_valid_[f], options_.threads);
    predict += Seconds(Clock::now() - p0);
    predict_rows += static_cast<double>(fold_valid_[f].num_rows());
    TESSERA_ASSIGN_OR_RETURN(const double score,
                             metrics::Evaluate(metric_, fold_valid_[f].labels(), preds,
                                               static_cast<size_t>(model.num_outputs()), fold_valid_[f].weights()));
    scores += score;
    const int trained = static_cast<int>(model.num_iterations());
    rounds_sum += trained;
    // Training ended before the rounds asked: early stopping (or the budget) ended it.
    if (last_iteration >= rounds) converged = false;
    else short_of_rounds = true;
    if (f < c.fold_models.size()) c.fold_models[f] = std::move(model);
    else c.fold_models.push_back(std::move(model));
  }
  const double k = static_cast<double>(folds_.size());
  c.result.score = scores / k;
  c.result.rounds = static_cast<int>(std::lround(rounds_sum / k));
  c.result.fit_seconds += fit;
  c.result.predict_ms_per_1k_rows = predict_rows > 0 ? 1e6 * predict / predict_rows : 0;
  c.result.stopped_by_budget = short_of_rounds && SearchTimeIsUp();
  c.result.converged = converged && !c.result.stopped_by_budget;
  return Status::Ok();
}

// ASHA's rule, from the highest rung down: a configuration whose best rung is k, that has not
// converged, and that ranks in the top 1/eta of every score seen at rung k, goes on to k + 1.
std::optional<size_t> Search::Promotable() const {
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
      if (r.rung != rung || r.converged || r.stopped_by_budget || Loss(r) > cutoff) continue;
      if (!best || Loss(r) < Loss(candidates_[*best].result)) best = i;
    }
    if (best) return best;
  }
  return std::nullopt;
}

Result<AutoMlResult> Search::Run() {
  TESSERA_RETURN_IF_ERROR(Prepare());
  const SearchSpace space = GbdtSearchSpace(fold_train_[0].num_rows());
  BlendSampler sampler(space, options_.seed);
  std::vector<Observation> history;

  while (!SearchTimeIsUp()) {
    if (auto promote = Promotable()) {
      Candidate& c = candidates_[*promote];
      TESSERA_RETURN_IF_ERROR(Train(c, RungRounds(c.result.rung + 1)));
      ++c.result.rung;
      rung_scores_[static_cast<size_t>(c.result.rung)].push_back(c.result.score);
      history.push_back({c.point, Loss(c.result)});
      if (options_.on_trial) options_.on_trial(c.result);
      continue;
    }
    if (options_.max_trials > 0 && candidates_.size() >= options_.max_trials) break;
    Candidate c;
    c.point = sampler.Propose(history);
    c.result.trial = candidates_.size();
    c.result.strategy = sampler.last_strategy();
    c.result.params = ToSettings(space.Decode(c.point), space);
    c.params = base_;
    TESSERA_RETURN_IF_ERROR(models::gbdt::ApplyGbdtParams(c.result.params, &c.params));
    TESSERA_RETURN_IF_ERROR(Train(c, RungRounds(0)));
    rung_scores_[0].push_back(c.result.score);
    history.push_back({c.point, Loss(c.result)});
    if (options_.on_trial) options_.on_trial(c.result);
    candidates_.push_back(std::move(c));
  }
  const Candidate* best = Best();
  if (!best) return Status::UserError("automl: the time budget ended before the first trial was scored");

  AutoMlResult result;
  result.objective = objective_;
  result.metric = metric_;
  result.higher_is_better = higher_is_better_;
  result.validation = validation_;
  result.warnings = warnings_;
  for (const auto& c : candidates_) result.leaderboard.push_back(c.result);
  std::stable_sort(result.leaderboard.begin(), result.leaderboard.end(),
                   [&](const TrialResult& a, const TrialResult& b) { return Loss(a) < Loss(b); });
  result.model = best->fold_models[0];
  if (options_.refit) {
    GbdtParams params = best->params;
    params.num_iterations = std::max(1, best->result.rounds);
    params.early_stopping_rounds = 0;
    models::gbdt::TrainOptions train_options;
    const double deadline = options_.time_budget_seconds;
    train_options.should_stop = [&] { return deadline > 0 && Seconds(Clock::now() - options_.start) >= deadline; };
    TESSERA_ASSIGN_OR_RETURN(GbdtModel refit, models::gbdt::TrainGbdt(data_, params, train_options));
    // A refit the budget cut short would be a worse model than the trial's: keep the trial's.
    if (static_cast<int>(refit.num_iterations()) == params.num_iterations) {
      result.model = std::move(refit);
      result.refit = true;
    }
  }
  return result;
}

}  // namespace

Result<AutoMlResult> RunAutoMl(const data::BinnedDataset& data, const AutoMlOptions& options) {
  Search search(data, options);
  return search.Run();
}

}  // namespace tessera::automl
