// tessera explain | importance | pdp: why a model predicts what it does.
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/core/atomic_file.h"
#include "tessera/data/coded_rows.h"
#include "tessera/explain/importance.h"
#include "tessera/explain/model_shap.h"
#include "tessera/explain/partial_dependence.h"
#include "tessera/explain/tree_shap.h"
#include "tessera/models/model_file.h"
#include "tessera/report/model_report.h"

namespace tessera::cli {

namespace {

using models::gbdt::GbdtModel;

// The header cells before the values: "row" and, for several outputs, "class".
std::string RowHeader(const GbdtModel& model) { return model.num_outputs() > 1 ? "row,class" : "row"; }

std::string ClassName(const GbdtModel& model, size_t k) {
  const auto& classes = model.reference().label_classes();
  return k < classes.size() ? classes[k] : std::to_string(k);
}

std::string FeatureHeader(const data::BinnedDataset& ref) {
  std::string out;
  for (size_t f = 0; f < ref.num_features(); ++f) out += "," + CsvField(ref.feature_name(f));
  return out + ",expected_value";
}

// The rows asked for, checked against the data.
std::vector<size_t> SelectRows(const std::vector<size_t>& asked, size_t available) {
  if (asked.empty()) {
    std::vector<size_t> all(available);
    for (size_t r = 0; r < available; ++r) all[r] = r;
    return all;
  }
  for (size_t r : asked)
    if (r >= available)
      throw StatusError{Status::UserError("--rows: row " + std::to_string(r) + " is past the data's " +
                                          std::to_string(available) + " rows (rows count from 0)")};
  return asked;
}

struct ExplainFlags {
  IngestFlags data;
  std::string store;
  std::string model, output, html;
  std::vector<size_t> rows;
  bool all = false, interactions = false, json = false;
  size_t output_class = 0;
};

// SHAP values of a linear model or a blend (explain::ModelShapValues) in the same CSV layout as
// TreeSHAP's.
void ExplainAnyFamily(const ExplainFlags& f, const models::Model& model) {
  if (f.interactions || !f.html.empty())
    Check(Status::UserError(f.model + ": a '" + model.family() +
                            "' model; --interactions and --html need a tree model (family 'gbdt')"));
  const data::IngestOptions options = f.data.Resolve();
  const auto start = std::chrono::steady_clock::now();
  const data::CodedRows all = Check(data::ReadCodedRows(f.data.inputs, options, model.reference()));
  const std::vector<size_t> rows = SelectRows(f.rows, all.rows);
  data::BinnedDataset bins;
  if (model.ReadsBins()) {
    bins = data::SelectRows(Check(data::IngestWithReference(f.data.inputs, options, model.reference(), false)), rows);
    if (bins.num_rows() != rows.size()) Check(Status::UserError(f.model + ": the input changed while it was read"));
  }
  const std::vector<double> values =
      explain::ModelShapValues(model, bins, data::SelectCodedRows(all, rows), options.read.threads);
  const size_t K = static_cast<size_t>(model.num_outputs()), W = all.cols + 1;
  const auto& classes = model.reference().label_classes();
  std::string out = std::string(K > 1 ? "row,class" : "row") + FeatureHeader(model.reference()) + "\n";
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t k = 0; k < K; ++k) {
      out += std::to_string(rows[i]);
      if (K > 1) out += "," + CsvField(k < classes.size() ? classes[k] : std::to_string(k));
      for (size_t j = 0; j < W; ++j) {
        out += ',';
        AppendNumber(&out, values[(i * K + k) * W + j]);
      }
      out += '\n';
    }
  Check(WriteFileAtomically(f.output, out));
  if (f.json) {
    nlohmann::json j = {{"rows", rows.size()}, {"features", all.cols}, {"outputs", K}, {"interactions", false},
                        {"family", model.family()}, {"seconds", SecondsSince(start)}, {"output", f.output}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!f.data.quiet) {
    std::fprintf(stderr, "explain: %zu rows x %zu features in %.2fs (%s SHAP) -> %s\n", rows.size(), all.cols,
                 SecondsSince(start), model.family().c_str(), f.output.c_str());
  }
}

void RunExplain(const ExplainFlags& f) {
  if (f.output.empty() && f.html.empty()) throw StatusError{Status::UserError("explain: give -o FILE.csv and/or --html FILE.html")};
  if (f.all && !f.rows.empty()) throw StatusError{Status::UserError("explain: --rows and --all exclude each other")};
  const models::Model any = LoadAnyModelArg(f.model, f.store);
  if (!any.gbdt()) return ExplainAnyFamily(f, any);
  const GbdtModel& model = *any.gbdt();
  const data::IngestOptions options = f.data.Resolve();
  const auto start = std::chrono::steady_clock::now();
  const auto ds = Check(data::IngestWithReference(f.data.inputs, options, model.reference(), false));
  const std::vector<size_t> rows = SelectRows(f.rows, ds.num_rows());
  const data::BinnedDataset selected = data::SelectRows(ds, rows);
  const int threads = options.read.threads;
  const size_t K = static_cast<size_t>(model.num_outputs()), F = ds.num_features(), W = F + 1;
  const auto shap_start = std::chrono::steady_clock::now();
  std::vector<double> values;
  if (!f.output.empty())
    values = f.interactions ? explain::ShapInteractionValues(model, selected, threads) : explain::ShapValues(model, selected, threads);
  const double shap_seconds = SecondsSince(shap_start);
  if (!f.output.empty()) {
    std::string out = RowHeader(model) + (f.interactions ? ",feature" : "") + FeatureHeader(model.reference()) + "\n";
    const size_t lines_per_output = f.interactions ? W : 1;
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t k = 0; k < K; ++k)
        for (size_t line = 0; line < lines_per_output; ++line) {
          out += std::to_string(rows[i]);
          if (K > 1) out += "," + CsvField(ClassName(model, k));
          if (f.interactions) out += "," + (line < F ? CsvField(model.reference().feature_name(line)) : std::string("expected_value"));
          const double* v = values.data() + ((i * K + k) * lines_per_output + line) * W;
          for (size_t j = 0; j < W; ++j) {
            out += ',';
            AppendNumber(&out, v[j]);
          }
          out += '\n';
        }
    Check(WriteFileAtomically(f.output, out));
  }
  if (!f.html.empty()) {
    report::ModelReportOptions ro;
    ro.title = "Why the model " + std::filesystem::path(f.model).filename().string() + " predicts what it does";
    // Waterfalls for the rows asked for, else the first few.
    ro.waterfall_rows = f.rows;
    for (size_t r = 0; ro.waterfall_rows.empty() && r < std::min<size_t>(3, ds.num_rows()); ++r) ro.waterfall_rows.push_back(r);
    if (ro.waterfall_rows.size() > 3 && f.rows.empty()) ro.waterfall_rows.resize(3);
    ro.output = f.output_class;
    ro.threads = threads;
    const auto report = Check(report::MakeModelExplainReport(model, ds, f.data.inputs, options, ro));
    Check(report::WriteExplainReport(report, f.html));
  }
  if (f.json) {
    nlohmann::json j = {{"rows", rows.size()}, {"features", F}, {"outputs", K}, {"interactions", f.interactions},
                        {"shap_seconds", shap_seconds}, {"seconds", SecondsSince(start)}};
    if (!f.output.empty()) j["output"] = f.output;
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!f.data.quiet) {
    std::fprintf(stderr, "explain: %zu rows x %zu features in %.2fs (SHAP %.2fs)%s%s\n", rows.size(), F, SecondsSince(start),
                 shap_seconds, f.output.empty() ? "" : " -> ", f.output.c_str());
  }
}

struct ImportanceFlags {
  IngestFlags data;
  std::string store;
  std::string model, metric;
  bool permutation = false, json = false;
  int repeats = 5;
  uint64_t seed = 0;
};

void RunImportance(const ImportanceFlags& f) {
  const auto model = LoadModelArg(f.model, f.store);
  const size_t F = model.reference().num_features();
  const auto trees = explain::ComputeTreeImportance(model);
  std::vector<double> mean_abs_shap;
  std::optional<explain::PermutationImportance> perm;
  if (f.permutation && f.data.inputs.empty()) throw StatusError{Status::UserError("importance: --permutation needs --data")};
  if (!f.data.inputs.empty()) {
    const data::IngestOptions options = f.data.Resolve();
    const auto ds = Check(data::IngestWithReference(f.data.inputs, options, model.reference(), f.permutation));
    mean_abs_shap = explain::MeanAbsShap(explain::ShapValues(model, ds, options.read.threads), ds.num_rows(),
                                         static_cast<size_t>(model.num_outputs()), F);
    if (f.permutation) {
      explain::PermutationOptions po;
      po.metric = f.metric;
      po.repeats = f.repeats;
      po.seed = f.seed;
      po.threads = options.read.threads;
      perm = Check(explain::ComputePermutationImportance(model, ds, po));
    }
  }
  // Most important first: by mean |SHAP| when known, else by gain.
  std::vector<size_t> order(F);
  for (size_t i = 0; i < F; ++i) order[i] = i;
  const auto& key = mean_abs_shap.empty() ? trees.total_gain : mean_abs_shap;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] > key[b]; });
  if (f.json) {
    nlohmann::json features = nlohmann::json::array();
    for (size_t i : order) {
      nlohmann::json j = {{"feature", model.reference().feature_name(i)}, {"split_count", trees.split_count[i]},
                          {"total_gain", trees.total_gain[i]}};
      if (!mean_abs_shap.empty()) j["mean_abs_shap"] = mean_abs_shap[i];
      if (perm) j["permutation_mean"] = perm->mean[i], j["permutation_std"] = perm->stddev[i];
      features.push_back(j);
    }
    nlohmann::json out = {{"features", features}};
    if (perm) out["metric"] = perm->metric, out["baseline"] = perm->baseline, out["repeats"] = f.repeats;
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("%-24s %8s %14s", "feature", "splits", "total_gain");
  if (!mean_abs_shap.empty()) std::printf(" %14s", "mean_abs_shap");
  if (perm) std::printf(" %22s", ("permutation " + perm->metric).c_str());
  std::printf("\n");
  for (size_t i : order) {
    std::printf("%-24s %8.0f %14.4f", model.reference().feature_name(i).c_str(), trees.split_count[i], trees.total_gain[i]);
    if (!mean_abs_shap.empty()) std::printf(" %14.6f", mean_abs_shap[i]);
    if (perm) std::printf(" %12.6f ± %-8.6f", perm->mean[i], perm->stddev[i]);
    std::printf("\n");
  }
  if (perm) std::printf("baseline %s = %.6f (%d repeats)\n", perm->metric.c_str(), perm->baseline, f.repeats);
}

