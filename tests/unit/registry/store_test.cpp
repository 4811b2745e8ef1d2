#include "tessera/registry/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tessera/core/sha256.h"
#include "test_files.h"

namespace tessera::registry {
namespace {

using tessera::testing::TempDir;

std::unique_ptr<Store> OpenStore(const TempDir& dir) {
  auto store = Store::Open(dir.Path("store"));
  EXPECT_TRUE(store.ok()) << store.status().message();
  return std::move(store).value();
}

TEST(Store, RunsRecordParamsMetricsAndArtifacts) {
  TempDir dir;
  auto store = OpenStore(dir);
  RunInfo info;
  info.kind = "train";
  info.command = "tessera train --data t.csv";
  info.data_fingerprint = "abc";
  info.params = {{"num_leaves", 31}};
  info.tags = {{"team", "risk"}};
  auto id = store->StartRun(info);
  ASSERT_TRUE(id.ok()) << id.status().message();
  std::vector<MetricPoint> points;
  for (int step = 1; step <= 10; ++step) points.push_back({"valid auc", step, 0.5 + step * 0.01});
  ASSERT_TRUE(store->LogMetrics(*id, points).ok());
  ASSERT_TRUE(store->SetFinalMetrics(*id, {{"valid auc", 0.6}}).ok());
  dir.Write("model.json", "{\"a\": 1}");
  auto artifact = store->PutArtifactFile(dir.Path("model.json"), "model");
  ASSERT_TRUE(artifact.ok()) << artifact.status().message();
  EXPECT_EQ(artifact->sha256, Sha256Hex("{\"a\": 1}"));
  ASSERT_TRUE(store->AddRunArtifact(*id, *artifact).ok());
  ASSERT_TRUE(store->FinishRun(*id, "finished").ok());

  auto run = store->GetRun(id->substr(0, 8));  // a prefix is enough
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->id, *id);
  EXPECT_EQ(run->status, "finished");
  EXPECT_EQ(run->params["num_leaves"], 31);
  EXPECT_EQ(run->tags.at("team"), "risk");
  EXPECT_EQ(run->metrics.at("valid auc"), 0.6);
  ASSERT_EQ(run->artifacts.size(), 1u);
  EXPECT_EQ(run->artifacts[0].size, 8);
  EXPECT_GE(run->duration(), 0);
  auto history = store->MetricHistory(*id, "valid auc");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 10u);
  EXPECT_EQ((*history)[9].step, 10);
  EXPECT_FALSE(store->GetRun("zzz").ok());
}

TEST(Store, ListsAndFiltersRuns) {
  TempDir dir;
  auto store = OpenStore(dir);
  for (int i = 0; i < 6; ++i) {
    RunInfo info;
    info.kind = i % 2 ? "eval" : "train";
    info.tags = {{"seed", std::to_string(i)}};
    auto id = store->StartRun(info);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(store->SetFinalMetrics(*id, {{"auc", 0.5 + 0.05 * i}}).ok());
  }
  RunFilter all;
  EXPECT_EQ(store->ListRuns(all)->size(), 6u);
  RunFilter train;
  train.kind = "train";
  EXPECT_EQ(store->ListRuns(train)->size(), 3u);
  RunFilter good;
  good.metric = "auc";
  good.metric_min = 0.66;
  EXPECT_EQ(store->ListRuns(good)->size(), 2u);
  RunFilter tagged;
  tagged.tags = {{"seed", "4"}};
  auto one = store->ListRuns(tagged);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().metrics.at("auc"), 0.7);
  RunFilter limited;
  limited.limit = 2;
  EXPECT_EQ(store->ListRuns(limited)->size(), 2u);
}

TEST(Store, CorruptArtifactsAreDetected) {
  TempDir dir;
  auto store = OpenStore(dir);
  dir.Write("m.json", std::string(1000, 'x'));
  auto artifact = store->PutArtifactFile(dir.Path("m.json"), "model");
  ASSERT_TRUE(artifact.ok());
  auto path = store->VerifiedArtifactPath(artifact->sha256);
  ASSERT_TRUE(path.ok());
  {
    std::fstream f(*path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('y');  // one flipped byte
  }
  auto bad = store->VerifiedArtifactPath(artifact->sha256);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("corrupt"), std::string::npos) << bad.status().message();
  // Putting the same content again repairs it.
  ASSERT_TRUE(store->PutArtifactFile(dir.Path("m.json"), "model").ok());
  EXPECT_TRUE(store->VerifiedArtifactPath(artifact->sha256).ok());
}

