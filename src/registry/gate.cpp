#include "tessera/registry/gate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tessera/data/coded_rows.h"
#include "tessera/explain/importance.h"
#include "tessera/metrics/metrics.h"

namespace tessera::registry {

namespace {

Result<double> Score(const models::Model& model, const models::Model::TablePredictions& t, const std::string& metric) {
  return metrics::Evaluate(metric, t.data.labels(), t.scores, static_cast<size_t>(model.num_outputs()), t.data.weights());
}

// Mean time of predicting one row at a time (what a request to a server costs), over up to 1000 rows.
Result<double> OneRowLatencyMicros(const models::Model& model, const data::BinnedDataset& ds,
                                   const std::vector<std::string>& inputs, const data::IngestOptions& read) {
  size_t rows = std::min<size_t>(1000, ds.num_rows());
  data::CodedRows coded;
  if (model.ReadsValues()) {
    TESSERA_ASSIGN_OR_RETURN(coded, data::ReadCodedRows(inputs, read, model.reference()));
    rows = std::min(rows, coded.rows);
  }
  std::vector<data::BinnedDataset> bins(rows);
  std::vector<data::CodedRows> values(rows);
  for (size_t r = 0; r < rows; ++r) {
    if (model.ReadsBins()) bins[r] = data::SelectRows(ds, {r});
    if (model.ReadsValues()) values[r] = data::SelectCodedRows(coded, {r});
  }
  volatile double sink = 0;  // keeps the predictions from being optimised away
  const auto start = std::chrono::steady_clock::now();
  for (size_t r = 0; r < rows; ++r) sink = sink + model.PredictRaw(bins[r], values[r], 1)[0];
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return seconds * 1e6 / static_cast<double>(std::max<size_t>(1, rows));
}

}  // namespace

Result<GateResult> EvaluateGate(const models::Model& candidate, const models::Model& champion,
                                const std::vector<std::string>& inputs, const data::IngestOptions& read,
                                const GateOptions& options) {
  GateResult result;
  result.metric = options.metric.empty() ? explain::DefaultMetric(candidate.objective()) : options.metric;
  const auto canonical = metrics::CanonicalMetricName(result.metric);
  if (!canonical) return Status::UserError("unknown metric '" + result.metric + "'");
  result.metric = *canonical;
  result.higher_is_better = metrics::HigherIsBetter(result.metric);
  // Each model reads the data with its own bins (and pipeline), whatever its family.
  data::IngestOptions with_threads = read;
  with_threads.read.threads = options.threads;
  TESSERA_ASSIGN_OR_RETURN(auto cand, candidate.PredictTable(inputs, with_threads, true));
  TESSERA_ASSIGN_OR_RETURN(auto champ, champion.PredictTable(inputs, with_threads, true));
  const data::BinnedDataset& cand_data = cand.data;
  result.rows = cand_data.num_rows();
  if (result.rows == 0) return Status::UserError("the gate needs labelled rows to evaluate on");
  TESSERA_ASSIGN_OR_RETURN(result.candidate, Score(candidate, cand, result.metric));
  TESSERA_ASSIGN_OR_RETURN(result.champion, Score(champion, champ, result.metric));
  result.delta = result.higher_is_better ? result.candidate - result.champion : result.champion - result.candidate;
  if (!(result.delta >= options.min_delta)) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s: candidate %.6g vs champion %.6g, improvement %.6g below the required %.6g",
                  result.metric.c_str(), result.candidate, result.champion, result.delta, options.min_delta);
    result.reasons.push_back(buf);
  }
  if (options.max_latency_us) {
    TESSERA_ASSIGN_OR_RETURN(result.latency_us, OneRowLatencyMicros(candidate, cand_data, inputs, read));
    if (result.latency_us > *options.max_latency_us)
      result.reasons.push_back("latency " + std::to_string(result.latency_us) + " us per row above the limit of " +
                               std::to_string(*options.max_latency_us));
  }
  if (options.max_drift_psi) {
    const auto& reference = candidate.reference_counts();
    if (reference.empty())
      return Status::UserError("--max-drift-psi: the candidate model has no training distribution (imported models have none)");
    const auto actual = data::BinCounts(cand_data);
    for (size_t f = 0; f < actual.size(); ++f) {
      const double psi = metrics::GroupedPsi(reference[f], actual[f]);
      if (psi > result.max_psi) result.max_psi = psi, result.drift_feature = cand_data.feature_name(f);
    }
    if (result.max_psi > *options.max_drift_psi)
      result.reasons.push_back("drift: feature '" + result.drift_feature + "' has PSI " + std::to_string(result.max_psi) +
                               " above the limit of " + std::to_string(*options.max_drift_psi));
  }
  result.pass = result.reasons.empty();
  return result;
}

}  // namespace tessera::registry
