#include "train_linear.h"

#include <cstdio>

#include "tessera/metrics/metrics.h"
#include "tessera/models/linear/linear_model.h"
#include "tessera/models/linear/training_rows.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

std::vector<std::string> DefaultMetrics(const std::string& objective) {
  if (objective == "binary") return {"auc", "logloss"};
  if (objective == "multiclass") return {"multi_logloss", "multi_error"};
  return {"rmse", "r2"};
}

}  // namespace

void RunTrainLinear(const LinearTrainArgs& a) {
  models::linear::LinearParams params;
  Check(models::linear::ApplyLinearParams(a.settings, &params, false));
  data::IngestOptions options = a.data.Resolve();
  options.max_bin = params.max_bin;
  options.read.threads = params.num_threads;
  options.seed = params.seed;
  Check(models::linear::RequireRawValues(a.data.inputs));  // before the (long) read of the bins
  auto start = std::chrono::steady_clock::now();
  const data::BinnedDataset train = Check(data::IngestBinned(a.data.inputs, options));
  const data::CodedRows coded = Check(models::linear::ReadTrainingRows(a.data.inputs, options, train));
  if (params.objective == "multiclass" && params.num_class == 1) {
    float max_label = 0;
    for (float y : train.labels()) max_label = std::max(max_label, y);
    params.num_class = std::max(2, static_cast<int>(max_label) + 1);
  }
  Check(models::linear::ValidateLinearParams(params));
  const double read_seconds = SecondsSince(start);
  auto tracker = StartTracking(a.tracking, "train", a.data.inputs, train.schema(), params.ToJson());
  auto train_start = std::chrono::steady_clock::now();
  models::linear::LinearModel model = Check(models::linear::TrainLinear(train, coded, params));
  const double train_seconds = SecondsSince(train_start);
  nlohmann::json valid_metrics = nlohmann::json::object();
  const models::Model any(model);
  for (size_t v = 0; v < a.valid.size(); ++v) {
    auto table = Check(any.PredictTable({a.valid[v]}, options, true));
    for (const auto& name : DefaultMetrics(params.objective)) {
      const double value = Check(metrics::Evaluate(name, table.data.labels(), table.scores,
                                                   static_cast<size_t>(model.num_outputs()), table.data.weights()));
      valid_metrics["valid_" + std::to_string(v) + " " + *metrics::CanonicalMetricName(name)] = value;
    }
  }
  model.SetTrainingInfo("valid_metrics", valid_metrics);
  if (tracker) model.SetTrainingInfo("run_id", tracker->run_id());
  Check(models::SaveModel(model, a.output));
  if (tracker) {
    std::map<std::string, double> final_metrics = {{"train_seconds", train_seconds}};
    for (const auto& [name, value] : valid_metrics.items()) final_metrics[name] = value.get<double>();
    Check(tracker->Finish(final_metrics, {{"model", a.output}}));
  }
  nlohmann::json summary = model.training_info();
  summary["model"] = a.output;
  summary["family"] = "linear";
  summary["read_seconds"] = read_seconds;
  summary["train_seconds"] = train_seconds;
  if (a.json) {
    std::printf("%s\n", summary.dump(2).c_str());
    return;
  }
  std::printf("trained a linear model (%s, lambda=%g, l1_ratio=%g) on %zu rows x %zu features (%zu encoded columns, %zu nonzero "
              "coefficients) in %.2fs (reading %.2fs); solver %s: %d iterations%s\n",
              params.objective.c_str(), params.lambda, params.l1_ratio, train.num_rows(), train.num_features(),
              model.pipeline().num_outputs(), summary["nonzero_coefficients"].get<size_t>(), train_seconds, read_seconds,
              summary["solver"].get<std::string>().c_str(), summary["iterations"].get<int>(),
              summary["converged"].get<bool>() ? "" : " (not converged: raise max_iterations or tolerance)");
  for (const auto& [name, value] : valid_metrics.items()) std::printf("%s: %.6g\n", name.c_str(), value.get<double>());
  std::printf("model written to %s\n", a.output.c_str());
  if (tracker) std::printf("run %s recorded in %s\n", tracker->run_id().c_str(), tracker->store().dir().c_str());
}

}  // namespace tessera::cli
