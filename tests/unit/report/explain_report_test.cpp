// ExplainReport: input checks, escaping of names and values, non-finite numbers, deterministic
// bytes, the dot sample cap, waterfall contents, and the inlined libraries.
#include "tessera/report/explain_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "explain_report_fixture.h"
#include "tessera/report/html.h"
#include "tessera/report/vega_bundle.h"
#include "test_files.h"

namespace tessera::report {
namespace {

using tessera::testing::MakeClinicReport;
using tessera::testing::ReadFile;
using tessera::testing::TempDir;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// `html` without the inlined library sources (they contain markup of their own, e.g. "<img").
std::string WithoutLibraries(std::string html) {
  for (size_t at = html.find("<script data-library="); at != std::string::npos;
       at = html.find("<script data-library=", at)) {
    const size_t end = html.find("</script>", at);
    html.erase(at, end + 9 - at);
  }
  return html;
}

// The JSON in <script type="application/json" id="report-data">, parsed.
nlohmann::json ReportData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t begin = html.find(open);
  EXPECT_NE(begin, std::string::npos);
  const size_t start = begin + open.size();
  const size_t end = html.find("</script>", start);
  EXPECT_NE(end, std::string::npos);
  return nlohmann::json::parse(html.substr(start, end - start));
}

const nlohmann::json& Chart(const nlohmann::json& data, const std::string& id) {
  for (const auto& chart : data["charts"]) {
    if (chart["id"] == id) return chart;
  }
  ADD_FAILURE() << "no chart " << id;
  static const nlohmann::json kNone;
  return kNone;
}

std::string WriteAndRead(const ExplainReport& r, const TempDir& dir, const std::string& name) {
  const std::string path = dir.Path(name);
  Status st = WriteExplainReport(r, path);
  EXPECT_TRUE(st.ok()) << st.message();
  return ReadFile(path);
}

// Expects a user error that mentions every one of `words`, and no file left behind.
void ExpectUserError(const ExplainReport& r, std::initializer_list<std::string> words) {
  TempDir dir;
  const std::string path = dir.Path("report.html");
  Status st = WriteExplainReport(r, path);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::kUser);
  for (const std::string& w : words)
    EXPECT_NE(st.message().find(w), std::string::npos) << st.message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a failed write left a file";
}

TEST(ExplainReportTest, SizeMismatchesAreUserErrors) {
  const ExplainReport good = MakeClinicReport(50);
  const size_t f = good.feature_names.size();
  {
    ExplainReport r = good;
    r.shap.pop_back();
    ExpectUserError(
        r, {"shap", std::to_string(50 * f - 1), std::to_string(50 * f), "rows x features"});
  }
  {
    ExplainReport r = good;
    r.feature_values.push_back(1.0);
    ExpectUserError(r, {"feature_values", std::to_string(50 * f + 1)});
  }
  {
    ExplainReport r = good;
    r.feature_text.resize(3);
    ExpectUserError(r, {"feature_text", "3 values"});
  }
  {
    ExplainReport r = good;
    r.gain_importance.resize(f + 2, 0.0);
    ExpectUserError(r, {"gain_importance", "one per feature"});
  }
  {
    ExplainReport r = good;
    r.waterfalls[1].shap.pop_back();
    ExpectUserError(r, {"waterfalls[1]", "row 25", ".shap"});
  }
  {
    ExplainReport r = good;
    r.waterfalls[0].values.resize(2);
    ExpectUserError(r, {"waterfalls[0]", ".values", "2 values"});
  }
  {
    ExplainReport r = good;
    r.rows = 49;  // the arrays still hold 50 rows
    ExpectUserError(r, {"shap", "49 x"});
  }
  {
    ExplainReport r;
    ExpectUserError(r, {"no features"});
  }
  {
    ExplainReport r = good;
    r.expected_value = std::numeric_limits<double>::quiet_NaN();
    ExpectUserError(r, {"expected_value"});
  }
}

TEST(ExplainReportTest, UnwritablePathIsAnErrorNamingIt) {
  TempDir dir;
  dir.Write("plain-file", "x");  // a file where a folder would have to be
  const std::string path = dir.Path("plain-file/report.html");
  Status st = WriteExplainReport(MakeClinicReport(20), path);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("plain-file/report.html"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("explanation report"), std::string::npos) << st.message();

  st = WriteExplainReport(MakeClinicReport(20), "");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("path is empty"), std::string::npos);
}

TEST(ExplainReportTest, SameInputGivesSameBytes) {
  TempDir dir;
  const ExplainReport r = MakeClinicReport(700, 4, true);
  const std::string a = WriteAndRead(r, dir, "a.html");
  const std::string b = WriteAndRead(r, dir, "b.html");
  ASSERT_GT(a.size(), 100000u);
  EXPECT_TRUE(a == b) << "two writes of the same report differ";
  // Overwriting in place works (temp file + rename) and gives the same bytes again.
  EXPECT_EQ(WriteAndRead(r, dir, "a.html"), a);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            2)
      << "a temp file was left behind";
}

