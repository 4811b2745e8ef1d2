// Builds the explanation report of a model on a data set: SHAP values of an evenly spaced sample
// of rows (for the importance, beeswarm and dependence charts) and of the rows asked for
// (waterfalls), with the rows' raw values read again from the files so that people see "age =
// 63", not a bin.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/report/explain_report.h"

namespace tessera::report {

struct ModelReportOptions {
  std::string title;
  size_t sample_rows = 2000;          // rows in the summary charts (evenly spaced over the data)
  std::vector<size_t> waterfall_rows; // rows explained one by one (0-based)
  size_t output = 0;                  // the class explained, for multiclass models
  int threads = 0;
};

// `ds` is `inputs` read with the model's bins; `read` is how they were read.
Result<ExplainReport> MakeModelExplainReport(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds,
                                             const std::vector<std::string>& inputs, const data::IngestOptions& read,
                                             const ModelReportOptions& options);

}  // namespace tessera::report
