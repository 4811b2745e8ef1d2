// The explanation report in a real browser: Debian's headless Chromium opens the file from
// file:// (offline), runs the inlined Vega libraries, and must draw every chart with no console
// message at all; a screenshot is taken and checked for the charts' colours.
//
// One Chromium run does both: --dump-dom prints the DOM after the page has run (the page marks
// <body data-charts-drawn="N" data-problems="0"> and each chart div data-marks="<marks drawn>"),
// --screenshot writes a PNG, and --enable-logging=stderr --v=0 prints every console message
// (console.log/warn/error and uncaught exceptions) as an "INFO:CONSOLE" line on stderr.
// --virtual-time-budget lets the page's timers and promises finish before the dump and the shot.
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "explain_report_fixture.h"
#include "required_tool.h"
#include "tessera/report/explain_report.h"
#include "test_files.h"

namespace tessera::report {
namespace {

using tessera::testing::ReadFile;
using tessera::testing::TempDir;

constexpr int kWidth = 1200, kHeight = 3600;

// Path of the Chromium binary ($TESSERA_CHROMIUM, else `chromium` on PATH), "" if none.
std::string FindChromium() {
  if (const char* env = std::getenv("TESSERA_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
};

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes); "" or an error text.
std::string DecodePng(const std::string& png, Image* image) {
  if (png.size() < 33 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return "not a PNG file";
  std::string idat;
  int channels = 0;
  for (size_t at = 8; at + 12 <= png.size();) {
    const uint32_t length = BigEndian32(png, at);
    const std::string type = png.substr(at + 4, 4);
    if (at + 12 + length > png.size()) return "truncated chunk " + type;
    if (type == "IHDR") {
      image->width = BigEndian32(png, at + 8);
      image->height = BigEndian32(png, at + 12);
      const int depth = static_cast<uint8_t>(png[at + 16]),
                color = static_cast<uint8_t>(png[at + 17]);
      const int interlace = static_cast<uint8_t>(png[at + 20]);
      if (depth != 8 || (color != 2 && color != 6) || interlace != 0) {
        return "unsupported PNG format (depth " + std::to_string(depth) + ", colour type " +
               std::to_string(color) + ")";
      }
      channels = color == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat.append(png, at + 8, length);
    }
    at += 12 + length;
  }
  if (channels == 0) return "no IHDR";
  const size_t stride = size_t{image->width} * channels;
  std::vector<uint8_t> raw((stride + 1) * image->height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_size != raw.size()) {
    return "cannot inflate the image data";
  }
  std::vector<uint8_t> prev(stride, 0), line(stride);
  image->rgb.resize(size_t{image->width} * image->height * 3);
  for (uint32_t y = 0; y < image->height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= static_cast<size_t>(channels) ? line[i - channels] : 0;
      const int b = prev[i];
      const int c = i >= static_cast<size_t>(channels) ? prev[i - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          return "bad filter type " + std::to_string(filter);
      }
      line[i] = static_cast<uint8_t>(in[i] + predictor);
    }
    for (uint32_t x = 0; x < image->width; ++x) {
      for (int k = 0; k < 3; ++k)
        image->rgb[(size_t{y} * image->width + x) * 3 + k] = line[x * channels + k];
    }
    std::swap(prev, line);
  }
  return "";
}

size_t CountColour(const Image& image, int r, int g, int b, int tolerance = 10) {
  size_t n = 0;
  for (size_t i = 0; i + 2 < image.rgb.size(); i += 3) {
    if (std::abs(image.rgb[i] - r) <= tolerance && std::abs(image.rgb[i + 1] - g) <= tolerance &&
        std::abs(image.rgb[i + 2] - b) <= tolerance) {
      ++n;
    }
  }
  return n;
}

// The part of the DOM from the element with id="<id>" to the next chart container.
std::string ChartElement(const std::string& dom, const std::string& id) {
  const size_t start = dom.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const size_t end = dom.find("class=\"chart", start + 1);
  return dom.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// What Chromium made of a report: the DOM after the page ran, its stderr, the screenshot.
struct Rendered {
  std::string dom, log, png;
};

// Opens `html` in headless Chromium, saving the screenshot beside it. Fails the test (fatal
// failures, so call through ASSERT_NO_FATAL_FAILURE) when Chromium fails or times out.
void Render(const std::string& chromium, const TempDir& dir, const std::string& html,
            Rendered* out) {
  const std::string png = dir.Path("report.png"), dom = dir.Path("dom.html"),
                    log = dir.Path("chromium.log");
  // --no-sandbox: CI runs as root, where Chromium refuses its sandbox (and containers often lack
  // the namespaces it needs); the page is our own local file. A private profile per run so
  // parallel tests do not share one; no network services, no first-run UI.
  const std::string command =
      "timeout 90 '" + chromium +
      "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
      " --no-default-browser-check --disable-background-networking --disable-component-update"
      " --disable-sync --disable-extensions --mute-audio --hide-scrollbars"
      " --user-data-dir='" +
      dir.Path("profile") + "' --enable-logging=stderr --v=0" +
      " --window-size=" + std::to_string(kWidth) + "," + std::to_string(kHeight) +
      " --virtual-time-budget=15000 --screenshot='" + png + "' --dump-dom 'file://" + html +
      "' > '" + dom + "' 2> '" + log + "' < /dev/null";
  const int status = std::system(command.c_str());
  out->log = ReadFile(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "chromium failed (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
      << ", 124 = timed out after 90 s):\n"
      << command << "\n"
      << out->log;
  out->dom = ReadFile(dom);
  out->png = ReadFile(png);
  ASSERT_FALSE(out->dom.empty()) << "--dump-dom printed nothing:\n" << out->log;
}

// No console message of any kind (the page logs nothing when all is well; Vega and Vega-Lite
// warnings about a bad spec or an empty scale would show here), no problem reported by the
// page, and every chart in `charts` drawn as an SVG with marks.
void ExpectAllChartsDrawn(const Rendered& rendered, const std::vector<std::string>& charts) {
  std::stringstream lines(rendered.log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << "console message: " << line;
  }
  const std::string& page = rendered.dom;
  EXPECT_NE(page.find("data-problems=\"0\""), std::string::npos) << "the page reported a problem";
  EXPECT_NE(page.find("<p id=\"report-problems\" class=\"problems\" hidden=\"\"></p>"),
            std::string::npos)
      << "the page shows a problem message";
  EXPECT_NE(page.find("data-charts-drawn=\"" + std::to_string(charts.size()) + "\""),
            std::string::npos)
      << "not every chart finished drawing";
  for (const std::string& id : charts) {
    const std::string element = ChartElement(page, id);
    ASSERT_FALSE(element.empty()) << id << " missing from the DOM";
    EXPECT_NE(element.find("<svg"), std::string::npos) << id << " has no SVG";
    EXPECT_NE(element.find("role-mark"), std::string::npos) << id << " has no marks";
    const size_t at = element.find("data-marks=\"");
    ASSERT_NE(at, std::string::npos) << id << " was not drawn";
    EXPECT_GT(std::stoul(element.substr(at + 12)), 0u) << id << " drew no marks";
  }
}

std::vector<std::string> ExpectedCharts(size_t dependence, size_t waterfalls) {
  std::vector<std::string> charts = {"chart-importance", "chart-summary"};
  for (size_t k = 1; k <= dependence; ++k)
    charts.push_back("chart-dependence-" + std::to_string(k));
  for (size_t k = 1; k <= waterfalls; ++k) charts.push_back("chart-waterfall-" + std::to_string(k));
  return charts;
}

#define TESSERA_REQUIRE_CHROMIUM(var)                                                         \
  const std::string var = FindChromium();                                                     \
  if (var.empty()) {                                                                          \
    TESSERA_MISSING_TOOL("Chromium not found (neither $TESSERA_CHROMIUM nor `chromium` on PATH); " \
                         "scripts/bootstrap installs Debian's `chromium` package");            \
  }

TEST(ExplainReportBrowserTest, RendersEveryChartOfflineWithoutConsoleMessages) {
  TESSERA_REQUIRE_CHROMIUM(chromium);
  TempDir dir;
  // Awkward names on purpose ("</script>", quotes, a dotted name): the page must still draw.
  ExplainReport report = tessera::testing::MakeClinicReport(600, 3, /*awkward_names=*/true);
  report.top_features = 4;
  const std::string html = dir.Path("report.html");
  Status st = WriteExplainReport(report, html);
  ASSERT_TRUE(st.ok()) << st.message();

  Rendered rendered;
  ASSERT_NO_FATAL_FAILURE(Render(chromium, dir, html, &rendered));
  ExpectAllChartsDrawn(rendered, ExpectedCharts(report.top_features, report.waterfalls.size()));
  // The awkward name is shown as text, not run as markup.
  EXPECT_NE(rendered.dom.find("bmi \"body\" &lt;mass&gt; &amp; index &lt;/script&gt;"),
            std::string::npos);

  // The screenshot: a real PNG of the window, with the charts' colours in it.
  ASSERT_GT(rendered.png.size(), 20000u) << "screenshot missing or nearly empty";
  Image image;
  const std::string error = DecodePng(rendered.png, &image);
  ASSERT_EQ(error, "");
  EXPECT_EQ(image.width, static_cast<uint32_t>(kWidth));
  EXPECT_EQ(image.height, static_cast<uint32_t>(kHeight));
  const size_t white = CountColour(image, 255, 255, 255, 0);
  const size_t pixels = size_t{image.width} * image.height;
  EXPECT_LT(white, pixels * 97 / 100) << "the page looks blank";
  EXPECT_GT(CountColour(image, 0x4a, 0x6f, 0xa5), 2000u) << "importance bars not visible";
  EXPECT_GT(CountColour(image, 0xff, 0x00, 0x51), 1000u) << "red (pushes up) not visible";
  EXPECT_GT(CountColour(image, 0x00, 0x8b, 0xfb), 1000u) << "blue (pushes down) not visible";
}

// Sparse input: no text values, no gain, a feature whose values are all missing. Charts that have
// nothing to show must be left out cleanly (an empty layer would make Vega warn on the console).
TEST(ExplainReportBrowserTest, SparseReportDrawsWithoutConsoleMessages) {
  TESSERA_REQUIRE_CHROMIUM(chromium);
  TempDir dir;
  ExplainReport report = tessera::testing::MakeClinicReport(40, 1);
  report.feature_text.clear();
  report.gain_importance.clear();
  const size_t f = report.feature_names.size();
  for (size_t row = 0; row < report.rows; ++row) {
    report.feature_values[row * f + 2] = std::numeric_limits<double>::quiet_NaN();
  }
  // Ranked by mean |SHAP|: age, smoker (no values without text), bmi, cholesterol (all missing
  // now), noise_1. The two without values get a note instead of a chart.
  report.top_features = 5;
  const std::string html = dir.Path("report.html");
  Status st = WriteExplainReport(report, html);
  ASSERT_TRUE(st.ok()) << st.message();

  Rendered rendered;
  ASSERT_NO_FATAL_FAILURE(Render(chromium, dir, html, &rendered));
  ExpectAllChartsDrawn(
      rendered, {"chart-importance", "chart-summary", "chart-dependence-1", "chart-dependence-3",
                 "chart-dependence-5", "chart-waterfall-1", "chart-waterfall-2"});
  EXPECT_EQ(rendered.dom.find("id=\"chart-dependence-2\""), std::string::npos);
  EXPECT_EQ(rendered.dom.find("id=\"chart-dependence-4\""), std::string::npos);
  EXPECT_EQ(Count(rendered.dom, "No values of this feature were given"), 2u);
}

}  // namespace
}  // namespace tessera::report
