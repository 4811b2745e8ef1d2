#include "tessera/serve/drift_report.h"

#include <algorithm>
#include <cmath>

#include "tessera/metrics/drift_tests.h"
#include "tessera/metrics/metrics.h"
#include "tessera/report/html.h"

namespace tessera::serve {

namespace {

constexpr size_t kScoreGroups = 10;

// Per-bin counts of score values over the edges (the reference's deciles): bin 0 unused (no
// missing scores) so the counts read like a feature's for KolmogorovSmirnov.
std::vector<uint64_t> ScoreCounts(const std::vector<double>& scores, const std::vector<double>& edges) {
  std::vector<uint64_t> counts(edges.size() + 2, 0);
  for (double s : scores) counts[1 + static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), s) - edges.begin())]++;
  return counts;
}

// The first output's scores (binary, regression) or the predicted class (multiclass).
std::vector<double> ScoresForDrift(const models::Model& model, const std::vector<double>& p) {
  const size_t k = static_cast<size_t>(model.num_outputs());
  if (k == 1) return p;
  std::vector<double> classes(p.size() / k);
  for (size_t r = 0; r < classes.size(); ++r)
    classes[r] = static_cast<double>(std::max_element(p.begin() + static_cast<std::ptrdiff_t>(r * k),
                                                      p.begin() + static_cast<std::ptrdiff_t>((r + 1) * k)) -
                                     (p.begin() + static_cast<std::ptrdiff_t>(r * k)));
  return classes;
}

}  // namespace

std::string DriftVerdict(double psi, double p_value) {
  if (psi >= 0.25) return "drift";
  if (psi >= 0.1 || p_value < 0.01) return "warn";
  return "stable";
}

Result<DriftReport> BuildDriftReport(const models::Model& model, const data::BinnedDataset& actual,
                                     const std::vector<double>& actual_predictions, const data::BinnedDataset* reference,
                                     const std::vector<double>* reference_predictions) {
  const size_t outputs = static_cast<size_t>(model.num_outputs());
  if (actual_predictions.size() != actual.num_rows() * outputs ||
      (reference && (!reference_predictions || reference_predictions->size() != reference->num_rows() * outputs)))
    return Status::Internal("drift report: predictions do not match the rows");
  const auto& ref_counts = model.reference_counts();
  if (ref_counts.size() != model.reference().num_features())
    return Status::UserError("the model has no training distribution (reference bin counts) to compare with; "
                             "imported models do not: retrain it with tessera");
  DriftReport report;
  report.rows = actual.num_rows();
  const auto actual_counts = data::BinCounts(actual);
  for (size_t f = 0; f < ref_counts.size(); ++f) {
    FeatureDrift d;
    d.feature = model.reference().feature_name(f);
    d.categorical = model.reference().mappers()[f].kind() == data::BinMapper::Kind::kCategorical;
    const auto& ref = ref_counts[f];
    const auto& act = actual_counts[f];
    uint64_t ref_total = 0;
    for (uint64_t c : ref) ref_total += c;
    report.reference_rows = std::max<size_t>(report.reference_rows, ref_total);
    d.psi = metrics::GroupedPsi(ref, act);
    const metrics::TestResult t = d.categorical ? metrics::ChiSquare(ref, act) : metrics::KolmogorovSmirnov(ref, act);
    d.test = d.categorical ? "chi2" : "ks";
    d.statistic = t.statistic, d.p_value = t.p_value;
    d.missing_reference = ref_total ? static_cast<double>(ref[0]) / static_cast<double>(ref_total) : 0;
    d.missing_actual = report.rows ? static_cast<double>(act[0]) / static_cast<double>(report.rows) : 0;
    d.verdict = DriftVerdict(d.psi, d.p_value);
    report.features.push_back(d);
  }

  if (reference != nullptr && reference->num_rows() > 0 && actual.num_rows() > 0) {
    const std::vector<double> ref_scores = ScoresForDrift(model, *reference_predictions);
    const std::vector<double> act_scores = ScoresForDrift(model, actual_predictions);
    PredictionDrift p;
    if (model.num_outputs() == 1) {
      std::vector<double> sorted = ref_scores;
      std::sort(sorted.begin(), sorted.end());
      std::vector<double> edges;
      for (size_t g = 1; g < kScoreGroups; ++g) {
        const double e = sorted[g * sorted.size() / kScoreGroups];
        if (edges.empty() || e > edges.back()) edges.push_back(e);
      }
      const auto rc = ScoreCounts(ref_scores, edges), ac = ScoreCounts(act_scores, edges);
      p.psi = metrics::Psi(rc, ac);
      const auto t = metrics::KolmogorovSmirnov(rc, ac);
      p.test = "ks", p.statistic = t.statistic, p.p_value = t.p_value;
    } else {
      std::vector<uint64_t> rc(static_cast<size_t>(model.num_outputs()), 0), ac = rc;
      for (double c : ref_scores) rc[static_cast<size_t>(c)]++;
      for (double c : act_scores) ac[static_cast<size_t>(c)]++;
      p.psi = metrics::Psi(rc, ac);
      const auto t = metrics::ChiSquare(rc, ac);
      p.test = "chi2", p.statistic = t.statistic, p.p_value = t.p_value;
    }
    p.verdict = DriftVerdict(p.psi, p.p_value);
    report.prediction = p;
  }

  if (actual.has_labels() && actual.num_rows() > 0) {
    const std::string& objective = model.objective();
    std::vector<std::string> names = objective == "binary"       ? std::vector<std::string>{"auc", "logloss"}
                                     : objective == "multiclass" ? std::vector<std::string>{"multi_logloss", "multi_error"}
                                                                 : std::vector<std::string>{"rmse", "mae"};
    const std::vector<double>& preds = actual_predictions;
    const auto info = model.training_info();
    for (const auto& name : names) {
      PerformanceDrift perf;
      perf.metric = name;
      TESSERA_ASSIGN_OR_RETURN(perf.actual, metrics::Evaluate(name, actual.labels(), preds,
                                                              static_cast<size_t>(model.num_outputs()), actual.weights()));
      if (info.contains("valid_metrics"))
        for (const auto& [key, value] : info["valid_metrics"].items())
          if (key.size() > name.size() && key.ends_with(" " + name) && value.is_number()) {
            perf.training = value.get<double>();
            break;
          }
      report.performance.push_back(perf);
    }
  }
  return report;
}

