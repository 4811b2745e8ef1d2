// The numbers and Vega-Lite specs behind the explanation report's charts: display names, the
// ranking by mean |SHAP|, the deterministic dot sample, beeswarm offsets, colour positions, and
// one spec per chart (see explain_charts.h).
#include "explain_charts.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>

#include "tessera/report/html.h"

namespace tessera::report::detail {

using nlohmann::json;

namespace {

// SHAP's usual colours: red pushes the prediction up, blue pushes it down.
constexpr std::string_view kRed = "#ff0051";
constexpr std::string_view kBlue = "#008bfb";
constexpr std::string_view kGrey = "#b3b3b3";      // missing feature value
constexpr std::string_view kNeutral = "#4a6fa5";   // bars without a direction
constexpr std::string_view kCategory = "#57606a";  // a category (no low-high order)

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

json BaseConfig() {
  return {{"view", {{"stroke", nullptr}}},
          {"font", "DejaVu Sans, Helvetica, Arial, sans-serif"},
          {"axis", {{"labelFontSize", 12}, {"titleFontSize", 12}, {"labelLimit", 260}}},
          {"legend", {{"labelFontSize", 12}, {"titleFontSize", 12}}}};
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

std::string ValueLabel(const WaterfallRow& row, const Summary& s, size_t f) {
  if (row.values.empty()) return s.names[f];
  const std::string& v = row.values[f];
  return s.names[f] + " = " + (v.empty() ? "(missing)" : v);
}

}  // namespace

std::string Signed(double v) {
  if (!std::isfinite(v)) return "n/a";
  const std::string text = FormatNumber(v, 3);
  return v > 0 ? "+" + text : text;
}

// What a SHAP value is measured in, for axis titles and sentences.
std::string ScoreName(const ExplainReport& r) {
  return r.score_name.empty() ? "model score" : r.score_name;
}

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
// out. Per feature: numeric = some value is a number; category = no number but text values (drawn
// in one colour, compared by category).
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
              {"numeric", !finite_x.empty()},
              {"category", finite_x.empty() && has_text}};
    if (has_text) p["t"] = std::move(t_arr);
    points.push_back(std::move(p));
  }
  return points;
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

json SummarySpec(const ExplainReport& r, const Summary& s, const json& points) {
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
  missing["transform"].push_back({{"filter", "!datum.category && !isValid(datum.c)"}});
  missing["mark"]["opacity"] = 0.6;
  // Values without a low-high order (categories) get one dark colour; the tooltip names them.
  categorical["transform"].push_back({{"filter", "datum.category"}});
  categorical["encoding"]["color"] = {{"value", kCategory}};
  // Only layers that have dots: Vega warns about the empty scale extent of an empty layer.
  bool any_coloured = false, any_missing = false, any_category = false;
  for (size_t k = 0; k < s.summary_count && k < points.size(); ++k) {
    const json& p = points[k];
    if (p["category"].get<bool>()) {
      any_category |= !p["c"].empty();
      continue;
    }
    for (const json& c : p["c"]) (c.is_null() ? any_missing : any_coloured) = true;
  }
  json layers = json::array({ZeroRule("x")});
  if (any_coloured) layers.push_back(std::move(coloured));
  if (any_missing) layers.push_back(std::move(missing));
  if (any_category) layers.push_back(std::move(categorical));
  return {{"config", BaseConfig()},
          {"width", 620},
          {"height", {{"step", 34}}},
          {"layer", std::move(layers)}};
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

}  // namespace tessera::report::detail
