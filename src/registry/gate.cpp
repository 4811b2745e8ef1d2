#include "tessera/registry/gate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tessera/explain/importance.h"
#include "tessera/metrics/metrics.h"

namespace tessera::registry {

namespace {

Result<double> Score(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds, const std::string& metric, int threads) {
  return metrics::Evaluate(metric, ds.labels(), model.Predict(ds, threads), static_cast<size_t>(model.num_outputs()),
                           ds.weights());
}

// Mean time of predicting one row at a time (what a request to a server costs), over up to 1000 rows.
double OneRowLatencyMicros(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds) {
  const size_t rows = std::min<size_t>(1000, ds.num_rows());
  std::vector<data::BinnedDataset> singles;
  for (size_t r = 0; r < rows; ++r) singles.push_back(data::SelectRows(ds, {r}));
  volatile double sink = 0;  // keeps the predictions from being optimised away
  const auto start = std::chrono::steady_clock::now();
  for (const auto& one : singles) sink = sink + model.PredictRaw(one, 1)[0];
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return seconds * 1e6 / static_cast<double>(rows);
}

}  // namespace

Result<GateResult> EvaluateGate(const models::gbdt::GbdtModel& candidate, const models::gbdt::GbdtModel& champion,
                                const std::vector<std::string>& inputs, const data::IngestOptions& read,
                                const GateOptions& options) {
  GateResult result;
  result.metric = options.metric.empty() ? explain::DefaultMetric(candidate.params().objective) : options.metric;
  const auto canonical = metrics::CanonicalMetricName(result.metric);
  if (!canonical) return Status::UserError("unknown metric '" + result.metric + "'");
  result.metric = *canonical;
  result.higher_is_better = metrics::HigherIsBetter(result.metric);
  // Each model reads the data with its own bins.
  TESSERA_ASSIGN_OR_RETURN(data::BinnedDataset cand_data, data::IngestWithReference(inputs, read, candidate.reference(), true));
  TESSERA_ASSIGN_OR_RETURN(data::BinnedDataset champ_data, data::IngestWithReference(inputs, read, champion.reference(), true));
  result.rows = cand_data.num_rows();
  if (result.rows == 0) return Status::UserError("the gate needs labelled rows to evaluate on");
  TESSERA_ASSIGN_OR_RETURN(result.candidate, Score(candidate, cand_data, result.metric, options.threads));
  TESSERA_ASSIGN_OR_RETURN(result.champion, Score(champion, champ_data, result.metric, options.threads));
  result.delta = result.higher_is_better ? result.candidate - result.champion : result.champion - result.candidate;
  if (!(result.delta >= options.min_delta)) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s: candidate %.6g vs champion %.6g, improvement %.6g below the required %.6g",
                  result.metric.c_str(), result.candidate, result.champion, result.delta, options.min_delta);
    result.reasons.push_back(buf);
  }
  if (options.max_latency_us) {
    result.latency_us = OneRowLatencyMicros(candidate, cand_data);
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