TEST(ExplainReportTest, NamesAndValuesAreEscaped) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(40, 1, true);
  r.title = "Risk <b>model</b> & \"friends\"";
  r.score_name = "log-odds of 'sick' </script>";
  r.waterfalls[0].values[0] = "<img src=x onerror=alert(2)>";
  r.feature_names[2] = std::string(
      "chol\xff"
      "esterol");  // invalid UTF-8
  const std::string html = WriteAndRead(r, dir, "report.html");
  const std::string own = WithoutLibraries(html);

  // HTML text is escaped.
  EXPECT_NE(html.find("<title>Risk &lt;b&gt;model&lt;/b&gt; &amp; &quot;friends&quot;</title>"),
            std::string::npos);
  EXPECT_NE(html.find("bmi &quot;body&quot; &lt;mass&gt; &amp; index &lt;/script&gt;&lt;script&gt;"
                      "alert(1)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_EQ(own.find("<img"), std::string::npos);
  EXPECT_EQ(own.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(own.find("<b>model"), std::string::npos);
  EXPECT_NE(html.find("chol\xEF\xBF\xBD"
                      "esterol"),
            std::string::npos)
      << "invalid UTF-8 not replaced";
  EXPECT_EQ(html.find("chol\xff"), std::string::npos);

  // No name could open or close a script element: one "</script>" per "<script".
  EXPECT_EQ(Count(html, "<script"), 5u);  // vega, vega-lite, vega-embed, data, drawing
  EXPECT_EQ(Count(html, "</script>"), 5u);
  EXPECT_EQ(Count(html, "<!--"), 0u);

  // The data block parses and holds the exact names and values.
  const nlohmann::json data = ReportData(html);
  bool found_name = false, found_dotted = false;
  for (const auto& p : data["points"]) {
    found_name |= p["name"] == r.feature_names[3];
    found_dotted |= p["name"] == "a.b[0]";
  }
  EXPECT_TRUE(found_name);
  EXPECT_TRUE(found_dotted);
  const std::string waterfall = Chart(data, "chart-waterfall-1")["spec"].dump();
  EXPECT_NE(waterfall.find("age = <img src=x onerror=alert(2)>"), std::string::npos);
  EXPECT_NE(waterfall.find("log-odds of 'sick' </script>"), std::string::npos);
}

TEST(ExplainReportTest, NonFiniteNumbersBecomeNullOrMissing) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(30, 1);
  const size_t f = r.feature_names.size();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.shap[0 * f + 0] = nan;             // row 0, age: no dot
  r.shap[1 * f + 0] = inf;             // row 1, age: no dot
  r.feature_values[2 * f + 0] = -inf;  // row 2, age: value missing
  r.gain_importance[1] = nan;
  r.waterfalls[0].shap[3] = inf;
  r.waterfalls[0].prediction = nan;
  const std::string html = WriteAndRead(r, dir, "report.html");
  const nlohmann::json data = ReportData(html);  // throws on NaN / Infinity tokens
  const std::string text = data.dump();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("Infinity"), std::string::npos);
  for (const auto& p : data["points"]) {
    if (p["name"] != "age") continue;
    EXPECT_EQ(p["s"].size(), 28u) << "dots with a non-finite SHAP value are dropped";
    EXPECT_TRUE(p["x"][0].is_null()) << "row 2's value is now the first dot";
    EXPECT_TRUE(p["c"][0].is_null());
  }
  EXPECT_NE(html.find("Row 0: prediction missing"), std::string::npos);
  EXPECT_NE(html.find("n/a"), std::string::npos);
}

TEST(ExplainReportTest, DotsAreCappedBySampling) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(5000, 2);
  r.max_plot_rows = 2000;
  r.summary_features = 3;
  r.top_features = 5;
  const nlohmann::json data = ReportData(WriteAndRead(r, dir, "report.html"));
  ASSERT_EQ(data["points"].size(), 5u) << "max(summary_features, top_features) features";
  for (const auto& p : data["points"]) {
    EXPECT_LE(p["s"].size(), 2000u);
    EXPECT_GE(p["s"].size(), 1800u);
    EXPECT_EQ(p["s"].size(), p["x"].size());
    EXPECT_EQ(p["s"].size(), p["o"].size());
    EXPECT_EQ(p["s"].size(), p["t"].size());
  }
  // Ranked by mean |SHAP|: age moves predictions most in the fixture, then smoker.
  EXPECT_EQ(data["points"][0]["name"], "age");
  EXPECT_EQ(data["points"][1]["name"], "smoker");
  EXPECT_FALSE(data["points"][1]["numeric"].get<bool>());
  EXPECT_EQ(Chart(data, "chart-summary")["features"].size(), 3u);
  EXPECT_EQ(Chart(data, "chart-dependence-5")["features"].size(), 1u);
}