struct PdpFlags {
  IngestFlags data;
  std::string store;
  std::string model, output;
  std::vector<std::string> features;
  size_t grid = 20;
  bool ice = false, raw_score = false;
};

size_t FeatureIndex(const data::BinnedDataset& ref, const std::string& name) {
  for (size_t f = 0; f < ref.num_features(); ++f)
    if (ref.feature_name(f) == name) return f;
  std::string known;
  for (size_t f = 0; f < ref.num_features(); ++f) known += (f ? ", " : "") + ref.feature_name(f);
  throw StatusError{Status::UserError("--feature: the model has no feature '" + name + "' (it has: " + known + ")")};
}

void RunPdp(const PdpFlags& f) {
  const auto model = LoadModelArg(f.model, f.store);
  const data::IngestOptions options = f.data.Resolve();
  const auto ds = Check(data::IngestWithReference(f.data.inputs, options, model.reference(), false));
  explain::PartialDependenceOptions po;
  for (const auto& name : f.features) po.features.push_back(FeatureIndex(model.reference(), name));
  po.grid_points = f.grid;
  po.ice = f.ice;
  po.raw_score = f.raw_score;
  po.threads = options.read.threads;
  const auto pd = Check(explain::ComputePartialDependence(model, ds, po));
  const size_t K = pd.outputs;
  const std::string what = f.raw_score ? "raw_score" : "prediction";
  std::string out;
  for (const auto& axis : pd.axes) out += CsvField(model.reference().feature_name(axis.feature)) + ",";
  for (size_t k = 0; k < K; ++k) out += (k ? "," : "") + (K > 1 ? CsvField(what + "_" + ClassName(model, k)) : what);
  if (f.ice)
    for (size_t r = 0; r < ds.num_rows(); ++r)
      for (size_t k = 0; k < K; ++k) out += ",row_" + std::to_string(r) + (K > 1 ? "_" + CsvField(ClassName(model, k)) : "");
  out += "\n";
  const size_t first = pd.axes[0].bins.size(), second = pd.axes.size() > 1 ? pd.axes[1].bins.size() : 1;
  for (size_t i = 0; i < first; ++i)
    for (size_t j = 0; j < second; ++j) {
      out += CsvField(pd.axes[0].labels[i]) + ",";
      if (pd.axes.size() > 1) out += CsvField(pd.axes[1].labels[j]) + ",";
      for (size_t k = 0; k < K; ++k) {
        if (k) out += ',';
        AppendNumber(&out, pd.average[(i * second + j) * K + k]);
      }
      if (f.ice)
        for (size_t r = 0; r < ds.num_rows(); ++r)
          for (size_t k = 0; k < K; ++k) {
            out += ',';
            AppendNumber(&out, pd.ice[(r * first + i) * K + k]);
          }
      out += '\n';
    }
  Check(WriteFileAtomically(f.output, out));
  if (!f.data.quiet) std::fprintf(stderr, "pdp: %zu grid points over %zu rows -> %s\n", first * second, ds.num_rows(), f.output.c_str());
}

}  // namespace

