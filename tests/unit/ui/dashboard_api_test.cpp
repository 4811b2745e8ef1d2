// The dashboard's JSON API over a real store: runs, per-step metrics, models with aliases,
// lineage, and JSON errors (404 unknown, 400 ambiguous or bad limit) for bad input; /api/drift
// without a model server, with one that is down, and with a bad --serve-url.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tessera/ui/dashboard_api.h"
#include "test_files.h"

namespace tessera::ui {
namespace {

using nlohmann::json;
using testing::TempDir;

json Body(const UiResponse& r) {
  return json::parse(r.body);
}

struct Fixture {
  TempDir dir;
  std::string run_a, run_b, artifact;
  std::unique_ptr<DashboardApi> api;

  explicit Fixture(std::unique_ptr<DriftClient> drift = nullptr) {
    auto store = registry::Store::Open(dir.Path("store")).value();
    registry::RunInfo info;
    info.kind = "train";
    info.command = "tessera train --data t.csv";
    info.data_fingerprint = "fp1";
    info.params = {{"num_iterations", 3}};
    run_a = store->StartRun(info).value();
    EXPECT_TRUE(store
                    ->LogMetrics(run_a, {{"valid auc", 1, 0.7},
                                         {"valid auc", 2, 0.8},
                                         {"valid auc", 3, 0.85},
                                         {"train loss", 1, 0.6},
                                         {"train loss", 2, 0.5}})
                    .ok());
    EXPECT_TRUE(store->SetFinalMetrics(run_a, {{"valid auc", 0.85}}).ok());
    const std::string model_file = dir.Write("model.json", "{\"not\": \"checked by the store\"}");
    auto ref = store->PutArtifactFile(model_file, "model").value();
    artifact = ref.sha256;
    EXPECT_TRUE(store->AddRunArtifact(run_a, ref).ok());
    EXPECT_TRUE(store->FinishRun(run_a, "finished").ok());
    info.params = {{"num_iterations", 5}};
    run_b = store->StartRun(info).value();  // same data, no metrics
    EXPECT_TRUE(store->FinishRun(run_b, "failed").ok());
    EXPECT_TRUE(store->RegisterVersion("churn", artifact, run_a, "first", {}).ok());
    EXPECT_TRUE(store->RegisterVersion("churn", artifact, run_b, "second", {}).ok());
    EXPECT_TRUE(store->RegisterVersion("churn", artifact, "", "no run", {}).ok());
    EXPECT_TRUE(store->SetAlias("churn", "champion", 1).ok());
    EXPECT_TRUE(store->SetAlias("churn", "challenger", 2).ok());
    api = std::make_unique<DashboardApi>(std::move(store), std::move(drift));
  }
};

TEST(DashboardApi, ListsRunsNewestFirstWithFinalMetrics) {
  Fixture f;
  const UiResponse r = f.api->Runs("");
  ASSERT_EQ(r.status, 200) << r.body;
  const json runs = Body(r)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["id"], f.run_b);
  EXPECT_EQ(runs[0]["status"], "failed");
  EXPECT_EQ(runs[1]["metrics"]["valid auc"], 0.85);
  EXPECT_EQ(runs[1]["artifacts"][0]["sha256"], f.artifact);
  EXPECT_EQ(Body(f.api->Runs("1"))["runs"].size(), 1u);
  for (const char* bad : {"0", "-1", "x", "1x", "100001"}) {
    const UiResponse e = f.api->Runs(bad);
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_NE(Body(e)["error"].get<std::string>().find("limit"), std::string::npos) << e.body;
  }
}

TEST(DashboardApi, OneRunByPrefixWithItsMetricKeys) {
  Fixture f;
  const UiResponse r = f.api->Run(f.run_a.substr(0, 12));
  ASSERT_EQ(r.status, 200) << r.body;
  const json run = Body(r);
  EXPECT_EQ(run["id"], f.run_a);
  EXPECT_EQ(run["params"]["num_iterations"], 3);
  EXPECT_EQ(run["metric_keys"], json::array({"train loss", "valid auc"}));
}

TEST(DashboardApi, MetricPointsPerKeyInStepOrder) {
  Fixture f;
  const UiResponse r = f.api->RunMetrics(f.run_a);
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Body(r);
  EXPECT_EQ(body["run_id"], f.run_a);
  EXPECT_EQ(body["points"]["valid auc"], json::parse("[[1,0.7],[2,0.8],[3,0.85]]"));
  EXPECT_EQ(body["points"]["train loss"], json::parse("[[1,0.6],[2,0.5]]"));
  EXPECT_EQ(Body(f.api->RunMetrics(f.run_b))["points"], json::object());
}

TEST(DashboardApi, UnknownOrAmbiguousRunsAreJsonErrors) {
  Fixture f;
  for (const std::string bad : {"ffffffffffffffff0", "nope", "", "../etc", "ABC"}) {
    for (const UiResponse& e : {f.api->Run(bad), f.api->RunMetrics(bad)}) {
      EXPECT_EQ(e.status, 404) << bad;
      EXPECT_NE(Body(e)["error"].get<std::string>().find("no run"), std::string::npos) << e.body;
    }
  }
  // Two random 32-digit ids share at most a short prefix; the empty-ish prefix of one hex digit
  // common to both is ambiguous, so look for the shared prefix.
  size_t common = 0;
  while (f.run_a[common] == f.run_b[common]) ++common;
  const UiResponse all = f.api->Run(f.run_a.substr(0, common));
  if (common > 0) {
    EXPECT_EQ(all.status, 400) << all.body;
    EXPECT_NE(Body(all)["error"].get<std::string>().find("several runs"), std::string::npos);
  }
}

TEST(DashboardApi, ModelsWithVersionsAndAliases) {
  Fixture f;
  const UiResponse r = f.api->Models();
  ASSERT_EQ(r.status, 200) << r.body;
  const json models = Body(r)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["name"], "churn");
  EXPECT_EQ(models[0]["aliases"], json::parse(R"({"champion":1,"challenger":2})"));
  ASSERT_EQ(models[0]["versions"].size(), 3u);
  EXPECT_EQ(models[0]["versions"][0]["aliases"], json::array({"champion"}));

