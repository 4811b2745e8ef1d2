#include "tessera/report/model_report.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tessera/data/raw_rows.h"
#include "tessera/explain/importance.h"
#include "tessera/explain/tree_shap.h"

namespace tessera::report {

namespace {

std::string ScoreName(const models::gbdt::GbdtModel& model, size_t output) {
  const auto& classes = model.reference().label_classes();
  const std::string& objective = model.params().objective;
  auto class_name = [&](size_t k) { return k < classes.size() ? classes[k] : std::to_string(k); };
  if (objective == "binary") return "log-odds of '" + class_name(1) + "'";
  if (objective == "multiclass") return "score (log-odds scale) of class '" + class_name(output) + "'";
  if (objective == "poisson") return "log of the predicted count";
  const auto& schema = model.reference().schema();
  const int label = schema.FindRole(data::ColumnRole::kLabel);
  return "predicted " + (label >= 0 ? schema.column(static_cast<size_t>(label)).name : std::string("value"));
}

}  // namespace

Result<ExplainReport> MakeModelExplainReport(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds,
                                             const std::vector<std::string>& inputs, const data::IngestOptions& read,
                                             const ModelReportOptions& options) {
  const size_t n = ds.num_rows(), F = ds.num_features(), K = static_cast<size_t>(model.num_outputs());
  if (n == 0) return Status::UserError("the report needs at least one row of data");
  if (options.output >= K) return Status::UserError("the model has " + std::to_string(K) + " outputs");
  for (size_t r : options.waterfall_rows)
    if (r >= n)
      return Status::UserError("row " + std::to_string(r) + " is past the data's " + std::to_string(n) + " rows (rows count from 0)");
  // The sample, then the waterfall rows not already in it.
  const size_t sample = std::min(n, std::max<size_t>(1, options.sample_rows));
  std::vector<size_t> rows;
  for (size_t i = 0; i < sample; ++i) rows.push_back(i * n / sample);
  std::vector<size_t> waterfall_at;
  for (size_t r : options.waterfall_rows) {
    auto it = std::find(rows.begin(), rows.end(), r);
    waterfall_at.push_back(static_cast<size_t>(it - rows.begin()));
    if (it == rows.end()) rows.push_back(r);
  }
  const data::BinnedDataset selected = data::SelectRows(ds, rows);
  const std::vector<double> shap = explain::ShapValues(model, selected, options.threads);
  std::vector<std::string> names;
  for (size_t f = 0; f < F; ++f) names.push_back(ds.feature_name(f));
  TESSERA_ASSIGN_OR_RETURN(data::RawRows raw, data::ReadRawRows(inputs, read, names, rows));

  ExplainReport report;
  report.title = options.title;
  report.score_name = ScoreName(model, options.output);
  report.feature_names = names;
  report.expected_value = explain::ExpectedValues(model)[options.output];
  report.rows = sample;
  const size_t W = F + 1;
  for (size_t i = 0; i < sample; ++i)
    for (size_t f = 0; f < F; ++f) {
      report.shap.push_back(shap[(i * K + options.output) * W + f]);
      const bool categorical = ds.mappers()[f].kind() == data::BinMapper::Kind::kCategorical;
      report.feature_values.push_back(categorical ? std::nan("") : raw.numbers[i * F + f]);
      report.feature_text.push_back(raw.text[i * F + f]);
    }
  report.gain_importance = explain::ComputeTreeImportance(model).total_gain;
  for (size_t w = 0; w < options.waterfall_rows.size(); ++w) {
    const size_t i = waterfall_at[w];
    WaterfallRow row;
    row.row_index = options.waterfall_rows[w];
    const double* v = &shap[(i * K + options.output) * W];
    row.shap.assign(v, v + F);
    row.values.assign(raw.text.begin() + static_cast<long>(i * F), raw.text.begin() + static_cast<long>((i + 1) * F));
    row.prediction = v[F];
    for (size_t f = 0; f < F; ++f) row.prediction += v[f];
    report.waterfalls.push_back(std::move(row));
  }
  return report;
}

}  // namespace tessera::report
