// tessera ui over real HTTP, on a registry made by the real binary and a running tessera serve:
// the JSON API answers what the store holds, drift is relayed from the server's GET /drift, bad
// input gets JSON errors (404 unknown run/model/version/route, 502 when the server is gone), and
// the page and its scripts are served. Also: tessera ui refuses a missing store and a bad URL.
#include <gtest/gtest.h>

#include "ui_fixture.h"

namespace tessera {
namespace {

using nlohmann::json;
using testing::RunTessera;
using testing::TempDir;
using testing::UiFixture;

json GetJson(httplib::Client& client, const std::string& path, int status) {
  auto res = client.Get(path.c_str());
  EXPECT_TRUE(res) << path << ": " << httplib::to_string(res.error());
  if (!res) return nullptr;
  EXPECT_EQ(res->status, status) << path << ": " << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
  return json::parse(res->body, nullptr, false);
}

TEST(CliUi, ApiAnswersFromTheStoreAndTheServer) {
  UiFixture f;
  ASSERT_NO_FATAL_FAILURE(f.SetUp());
  httplib::Client client = f.UiClient();

  const json runs = GetJson(client, "/api/runs", 200)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["id"], f.runs[1]);  // newest first
  EXPECT_EQ(runs[1]["params"]["num_iterations"], 30);

  const json run = GetJson(client, "/api/runs/" + f.runs[0].substr(0, 10), 200);
  EXPECT_EQ(run["id"], f.runs[0]);
  ASSERT_FALSE(run["metric_keys"].empty());
  const json metrics = GetJson(client, "/api/runs/" + f.runs[0] + "/metrics", 200);
  const std::string key = run["metric_keys"][0];
  const json points = metrics["points"][key];
  ASSERT_GE(points.size(), 2u) << metrics.dump();
  EXPECT_LT(points[0][0].get<int>(), points[1][0].get<int>());                   // by step
  EXPECT_EQ(points.back()[1].get<double>(), run["metrics"][key].get<double>());  // last = final

  const json models = GetJson(client, "/api/models", 200)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["aliases"], json::parse(R"({"champion":1,"challenger":2})"));
  const json lineage = GetJson(client, "/api/models/churn/versions/2", 200);
  EXPECT_EQ(lineage["run"]["id"], f.runs[1]);
  EXPECT_EQ(lineage["same_data"], json::array({"models:/churn/1"}));

  // Drift, relayed from the server: the rows it received, per feature.
  const json drift = GetJson(client, "/api/drift", 200);
  EXPECT_EQ(drift["configured"], true);
  EXPECT_EQ(drift["serve_url"], f.serve_url);
  EXPECT_EQ(drift["drift"]["model_name"], "churn");
  EXPECT_EQ(drift["drift"]["model_version"], "1");
  EXPECT_EQ(drift["drift"]["rows"], UiFixture::kRowsSent);
  ASSERT_EQ(drift["drift"]["features"].size(), 28u);
  EXPECT_EQ(drift["drift"]["features"][0]["name"], "f0");
  EXPECT_GE(drift["drift"]["features"][0]["psi"].get<double>(), 0.0);

  // Bad input: JSON errors, never a crash.
  for (const std::string path :
       {"/api/runs/ffffffffffffffffffff", "/api/runs/NOT-HEX/metrics", "/api/models/nope",
        "/api/models/churn/versions/3", "/api/models/churn/versions/x", "/api/nothing",
        "/static/nothing.js", "/api/runs/a/b/c"}) {
    const json e = GetJson(client, path, 404);
    EXPECT_TRUE(e.is_object() && e["error"].is_string()) << path << ": " << e.dump();
  }
  EXPECT_TRUE(GetJson(client, "/api/runs?limit=zero", 400)["error"].is_string());

  // The page and the scripts it loads.
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/static/app.js"), std::string::npos);
  for (const char* script : {"/static/app.js", "/static/vega/vega.js", "/static/vega/vega-lite.js",
                             "/static/vega/vega-embed.js", "/static/style.css"}) {
    auto res = client.Get(script);
    ASSERT_TRUE(res) << script;
    EXPECT_EQ(res->status, 200) << script;
    EXPECT_GT(res->body.size(), 500u) << script;
    EXPECT_EQ(res->body.find("sourceMappingURL"), std::string::npos) << script;
  }

  // The model server gone: a 502 naming it, and the dashboard still answers.
  EXPECT_EQ(f.serve->Stop(), 0) << f.serve->log();
  const json gone = GetJson(client, "/api/drift", 502);
  EXPECT_NE(gone["error"].get<std::string>().find("cannot reach tessera serve at " + f.serve_url),
            std::string::npos)
      << gone.dump();
  EXPECT_EQ(GetJson(client, "/api/runs", 200)["runs"].size(), 2u);
  EXPECT_EQ(f.ui->Stop(), 0) << f.ui->log();
}

TEST(CliUi, RefusesAMissingStoreAndABadServeUrl) {
  TempDir dir;
  auto missing = RunTessera(dir, "ui --store nowhere --port 0");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no store at nowhere"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Path("nowhere")))
      << "a mistyped --store must not be created";
  ASSERT_EQ(RunTessera(dir, "gen -o t.csv --rows 200 --seed 1").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "train --data t.csv --label label -o m.json -p num_iterations=2 -q")
                .exit_code,
            0);
  auto bad_url = RunTessera(dir, "ui --serve-url localhost:8080 --port 0");
  EXPECT_EQ(bad_url.exit_code, 1);
  EXPECT_NE(bad_url.err.find("expected http://HOST:PORT"), std::string::npos) << bad_url.err;
}

}  // namespace
}  // namespace tessera