  const json one = Body(f.api->Model("churn"));
  EXPECT_EQ(one["versions"][0]["run"]["id"], f.run_a);
  EXPECT_EQ(one["versions"][0]["run"]["metrics"]["valid auc"], 0.85);
  EXPECT_EQ(one["versions"][1]["run"]["status"], "failed");
  EXPECT_TRUE(one["versions"][2]["run"].is_null());
  const UiResponse missing = f.api->Model("nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["error"], "no registered model 'nope'");
}

TEST(DashboardApi, LineageOfAVersion) {
  Fixture f;
  const UiResponse r = f.api->Lineage("churn", "1");
  ASSERT_EQ(r.status, 200) << r.body;
  const json l = Body(r);
  EXPECT_EQ(l["ref"], "models:/churn/1");
  EXPECT_EQ(l["version"]["artifact"], f.artifact);
  EXPECT_EQ(l["run"]["id"], f.run_a);
  EXPECT_EQ(l["run"]["data_fingerprint"], "fp1");
  EXPECT_EQ(l["same_data"], json::array({"models:/churn/2"}));  // version 3 has no run
  const json no_run = Body(f.api->Lineage("churn", "3"));
  EXPECT_TRUE(no_run["run"].is_null());
  EXPECT_EQ(no_run["same_data"], json::array());
  for (const auto& [name, version] :
       std::vector<std::pair<std::string, std::string>>{{"churn", "4"},
                                                        {"churn", "0"},
                                                        {"churn", "x"},
                                                        {"churn", "1.5"},
                                                        {"nope", "1"},
                                                        {"churn", "99999999999"}}) {
    const UiResponse e = f.api->Lineage(name, version);
    EXPECT_EQ(e.status, 404) << name << "/" << version;
    EXPECT_TRUE(Body(e)["error"].is_string()) << e.body;
  }
}

TEST(DashboardApi, DriftWithoutAServerSaysSo) {
  Fixture f;
  const UiResponse r = f.api->Drift();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["configured"], false);
}

TEST(DashboardApi, DriftFromAServerThatIsDownIsA502) {
  // Port 1 on loopback: nothing listens there (connecting is refused at once).
  Fixture f(DriftClient::Create("http://127.0.0.1:1/", 1.0).value());
  const UiResponse r = f.api->Drift();
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(
      Body(r)["error"].get<std::string>().find("cannot reach tessera serve at http://127.0.0.1:1"),
      std::string::npos)
      << r.body;
}

TEST(DriftClient, RefusesWhatIsNotAnHttpAddress) {
  for (const char* bad :
       {"", "127.0.0.1:8080", "ftp://x:1", "http://", "http://host:1/drift", "https://x:1"}) {
    auto c = DriftClient::Create(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("expected http://HOST:PORT"), std::string::npos);
  }
  EXPECT_EQ(DriftClient::Create("http://localhost:8080/").value()->url(), "http://localhost:8080");
}

}  // namespace
}  // namespace tessera::ui
