#include <charconv>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/core/atomic_file.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

struct PredictFlags {
  IngestFlags data;
  std::string model, output;
  bool raw_score = false, pred_leaf = false, json = false;
  std::string store;
};

void RunPredict(const PredictFlags& f) {
  const models::Model model = LoadAnyModelArg(f.model, f.store);
  data::IngestOptions options = f.data.Resolve();
  auto start = std::chrono::steady_clock::now();
  std::string out;
  double read_seconds = 0, predict_seconds = 0;  // the model's work alone, without formatting the output
  size_t n = 0;
  if (f.pred_leaf) {
    Check(models::RequireGbdt(model, f.model, "--pred-leaf"));
    auto ds = Check(data::IngestWithReference(f.data.inputs, options, model.reference(), false));
    read_seconds = SecondsSince(start);
    auto predict_start = std::chrono::steady_clock::now();
    n = ds.num_rows();
    auto leaves = model.gbdt()->PredictLeaf(ds, options.read.threads);
    predict_seconds = SecondsSince(predict_start);
    const size_t nt = model.gbdt()->trees().size();
    for (size_t t = 0; t < nt; ++t) out += (t ? ",tree_" : "tree_") + std::to_string(t);
    out += "\n";
    for (size_t r = 0; r < n; ++r) {
      for (size_t t = 0; t < nt; ++t) {
        if (t) out += ',';
        out += std::to_string(leaves[r * nt + t]);
      }
      out += '\n';
    }
  } else {
    std::vector<double> scores;
    if (model.gbdt()) {
      auto ds = Check(data::IngestWithReference(f.data.inputs, options, model.reference(), false));
      read_seconds = SecondsSince(start);
      auto predict_start = std::chrono::steady_clock::now();
      n = ds.num_rows();
      scores = model.gbdt()->PredictRaw(ds, options.read.threads);
      if (!f.raw_score) model.gbdt()->Transform(&scores);
      predict_seconds = SecondsSince(predict_start);
    } else {
      auto table = Check(model.PredictTable(f.data.inputs, options, false, f.raw_score));
      predict_seconds = read_seconds = SecondsSince(start);  // read and predicted together
      n = table.data.num_rows();
      scores = std::move(table.scores);
    }
    const size_t k = static_cast<size_t>(model.num_outputs());
    const auto& classes = model.reference().label_classes();
    if (k == 1) {
      out = f.raw_score ? "raw_score\n" : "prediction\n";
    } else {
      for (size_t c = 0; c < k; ++c)
        out += (c ? "," : "") + std::string(f.raw_score ? "raw_" : "prob_") + (c < classes.size() ? classes[c] : std::to_string(c));
      out += "\n";
    }
    out.reserve(out.size() + n * k * 20);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < k; ++c) {
        if (c) out += ',';
        AppendNumber(&out, scores[r * k + c]);
      }
      out += '\n';
    }
  }
  Check(WriteFileAtomically(f.output, out));
  if (f.json) {
    nlohmann::json j = {{"rows", n}, {"read_seconds", read_seconds}, {"predict_seconds", predict_seconds},
                        {"output", f.output}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!f.data.quiet) {
    std::fprintf(stderr, "predict: %zu rows in %.2fs (reading %.2fs) -> %s\n", n, SecondsSince(start), read_seconds,
                 f.output.c_str());
  }
}

struct EvalFlags {
  IngestFlags data;
  std::string model;
  std::vector<std::string> metrics;
  bool json = false;
  TrackingFlags tracking;
};

void RunEval(const EvalFlags& f) {
  models::Model model = LoadAnyModelArg(f.model, f.tracking.store);
  data::IngestOptions options = f.data.Resolve();
  auto table = Check(model.PredictTable(f.data.inputs, options, true));
  const data::BinnedDataset& ds = table.data;
  nlohmann::json run_params = {{"model", f.model}};
  if (model.training_info().contains("run_id")) run_params["model_run_id"] = model.training_info()["run_id"];
  auto tracker = StartTracking(f.tracking, "eval", f.data.inputs, ds.schema(), run_params);
  const std::vector<double>& preds = table.scores;
  const size_t k = static_cast<size_t>(model.num_outputs());
  std::vector<std::string> names = f.metrics;
  if (names.empty()) {
    const std::string& objective = model.objective();
    if (objective == "binary") names = {"auc", "logloss", "error"};
    else if (objective == "multiclass") names = {"multi_logloss", "multi_error"};
    else names = {"rmse", "mae", "r2"};
  }
  nlohmann::json result = nlohmann::json::object();
  for (const auto& name : names) {
    const double v = Check(metrics::Evaluate(name, ds.labels(), preds, k, ds.weights()));
    result[*metrics::CanonicalMetricName(name)] = v;
  }
  result["rows"] = ds.num_rows();
  if (tracker) {
    std::map<std::string, double> final_metrics;
    for (const auto& [name, value] : result.items())
      if (name != "rows") final_metrics[name] = value.get<double>();
    Check(tracker->Finish(final_metrics, {}));
    result["run_id"] = tracker->run_id();
  }
  if (f.json) {
    std::printf("%s\n", result.dump(2).c_str());
    return;
  }
  for (const auto& [name, value] : result.items())
    if (name != "rows" && name != "run_id") std::printf("%-14s %.6f\n", name.c_str(), value.get<double>());
  std::printf("%-14s %zu\n", "rows", ds.num_rows());
}

}  // namespace

void RegisterPredict(CLI::App* app) {
  auto f = std::make_shared<PredictFlags>();
  CLI::App* cmd = app->add_subcommand("predict", "Predict with a model (any family): one line per input row");
  cmd->add_option("--model,-m", f->model, "Model file")->required();
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("-o,--output", f->output, "Predictions CSV ('-' for stdout)")->required();
  cmd->add_flag("--raw-score", f->raw_score, "Raw scores (margins) instead of probabilities");
  cmd->add_flag("--pred-leaf", f->pred_leaf, "The leaf index each row reaches in every tree");
  cmd->add_flag("--json", f->json, "Print timings as JSON on stdout (predictions go to --output)");
  AddStoreFlag(cmd, &f->store);
  cmd->callback([f] { RunPredict(*f); });

  auto e = std::make_shared<EvalFlags>();
  CLI::App* eval = app->add_subcommand("eval", "Metrics of a model (any family) on labelled data");
  eval->add_option("--model,-m", e->model, "Model file")->required();
  AddIngestFlags(eval, &e->data, false, "--data");
  eval->add_option("--metric", e->metrics, "Metrics (default: by objective)")->delimiter(',');
  eval->add_flag("--json", e->json, "Print JSON");
  AddTrackingFlags(eval, &e->tracking);
  eval->callback([e] { RunEval(*e); });
}

}  // namespace tessera::cli
