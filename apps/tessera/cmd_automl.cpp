// tessera automl: search models under a time budget (automl/automl.h), print the leaderboard,
// save the best model, optionally the leaderboard as CSV and every trial as JSON lines.
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <memory>
#include <optional>

#include "cli_common.h"
#include "commands.h"
#include "tessera/automl/automl.h"
#include "tessera/core/atomic_file.h"
#include "tessera/dist/world.h"
#include "tessera/models/linear/training_rows.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

struct AutoMlFlags {
  IngestFlags data;
  automl::AutoMlOptions options;
  std::string output, time_column, leaderboard_csv, log;
  bool no_ensemble = false;
  bool json = false, no_refit = false;
};

std::string ParamsText(const std::map<std::string, std::string>& params) {
  std::string text;
  for (const auto& [k, v] : params) text += (text.empty() ? "" : " ") + k + "=" + v;
  return text;
}

nlohmann::json TrialJson(const automl::TrialResult& t) {
  return {{"trial", t.trial},   {"family", t.family},         {"strategy", t.strategy},
          {"params", t.params}, {"rounds", t.rounds},         {"rung", t.rung},
          {"score", t.score},   {"fit_seconds", t.fit_seconds}, {"predict_ms_per_1k_rows", t.predict_ms_per_1k_rows},
          {"converged", t.converged}, {"stopped_by_budget", t.stopped_by_budget}, {"rank", t.rank},
          {"recheck_score", std::isnan(t.recheck_score) ? nlohmann::json() : nlohmann::json(t.recheck_score)}};
}