TEST(Store, VersionsAliasesReferencesAndLineage) {
  TempDir dir;
  auto store = OpenStore(dir);
  RunInfo info;
  info.kind = "train";
  info.data_fingerprint = "data-1";
  auto run = store->StartRun(info);
  ASSERT_TRUE(run.ok());
  dir.Write("a.json", "A");
  dir.Write("b.json", "B");
  auto a = store->PutArtifactFile(dir.Path("a.json"), "model");
  auto b = store->PutArtifactFile(dir.Path("b.json"), "model");
  auto v1 = store->RegisterVersion("churn", a->sha256, *run, "first", {{"stage", "test"}});
  ASSERT_TRUE(v1.ok()) << v1.status().message();
  EXPECT_EQ(v1->version, 1);
  auto v2 = store->RegisterVersion("churn", b->sha256, "", "second", {});
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  ASSERT_TRUE(store->SetAlias("churn", "champion", 1).ok());
  EXPECT_EQ(store->ResolveRef("models:/churn@champion")->artifact, a->sha256);
  ASSERT_TRUE(store->SetAlias("churn", "champion", 2).ok());  // the alias moves
  EXPECT_EQ(store->ResolveRef("models:/churn@champion")->version, 2);
  EXPECT_EQ(store->ResolveRef("models:/churn/1")->description, "first");
  EXPECT_EQ(store->GetVersion("churn", 2)->aliases, std::vector<std::string>{"champion"});
  EXPECT_FALSE(store->SetAlias("churn", "champion", 7).ok());
  EXPECT_FALSE(store->SetAlias("churn", "3rd", 1).ok());
  EXPECT_FALSE(store->ResolveRef("models:/churn@nobody").ok());
  EXPECT_FALSE(store->ResolveRef("models:/churn/x").ok());
  EXPECT_FALSE(store->ResolveRef("models:/churn").ok());
  EXPECT_FALSE(store->RegisterVersion("a/b", a->sha256, "", "", {}).ok());
  EXPECT_FALSE(store->RegisterVersion("churn", std::string(64, '0'), "", "", {}).ok());  // no such artifact
  auto trained = store->VersionsTrainedOn("data-1");
  ASSERT_EQ(trained->size(), 1u);
  EXPECT_EQ(trained->front().version, 1);
  EXPECT_EQ(store->ListVersions("")->size(), 2u);
  ASSERT_TRUE(store->DeleteAlias("churn", "champion").ok());
  EXPECT_FALSE(store->DeleteAlias("churn", "champion").ok());
}

TEST(Store, RefusesASchemaFromANewerTessera) {
  TempDir dir;
  { OpenStore(dir); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.Path("store/store.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(dir.Path("store"));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer Tessera"), std::string::npos) << store.status().message();
}

// Processes (not threads) writing to one store at the same time all succeed.
TEST(Store, ConcurrentProcessesAllSucceed) {
  TempDir dir;
  { OpenStore(dir); }
  constexpr int kProcesses = 4, kRuns = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::Open(dir.Path("store"));
      if (!store.ok()) _exit(2);
      for (int r = 0; r < kRuns; ++r) {
        RunInfo info;
        info.kind = "train";
        auto id = (*store)->StartRun(info);
        if (!id.ok()) _exit(3);
        std::vector<MetricPoint> points;
        for (int s = 0; s < 20; ++s) points.push_back({"loss", s, 1.0 / (s + 1)});
        if (!(*store)->LogMetrics(*id, points).ok() || !(*store)->FinishRun(*id, "finished").ok()) _exit(4);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit " << WEXITSTATUS(status);
  }
  auto store = OpenStore(dir);
  EXPECT_EQ(store->ListRuns({})->size(), static_cast<size_t>(kProcesses * kRuns));
}

// kill -9 in the middle of registering and storing artifacts leaves a consistent store.
TEST(Store, KillNineLeavesTheStoreConsistent) {
  TempDir dir;
  { OpenStore(dir); }
  std::string big(3 << 20, 'z');
  for (int round = 0; round < 3; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::Open(dir.Path("store"));
      if (!store.ok()) _exit(2);
      for (int i = 0;; ++i) {
        const std::string file = dir.Path("art" + std::to_string(round) + "_" + std::to_string(i));
        big[static_cast<size_t>(i) % big.size()] = static_cast<char>('a' + i % 26);
        { std::ofstream(file, std::ios::binary) << big; }
        auto a = (*store)->PutArtifactFile(file, "model");
        if (!a.ok()) _exit(3);
        if (!(*store)->RegisterVersion("m", a->sha256, "", "", {}).ok()) _exit(4);
      }
    }
    usleep(150000 + 100000 * round);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "the writer ended before the kill: " << WEXITSTATUS(status);
  }
  auto store = OpenStore(dir);
  auto versions = store->ListVersions("m");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  EXPECT_GT(versions->size(), 0u);
  for (const auto& v : *versions) EXPECT_TRUE(store->VerifiedArtifactPath(v.artifact).ok()) << "version " << v.version;
  // Version numbers have no gaps: each registration was all or nothing.
  for (size_t i = 0; i < versions->size(); ++i) EXPECT_EQ((*versions)[i].version, static_cast<int>(i + 1));
  // No temp file is left where a reader could take it for an artifact.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.Path("store/artifacts"))) {
    if (entry.is_regular_file() && entry.path().filename().string().find(".tmp") == std::string::npos) {
      EXPECT_EQ(*Sha256File(entry.path().string()), entry.path().filename().string());
    }
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.Path("store/store.db").c_str(), &db), SQLITE_OK);
  char* result = nullptr;
  auto check = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] ? values[0] : "";
    return 0;
  };
  std::string integrity;
  sqlite3_exec(db, "PRAGMA integrity_check", check, &integrity, &result);
  sqlite3_close(db);
  EXPECT_EQ(integrity, "ok");
}

}  // namespace
}  // namespace tessera::registry
