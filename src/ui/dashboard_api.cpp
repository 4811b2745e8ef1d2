#include "tessera/ui/dashboard_api.h"

#include <charconv>
#include <map>

#include "tessera/registry/registry_json.h"

namespace tessera::ui {

namespace {

using nlohmann::json;

constexpr size_t kDefaultRuns = 500, kMaxRuns = 100000;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

UiResponse Ok(const json& value) {
  return {200, Dump(value)};
}

UiResponse StoreError(const Status& status) {
  return JsonError(500, "reading the store: " + status.message());
}

// "models:/name/3"
std::string VersionRef(const registry::ModelVersion& v) {
  return "models:/" + v.name + "/" + std::to_string(v.version);
}

// The versions of each model, in name order, and their aliases.
json ModelEntry(const std::string& name, const std::vector<registry::ModelVersion>& versions) {
  json aliases = json::object(), list = json::array();
  for (const auto& v : versions) {
    for (const auto& alias : v.aliases) aliases[alias] = v.version;
    list.push_back(registry::VersionToJson(v));
  }
  return {{"name", name}, {"aliases", aliases}, {"versions", list}};
}

// A run as the model pages show it: what it was, on what data, with what result.
json RunSummary(const registry::Run& r) {
  return {{"id", r.id},
          {"kind", r.kind},
          {"status", r.status},
          {"started", r.started},
          {"data_fingerprint", r.data_fingerprint},
          {"metrics", r.metrics}};
}

}  // namespace

UiResponse JsonError(int status, std::string_view message) {
  return {status, Dump(json{{"error", std::string(message)}})};
}

DashboardApi::DashboardApi(std::unique_ptr<registry::Store> store,
                           std::unique_ptr<DriftClient> drift)
    : store_(std::move(store)), drift_(std::move(drift)) {}

Result<std::string> DashboardApi::ResolveRun(std::string_view id, UiResponse* error) const {
  const std::string text(id);
  if (text.empty() || text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    *error = JsonError(404, "no run '" + text + "': run ids are lowercase hexadecimal");
    return Status::UserError("bad id");
  }
  auto ids = store_->RunIdsWithPrefix(text, 2);
  if (!ids.ok()) {
    *error = StoreError(ids.status());
    return ids.status();
  }
  if (ids->empty()) {
    *error = JsonError(404, "no run '" + text + "' in the store");
    return Status::UserError("no run");
  }
  if (ids->size() > 1) {
    *error =
        JsonError(400, "run id prefix '" + text + "' matches several runs; give more of the id");
    return Status::UserError("ambiguous");
  }
  return ids->front();
}

UiResponse DashboardApi::Runs(std::string_view limit_text) const {
  size_t limit = kDefaultRuns;
  if (!limit_text.empty()) {
    const auto [end, ec] =
        std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), limit);
    if (ec != std::errc() || end != limit_text.data() + limit_text.size() || limit == 0 ||
        limit > kMaxRuns)
      return JsonError(400, "limit '" + std::string(limit_text) +
                                "' must be a whole number from 1 to " + std::to_string(kMaxRuns));
  }
  std::lock_guard lock(mutex_);
  registry::RunFilter filter;
  filter.limit = limit;
  auto runs = store_->ListRuns(filter);
  if (!runs.ok()) return StoreError(runs.status());
  json list = json::array();
  for (const auto& r : *runs) list.push_back(registry::RunToJson(r));
  return Ok({{"runs", list}});
}

UiResponse DashboardApi::Run(std::string_view id) const {
  std::lock_guard lock(mutex_);
  UiResponse error;
  auto full = ResolveRun(id, &error);
  if (!full.ok()) return error;
  auto run = store_->GetRun(*full);
  if (!run.ok()) return StoreError(run.status());
  auto keys = store_->MetricKeys(*full);
  if (!keys.ok()) return StoreError(keys.status());
  json out = registry::RunToJson(*run);
  out["metric_keys"] = *keys;
  return Ok(out);
}

