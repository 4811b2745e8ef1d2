// A small, deterministic explanation report for tests: a made-up clinic table where the SHAP
// values follow simple rules (older -> higher risk, smoker -> higher, missing cholesterol), with
// a numeric, a text-only (categorical) and a partly missing feature, optional awkward names.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tessera/report/explain_report.h"

namespace tessera::testing {

inline tessera::report::ExplainReport MakeClinicReport(size_t rows, size_t noise_features = 3,
                                                       bool awkward_names = false) {
  tessera::report::ExplainReport r;
  r.title = "Heart risk model: why it predicts what it does";
  r.score_name = "log-odds of 'heart disease'";
  r.feature_names = {"age", "smoker", "cholesterol", "bmi"};
  if (awkward_names) {
    r.feature_names[3] = "bmi \"body\" <mass> & index </script><script>alert(1)</script>";
    r.feature_names.push_back("a.b[0]");  // a dotted name would be a nested field in Vega-Lite
  }
  for (size_t i = 0; i < noise_features; ++i)
    r.feature_names.push_back("noise_" + std::to_string(i + 1));
  const size_t f = r.feature_names.size();
  r.expected_value = -0.4;
  r.rows = rows;
  r.shap.resize(rows * f);
  r.feature_values.resize(rows * f);
  r.feature_text.resize(rows * f);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  uint64_t state = 12345;
  auto uniform = [&state] {  // a fixed LCG: same numbers on every machine
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (size_t row = 0; row < rows; ++row) {
    double* shap = &r.shap[row * f];
    double* value = &r.feature_values[row * f];
    std::string* text = &r.feature_text[row * f];
    const double age = std::round(25 + 60 * uniform());
    value[0] = age;
    shap[0] = 0.05 * (age - 55);
    const bool smoker = uniform() < 0.3;
    value[1] = nan;  // text only: a categorical feature
    text[1] = smoker ? "yes" : "no";
    shap[1] = smoker ? 0.6 : -0.25;
    if (uniform() < 0.1) {
      value[2] = nan;
      shap[2] = 0.05;
    } else {
      value[2] = std::round(150 + 120 * uniform());
      shap[2] = 0.004 * (value[2] - 210);
    }
    value[3] = std::round(180 + 200 * uniform()) / 10;
    shap[3] = 0.03 * (value[3] - 27);
    for (size_t j = 4; j < f; ++j) {
      value[j] = std::round(1000 * uniform()) / 1000;
      shap[j] = 0.02 * (uniform() - 0.5);
    }
    for (size_t j = 0; j < f; ++j) {
      if (j != 1) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", value[j]);
        text[j] = std::isnan(value[j]) ? "" : buffer;
      }
    }
  }
  r.gain_importance.assign(f, 1.0);
  r.gain_importance[0] = 120;
  r.gain_importance[1] = 60;
  r.gain_importance[2] = 30;
  r.gain_importance[3] = 20;
  for (size_t row : {size_t{0}, rows / 2}) {
    if (row >= rows) continue;
    tessera::report::WaterfallRow w;
    w.row_index = row;
    w.shap.assign(r.shap.begin() + row * f, r.shap.begin() + (row + 1) * f);
    w.values.assign(r.feature_text.begin() + row * f, r.feature_text.begin() + (row + 1) * f);
    w.prediction = r.expected_value;
    for (double v : w.shap) w.prediction += v;
    r.waterfalls.push_back(std::move(w));
  }
  r.top_features = 4;
  return r;
}

}  // namespace tessera::testing