TEST(ExplainReportTest, WaterfallShowsValuesAndGroupsTheRest) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(100, 12);  // 16 features: 10 bars + "other 6 features"
  const WaterfallRow& row = r.waterfalls[0];
  const std::string html = WriteAndRead(r, dir, "report.html");
  const nlohmann::json spec = Chart(ReportData(html), "chart-waterfall-1")["spec"];
  const auto& bars = spec["data"]["values"];
  ASSERT_EQ(bars.size(), 11u);
  EXPECT_EQ(bars[10]["label"], "other 6 features");
  EXPECT_EQ(bars[0]["label"], "age = " + row.values[0]) << "age has the largest effect";
  // The chain starts at the expected value (bottom bar) and ends at the prediction (top bar).
  EXPECT_NEAR(bars[10]["start"].get<double>(), r.expected_value, 1e-9);
  EXPECT_NEAR(bars[0]["end"].get<double>(), row.prediction, 1e-5);
  for (size_t i = 0; i + 1 < bars.size(); ++i) {
    EXPECT_NEAR(bars[i]["start"].get<double>(), bars[i + 1]["end"].get<double>(), 1e-5);
  }
  EXPECT_NE(html.find("Row " + std::to_string(row.row_index) + ": prediction"), std::string::npos);
  EXPECT_NE(html.find("<td>age</td><td>" + row.values[0] + "</td>"), std::string::npos);
}

TEST(ExplainReportTest, LibrariesAreInlinedWithTheirVersions) {
  const auto libs = VegaLibraries();
  ASSERT_EQ(libs.size(), 3u);
  EXPECT_STREQ(libs[0].package, "vega");
  EXPECT_STREQ(libs[1].package, "vega-lite");
  EXPECT_STREQ(libs[2].package, "vega-embed");
  for (const auto& lib : libs) EXPECT_GT(lib.size, 10000u) << lib.package;

  TempDir dir;
  const std::string html = WriteAndRead(MakeClinicReport(10, 0), dir, "report.html");
  for (const auto& lib : libs) {
    EXPECT_NE(
        html.find("<script data-library=\"" + std::string(lib.package) + " " + lib.version + "\">"),
        std::string::npos);
  }
  EXPECT_EQ(html.find("sourceMappingURL"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "the page must not load anything";
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
}

TEST(ExplainReportTest, EmptySampleStillWritesWaterfalls) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(10, 0);
  r.rows = 0;
  r.shap.clear();
  r.feature_values.clear();
  r.feature_text.clear();
  const nlohmann::json data = ReportData(WriteAndRead(r, dir, "report.html"));
  ASSERT_EQ(data["charts"].size(), 2u);
  EXPECT_EQ(data["charts"][0]["id"], "chart-waterfall-1");
}

TEST(ExplainReportTest, DuplicateAndEmptyNamesAreMadeDistinct) {
  TempDir dir;
  ExplainReport r = MakeClinicReport(20, 0);
  r.feature_names = {"x", "x", "", "x (2)"};
  const nlohmann::json data = ReportData(WriteAndRead(r, dir, "report.html"));
  std::set<std::string> names;
  for (const auto& p : data["points"]) names.insert(p["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"x", "x (3)", "feature 3", "x (2)"}));
}

TEST(ReportHtmlTest, Escaping) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(HtmlEscape("bad\xC3"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape(std::string("nul\0!", 5)), "nul\xEF\xBF\xBD!");

  nlohmann::json j = {{"k", "</script><!--&"},
                      {"n", std::numeric_limits<double>::quiet_NaN()},
                      {"i", -std::numeric_limits<double>::infinity()}};
  const std::string text = JsonForScript(j);
  EXPECT_EQ(text, R"({"i":null,"k":"\u003c/script\u003e\u003c!--\u0026","n":null})");
  EXPECT_EQ(nlohmann::json::parse(text)["k"], "</script><!--&");

  EXPECT_EQ(ScriptForHtml("var a='</SCRIPT>',b=/<!--/;\n//# sourceMappingURL=x.js.map\n"),
            "var a='<\\/SCRIPT>',b=/\\x3C!--/;\n");
  EXPECT_EQ(ScriptForHtml("f();"), "f();");
}

TEST(ReportHtmlTest, Numbers) {
  EXPECT_EQ(FormatNumber(63), "63");
  EXPECT_EQ(FormatNumber(0.123456), "0.1235");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(1234567.0), "1.235e+06");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::quiet_NaN()), "missing");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(RoundSignificant(0.123456, 3), 0.123);
  EXPECT_EQ(RoundSignificant(98765, 2), 99000);
  EXPECT_TRUE(std::isnan(RoundSignificant(std::nan(""), 3)));
}

}  // namespace
}  // namespace tessera::report
