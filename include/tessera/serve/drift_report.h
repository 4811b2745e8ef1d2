// `tessera monitor`'s batch drift report: how a batch of new rows differs from the training data
// the model remembers (its reference bin counts), feature by feature — PSI (ten equal-share
// groups, as `tessera gate` and the server's gauges), Kolmogorov–Smirnov for numeric features,
// chi-square for categorical ones — plus prediction drift against reference rows when given,
// and performance against the training-time validation metrics when the batch has labels.
//
// Verdicts: "drift" when PSI >= 0.25; "warn" when PSI >= 0.1 or the test rejects at the 1% level;
// else "stable". With many rows a test rejects for differences too small to matter, which is why
// PSI decides "drift".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/models/model.h"

namespace tessera::serve {

struct FeatureDrift {
  std::string feature;
  bool categorical = false;
  double psi = 0;
  std::string test;  // "ks" or "chi2"
  double statistic = 0, p_value = 1;
  double missing_reference = 0, missing_actual = 0;  // fraction of rows missing
  std::string verdict;
};

struct PredictionDrift {
  double psi = 0;
  std::string test;
  double statistic = 0, p_value = 1;
  std::string verdict;
};

struct PerformanceDrift {
  std::string metric;
  std::optional<double> training;  // the model's validation value at training time, if recorded
  double actual = 0;
};

struct DriftReport {
  size_t rows = 0, reference_rows = 0;
  std::vector<FeatureDrift> features;  // in the model's feature order
  std::optional<PredictionDrift> prediction;
  std::vector<PerformanceDrift> performance;
};

std::string DriftVerdict(double psi, double p_value);

// `actual`: the new rows read with the model's bins (labels used when present), with the model's
// predictions for them (rows x outputs, as Model::PredictTable gives them). `reference`:
// optional rows of the training period and their predictions, for prediction drift. Any model
// family. Refuses a model without reference counts (an imported model).
Result<DriftReport> BuildDriftReport(const models::Model& model, const data::BinnedDataset& actual,
                                     const std::vector<double>& actual_predictions, const data::BinnedDataset* reference = nullptr,
                                     const std::vector<double>* reference_predictions = nullptr);

// A self-contained HTML page of the report (no script, no network).
std::string DriftReportHtml(const DriftReport& report, const std::string& title);

}  // namespace tessera::serve
