// ExplainReport: a self-contained HTML page that explains a model's predictions with SHAP values,
// for readers who are not data scientists. One file that opens offline (file://) in any modern
// browser, with the charting libraries (Vega, Vega-Lite, vega-embed) inlined:
//   1. global importance: mean |SHAP| per feature, sorted bars (and total split gain if given);
//   2. summary (beeswarm): one dot per row and feature, x = SHAP value, colour = feature value;
//   3. dependence plots for the top features: x = feature value, y = SHAP value;
//   4. a waterfall per requested row, from the average prediction to this row's, "age = 63".
// This module draws; it does not compute SHAP values (see src/explain/).
// Thread-safety: WriteExplainReport only reads `report`; concurrent calls on different paths are
// safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::report {

// One row explained in detail by a waterfall chart.
// clang-format off
struct WaterfallRow {
  size_t row_index = 0;                 // row number in the input data (0-based)
  std::vector<double> shap;             // one per feature
  std::vector<std::string> values;      // the row's feature values as text ("" = missing)
  double prediction = 0;                // raw score = expected_value + sum(shap)
};

struct ExplainReport {
  std::string title;                    // e.g. "churn model: why it predicts what it does"
  std::string score_name;               // what SHAP values are in, e.g. "log-odds of 'malignant'"
  std::vector<std::string> feature_names;
  double expected_value = 0;            // mean raw score (the base of every waterfall)
  size_t rows = 0;                      // rows in the SHAP sample below
  std::vector<double> shap;             // rows x features, row-major
  std::vector<double> feature_values;   // rows x features: numeric value, NaN when missing or not numeric
  std::vector<std::string> feature_text;// rows x features: value as text (for tooltips; may be empty)
  std::vector<double> gain_importance;  // per feature (total split gain), may be empty
  std::vector<WaterfallRow> waterfalls;
  size_t top_features = 8;              // dependence plots for this many features (by mean |SHAP|)

  // Added fields (keep the file small and the charts readable):
  size_t summary_features = 15;         // features in the importance and beeswarm charts
  size_t max_plot_rows = 2000;          // rows drawn as dots: an evenly spaced sample (0 = all)
  size_t waterfall_features = 10;       // bars per waterfall before "other N features"
};
// clang-format on

// Writes the report as one HTML file at `path`, atomically (temp file, fsync, rename), so a
// reader never sees a half-written page. The same `report` always gives the same bytes.
// Preconditions, checked (a user error names the field and the sizes): at least one feature;
// shap and feature_values hold rows x features values; feature_text is empty or rows x features;
// gain_importance is empty or one per feature; each waterfall has one SHAP value per feature and
// values empty or one per feature. NaN/infinite numbers are allowed and shown as missing.
// An unwritable path comes back as an error naming the path.
Status WriteExplainReport(const ExplainReport& report, const std::string& path);

}  // namespace tessera::report
