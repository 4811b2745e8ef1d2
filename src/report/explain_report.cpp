// WriteExplainReport: checks the sizes, summarises the SHAP sample (mean |SHAP|, ranking, a
// deterministic row sample, beeswarm offsets, colour scale per feature), builds one Vega-Lite
// spec per chart and writes a single HTML page with the libraries and the data inlined.
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

namespace tessera::report {

namespace {

using nlohmann::json;

// SHAP's usual colours: red pushes the prediction up, blue pushes it down.
constexpr std::string_view kRed = "#ff0051";
constexpr std::string_view kBlue = "#008bfb";
constexpr std::string_view kGrey = "#b3b3b3";      // missing feature value
constexpr std::string_view kNeutral = "#4a6fa5";   // bars without a direction
constexpr std::string_view kCategory = "#57606a";  // a category (no low-high order)
constexpr size_t kMaxTableRows = 50;               // rows of the per-row value table

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

// Feature names as shown: never empty, and unique (a chart axis would merge equal names).
std::vector<std::string> DisplayNames(const std::vector<std::string>& names) {
  std::vector<std::string> out(names.size());
  std::set<std::string> used(names.begin(), names.end());
  std::set<std::string> taken;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string name = names[i].empty() ? "feature " + std::to_string(i + 1) : names[i];
    if (taken.count(name) || (names[i].empty() && used.count(name))) {
      for (int k = 2;; ++k) {
        std::string candidate = name + " (" + std::to_string(k) + ")";
        if (!taken.count(candidate) && !used.count(candidate)) {
          name = std::move(candidate);
          break;
        }
      }
    }
    taken.insert(name);
    out[i] = std::move(name);
  }
  return out;
}

// floor(k * rows / cap) for k < cap: evenly spaced, deterministic, always includes row 0.
std::vector<size_t> SampleRows(size_t rows, size_t cap) {
  std::vector<size_t> out;
  if (cap == 0 || rows <= cap) {
    out.resize(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = i;
    return out;
  }
  const size_t q = rows / cap, r = rows % cap;
  out.resize(cap);
  for (size_t k = 0; k < cap; ++k) out[k] = k * q + (k * r) / cap;
  return out;
}

// Quantile of sorted values with linear interpolation (q in [0, 1]).
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// Vertical offsets that turn a strip of dots into a beeswarm (the layout of SHAP's own summary
// plot): values are cut into 100 bins along x and the dots of a bin are stacked alternately
// above and below the centre line, in row order. Result in [-0.4, 0.4] (band units).
std::vector<double> BeeswarmOffsets(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<double> out(n, 0.0);
  if (n == 0) return out;
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *min_it, span = *max_it - *min_it;
  std::vector<std::pair<long, size_t>> bins(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = span > 0 ? (values[i] - lo) / span : 0.0;
    bins[i] = {std::lround(t * 100.0), i};
  }
  std::sort(bins.begin(), bins.end());
  long last_bin = -1, layer = 0, max_layer = 0;
  for (const auto& [bin, i] : bins) {
    if (bin != last_bin) layer = 0;
    const long height = (layer + 1) / 2;
    out[i] = static_cast<double>(layer % 2 == 1 ? height : -height);
    max_layer = std::max(max_layer, height);
    ++layer;
    last_bin = bin;
  }
  for (double& o : out) o = RoundSignificant(o * 0.4 / static_cast<double>(max_layer + 1), 3);
  return out;
}

json NumberOrNull(double v, int significant) {
  if (!std::isfinite(v)) return nullptr;
  return RoundSignificant(v, significant);
}

std::string Signed(double v) {
  if (!std::isfinite(v)) return "n/a";
  const std::string text = FormatNumber(v, 3);
  return v > 0 ? "+" + text : text;
}

// What a SHAP value is measured in, for axis titles and sentences.
std::string ScoreName(const ExplainReport& r) {
  return r.score_name.empty() ? "model score" : r.score_name;
}

json BaseConfig() {
  return {{"view", {{"stroke", nullptr}}},
          {"font", "DejaVu Sans, Helvetica, Arial, sans-serif"},
          {"axis", {{"labelFontSize", 12}, {"titleFontSize", 12}, {"labelLimit", 260}}},
          {"legend", {{"labelFontSize", 12}, {"titleFontSize", 12}}}};
}

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

Summary Summarise(const ExplainReport& r) {
  const size_t features = r.feature_names.size();
  Summary s;
  s.names = DisplayNames(r.feature_names);
  s.mean_abs.assign(features, 0.0);
  std::vector<size_t> counts(features, 0);
  for (size_t row = 0; row < r.rows; ++row) {
    const double* shap = r.shap.data() + row * features;
    for (size_t f = 0; f < features; ++f) {
      if (std::isfinite(shap[f])) {
        s.mean_abs[f] += std::fabs(shap[f]);
        ++counts[f];
      }
    }
  }
  for (size_t f = 0; f < features; ++f) {
    if (counts[f] > 0) s.mean_abs[f] /= static_cast<double>(counts[f]);
  }
  s.order.resize(features);
  for (size_t f = 0; f < features; ++f) s.order[f] = f;
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](size_t a, size_t b) { return s.mean_abs[a] > s.mean_abs[b]; });
  s.rank.resize(features);
  for (size_t k = 0; k < features; ++k) s.rank[s.order[k]] = k;
  s.sample = SampleRows(r.rows, r.max_plot_rows);
  s.summary_count = r.rows == 0 ? 0 : std::min(features, std::max<size_t>(1, r.summary_features));
  s.dependence_count = r.rows == 0 ? 0 : std::min(features, r.top_features);
  return s;
}