UiResponse DashboardApi::RunMetrics(std::string_view id) const {
  std::lock_guard lock(mutex_);
  UiResponse error;
  auto full = ResolveRun(id, &error);
  if (!full.ok()) return error;
  auto keys = store_->MetricKeys(*full);
  if (!keys.ok()) return StoreError(keys.status());
  json points = json::object();
  for (const auto& key : *keys) {
    auto history = store_->MetricHistory(*full, key);
    if (!history.ok()) return StoreError(history.status());
    json list = json::array();
    for (const auto& p : *history) list.push_back(json::array({p.step, p.value}));
    points[key] = std::move(list);
  }
  return Ok({{"run_id", *full}, {"points", points}});
}

UiResponse DashboardApi::Models() const {
  std::lock_guard lock(mutex_);
  auto versions = store_->ListVersions("");
  if (!versions.ok()) return StoreError(versions.status());
  std::map<std::string, std::vector<registry::ModelVersion>> by_name;
  for (auto& v : *versions) by_name[v.name].push_back(std::move(v));
  json list = json::array();
  for (const auto& [name, of_model] : by_name) list.push_back(ModelEntry(name, of_model));
  return Ok({{"models", list}});
}

UiResponse DashboardApi::Model(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto versions = store_->ListVersions(std::string(name));
  if (!versions.ok()) return StoreError(versions.status());
  if (name.empty() || versions->empty())
    return JsonError(404, "no registered model '" + std::string(name) + "'");
  json entry = ModelEntry(std::string(name), *versions);
  for (size_t i = 0; i < versions->size(); ++i) {
    const std::string& run_id = (*versions)[i].run_id;
    auto ids = run_id.empty() ? Result<std::vector<std::string>>(std::vector<std::string>{})
                              : store_->RunIdsWithPrefix(run_id, 1);
    if (!ids.ok()) return StoreError(ids.status());
    json run = nullptr;
    if (!ids->empty() && ids->front() == run_id) {
      auto r = store_->GetRun(run_id);
      if (!r.ok()) return StoreError(r.status());
      run = RunSummary(*r);
    }
    entry["versions"][i]["run"] = run;
  }
  return Ok(entry);
}

UiResponse DashboardApi::Lineage(std::string_view name, std::string_view version_text) const {
  int version = 0;
  const auto [end, ec] =
      std::from_chars(version_text.data(), version_text.data() + version_text.size(), version);
  if (ec != std::errc() || end != version_text.data() + version_text.size() || version < 1)
    return JsonError(404, "no version '" + std::string(version_text) + "' of model '" +
                              std::string(name) + "': versions are numbers from 1");
  std::lock_guard lock(mutex_);
  auto versions = store_->ListVersions(std::string(name));
  if (!versions.ok()) return StoreError(versions.status());
  if (name.empty() || versions->empty())
    return JsonError(404, "no registered model '" + std::string(name) + "'");
  const registry::ModelVersion* found = nullptr;
  for (const auto& v : *versions)
    if (v.version == version) found = &v;
  if (!found)
    return JsonError(404, "model '" + std::string(name) + "' has no version " +
                              std::to_string(version) + " (it has " +
                              std::to_string(versions->size()) + ")");
  json out = {{"version", registry::VersionToJson(*found)},
              {"ref", VersionRef(*found)},
              {"run", nullptr},
              {"same_data", json::array()}};
  if (!found->run_id.empty()) {
    auto ids = store_->RunIdsWithPrefix(found->run_id, 1);
    if (!ids.ok()) return StoreError(ids.status());
    if (!ids->empty() && ids->front() == found->run_id) {
      auto run = store_->GetRun(found->run_id);
      if (!run.ok()) return StoreError(run.status());
      out["run"] = registry::RunToJson(*run);
      auto same = store_->VersionsTrainedOn(run->data_fingerprint);
      if (!same.ok()) return StoreError(same.status());
      for (const auto& v : *same)
        if (v.name != found->name || v.version != found->version)
          out["same_data"].push_back(VersionRef(v));
    }
  }
  return Ok(out);
}

UiResponse DashboardApi::Drift() const {
  if (!drift_)
    return Ok(
        {{"configured", false},
         {"message",
          "tessera ui was started without --serve-url: no model server to show the drift of"}});
  auto state = drift_->Fetch();
  if (!state.ok()) return JsonError(502, state.status().message());
  return Ok({{"configured", true}, {"serve_url", drift_->url()}, {"drift", *state}});
}

}  // namespace tessera::ui