void RunAutoMl(AutoMlFlags& f) {
  f.options.start = std::chrono::steady_clock::now();
  data::IngestOptions options = f.data.Resolve();
  f.options.threads = options.read.threads;
  options.seed = f.options.seed;
  auto ds = Check(data::IngestBinned(f.data.inputs, options));
  // The linear family fits on the features' raw values: read them too, unless it is left out (by
  // --families, or by default when the input is a .tsr cache, which holds bins only).
  const auto& families = f.options.families;
  std::optional<data::CodedRows> raw_rows;
  if (std::find(families.begin(), families.end(), "linear") != families.end() ||
      (families.empty() && models::linear::RequireRawValues(f.data.inputs).ok())) {
    raw_rows = Check(models::linear::ReadTrainingRows(f.data.inputs, options, ds));
    f.options.raw_rows = &*raw_rows;
  }
  if (!f.time_column.empty()) {
    for (size_t c = 0; c < ds.num_features(); ++c)
      if (ds.feature_name(c) == f.time_column) f.options.time_feature = static_cast<int>(c);
    if (f.options.time_feature < 0)
      Check(Status::UserError("--time-column " + f.time_column + ": no feature of that name"));
  }
  f.options.refit = !f.no_refit;
  f.options.ensemble = !f.no_ensemble;
  // Under mpirun every rank has read the whole table; the ranks share the trials, and rank 0
  // prints and writes.
  std::unique_ptr<dist::Collective> world = Check(dist::JoinWorld(false));
  f.options.world = world.get();
  const bool lead = world->rank() == 0;
  std::unique_ptr<AtomicFileWriter> log;
  if (!f.log.empty() && lead) {
    log = std::make_unique<AtomicFileWriter>();
    Check(log->Open(f.log).WithContext("cannot write " + f.log));
  }
  const bool quiet = f.data.quiet || f.json || !lead;
  f.options.on_trial = [&](const automl::TrialResult& t) {
    if (log) Check(log->Write(TrialJson(t).dump() + "\n"));
    if (!quiet)
      std::fprintf(stderr, "[trial %zu] %-13s %-6s rung %d  score %.6g  rounds %d  %.2fs  %s\n", t.trial, t.family.c_str(),
                   t.strategy.c_str(), t.rung, t.score, t.rounds, t.fit_seconds, ParamsText(t.params).c_str());
  };
  auto result = Check(automl::RunAutoMl(ds, f.options));
  const double seconds = SecondsSince(f.options.start);
  if (!lead) return;
  for (const auto& w : result.warnings) std::fprintf(stderr, "automl: warning: %s\n", w.c_str());
  if (log) Check(log->Commit().WithContext("cannot write " + f.log));

  const auto& best = result.leaderboard.front();
  result.model = result.model.WithTrainingInfo("automl", {{"metric", result.metric},
                                          {"score", best.score},
                                          {"validation", result.validation},
                                          {"trial", best.trial},
                                          {"family", best.family},
                                          {"params", best.params},
                                          {"trials", result.leaderboard.size() - (result.ensemble ? 1 : 0)},
                                          {"refit", result.refit}});
  Check(models::SaveModel(result.model, f.output));

  if (!f.leaderboard_csv.empty()) {
    std::string csv = "rank,trial,family,strategy,score,recheck_score,rounds,rung,fit_seconds,predict_ms_per_1k_rows,params\n";
    for (size_t i = 0; i < result.leaderboard.size(); ++i) {
      const auto& t = result.leaderboard[i];
      csv += std::to_string(i + 1) + "," + std::to_string(t.trial) + "," + t.family + "," + t.strategy + ",";
      AppendNumber(&csv, t.score);
      csv += ",";
      if (!std::isnan(t.recheck_score)) AppendNumber(&csv, t.recheck_score);
      csv += "," + std::to_string(t.rounds) + "," + std::to_string(t.rung) + ",";
      AppendNumber(&csv, t.fit_seconds);
      csv += ",";
      AppendNumber(&csv, t.predict_ms_per_1k_rows);
      csv += "," + CsvField(ParamsText(t.params)) + "\n";
    }
    Check(WriteFileAtomically(f.leaderboard_csv, csv));
  }
  if (f.json) {
    nlohmann::json board = nlohmann::json::array();
    for (const auto& t : result.leaderboard) board.push_back(TrialJson(t));
    nlohmann::json j = {{"objective", result.objective}, {"metric", result.metric},
                        {"validation", result.validation}, {"seconds", seconds},
                        {"refit", result.refit},           {"model", f.output},
                        {"warnings", result.warnings},     {"dropped_features", result.dropped_features},
                        {"choice", result.choice},
                        {"leaderboard", board}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  const size_t trials = result.leaderboard.size() - (result.ensemble ? 1 : 0);
  std::printf("automl: %zu trials in %.1fs, %s, %s %s (%s is better)\n", trials, seconds,
              result.objective.c_str(), result.validation.c_str(), result.metric.c_str(),
              result.higher_is_better ? "higher" : "lower");
  // Finalists rechecked on fresh folds (cross-validated searches) show that score too.
  const bool rechecked = std::any_of(result.leaderboard.begin(), result.leaderboard.end(),
                                     [](const automl::TrialResult& t) { return !std::isnan(t.recheck_score); });
  std::printf("%4s %5s %-8s %-7s %10s %s%6s %8s %10s  %s\n", "rank", "trial", "family", "found", result.metric.c_str(),
              rechecked ? "   recheck " : "", "rounds", "fit_s", "pred_ms/1k", "params");
  const size_t shown = std::min<size_t>(result.leaderboard.size(), 20);
  for (size_t i = 0; i < shown; ++i) {
    const auto& t = result.leaderboard[i];
    char recheck[32] = "";
    if (rechecked && std::isnan(t.recheck_score)) std::snprintf(recheck, sizeof recheck, "%10s ", "");
    else if (rechecked) std::snprintf(recheck, sizeof recheck, "%10.6f ", t.recheck_score);
    std::printf("%4zu %5zu %-8s %-7s %10.6f %s%6d %8.2f %10.3f  %s\n", i + 1, t.trial, t.family.c_str(), t.strategy.c_str(),
                t.score, recheck, t.rounds, t.fit_seconds, t.predict_ms_per_1k_rows, ParamsText(t.params).c_str());
  }
  if (shown < result.leaderboard.size()) std::printf("(%zu more; --json or --leaderboard-csv for all)\n", result.leaderboard.size() - shown);
  if (!result.choice.empty()) std::printf("chosen: %s\n", result.choice.c_str());
  std::printf("best model (%s%s) written to %s\n", result.ensemble ? "ensemble, " : "",
              result.refit ? "refit on all rows" : result.ensemble ? "as trained in their trials" : "as trained in its trial",
              f.output.c_str());
}

}  // namespace

void RegisterAutoMl(CLI::App* app) {
  auto f = std::make_shared<AutoMlFlags>();
  CLI::App* cmd = app->add_subcommand("automl", "Search models and hyperparameters under a time budget");
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("-o,--output", f->output, "Where the best model is written")->required();
  cmd->add_option("--time-budget", f->options.time_budget_seconds, "Seconds for the whole run, refit included")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-trials", f->options.max_trials, "Configurations to try (a reproducible run)");
  cmd->add_option("--metric", f->options.metric, "auc, logloss, error, rmse, mae, r2, multi_logloss, multi_error");
  cmd->add_option("--objective", f->options.objective, "binary, multiclass, regression, ... (default: from the label)");
  cmd->add_option("--cv", f->options.cv_folds,
                  "k-fold cross-validation; 1 = a holdout (default: 5 folds up to 10,000 rows, else a holdout)")
      ->check(CLI::Range(1, 20));
  cmd->add_option("--holdout", f->options.holdout_fraction, "Fraction of rows held out for validation")
      ->capture_default_str();
  cmd->add_option("--time-column", f->time_column, "Validate on the latest rows by this column");
  cmd->add_option("--min-rounds", f->options.min_rounds, "Boosting rounds of the first rung")->capture_default_str();
  cmd->add_option("--max-rounds", f->options.max_rounds, "Boosting rounds of the last rung")->capture_default_str();
  cmd->add_option("--eta", f->options.eta, "Successive halving: keep the top 1/eta, grow rounds eta times")
      ->capture_default_str();
  cmd->add_option("--parallel-trials", f->options.parallel_trials,
                  "Trials side by side, one thread each: 0 = on small data, 1 = never, 2 = always")
      ->capture_default_str()
      ->check(CLI::Range(0, 2));
  cmd->add_option("--families", f->options.families,
                  "Model families to search: gbdt, random_forest, extra_trees, linear (default: all; linear when the "
                  "data is CSV or LibSVM and the objective binary, multiclass or regression)")
      ->delimiter(',');
  cmd->add_option("--seed", f->options.seed, "Seed of the search and of the models")->capture_default_str();
  cmd->add_flag("--no-ensemble", f->no_ensemble, "Keep the best single configuration, never an ensemble");
  cmd->add_flag("--no-refit", f->no_refit, "Keep the best trial's model instead of refitting on all rows");
  cmd->add_option("--leaderboard-csv", f->leaderboard_csv, "Write the whole leaderboard as CSV");
  cmd->add_option("--log", f->log, "Write every trial (and promotion) as JSON lines");
  cmd->add_flag("--json", f->json, "Print the result as JSON");
  cmd->callback([f] { RunAutoMl(*f); });
}

}  // namespace tessera::cli