// One object per plotted feature; Vega-Lite's flatten transform turns the parallel arrays into
// one datum per dot: s = SHAP value, x = feature value (null if missing), c = colour position in
// [0, 1] (5th to 95th percentile of the feature, null if missing), o = beeswarm offset,
// t = value as text (only when feature_text is given). Dots without a finite SHAP value are left
// out.
json PointData(const ExplainReport& r, const Summary& s) {
  const size_t features = r.feature_names.size();
  const size_t plotted = std::max(s.summary_count, s.dependence_count);
  const bool has_text = !r.feature_text.empty();
  json points = json::array();
  for (size_t k = 0; k < plotted; ++k) {
    const size_t f = s.order[k];
    std::vector<size_t> rows;
    std::vector<double> shap, finite_x;
    for (size_t row : s.sample) {
      const double v = r.shap[row * features + f];
      if (!std::isfinite(v)) continue;
      rows.push_back(row);
      shap.push_back(v);
      const double x = r.feature_values[row * features + f];
      if (std::isfinite(x)) finite_x.push_back(x);
    }
    std::sort(finite_x.begin(), finite_x.end());
    double lo = 0, hi = 0;
    if (!finite_x.empty()) {
      lo = Quantile(finite_x, 0.05);
      hi = Quantile(finite_x, 0.95);
      if (hi <= lo) {
        lo = finite_x.front();
        hi = finite_x.back();
      }
    }
    const std::vector<double> offsets = BeeswarmOffsets(shap);
    json s_arr = json::array(), x_arr = json::array(), c_arr = json::array(), o_arr = json::array(),
         t_arr = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      const double x = r.feature_values[rows[i] * features + f];
      s_arr.push_back(RoundSignificant(shap[i], 4));
      x_arr.push_back(NumberOrNull(x, 6));
      if (std::isfinite(x)) {
        const double c = hi > lo ? std::clamp((x - lo) / (hi - lo), 0.0, 1.0) : 0.5;
        c_arr.push_back(std::round(c * 1000.0) / 1000.0);
      } else {
        c_arr.push_back(nullptr);
      }
      o_arr.push_back(offsets[i]);
      if (has_text) t_arr.push_back(r.feature_text[rows[i] * features + f]);
    }
    json p = {{"f", f},
              {"name", s.names[f]},
              {"rank", k},
              {"s", std::move(s_arr)},
              {"x", std::move(x_arr)},
              {"c", std::move(c_arr)},
              {"o", std::move(o_arr)},
              {"numeric", !finite_x.empty()}};
    if (has_text) p["t"] = std::move(t_arr);
    points.push_back(std::move(p));
  }
  return points;
}

json Flatten(bool has_text) {
  json fields = {"s", "x", "c", "o"};
  if (has_text) fields.push_back("t");
  return {{"flatten", fields}};
}

json DotTooltip(bool has_text, const std::string& score) {
  return json::array({{{"field", "name"}, {"type", "nominal"}, {"title", "Feature"}},
                      has_text ? json{{"field", "t"}, {"type", "nominal"}, {"title", "Value"}}
                               : json{{"field", "x"}, {"type", "quantitative"}, {"title", "Value"}},
                      {{"field", "s"},
                       {"type", "quantitative"},
                       {"title", "SHAP value (" + score + ")"},
                       {"format", ".3~g"}}});
}

