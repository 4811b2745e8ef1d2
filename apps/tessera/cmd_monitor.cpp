// tessera monitor: a batch drift report of new data against a model's training distribution
// (serve/drift_report.h) as a table, JSON or an HTML page; exit 4 with --fail-on-drift.
#include <cstdio>
#include <memory>
#include <optional>

#include "cli_common.h"
#include "commands.h"
#include "tessera/core/atomic_file.h"
#include "tessera/report/html.h"
#include "tessera/serve/drift_report.h"

namespace tessera::cli {

namespace {

struct MonitorFlags {
  IngestFlags data;
  std::string model, store, reference, html;
  bool json = false, fail_on_drift = false;
};

nlohmann::json ReportJson(const serve::DriftReport& r) {
  nlohmann::json features = nlohmann::json::array();
  for (const auto& f : r.features)
    features.push_back({{"feature", f.feature},
                        {"type", f.categorical ? "categorical" : "numeric"},
                        {"psi", f.psi},
                        {"test", f.test},
                        {"statistic", f.statistic},
                        {"p_value", f.p_value},
                        {"missing_reference", f.missing_reference},
                        {"missing_actual", f.missing_actual},
                        {"verdict", f.verdict}});
  nlohmann::json j = {{"rows", r.rows}, {"reference_rows", r.reference_rows}, {"features", features}};
  if (r.prediction)
    j["prediction"] = {{"psi", r.prediction->psi},         {"test", r.prediction->test},
                       {"statistic", r.prediction->statistic}, {"p_value", r.prediction->p_value},
                       {"verdict", r.prediction->verdict}};
  for (const auto& m : r.performance) {
    nlohmann::json pm = {{"metric", m.metric}, {"actual", m.actual}};
    pm["training"] = m.training ? nlohmann::json(*m.training) : nlohmann::json(nullptr);
    j["performance"].push_back(pm);
  }
  return j;
}

void RunMonitor(const MonitorFlags& f) {
  const models::Model model = LoadAnyModelArg(f.model, f.store);
  data::IngestOptions options = f.data.Resolve();
  // Labels are read when the data has them (performance drift).
  auto actual = Check(model.PredictTable(f.data.inputs, options, false));
  std::optional<models::Model::TablePredictions> reference;
  if (!f.reference.empty()) reference = Check(model.PredictTable({f.reference}, options, false));
  auto report = Check(serve::BuildDriftReport(model, actual.data, actual.scores, reference ? &reference->data : nullptr,
                                              reference ? &reference->scores : nullptr));
  if (!f.html.empty()) Check(WriteFileAtomically(f.html, serve::DriftReportHtml(report, "Drift: " + f.model)));
  size_t drifting = 0;
  for (const auto& d : report.features) drifting += d.verdict == "drift";
  if (report.prediction && report.prediction->verdict == "drift") ++drifting;
  if (f.json) {
    std::printf("%s\n", ReportJson(report).dump(2).c_str());
  } else {
    std::printf("monitor: %zu new rows against %zu training rows\n", report.rows, report.reference_rows);
    std::printf("%-24s %-11s %8s %5s %10s %10s %8s\n", "feature", "type", "psi", "test", "statistic", "p_value", "verdict");
    for (const auto& d : report.features)
      std::printf("%-24s %-11s %8.4f %5s %10.4g %10.3g %8s\n", d.feature.c_str(), d.categorical ? "categorical" : "numeric",
                  d.psi, d.test.c_str(), d.statistic, d.p_value, d.verdict.c_str());
    if (report.prediction)
      std::printf("%-24s %-11s %8.4f %5s %10.4g %10.3g %8s\n", "(predictions)", "", report.prediction->psi,
                  report.prediction->test.c_str(), report.prediction->statistic, report.prediction->p_value,
                  report.prediction->verdict.c_str());
    for (const auto& m : report.performance)
      std::printf("performance %s: %.6g now, %s at training\n", m.metric.c_str(), m.actual,
                  m.training ? report::FormatNumber(*m.training, 6).c_str() : "not recorded");
    if (!f.html.empty()) std::printf("report written to %s\n", f.html.c_str());
  }
  if (f.fail_on_drift && drifting > 0) throw ExitRequest{4};
}

}  // namespace

void RegisterMonitor(CLI::App* app) {
  auto f = std::make_shared<MonitorFlags>();
  CLI::App* cmd = app->add_subcommand("monitor", "Drift of new data against a model's training distribution (any family)");
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("--model,-m", f->model, "Model file or models:/name@alias")->required();
  cmd->add_option("--store", f->store, "Registry store for models:/ references");
  cmd->add_option("--reference", f->reference, "Rows of the training period, for prediction drift");
  cmd->add_option("--html", f->html, "Write the report as an HTML page");
  cmd->add_flag("--json", f->json, "Print the report as JSON");
  cmd->add_flag("--fail-on-drift", f->fail_on_drift, "Exit 4 when a feature or the predictions drift");
  cmd->callback([f] { RunMonitor(*f); });
}

}  // namespace tessera::cli