void RegisterExplain(CLI::App* app) {
  auto f = std::make_shared<ExplainFlags>();
  CLI::App* cmd = app->add_subcommand("explain", "SHAP values of a model's predictions (exact TreeSHAP; linear SHAP for linear models)");
  cmd->add_option("--model,-m", f->model, "Model file")->required();
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("--rows", f->rows, "Rows to explain, counted from 0 (default: all)")->delimiter(',');
  cmd->add_flag("--all", f->all, "Explain every row");
  cmd->add_option("-o,--output", f->output, "SHAP values CSV: per row (and class) one value per feature, then the expected value");
  cmd->add_option("--html", f->html, "Also write a self-contained HTML report");
  cmd->add_option("--class", f->output_class, "Multiclass models: the class the HTML report explains (0-based)");
  cmd->add_flag("--interactions", f->interactions, "SHAP interaction values: a (features + 1) square per row");
  cmd->add_flag("--json", f->json, "Print a JSON summary on stdout");
  AddStoreFlag(cmd, &f->store);
  cmd->callback([f] { RunExplain(*f); });

  auto i = std::make_shared<ImportanceFlags>();
  CLI::App* imp = app->add_subcommand("importance", "Global feature importance: splits, gain, mean |SHAP|, permutation");
  imp->add_option("--model,-m", i->model, "Model file")->required();
  AddIngestFlags(imp, &i->data, false, "--data");
  imp->add_flag("--permutation", i->permutation, "Permutation importance on --data (needs its labels)");
  imp->add_option("--metric", i->metric, "Metric for permutation importance (default: by objective)");
  imp->add_option("--repeats", i->repeats, "Shuffles per feature")->check(CLI::Range(1, 1000));
  imp->add_option("--seed", i->seed, "Seed of the shuffles");
  imp->add_flag("--json", i->json, "Print JSON");
  AddStoreFlag(imp, &i->store);
  imp->callback([i] { RunImportance(*i); });

  auto p = std::make_shared<PdpFlags>();
  CLI::App* pdp = app->add_subcommand("pdp", "Partial dependence (and ICE curves) of one or two features");
  pdp->add_option("--model,-m", p->model, "Model file")->required();
  AddIngestFlags(pdp, &p->data, false, "--data");
  pdp->add_option("--feature", p->features, "Feature name; twice for a two-way plot")->required()->expected(1, 2);
  pdp->add_option("--grid", p->grid, "Grid points per feature")->check(CLI::Range(2, 10000));
  pdp->add_flag("--ice", p->ice, "Also each row's curve (one feature only)");
  pdp->add_flag("--raw-score", p->raw_score, "Raw scores instead of probabilities");
  pdp->add_option("-o,--output", p->output, "Output CSV")->required();
  AddStoreFlag(pdp, &p->store);
  pdp->callback([p] { RunPdp(*p); });
}

}  // namespace tessera::cli