json ZeroRule(const char* channel) {
  return {{"data", {{"values", json::array({json::object()})}}},
          {"mark", {{"type", "rule"}, {"color", "#888888"}, {"strokeDash", {4, 3}}}},
          {"encoding", {{channel, {{"datum", 0}}}}}};
}

json ImportanceSpec(const ExplainReport& r, const Summary& s) {
  const size_t n = s.summary_count;
  double total_gain = 0;
  for (double g : r.gain_importance) {
    if (std::isfinite(g) && g > 0) total_gain += g;
  }
  const bool with_gain = total_gain > 0;
  json values = json::array(), sort = json::array();
  for (size_t k = 0; k < n; ++k) {
    const size_t f = s.order[k];
    json v = {{"name", s.names[f]},
              {"mean_abs", RoundSignificant(s.mean_abs[f], 6)},
              {"label", FormatNumber(s.mean_abs[f], 3)}};
    if (with_gain) {
      const double g = r.gain_importance[f];
      const double share = std::isfinite(g) && g > 0 ? 100.0 * g / total_gain : 0.0;
      v["gain"] = RoundSignificant(share, 4);
      v["gain_label"] = FormatNumber(share, 3) + "%";
    }
    values.push_back(std::move(v));
    sort.push_back(s.names[f]);
  }
  const std::string score = ScoreName(r);
  auto panel = [&](const char* field, const char* label, const std::string& x_title,
                   const std::string& title, bool show_names) {
    json y = {{"field", "name"}, {"type", "nominal"}, {"sort", sort}, {"title", nullptr}};
    if (!show_names) y["axis"] = nullptr;
    json x = {{"field", field}, {"type", "quantitative"}, {"title", x_title}};
    json tooltip = json::array({{{"field", "name"}, {"type", "nominal"}, {"title", "Feature"}},
                                {{"field", label}, {"type", "nominal"}, {"title", x_title}}});
    return json{
        {"title", title},
        {"width", with_gain ? 300 : 480},
        {"height", {{"step", 24}}},
        {"layer",
         json::array({{{"mark", {{"type", "bar"}, {"color", kNeutral}}},
                       {"encoding", {{"y", y}, {"x", x}, {"tooltip", tooltip}}}},
                      {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
                       {"encoding", {{"y", y}, {"x", x}, {"text", {{"field", label}}}}}}})}};
  };
  json spec = {{"data", {{"values", std::move(values)}}}, {"config", BaseConfig()}};
  json shap_panel = panel("mean_abs", "label", "Average effect (mean |SHAP value|, " + score + ")",
                          "Average effect on the prediction", true);
  if (with_gain) {
    spec["hconcat"] = json::array(
        {std::move(shap_panel), panel("gain", "gain_label", "Share of total split gain (%)",
                                      "How much the trees split on it", false)});
    spec["resolve"] = {{"scale", {{"y", "shared"}}}};
  } else {
    spec.update(shap_panel);
  }
  return spec;
}

json SummarySpec(const ExplainReport& r, const Summary& s) {
  const bool has_text = !r.feature_text.empty();
  const std::string score = ScoreName(r);
  json sort = json::array();
  for (size_t k = 0; k < s.summary_count; ++k) sort.push_back(s.names[s.order[k]]);
  const json y = {{"field", "name"}, {"type", "nominal"}, {"sort", sort}, {"title", nullptr}};
  const json y_offset = {
      {"field", "o"}, {"type", "quantitative"}, {"scale", {{"domain", {-0.5, 0.5}}}}};
  const json x = {{"field", "s"},
                  {"type", "quantitative"},
                  {"title", "SHAP value: effect on the prediction (" + score + ")"}};
  const json transform = json::array(
      {Flatten(has_text), {{"filter", "datum.rank < " + std::to_string(s.summary_count)}}});
  const json dot_mark = {{"type", "circle"}, {"size", 16}, {"opacity", 0.75}};
  json coloured = {{"data", {{"name", "points"}}},
                   {"transform", transform},
                   {"mark", dot_mark},
                   {"encoding",
                    {{"y", y},
                     {"yOffset", y_offset},
                     {"x", x},
                     {"color",
                      {{"field", "c"},
                       {"type", "quantitative"},
                       {"scale", {{"domain", {0, 1}}, {"range", json::array({kBlue, kRed})}}},
                       {"legend",
                        {{"title", "Feature value"},
                         {"values", {0, 1}},
                         {"labelExpr", "datum.value < 0.5 ? 'low' : 'high'"},
                         {"gradientLength", 120}}}}},
                     {"tooltip", DotTooltip(has_text, score)}}}};
  coloured["transform"].push_back({{"filter", "isValid(datum.c)"}});
  json missing = {{"data", {{"name", "points"}}},
                  {"transform", transform},
                  {"mark", dot_mark},
                  {"encoding",
                   {{"y", y},
                    {"yOffset", y_offset},
                    {"x", x},
                    {"color", {{"value", kGrey}}},
                    {"tooltip", DotTooltip(has_text, score)}}}};
  json categorical = missing;
  missing["transform"].push_back({{"filter", "datum.numeric && !isValid(datum.c)"}});
  missing["mark"]["opacity"] = 0.6;
  // Values without a low-high order (categories) get one dark colour; the tooltip names them.
  categorical["transform"].push_back({{"filter", "!datum.numeric"}});
  categorical["encoding"]["color"] = {{"value", kCategory}};
  return {{"config", BaseConfig()},
          {"width", 620},
          {"height", {{"step", 34}}},
          {"layer", json::array({ZeroRule("x"), std::move(coloured), std::move(missing),
                                 std::move(categorical)})}};
}

