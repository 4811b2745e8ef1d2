// Internal to src/report: the numbers and Vega-Lite specs behind the explanation report's
// charts; explain_report.cpp lays out the page around them. Pure functions of their inputs,
// deterministic, safe from any thread. Inputs are reports whose sizes were checked.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/report/explain_report.h"

namespace tessera::report::detail {

// Everything computed once from the SHAP sample.
struct Summary {
  std::vector<std::string> names;  // display names
  std::vector<double> mean_abs;    // mean |SHAP| per feature over all rows
  std::vector<size_t> order;       // features by mean |SHAP|, largest first
  std::vector<size_t> rank;        // position of each feature in `order`
  std::vector<size_t> sample;      // rows drawn as dots
  size_t summary_count = 0;        // features in the importance and beeswarm charts
  size_t dependence_count = 0;     // features with a dependence plot
};

// Display names, the ranking by mean |SHAP| and the dot sample.
Summary Summarise(const ExplainReport& r);

// The dot data of the max(summary_count, dependence_count) most important features: one object
// per feature with parallel arrays (see the definition), "numeric": any value is a number.
nlohmann::json PointData(const ExplainReport& r, const Summary& s);

// One Vega-Lite spec per chart. The dot charts read the dataset named "points" (PointData).
nlohmann::json ImportanceSpec(const ExplainReport& r, const Summary& s);
// `points`: PointData(r, s), to leave out the colour layers that would have no dots.
nlohmann::json SummarySpec(const ExplainReport& r, const Summary& s, const nlohmann::json& points);
// `numeric`: dots against the numbers, else against the text values (`categories` distinct).
nlohmann::json DependenceSpec(const ExplainReport& r, const Summary& s, size_t f, bool numeric,
                              size_t categories);

// One waterfall: bars chained from the average prediction (bottom) to this row's prediction
// (top), the largest effects at the top and the smallest grouped as "other N features".
struct Waterfall {
  nlohmann::json spec;
  double end = 0;                 // expected_value + sum of the finite SHAP values
  std::vector<size_t> by_effect;  // features by |SHAP|, largest first
};

Waterfall BuildWaterfall(const ExplainReport& r, const Summary& s, const WaterfallRow& row);

// "+0.42", "-0.13", "n/a" for a non-finite value.
std::string Signed(double v);
// What SHAP values are measured in, for axis titles and sentences ("model score" if unsaid).
std::string ScoreName(const ExplainReport& r);

}  // namespace tessera::report::detail
