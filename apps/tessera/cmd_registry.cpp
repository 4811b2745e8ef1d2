// tessera runs list|show|compare and tessera models register|list|show|alias|lineage: the
// tracking store and the model registry. Tables by default, --json for scripts.
#include <cstdio>
#include <ctime>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/models/model_file.h"
#include "tessera/registry/registry_json.h"

namespace tessera::cli {

namespace {

using registry::ModelVersion;
using registry::Run;
using registry::Store;

std::string LocalTime(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::map<std::string, std::string> ParseTags(const std::vector<std::string>& items) {
  std::map<std::string, std::string> tags;
  ParseKeyValues(items, &tags);
  return tags;
}

using registry::RunToJson;
using registry::VersionToJson;

// --- runs ---------------------------------------------------------------------------------

struct RunsFlags {
  std::string store, kind, metric, run;
  std::vector<std::string> tags, runs;
  double min = -HUGE_VAL, max = HUGE_VAL;
  size_t limit = 50;
  bool json = false;
};

void RunsList(const RunsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  registry::RunFilter filter;
  filter.kind = f.kind;
  filter.tags = ParseTags(f.tags);
  filter.metric = f.metric;
  if (f.min > -HUGE_VAL) filter.metric_min = f.min;
  if (f.max < HUGE_VAL) filter.metric_max = f.max;
  if ((filter.metric_min || filter.metric_max) && f.metric.empty())
    throw StatusError{Status::UserError("--min/--max need --metric NAME")};
  filter.limit = f.limit;
  const auto runs = Check(store->ListRuns(filter));
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(RunToJson(r));
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("%-10s %-7s %-9s %-19s %9s  %-10s %s\n", "run", "kind", "status", "started", "seconds", "data", "metrics");
  for (const auto& r : runs) {
    std::string metrics;
    for (const auto& [k, v] : r.metrics) metrics += (metrics.empty() ? "" : ", ") + k + "=" + Number(v);
    std::printf("%-10s %-7s %-9s %-19s %9.2f  %-10s %s\n", r.id.substr(0, 10).c_str(), r.kind.c_str(), r.status.c_str(),
                LocalTime(r.started).c_str(), r.duration(), r.data_fingerprint.substr(0, 10).c_str(), metrics.c_str());
  }
}

void RunsShow(const RunsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  const Run r = Check(store->GetRun(f.run));
  if (f.json) {
    std::printf("%s\n", RunToJson(r).dump(2).c_str());
    return;
  }
  std::printf("run          %s\nkind         %s\nstatus       %s\nstarted      %s\nduration     %.2f s\n", r.id.c_str(),
              r.kind.c_str(), r.status.c_str(), LocalTime(r.started).c_str(), r.duration());
  std::printf("host         %s\nversion      %s\ncommand      %s\ndata         %s\n", r.host.c_str(), r.tessera_version.c_str(),
              r.command.c_str(), r.data_fingerprint.c_str());
  std::printf("params       %s\n", r.params.dump().c_str());
  for (const auto& [k, v] : r.tags) std::printf("tag          %s = %s\n", k.c_str(), v.c_str());
  for (const auto& [k, v] : r.metrics) std::printf("metric       %s = %s\n", k.c_str(), Number(v).c_str());
  for (const auto& a : r.artifacts)
    std::printf("artifact     %s  %s  (%lld bytes)\n", a.name.c_str(), a.sha256.c_str(), static_cast<long long>(a.size));
}

void RunsCompare(const RunsFlags& f) {
  if (f.runs.size() < 2) throw StatusError{Status::UserError("runs compare needs at least two runs")};
  auto store = Check(Store::Open(StoreDir(f.store)));
  std::vector<Run> runs;
  for (const auto& id : f.runs) runs.push_back(Check(store->GetRun(id)));
  // Rows: every parameter and metric any run has; params that differ are marked.
  std::map<std::string, std::vector<std::string>> params, metrics;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const auto& [k, v] : runs[i].params.items()) {
      auto& row = params[k];
      row.resize(runs.size(), "-");
      row[i] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    for (const auto& [k, v] : runs[i].metrics) {
      auto& row = metrics[k];
      row.resize(runs.size(), "-");
      row[i] = Number(v);
    }
  }
  if (f.json) {
    nlohmann::json out = {{"runs", nlohmann::json::array()}, {"params", params}, {"metrics", metrics}};
    for (const auto& r : runs) out["runs"].push_back(r.id);
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("%-28s", "");
  for (const auto& r : runs) std::printf(" %-14s", r.id.substr(0, 10).c_str());
  std::printf("\n");
  auto print = [&](const char* section, const std::map<std::string, std::vector<std::string>>& rows, bool mark) {
    for (const auto& [k, row] : rows) {
      bool differs = false;
      for (const auto& v : row) differs |= v != row[0];
      std::printf("%s %-24s%s", section, k.substr(0, 24).c_str(), mark && differs ? "*" : " ");
      for (size_t i = 0; i < runs.size(); ++i) std::printf(" %-14s", i < row.size() ? row[i].substr(0, 14).c_str() : "-");
      std::printf("\n");
    }
  };
  print("param ", params, true);
  print("metric", metrics, false);
  std::printf("(* the parameter differs between runs)\n");
}

// --- models -------------------------------------------------------------------------------

struct ModelsFlags {
  std::string store, name, run, model, description, alias, ref, fingerprint;
  std::vector<std::string> tags;
  int version = 0;
  bool json = false, remove = false;
};

// "churn", "churn/3", "churn@champion" or "models:/..." -> versions.
std::vector<ModelVersion> VersionsOf(Store& store, const std::string& ref) {
  const std::string full = Store::IsModelRef(ref) ? ref : "models:/" + ref;
  if (full.find('@') != std::string::npos || full.find('/', 8) != std::string::npos) return {Check(store.ResolveRef(full))};
  auto versions = Check(store.ListVersions(full.substr(8)));
  if (versions.empty()) throw StatusError{Status::UserError("no model named '" + full.substr(8) + "' in the registry")};
  return versions;
}

void PrintVersions(const std::vector<ModelVersion>& versions, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : versions) out.push_back(VersionToJson(v));
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("%-20s %7s  %-19s %-10s %-12s %-20s %s\n", "model", "version", "created", "run", "artifact", "aliases", "description");
  for (const auto& v : versions) {
    std::string aliases;
    for (const auto& a : v.aliases) aliases += (aliases.empty() ? "" : ",") + a;
    std::printf("%-20s %7d  %-19s %-10s %-12s %-20s %s\n", v.name.c_str(), v.version, LocalTime(v.created).c_str(),
                v.run_id.substr(0, 10).c_str(), v.artifact.substr(0, 12).c_str(), aliases.c_str(), v.description.c_str());
  }
}

void ModelsRegister(const ModelsFlags& f) {
  if (f.run.empty() == f.model.empty()) throw StatusError{Status::UserError("models register: give --run RUN or --model FILE")};
  auto store = Check(Store::Open(StoreDir(f.store)));
  std::string artifact, run_id = f.run;
  if (!f.run.empty()) {
    const Run run = Check(store->GetRun(f.run));
    run_id = run.id;
    for (const auto& a : run.artifacts)
      if (a.name == "model") artifact = a.sha256;
    if (artifact.empty()) throw StatusError{Status::UserError("run " + run.id + " has no model artifact")};
  } else {
    // Only a file Tessera can load is registered; its run (when it was tracked) is its lineage.
    const auto model = Check(models::LoadAnyModel(f.model));  // any family
    if (model.training_info().contains("run_id")) run_id = model.training_info()["run_id"].get<std::string>();
    artifact = Check(store->PutArtifactFile(f.model, "model")).sha256;
  }
  auto version = Check(store->RegisterVersion(f.name, artifact, run_id, f.description, ParseTags(f.tags)));
  if (!f.alias.empty()) {
    Check(store->SetAlias(f.name, f.alias, version.version));
    version = Check(store->GetVersion(f.name, version.version));
  }
  if (f.json) {
    std::printf("%s\n", VersionToJson(version).dump(2).c_str());
    return;
  }
  std::printf("registered %s version %d (models:/%s/%d)%s\n", version.name.c_str(), version.version, version.name.c_str(),
              version.version, f.alias.empty() ? "" : (", alias " + f.alias).c_str());
}

void ModelsList(const ModelsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  PrintVersions(Check(store->ListVersions(f.name)), f.json);
}

void ModelsShow(const ModelsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  PrintVersions(VersionsOf(*store, f.ref), f.json);
}

void ModelsAlias(const ModelsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  if (f.remove) {
    Check(store->DeleteAlias(f.name, f.alias));
    if (!f.json) std::printf("removed alias %s@%s\n", f.name.c_str(), f.alias.c_str());
    return;
  }
  if (f.version <= 0) throw StatusError{Status::UserError("models alias: give the VERSION the alias points to (or --delete)")};
  Check(store->SetAlias(f.name, f.alias, f.version));
  if (!f.json) std::printf("models:/%s@%s -> version %d\n", f.name.c_str(), f.alias.c_str(), f.version);
}

void ModelsLineage(const ModelsFlags& f) {
  auto store = Check(Store::Open(StoreDir(f.store)));
  if (!f.fingerprint.empty()) {
    PrintVersions(Check(store->VersionsTrainedOn(f.fingerprint)), f.json);
    return;
  }
  if (f.ref.empty()) throw StatusError{Status::UserError("models lineage: give a model reference or --fingerprint")};
  const auto versions = VersionsOf(*store, f.ref);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : versions) {
    nlohmann::json entry = {{"version", VersionToJson(v)}};
    auto run = store->GetRun(v.run_id);
    if (!v.run_id.empty() && run.ok()) {
      entry["run"] = RunToJson(*run);
      nlohmann::json same = nlohmann::json::array();
      for (const auto& other : Check(store->VersionsTrainedOn(run->data_fingerprint)))
        same.push_back("models:/" + other.name + "/" + std::to_string(other.version));
      entry["same_data"] = same;
    }
    out.push_back(entry);
  }
  if (f.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  for (const auto& e : out) {
    const auto& v = e["version"];
    std::printf("models:/%s/%d  artifact %s\n", v["name"].get<std::string>().c_str(), v["version"].get<int>(),
                v["artifact"].get<std::string>().c_str());
    if (!e.contains("run")) {
      std::printf("  (no recorded run: registered from a file trained without tracking)\n");
      continue;
    }
    const auto& r = e["run"];
    std::printf("  run       %s (%s, %s)\n", r["id"].get<std::string>().c_str(), r["kind"].get<std::string>().c_str(),
                LocalTime(r["started"].get<double>()).c_str());
    std::printf("  command   %s\n", r["command"].get<std::string>().c_str());
    std::printf("  data      %s\n", r["data_fingerprint"].get<std::string>().c_str());
    std::printf("  params    %s\n", r["params"].dump().c_str());
    for (const auto& [k, m] : r["metrics"].items()) std::printf("  metric    %s = %s\n", k.c_str(), Number(m.get<double>()).c_str());
    std::string same;
    for (const auto& s : e["same_data"]) same += (same.empty() ? "" : ", ") + s.get<std::string>();
    std::printf("  same data %s\n", same.c_str());
  }
}

}  // namespace

void RegisterRegistry(CLI::App* app) {
  auto r = std::make_shared<RunsFlags>();
  CLI::App* runs = app->add_subcommand("runs", "Tracked runs: list, show, compare");
  runs->require_subcommand(1);
  CLI::App* list = runs->add_subcommand("list", "Runs, newest first");
  list->add_option("--kind", r->kind, "Only runs of this kind (train, eval, ...)");
  list->add_option("--tag", r->tags, "Only runs with tag key=value; repeatable");
  list->add_option("--metric", r->metric, "With --min/--max: only runs whose final metric is in range");
  list->add_option("--min", r->min, "Lowest value of --metric");
  list->add_option("--max", r->max, "Highest value of --metric");
  list->add_option("--limit", r->limit, "At most this many runs (0 = all)");
  CLI::App* show = runs->add_subcommand("show", "Everything about one run");
  show->add_option("run", r->run, "Run id (a unique prefix is enough)")->required();
  CLI::App* compare = runs->add_subcommand("compare", "Parameters and metrics of runs side by side");
  compare->add_option("runs", r->runs, "Run ids")->required();
  for (CLI::App* c : {list, show, compare}) {
    AddStoreFlag(c, &r->store);
    c->add_flag("--json", r->json, "Print JSON");
  }
  list->callback([r] { RunsList(*r); });
  show->callback([r] { RunsShow(*r); });
  compare->callback([r] { RunsCompare(*r); });

  auto m = std::make_shared<ModelsFlags>();
  CLI::App* models = app->add_subcommand("models", "The model registry: versions, aliases, lineage");
  models->require_subcommand(1);
  CLI::App* reg = models->add_subcommand("register", "Register a new version of a model");
  reg->add_option("name", m->name, "Model name")->required();
  reg->add_option("--run", m->run, "The run whose model artifact to register");
  reg->add_option("--model", m->model, "Or a model file");
  reg->add_option("--description", m->description, "What this version is");
  reg->add_option("--tag", m->tags, "Tag key=value; repeatable");
  reg->add_option("--alias", m->alias, "Point this alias (champion, challenger, ...) at the new version");
  CLI::App* mlist = models->add_subcommand("list", "Registered versions");
  mlist->add_option("name", m->name, "Only this model");
  CLI::App* mshow = models->add_subcommand("show", "One model's versions, or one version");
  mshow->add_option("ref", m->ref, "NAME, NAME/VERSION, NAME@ALIAS or models:/...")->required();
  CLI::App* alias = models->add_subcommand("alias", "Point an alias at a version (or --delete it)");
  alias->add_option("name", m->name, "Model name")->required();
  alias->add_option("alias", m->alias, "Alias")->required();
  alias->add_option("version", m->version, "Version");
  alias->add_flag("--delete", m->remove, "Remove the alias");
  CLI::App* lineage = models->add_subcommand("lineage", "The run, data and parameters behind a version");
  lineage->add_option("ref", m->ref, "NAME, NAME/VERSION, NAME@ALIAS or models:/...");
  lineage->add_option("--fingerprint", m->fingerprint, "Instead: the versions trained on this data fingerprint");
  for (CLI::App* c : {reg, mlist, mshow, alias, lineage}) {
    AddStoreFlag(c, &m->store);
    c->add_flag("--json", m->json, "Print JSON");
  }
  reg->callback([m] { ModelsRegister(*m); });
  mlist->callback([m] { ModelsList(*m); });
  mshow->callback([m] { ModelsShow(*m); });
  alias->callback([m] { ModelsAlias(*m); });
  lineage->callback([m] { ModelsLineage(*m); });
}

}  // namespace tessera::cli