// `categories`: distinct text values (for a feature without numeric values).
json DependenceSpec(const ExplainReport& r, const Summary& s, size_t f, bool numeric,
                    size_t categories) {
  const bool has_text = !r.feature_text.empty();
  const std::string score = ScoreName(r);
  const std::string& name = s.names[f];
  json transform = json::array({Flatten(has_text)});
  json encoding = {
      {"y",
       {{"field", "s"},
        {"type", "quantitative"},
        {"title", "Effect (" + score + ")"},
        {"axis", {{"titleLimit", 250}}}}},
      {"color", {{"condition", {{"test", "datum.s > 0"}, {"value", kRed}}}, {"value", kBlue}}},
      {"tooltip", DotTooltip(has_text, score)}};
  if (numeric) {
    transform.push_back({{"filter", "isValid(datum.x)"}});
    encoding["x"] = {{"field", "x"},
                     {"type", "quantitative"},
                     {"title", name},
                     {"axis", {{"titleLimit", 400}}},
                     {"scale", {{"zero", false}, {"nice", true}}}};
  } else {
    encoding["x"] = {{"field", "t"},
                     {"type", "nominal"},
                     {"title", name},
                     {"sort", "ascending"},
                     {"axis", {{"titleLimit", 400}, {"labelAngle", categories <= 8 ? 0 : -45}}}};
    encoding["xOffset"] = {
        {"field", "o"}, {"type", "quantitative"}, {"scale", {{"domain", {-0.5, 0.5}}}}};
  }
  json dots = {{"data", {{"name", "points"}}},
               {"transform", std::move(transform)},
               {"mark", {{"type", "circle"}, {"size", 18}, {"opacity", 0.6}}},
               {"encoding", std::move(encoding)}};
  return {{"config", BaseConfig()},
          {"width", 420},
          {"height", 260},
          {"layer", json::array({ZeroRule("y"), std::move(dots)})}};
}

// One waterfall: bars chained from the average prediction (bottom) to this row's prediction
// (top), the largest effects at the top and the smallest grouped as "other N features".
struct Waterfall {
  json spec;
  double end = 0;                 // expected_value + sum of the finite SHAP values
  std::vector<size_t> by_effect;  // features by |SHAP|, largest first
};

std::string ValueLabel(const WaterfallRow& row, const Summary& s, size_t f) {
  if (row.values.empty()) return s.names[f];
  const std::string& v = row.values[f];
  return s.names[f] + " = " + (v.empty() ? "(missing)" : v);
}

