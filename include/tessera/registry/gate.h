// The promotion gate: should a candidate model replace the champion? Both are evaluated on the
// same labelled data; the candidate passes when its metric is at least `min_delta` better, and,
// when asked, when its prediction latency and the data's drift from its training distribution
// stay under limits. A CI job runs it and fails on a worse model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/ingest.h"
#include "tessera/models/model.h"

namespace tessera::registry {

struct GateOptions {
  std::string metric;                    // empty: the candidate objective's default
  double min_delta = 0;                  // required improvement (in the metric's better direction)
  std::optional<double> max_latency_us;  // candidate's mean latency of one-row predictions
  std::optional<double> max_drift_psi;   // largest PSI of a feature (deciles): data vs candidate's training
  int threads = 0;
};

struct GateResult {
  bool pass = false;
  std::vector<std::string> reasons;  // why it failed (empty when it passed)
  std::string metric;
  double candidate = 0, champion = 0, delta = 0;  // delta > 0: the candidate is better
  bool higher_is_better = true;
  double latency_us = 0;  // measured when asked
  double max_psi = 0;     // measured when asked
  std::string drift_feature;
  size_t rows = 0;
};

Result<GateResult> EvaluateGate(const models::Model& candidate, const models::Model& champion,
                                const std::vector<std::string>& inputs, const data::IngestOptions& read,
                                const GateOptions& options);

}  // namespace tessera::registry
