// WriteExplainReport: checks the sizes, has explain_charts.cpp summarise the SHAP sample and
// build one Vega-Lite spec per chart, and writes a single HTML page with the libraries and the
// data inlined.
//
// Page layout: readable text (title, one explanatory sentence per chart, tables) is plain HTML;
// each chart is a <div class="chart" id="chart-..."> that a small inline script fills with
// vegaEmbed(). The per-row dot data is stored once (report.points) and copied into the charts
// that use it, so the beeswarm and the dependence plots do not repeat it in the file.
#include "tessera/report/explain_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "tessera/core/atomic_file.h"
#include "tessera/report/html.h"
#include "tessera/report/vega_bundle.h"

#include "explain_charts.h"

namespace tessera::report {

namespace {

using detail::BuildWaterfall;
using detail::DependenceSpec;
using detail::ImportanceSpec;
using detail::PointData;
using detail::ScoreName;
using detail::Signed;
using detail::Summarise;
using detail::Summary;
using detail::SummarySpec;
using detail::Waterfall;
using nlohmann::json;

constexpr size_t kMaxTableRows = 50;  // rows of the per-row value table

std::string SizeMismatch(const std::string& field, size_t got, size_t want,
                         const std::string& want_text) {
  return "explanation report: " + field + " has " + std::to_string(got) + " values, expected " +
         want_text + " = " + std::to_string(want);
}

Status CheckReport(const ExplainReport& r) {
  const size_t features = r.feature_names.size();
  if (features == 0)
    return Status::UserError("explanation report: no features (feature_names is empty)");
  if (r.rows > std::numeric_limits<size_t>::max() / features) {
    return Status::UserError("explanation report: rows x features overflows (" +
                             std::to_string(r.rows) + " rows)");
  }
  const size_t cells = r.rows * features;
  const std::string cells_text =
      "rows x features (" + std::to_string(r.rows) + " x " + std::to_string(features) + ")";
  if (r.shap.size() != cells) {
    return Status::UserError(SizeMismatch("shap", r.shap.size(), cells, cells_text));
  }
  if (r.feature_values.size() != cells) {
    return Status::UserError(
        SizeMismatch("feature_values", r.feature_values.size(), cells, cells_text));
  }
  if (!r.feature_text.empty() && r.feature_text.size() != cells) {
    return Status::UserError(
        SizeMismatch("feature_text", r.feature_text.size(), cells, cells_text + " (or empty)"));
  }
  if (!r.gain_importance.empty() && r.gain_importance.size() != features) {
    return Status::UserError(SizeMismatch("gain_importance", r.gain_importance.size(), features,
                                          "one per feature (or empty)"));
  }
  if (!std::isfinite(r.expected_value)) {
    return Status::UserError("explanation report: expected_value is " +
                             FormatNumber(r.expected_value) + ", it must be a finite number");
  }
  for (size_t w = 0; w < r.waterfalls.size(); ++w) {
    const WaterfallRow& row = r.waterfalls[w];
    const std::string name =
        "waterfalls[" + std::to_string(w) + "] (row " + std::to_string(row.row_index) + ")";
    if (row.shap.size() != features) {
      return Status::UserError(
          SizeMismatch(name + ".shap", row.shap.size(), features, "one per feature"));
    }
    if (!row.values.empty() && row.values.size() != features) {
      return Status::UserError(SizeMismatch(name + ".values", row.values.size(), features,
                                            "one per feature (or empty)"));
    }
  }
  return Status::Ok();
}

constexpr std::string_view kStyle = R"css(
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2328; background: #fff;
       margin: 0 auto; max-width: 1080px; padding: 24px 32px 48px; line-height: 1.5; }
h1 { font-size: 1.7em; margin: 0 0 0.3em; }
h2 { font-size: 1.3em; margin: 2em 0 0.3em; border-bottom: 1px solid #d8dee4; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1.4em 0 0.2em; }
p { margin: 0.3em 0 0.8em; max-width: 60em; }
.lead { font-size: 1.05em; }
.note { color: #57606a; font-size: 0.92em; }
.up { color: #d1003f; font-weight: 600; }
.down { color: #0070cc; font-weight: 600; }
.chart { margin: 0.5em 0 1em; min-height: 40px; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 32px; }
.grid > figure { margin: 0; width: 500px; }
.grid h3 { overflow-wrap: anywhere; }
nav ul { margin: 0.3em 0; padding-left: 1.2em; }
.problems { border: 1px solid #cf222e; background: #ffebe9; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.4em 0 1em; }
th, td { border-bottom: 1px solid #d8dee4; padding: 3px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 0 0 1em; }
footer { margin-top: 3em; color: #57606a; font-size: 0.85em; }
)css";

// Draws every chart listed in the data block, then marks the page: body[data-charts-drawn] when
// all are done, each chart's data-marks = number of drawn marks, body[data-problems] = errors.
constexpr std::string_view kDrawScript = R"js(
(function () {
  "use strict";
  var problems = [];
  var box = document.getElementById("report-problems");
  function problem(text) {
    problems.push(text);
    document.body.setAttribute("data-problems", String(problems.length));
    box.hidden = false;
    box.textContent = "Some charts could not be drawn: " + problems.join("; ");
  }
  window.addEventListener("error", function (e) { problem(String(e.message)); });
  var report;
  try {
    report = JSON.parse(document.getElementById("report-data").textContent);
  } catch (e) {
    problem("the report data could not be read (" + e.message + ")");
    return;
  }
  if (typeof vegaEmbed !== "function") {
    problem("the charting library did not load");
    return;
  }
  var byFeature = {};
  report.points.forEach(function (p) { byFeature[p.f] = p; });
  var drawn = report.charts.map(function (chart) {
    var el = document.getElementById(chart.id);
    var spec = chart.spec;
    if (chart.features) {
      // Each chart gets its own copy: Vega tags the data objects it is given.
      spec.datasets = {points: chart.features.map(function (f) {
        return JSON.parse(JSON.stringify(byFeature[f]));
      })};
    }
    return vegaEmbed(el, spec, {mode: "vega-lite", renderer: "svg", actions: false})
      .then(function () {
        el.setAttribute("data-marks", String(el.querySelectorAll(".role-mark > *").length));
      }, function (err) {
        el.setAttribute("data-marks", "0");
        problem(chart.id + ": " + (err && err.message ? err.message : String(err)));
      });
  });
  Promise.all(drawn).then(function () {
    document.body.setAttribute("data-charts-drawn", String(drawn.length));
  });
})();
)js";

std::string Paragraph(const std::string& html, const char* cls = nullptr) {
  return std::string(cls ? "<p class=\"" + std::string(cls) + "\">" : "<p>") + html + "</p>\n";
}

}  // namespace

Status WriteExplainReport(const ExplainReport& report, const std::string& path) {
  if (path.empty()) return Status::UserError("explanation report: the output path is empty");
  TESSERA_RETURN_IF_ERROR(CheckReport(report));
  const ExplainReport& r = report;
  const size_t features = r.feature_names.size();
  const Summary s = Summarise(r);
  const std::string score = ScoreName(r);
  const std::string score_html = HtmlEscape(score);
  const std::string title = r.title.empty() ? "Why the model predicts what it does" : r.title;
  const bool has_text = !r.feature_text.empty();

  json charts = json::array();
  std::string body;
  body.reserve(1 << 16);

  body += "<header>\n<h1>" + HtmlEscape(title) + "</h1>\n";
  body += Paragraph(
      "This report shows which inputs (features) drive the model's predictions and in which "
      "direction, using SHAP values: for each row, every feature gets a number that says how much "
      "it moved the prediction away from the average. Positive values "
      "<span class=\"up\">push the prediction up</span>, negative values "
      "<span class=\"down\">push it down</span>. Predictions and SHAP values are in " +
          score_html + "; the average prediction is " + HtmlEscape(FormatNumber(r.expected_value)) +
          ".",
      "lead");
  if (r.rows > 0) {
    std::string sample = "Based on " + std::to_string(r.rows) + " row" + (r.rows == 1 ? "" : "s") +
                         " and " + std::to_string(features) + " feature" +
                         (features == 1 ? "" : "s") + ".";
    if (s.sample.size() < r.rows) {
      sample += " The dot charts show an evenly spaced sample of " +
                std::to_string(s.sample.size()) + " rows; the averages use all rows.";
    }
    body += Paragraph(sample, "note");
  }
  body += "<p id=\"report-problems\" class=\"problems\" hidden></p>\n";
  body +=
      "<noscript><p class=\"problems\">The charts need JavaScript; the tables below work "
      "without it.</p></noscript>\n";
  body += "<nav><ul>\n";
  if (s.summary_count > 0) {
    body += "<li><a href=\"#importance\">Which features matter most</a></li>\n";
    body += "<li><a href=\"#summary\">How each feature pushes the prediction</a></li>\n";
  }
  if (s.dependence_count > 0) {
    body += "<li><a href=\"#dependence\">How the effect changes with the value</a></li>\n";
  }
  if (!r.waterfalls.empty()) {
    body += "<li><a href=\"#rows\">Individual predictions explained</a></li>\n";
  }
  body += "</ul></nav>\n</header>\n";

  json points = r.rows > 0 ? PointData(r, s) : json::array();
  bool summary_has_categories = false;
  for (size_t k = 0; k < s.summary_count; ++k) {
    if (points[k]["category"].get<bool>()) summary_has_categories = true;
  }

  if (r.rows == 0) {
    body += Paragraph("No SHAP sample was given, so there are no overall charts.", "note");
  } else {
    // 1. Global importance.
    body += "<section id=\"importance\">\n<h2>Which features matter most</h2>\n";
    std::string text =
        "Each bar is the average size of a feature's effect on the prediction (mean absolute "
        "SHAP value, in " +
        score_html +
        "), whatever its direction. A longer bar means the feature changes predictions more.";
    if (s.summary_count < features) {
      text += " Showing the " + std::to_string(s.summary_count) + " most important of " +
              std::to_string(features) + " features.";
    }
    if (!r.gain_importance.empty()) {
      text +=
          " On the right, for comparison: the share of the trees' total split gain that each "
          "feature earned during training.";
    }
    body += Paragraph(text);
    body += "<div class=\"chart\" id=\"chart-importance\"></div>\n</section>\n";
    charts.push_back(
        {{"id", "chart-importance"}, {"features", nullptr}, {"spec", ImportanceSpec(r, s)}});

    // 2. Beeswarm.
    body += "<section id=\"summary\">\n<h2>How each feature pushes the prediction</h2>\n";
    body += Paragraph(
        "Each dot is one row; dots right of 0 push the prediction up, dots left of 0 push it "
        "down. The colour is the feature's value in that row: <span class=\"up\">red = high"
        "</span>, <span class=\"down\">blue = low</span>, grey = missing" +
        std::string(summary_has_categories
                        ? ", dark grey = a category (no low or high; point at a dot to see it)"
                        : "") +
        ". Features are sorted by importance, the most important at the top; where dots pile "
        "up, many rows have that effect.");
    body += "<div class=\"chart\" id=\"chart-summary\"></div>\n</section>\n";
    json summary_features = json::array();
    for (size_t k = 0; k < s.summary_count; ++k) summary_features.push_back(s.order[k]);
    charts.push_back({{"id", "chart-summary"},
                      {"features", std::move(summary_features)},
                      {"spec", SummarySpec(r, s, points)}});
  }

  // 3. Dependence plots.
  if (s.dependence_count > 0) {
    body += "<section id=\"dependence\">\n<h2>How the effect changes with the value</h2>\n";
    body += Paragraph(
        "One chart per important feature. Each dot is one row: across, the feature's value; up, "
        "its effect on the prediction (" +
        score_html +
        "). Dots above the dashed line push the prediction up, dots below push it down. A rising "
        "cloud means higher values raise the prediction.");
    body += "<div class=\"grid\">\n";
    for (size_t k = 0; k < s.dependence_count; ++k) {
      const size_t f = s.order[k];
      const json& p = points[k];
      const bool numeric = p["numeric"].get<bool>();
      size_t missing = 0;
      for (const json& x : p["x"]) missing += x.is_null() ? 1 : 0;
      std::set<std::string> distinct;
      if (!numeric && has_text) {
        for (const json& t : p["t"]) distinct.insert(t.get<std::string>());
      }
      const size_t categories = distinct.size();
      const std::string id = "chart-dependence-" + std::to_string(k + 1);
      body += "<figure>\n<h3>" + std::to_string(k + 1) + ". " + HtmlEscape(s.names[f]) + "</h3>\n";
      if (numeric || has_text) {
        if (numeric && missing > 0) {
          body += Paragraph(std::to_string(missing) + " of " + std::to_string(p["x"].size()) +
                                " rows have no numeric value for this feature and are not shown.",
                            "note");
        }
        body += "<div class=\"chart\" id=\"" + id + "\"></div>\n";
        charts.push_back({{"id", id},
                          {"features", json::array({f})},
                          {"spec", DependenceSpec(r, s, f, numeric, categories)}});
      } else {
        body +=
            Paragraph("No values of this feature were given, so there is nothing to plot.", "note");
      }
      body += "</figure>\n";
    }
    body += "</div>\n</section>\n";
  }

  // 4. Waterfalls.
  if (!r.waterfalls.empty()) {
    body += "<section id=\"rows\">\n<h2>Individual predictions explained</h2>\n";
    body += Paragraph(
        "Each chart starts at the average prediction (bottom dashed line) and adds one feature at "
        "a time, the biggest effects at the top: <span class=\"up\">red bars push the prediction "
        "up</span>, <span class=\"down\">blue bars push it down</span>, until it reaches this "
        "row's prediction. The labels show the row's values, e.g. \"age = 63\".");
    for (size_t w = 0; w < r.waterfalls.size(); ++w) {
      const WaterfallRow& row = r.waterfalls[w];
      Waterfall wf = BuildWaterfall(r, s, row);
      const std::string id = "chart-waterfall-" + std::to_string(w + 1);
      body += "<h3 id=\"row-" + std::to_string(row.row_index) + "-" + std::to_string(w + 1) +
              "\">Row " + std::to_string(row.row_index) + ": prediction " +
              HtmlEscape(FormatNumber(row.prediction)) + "</h3>\n";
      body += Paragraph("From the average " + HtmlEscape(FormatNumber(r.expected_value)) + " to " +
                        HtmlEscape(FormatNumber(wf.end)) + " (" + score_html + ").");
      const double tolerance = 1e-4 * std::max({1.0, std::fabs(row.prediction), std::fabs(wf.end)});
      if (!std::isfinite(row.prediction) || std::fabs(row.prediction - wf.end) > tolerance) {
        body +=
            Paragraph("Note: the average plus this row's SHAP values is " +
                          HtmlEscape(FormatNumber(wf.end, 6)) + ", not the model's prediction " +
                          HtmlEscape(FormatNumber(row.prediction, 6)) + ".",
                      "note");
      }
      body += "<div class=\"chart\" id=\"" + id + "\"></div>\n";
      charts.push_back({{"id", id}, {"features", nullptr}, {"spec", std::move(wf.spec)}});
      // The same numbers as a table (readable without JavaScript, and for every feature).
      const size_t listed = std::min(features, kMaxTableRows);
      body += "<details><summary>All feature values of row " + std::to_string(row.row_index) +
              "</summary>\n<table>\n<thead><tr><th>Feature</th><th>Value</th>"
              "<th>Effect (" +
              score_html + ")</th></tr></thead>\n<tbody>\n";
      for (size_t k = 0; k < listed; ++k) {
        const size_t f = wf.by_effect[k];
        const std::string value =
            row.values.empty() ? "" : (row.values[f].empty() ? "(missing)" : row.values[f]);
        const double v = row.shap[f];
        const char* cls = !std::isfinite(v) || v == 0 ? "num" : (v > 0 ? "num up" : "num down");
        body += "<tr><td>" + HtmlEscape(s.names[f]) + "</td><td>" + HtmlEscape(value) +
                "</td><td class=\"" + cls + "\">" + HtmlEscape(Signed(v)) + "</td></tr>\n";
      }
      body += "</tbody>\n</table>\n";
      if (listed < features) {
        body += Paragraph(
            "… and " + std::to_string(features - listed) + " more features with smaller effects.",
            "note");
      }
      body += "</details>\n";
    }
    body += "</section>\n";
  }

  std::string versions;
  for (const VegaLibrary& lib : VegaLibraries()) {
    versions += (versions.empty() ? "" : ", ") + std::string(lib.package) + " " + lib.version;
  }
  body += "<footer>Made by Tessera " + HtmlEscape(TESSERA_VERSION) + ". Charts drawn with " +
          HtmlEscape(versions) + " (inlined: this file opens offline).</footer>\n";

  const json data = {{"points", std::move(points)}, {"charts", std::move(charts)}};

  std::string page;
  page.reserve(body.size() + (2 << 20));
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"Tessera " TESSERA_VERSION "\">\n<title>";
  page += HtmlEscape(title);
  page += "</title>\n<style>";
  page += kStyle;
  page += "</style>\n</head>\n<body data-problems=\"0\">\n";
  page += body;
  for (const VegaLibrary& lib : VegaLibraries()) {
    page += "<script data-library=\"" + std::string(lib.package) + " " + lib.version + "\">\n";
    page += ScriptForHtml(lib.source());
    page += "\n</script>\n";
  }
  page += "<script type=\"application/json\" id=\"report-data\">";
  page += JsonForScript(data);
  page += "</script>\n<script>";
  page += kDrawScript;
  page += "</script>\n</body>\n</html>\n";

  // Temp file beside `path`, fsync, rename: a reader never sees half a page.
  Status st = WriteFileAtomically(path, page);
  if (!st.ok()) return st.WithContext("writing the explanation report");
  return Status::Ok();
}

}  // namespace tessera::report
