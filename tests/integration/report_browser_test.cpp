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
#include <sstream>
#include <string>
#include <vector>

#include "explain_report_fixture.h"
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

TEST(ExplainReportBrowserTest, RendersEveryChartOfflineWithoutConsoleMessages) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "Chromium not found (neither $TESSERA_CHROMIUM nor `chromium` on PATH); "
                    "scripts/bootstrap installs Debian's `chromium` package";
  }
  TempDir dir;
  // Awkward names on purpose ("</script>", quotes, a dotted name): the page must still draw.
  ExplainReport report = tessera::testing::MakeClinicReport(600, 3, /*awkward_names=*/true);
  report.top_features = 4;
  const std::string html = dir.Path("report.html");
  Status st = WriteExplainReport(report, html);
  ASSERT_TRUE(st.ok()) << st.message();

  std::vector<std::string> charts = {"chart-importance", "chart-summary"};
  for (size_t k = 1; k <= report.top_features; ++k)
    charts.push_back("chart-dependence-" + std::to_string(k));
  for (size_t k = 1; k <= report.waterfalls.size(); ++k)
    charts.push_back("chart-waterfall-" + std::to_string(k));

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
  const std::string stderr_text = ReadFile(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "chromium failed (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
      << ", 124 = timed out after 90 s):\n"
      << command << "\n"
      << stderr_text;

  // No console message of any kind: the page logs nothing when all is well, and Vega/Vega-Lite
  // warnings (a bad spec, an empty scale) would show here.
  std::stringstream lines(stderr_text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << "console message: " << line;
  }

  const std::string page = ReadFile(dom);
  ASSERT_FALSE(page.empty()) << "--dump-dom printed nothing:\n" << stderr_text;
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
  // The awkward name is shown as text, not run as markup.
  EXPECT_NE(page.find("bmi \"body\" &lt;mass&gt; &amp; index &lt;/script&gt;"), std::string::npos);

  // The screenshot: a real PNG of the window, with the charts' colours in it.
  const std::string shot = ReadFile(png);
  ASSERT_GT(shot.size(), 20000u) << "screenshot missing or nearly empty";
  Image image;
  const std::string error = DecodePng(shot, &image);
  ASSERT_EQ(error, "");
  EXPECT_EQ(image.width, static_cast<uint32_t>(kWidth));
  EXPECT_EQ(image.height, static_cast<uint32_t>(kHeight));
  const size_t white = CountColour(image, 255, 255, 255, 0);
  const size_t pixels = size_t{image.width} * image.height;
  EXPECT_LT(white, pixels * 97 / 100) << "the page looks blank";
  EXPECT_GT(CountColour(image, 0x4a, 0x6f, 0xa5), 2000u) << "importance bars not visible";
  EXPECT_GT(CountColour(image, 0xff, 0x00, 0x51), 1000u) << "red (pushes up) bars/dots not visible";
  EXPECT_GT(CountColour(image, 0x00, 0x8b, 0xfb), 1000u)
      << "blue (pushes down) bars/dots not visible";
}

}  // namespace
}  // namespace tessera::report