std::string DriftReportHtml(const DriftReport& report, const std::string& title) {
  using report::FormatNumber;
  using report::HtmlEscape;
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
      "</title>\n<style>body{font:14px/1.4 sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
      "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}"
      ".drift{background:#f8d0d0}.warn{background:#fbecc0}.stable{background:#e2f2e2}</style></head><body>\n<h1>" +
      HtmlEscape(title) + "</h1>\n<p>" + std::to_string(report.rows) + " new rows against " +
      std::to_string(report.reference_rows) +
      " training rows. Verdicts: drift when PSI &ge; 0.25; warn when PSI &ge; 0.1 or the test rejects at 1%.</p>\n";
  html += "<h2>Features</h2>\n<table><tr><th>feature</th><th>type</th><th>PSI</th><th>test</th><th>statistic</th>"
          "<th>p-value</th><th>missing (train)</th><th>missing (new)</th><th>verdict</th></tr>\n";
  for (const auto& f : report.features)
    html += "<tr class=\"" + f.verdict + "\"><td>" + HtmlEscape(f.feature) + "</td><td>" +
            (f.categorical ? "categorical" : "numeric") + "</td><td>" + FormatNumber(f.psi) + "</td><td>" + f.test +
            "</td><td>" + FormatNumber(f.statistic) + "</td><td>" + FormatNumber(f.p_value, 3) + "</td><td>" +
            FormatNumber(100 * f.missing_reference, 3) + "%</td><td>" + FormatNumber(100 * f.missing_actual, 3) +
            "%</td><td>" + f.verdict + "</td></tr>\n";
  html += "</table>\n";
  if (report.prediction) {
    const auto& p = *report.prediction;
    html += "<h2>Predictions</h2>\n<table><tr><th>PSI</th><th>test</th><th>statistic</th><th>p-value</th><th>verdict</th></tr>"
            "<tr class=\"" + p.verdict + "\"><td>" + FormatNumber(p.psi) + "</td><td>" + p.test + "</td><td>" +
            FormatNumber(p.statistic) + "</td><td>" + FormatNumber(p.p_value, 3) + "</td><td>" + p.verdict +
            "</td></tr></table>\n";
  }
  if (!report.performance.empty()) {
    html += "<h2>Performance</h2>\n<table><tr><th>metric</th><th>at training (validation)</th><th>new rows</th></tr>\n";
    for (const auto& m : report.performance)
      html += "<tr><td>" + m.metric + "</td><td>" + (m.training ? FormatNumber(*m.training) : "not recorded") +
              "</td><td>" + FormatNumber(m.actual) + "</td></tr>\n";
    html += "</table>\n";
  }
  return html + "</body></html>\n";
}

}  // namespace tessera::serve