Waterfall BuildWaterfall(const ExplainReport& r, const Summary& s, const WaterfallRow& row) {
  const size_t features = r.feature_names.size();
  auto effect = [&](size_t f) { return std::isfinite(row.shap[f]) ? row.shap[f] : 0.0; };
  Waterfall w;
  w.by_effect.resize(features);
  for (size_t f = 0; f < features; ++f) w.by_effect[f] = f;
  std::stable_sort(w.by_effect.begin(), w.by_effect.end(),
                   [&](size_t a, size_t b) { return std::fabs(effect(a)) > std::fabs(effect(b)); });
  size_t shown = std::min(features, std::max<size_t>(1, r.waterfall_features));
  if (features - shown == 1) shown = features;  // "other 1 feature" says less than its name

  struct Bar {
    std::string label, text;
    double shap;
  };
  std::vector<Bar> bars;  // top to bottom
  for (size_t k = 0; k < shown; ++k) {
    const size_t f = w.by_effect[k];
    bars.push_back({ValueLabel(row, s, f), Signed(row.shap[f]), effect(f)});
  }
  if (shown < features) {
    double rest = 0;
    for (size_t k = shown; k < features; ++k) rest += effect(w.by_effect[k]);
    bars.push_back({"other " + std::to_string(features - shown) + " features", Signed(rest), rest});
  }
  // Chain from the bottom bar up.
  json values = json::array(), sort = json::array();
  std::vector<json> chained(bars.size());
  double level = r.expected_value;
  for (size_t i = bars.size(); i-- > 0;) {
    const double start = level, end = level + bars[i].shap;
    level = end;
    chained[i] = {{"label", bars[i].label},
                  {"start", RoundSignificant(start, 7)},
                  {"end", RoundSignificant(end, 7)},
                  {"text_at", RoundSignificant(std::max(start, end), 7)},
                  {"text", bars[i].text},
                  {"direction", bars[i].shap >= 0 ? "pushes up" : "pushes down"}};
  }
  w.end = level;
  for (size_t i = 0; i < bars.size(); ++i) {
    sort.push_back(bars[i].label);
    values.push_back(std::move(chained[i]));
  }
  const std::string score = ScoreName(r);
  const json y = {{"field", "label"},
                  {"type", "nominal"},
                  {"sort", sort},
                  {"title", nullptr},
                  {"axis", {{"labelLimit", 320}}}};
  const json bar_layer = {
      {"mark", {{"type", "bar"}, {"height", {{"band", 0.7}}}}},
      {"encoding",
       {{"y", y},
        {"x",
         {{"field", "start"},
          {"type", "quantitative"},
          {"title", score},
          {"scale", {{"zero", false}}}}},
        {"x2", {{"field", "end"}}},
        {"color",
         {{"field", "direction"},
          {"type", "nominal"},
          {"scale",
           {{"domain", json::array({"pushes up", "pushes down"})},
            {"range", json::array({kRed, kBlue})}}},
          {"legend", {{"title", nullptr}, {"orient", "bottom"}}}}},
        {"tooltip",
         json::array(
             {{{"field", "label"}, {"type", "nominal"}, {"title", "Feature"}},
              {{"field", "text"}, {"type", "nominal"}, {"title", "Effect (" + score + ")"}}})}}}};
  const json text_layer = {
      {"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
      {"encoding",
       {{"y", y},
        {"x", {{"field", "text_at"}, {"type", "quantitative"}}},
        {"text", {{"field", "text"}}}}}};
  // Dashed lines at the start (average) and the end (this row), labelled above the plot.
  const bool rising = w.end >= r.expected_value;
  auto marker = [&](double at, const std::string& label, bool align_right) {
    json data = {{"values", json::array({{{"at", RoundSignificant(at, 7)}, {"label", label}}})}};
    return json::array(
        {{{"data", data},
          {"mark", {{"type", "rule"}, {"color", "#555555"}, {"strokeDash", {4, 3}}}},
          {"encoding", {{"x", {{"field", "at"}, {"type", "quantitative"}}}}}},
         {{"data", data},
          {"mark",
           {{"type", "text"},
            {"y", -8},
            {"align", align_right ? "right" : "left"},
            {"dx", align_right ? -3 : 3},
            {"fontSize", 11},
            {"color", "#333333"}}},
          {"encoding",
           {{"x", {{"field", "at"}, {"type", "quantitative"}}}, {"text", {{"field", "label"}}}}}}});
  };
  json layers = json::array({bar_layer, text_layer});
  for (json& l : marker(r.expected_value, "average " + FormatNumber(r.expected_value), rising)) {
    layers.push_back(std::move(l));
  }
  for (json& l : marker(w.end, "this row " + FormatNumber(w.end), !rising)) {
    layers.push_back(std::move(l));
  }
  w.spec = {{"config", BaseConfig()},
            {"data", {{"values", std::move(values)}}},
            {"width", 520},
            {"height", {{"step", 26}}},
            {"layer", std::move(layers)}};
  return w;
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
    if (!points[k]["numeric"].get<bool>()) summary_has_categories = true;
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
                      {"spec", SummarySpec(r, s)}});
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
