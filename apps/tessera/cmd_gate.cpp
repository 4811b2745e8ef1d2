// tessera gate: promote a candidate model only if it beats the champion on held-out data.
// Exit 0 = promote, 3 = reject (with the reasons), 1 = error.
#include <cmath>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/models/model_file.h"
#include "tessera/registry/gate.h"

namespace tessera::cli {

namespace {

struct GateFlags {
  IngestFlags data;
  std::string candidate, champion, metric, store;
  double min_delta = 0, max_latency_us = -1, max_drift_psi = -1;
  bool promote = false, json = false;
};

// "models:/NAME@ALIAS" -> {NAME, ALIAS}; anything else -> empty.
std::pair<std::string, std::string> NameAndAlias(const std::string& ref) {
  if (!registry::Store::IsModelRef(ref)) return {};
  const std::string rest = ref.substr(8);
  const auto at = rest.find('@');
  if (at == std::string::npos) return {};
  return {rest.substr(0, at), rest.substr(at + 1)};
}

bool HasAlias(const std::string& store_flag, const std::string& name, const std::string& alias) {
  auto store = Check(registry::Store::Open(StoreDir(store_flag)));
  return store->GetAlias(name, alias).ok();
}

// Points NAME@ALIAS at the candidate (registering a candidate file as a new version first).
std::string Promote(const GateFlags& f, const models::Model& candidate, const std::string& name, const std::string& alias) {
  auto store = Check(registry::Store::Open(StoreDir(f.store)));
  int version = 0;
  if (registry::Store::IsModelRef(f.candidate)) {
    const auto v = Check(store->ResolveRef(f.candidate));
    if (v.name != name)
      throw StatusError{Status::UserError("--promote: the candidate is a version of '" + v.name + "', the champion of '" + name + "'")};
    version = v.version;
  } else {
    const std::string run_id =
        candidate.training_info().contains("run_id") ? candidate.training_info()["run_id"].get<std::string>() : "";
    const auto artifact = Check(store->PutArtifactFile(f.candidate, "model"));
    version = Check(store->RegisterVersion(name, artifact.sha256, run_id, "promoted by tessera gate", {})).version;
  }
  Check(store->SetAlias(name, alias, version));
  return "models:/" + name + "@" + alias + " -> version " + std::to_string(version);
}

void RunGate(const GateFlags& f) {
  const auto [name, alias] = NameAndAlias(f.champion);
  if (f.promote && name.empty())
    throw StatusError{Status::UserError("--promote moves the champion's alias: give --champion models:/NAME@ALIAS")};
  const models::Model candidate = LoadAnyModelArg(f.candidate, f.store);
  if (!name.empty() && !HasAlias(f.store, name, alias)) {
    // No champion yet: nothing to beat. The first candidate is promoted (when asked).
    std::string promoted;
    if (f.promote) promoted = Promote(f, candidate, name, alias);
    if (f.json) {
      nlohmann::json j = {{"pass", true}, {"reasons", nlohmann::json::array()}, {"champion", nullptr}};
      if (!promoted.empty()) j["promoted"] = promoted;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("PROMOTE: there is no %s yet, so the candidate has nothing to beat\n", f.champion.c_str());
      if (!promoted.empty()) std::printf("promoted: %s\n", promoted.c_str());
    }
    return;
  }
  const models::Model champion = LoadAnyModelArg(f.champion, f.store);
  registry::GateOptions options;
  options.metric = f.metric;
  options.min_delta = f.min_delta;
  if (f.max_latency_us >= 0) options.max_latency_us = f.max_latency_us;
  if (f.max_drift_psi >= 0) options.max_drift_psi = f.max_drift_psi;
  const data::IngestOptions read = f.data.Resolve();
  options.threads = read.read.threads;
  const auto result = Check(registry::EvaluateGate(candidate, champion, f.data.inputs, read, options));

  std::string promoted;
  if (result.pass && f.promote) promoted = Promote(f, candidate, name, alias);
  if (f.json) {
    nlohmann::json j = {{"pass", result.pass}, {"reasons", result.reasons}, {"metric", result.metric},
                        {"candidate", result.candidate}, {"champion", result.champion}, {"delta", result.delta},
                        {"rows", result.rows}};
    if (options.max_latency_us) j["latency_us"] = result.latency_us;
    if (options.max_drift_psi) j["max_psi"] = result.max_psi, j["drift_feature"] = result.drift_feature;
    if (!promoted.empty()) j["promoted"] = promoted;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%-12s %14s %14s\n", "", "candidate", "champion");
    std::printf("%-12s %14.6f %14.6f   (%s is better; improvement %+.6f, required %+.6f)\n", result.metric.c_str(),
                result.candidate, result.champion, result.higher_is_better ? "higher" : "lower", result.delta, f.min_delta);
    if (options.max_latency_us) std::printf("%-12s %11.2f us   (limit %.2f us per row)\n", "latency", result.latency_us, *options.max_latency_us);
    if (options.max_drift_psi)
      std::printf("%-12s %14.4f   (largest PSI, feature '%s'; limit %.4f)\n", "drift", result.max_psi,
                  result.drift_feature.c_str(), *options.max_drift_psi);
    std::printf("%s\n", result.pass ? "PROMOTE: the candidate passes the gate" : "REJECT:");
    for (const auto& reason : result.reasons) std::printf("  - %s\n", reason.c_str());
    if (!promoted.empty()) std::printf("promoted: %s\n", promoted.c_str());
  }
  if (!result.pass) throw ExitRequest{3};
}

}  // namespace

void RegisterGate(CLI::App* app) {
  auto f = std::make_shared<GateFlags>();
  CLI::App* cmd = app->add_subcommand("gate", "Compare a candidate with the champion; exit 0 to promote, 3 to reject");
  cmd->add_option("--candidate", f->candidate, "Candidate model (file or models:/...)")->required();
  cmd->add_option("--champion", f->champion, "Champion model, usually models:/NAME@champion")->required();
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("--metric", f->metric, "Metric to compare (default: by objective)");
  cmd->add_option("--min-delta", f->min_delta, "Improvement the candidate must show (default 0: not worse)");
  cmd->add_option("--max-latency-us", f->max_latency_us, "Reject when one-row prediction takes longer (microseconds)");
  cmd->add_option("--max-drift-psi", f->max_drift_psi, "Reject when a feature's PSI against the candidate's training data is higher");
  cmd->add_flag("--promote", f->promote, "On success, point the champion's alias at the candidate");
  cmd->add_flag("--json", f->json, "Print JSON");
  AddStoreFlag(cmd, &f->store);
  cmd->callback([f] { RunGate(*f); });
}

}  // namespace tessera::cli
