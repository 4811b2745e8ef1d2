#include <cstdio>
#include <map>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

struct TrainFlags {
  IngestFlags data;
  std::vector<std::string> valid;
  std::string output, config, init_model, objective;
  std::vector<std::string> params;
  int log_every = 10;
  bool json = false;
  TrackingFlags tracking;
};

void RunTrain(const TrainFlags& f) {
  std::map<std::string, std::string> settings;
  if (!f.config.empty()) ReadConfigFile(f.config, &settings);
  if (!f.objective.empty()) settings["objective"] = f.objective;
  ParseKeyValues(f.params, &settings);
  models::gbdt::GbdtParams params;
  Check(models::gbdt::ApplyGbdtParams(settings, &params, false));

  data::IngestOptions options = f.data.Resolve();
  options.max_bin = params.max_bin;
  options.read.threads = params.num_threads;
  options.seed = params.seed;
  auto start = std::chrono::steady_clock::now();
  auto train = Check(data::IngestBinned(f.data.inputs, options));
  // Multiclass needs the class count: take it from the labels when not given.
  if (params.objective == "multiclass" && params.num_class == 1) {
    float max_label = 0;
    for (float y : train.labels()) max_label = std::max(max_label, y);
    params.num_class = std::max<int>(2, static_cast<int>(max_label) + 1);
  }
  Check(models::gbdt::ValidateGbdtParams(params));
  std::vector<data::BinnedDataset> valid;
  for (const auto& v : f.valid) valid.push_back(Check(data::IngestWithReference({v}, options, train, true)));
  models::gbdt::TrainOptions train_options;
  for (size_t i = 0; i < valid.size(); ++i) {
    train_options.valid.push_back(&valid[i]);
    train_options.valid_names.push_back("valid_" + std::to_string(i));
  }
  std::unique_ptr<models::gbdt::GbdtModel> init;
  if (!f.init_model.empty()) {
    init = std::make_unique<models::gbdt::GbdtModel>(LoadModelArg(f.init_model, f.tracking.store));
    train_options.init_model = init.get();
  }
  train_options.metric_every = f.log_every;
  const double read_seconds = SecondsSince(start);
  const bool quiet = f.data.quiet;
  const int total = params.num_iterations;
  auto tracker = StartTracking(f.tracking, "train", f.data.inputs, train.schema(), params.ToJson());
  train_options.on_iteration = [&](const models::gbdt::IterationReport& r) {
    if (tracker) Check(tracker->Log(r.iteration, r.metrics));
    if (quiet || (r.iteration % f.log_every != 0 && r.iteration != total)) return;
    std::string line = "[" + std::to_string(r.iteration) + "]";
    for (const auto& [name, value] : r.metrics) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %s: %.6g", name.c_str(), value);
      line += buf;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  auto train_start = std::chrono::steady_clock::now();
  auto model = Check(models::gbdt::TrainGbdt(train, params, train_options));
  const double train_seconds = SecondsSince(train_start);
  if (tracker) model.SetTrainingInfo("run_id", tracker->run_id());
  Check(models::SaveModel(model, f.output));
  nlohmann::json summary = model.training_info();
  if (tracker) {
    std::map<std::string, double> final_metrics = {{"train_seconds", train_seconds}};
    for (const auto& [name, value] : summary["valid_metrics"].items()) final_metrics[name] = value.get<double>();
    Check(tracker->Finish(final_metrics, {{"model", f.output}}));
  }
  summary["model"] = f.output;
  summary["read_seconds"] = read_seconds;
  summary["train_seconds"] = train_seconds;
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("trained %zu iterations (%zu trees) on %zu rows x %zu features in %.2fs (reading %.2fs)\n",
                model.num_iterations(), model.trees().size(), train.num_rows(), train.num_features(), train_seconds,
                read_seconds);
    if (summary.contains("best_iteration")) std::printf("best iteration: %d\n", summary["best_iteration"].get<int>());
    for (const auto& [name, value] : summary["valid_metrics"].items()) std::printf("%s: %.6g\n", name.c_str(), value.get<double>());
    std::printf("model written to %s\n", f.output.c_str());
    if (tracker) std::printf("run %s recorded in %s\n", tracker->run_id().c_str(), tracker->store().dir().c_str());
  }
}

}  // namespace

void RegisterTrain(CLI::App* app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app->add_subcommand("train", "Train a gradient-boosted tree model");
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("--valid", f->valid, "Validation data (metrics per iteration, early stopping); repeatable");
  cmd->add_option("-o,--output", f->output, "Model file to write (JSON)")->required();
  cmd->add_option("--objective", f->objective, "binary, multiclass, regression, l1, huber, poisson");
  cmd->add_option("--param,-p", f->params, "Parameter key=value (LightGBM/XGBoost names); repeatable");
  cmd->add_option("--config", f->config, "File of key = value parameter lines");
  cmd->add_option("--init-model", f->init_model, "Continue boosting from this model");
  cmd->add_option("--log-every", f->log_every, "Print validation metrics every N iterations")->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  AddTrackingFlags(cmd, &f->tracking);
  cmd->callback([f] { RunTrain(*f); });
}

}  // namespace tessera::cli
