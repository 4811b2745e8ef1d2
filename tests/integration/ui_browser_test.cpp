// The dashboard in a real browser: headless Debian Chromium driven by Playwright (npm
// playwright-core, pinned in third_party/npm; tests/integration/ui_browser.js) loads every page of
// `tessera ui` over a registry made by the real binary and a running `tessera serve`. Each page
// must finish ("ready") with no console message, page error, failed request or HTTP error; the
// run page must draw its metric curves and the drift page its PSI bars (marks with a real size in
// the SVG); an unknown run shows the API's message; a screenshot per page is saved under the
// build folder and its path printed.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "required_tool.h"
#include "ui_fixture.h"

namespace tessera {
namespace {

using nlohmann::json;
using testing::UiFixture;

// The first of `names` found as an executable on $PATH, "" if none.
std::string FindOnPath(std::initializer_list<const char*> names) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : names)
      if (access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

TEST(UiBrowserTest, EveryPageLoadsCleanlyAndTheChartsDraw) {
  const char* chromium_env = std::getenv("TESSERA_CHROMIUM");
  const std::string chromium =
      chromium_env && *chromium_env ? chromium_env : FindOnPath({"chromium", "chromium-browser"});
  const std::string node = FindOnPath({"node", "nodejs"});
  const std::string playwright =
      std::string(TESSERA_SOURCE_DIR) + "/third_party/npm/node_modules/playwright-core";
  if (chromium.empty())
    TESSERA_MISSING_TOOL("Chromium not found (scripts/bootstrap installs Debian's chromium)");
  if (node.empty())
    TESSERA_MISSING_TOOL("node not found (scripts/bootstrap installs Debian's nodejs)");
  if (!std::filesystem::exists(playwright + "/package.json"))
    TESSERA_MISSING_TOOL(playwright +
                         " not found (scripts/bootstrap runs npm ci in third_party/npm)");

  UiFixture f;
  ASSERT_NO_FATAL_FAILURE(f.SetUp());
  const std::string shots = std::string(TESSERA_TEST_OUTPUT_DIR) + "/ui_browser";
  std::filesystem::create_directories(shots);
  const json pages = json::array({
      {{"name", "runs"}, {"hash", "#/runs"}},
      {{"name", "run"}, {"hash", "#/runs/" + f.runs[1]}},
      {{"name", "models"}, {"hash", "#/models"}},
      {{"name", "model"}, {"hash", "#/models/churn"}},
      {{"name", "lineage"}, {"hash", "#/models/churn/2"}},
      {{"name", "drift"}, {"hash", "#/drift"}},
      {{"name", "unknown-run"}, {"hash", "#/runs/ffffffffffffffff"}},  // last: expected to fail
  });
  f.dir.Write("config.json",
              json{{"url", f.UiUrl()}, {"screenshot_dir", shots}, {"pages", pages}}.dump());
  const std::string out = f.dir.Path("browser.json"), err = f.dir.Path("browser.log");
  const std::string command = "timeout 180 '" + node + "' '" + TESSERA_SOURCE_DIR +
                              "/tests/integration/ui_browser.js' '" + playwright + "' '" +
                              chromium + "' '" + f.dir.Path("config.json") + "' > '" + out +
                              "' 2> '" + err + "' < /dev/null";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the browser script failed (124 = timed out):\n"
      << command << "\n"
      << testing::ReadFile(err);
  const json report = json::parse(testing::ReadFile(out), nullptr, false);
  ASSERT_TRUE(report.is_object()) << testing::ReadFile(out);
  ASSERT_EQ(report["pages"].size(), pages.size());
  std::cout << "browser: Chromium " << report["browser"].get<std::string>() << "\n";

  for (const json& page : report["pages"]) {
    const std::string name = page["name"];
    if (name == "unknown-run") continue;  // checked below
    SCOPED_TRACE(name + " (" + page["hash"].get<std::string>() + ")");
    EXPECT_EQ(page["state"], "ready") << page["problem"];
    EXPECT_EQ(page["problem"], "");
    EXPECT_EQ(page["console"], json::array()) << "console messages";
    EXPECT_EQ(page["page_errors"], json::array());
    EXPECT_EQ(page["failed_requests"], json::array());
    EXPECT_EQ(page["bad_responses"], json::array());
    const std::string shot = page["screenshot"];
    ASSERT_TRUE(std::filesystem::exists(shot));
    EXPECT_GT(std::filesystem::file_size(shot), 10000u) << "screenshot nearly empty";
    std::cout << "screenshot: " << shot << "\n";
  }
  const json& run = report["pages"][1];
  ASSERT_FALSE(run["charts"].empty()) << "the run page drew no metric chart";
  for (const json& chart : run["charts"]) {
    EXPECT_GT(chart["data_marks"].get<int>(), 0) << chart.dump();
    EXPECT_GT(chart["svg_marks"].get<int>(), 0) << chart.dump();
  }
  const json& drift = report["pages"][5];
  ASSERT_EQ(drift["charts"].size(), 1u) << "the drift page drew no chart";
  // One bar per feature (28) plus the two threshold rules, at least.
  EXPECT_GE(drift["charts"][0]["svg_marks"].get<int>(), 30) << drift["charts"][0].dump();

  // An unknown run: the page shows the API's message, and the only complaint is the 404 itself.
  const json& unknown = report["pages"][6];
  EXPECT_EQ(unknown["state"], "error");
  EXPECT_EQ(unknown["problem"], "no run 'ffffffffffffffff' in the store");
  EXPECT_EQ(unknown["page_errors"], json::array());
  ASSERT_EQ(unknown["bad_responses"].size(), 1u) << unknown.dump();
  EXPECT_EQ(unknown["bad_responses"][0], "404 " + f.UiUrl() + "/api/runs/ffffffffffffffff");
  ASSERT_EQ(unknown["console"].size(), 1u) << unknown.dump();
  EXPECT_NE(unknown["console"][0]["text"].get<std::string>().find("404"), std::string::npos);
}

}  // namespace
}  // namespace tessera
